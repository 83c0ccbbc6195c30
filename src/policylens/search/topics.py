"""Topic words: ``--topic 数字藏品`` means the topic that word tags (nft), from data/topics.tsv."""

from __future__ import annotations

from importlib import resources


def load_topic_words() -> dict[str, set[str]]:
    """Return each topic name and trigger word, folded, mapped to the topics it stands for."""
    words: dict[str, set[str]] = {}
    text = resources.files("policylens.data").joinpath("topics.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        topic, _, trigger = line.partition("\t")
        words.setdefault(topic.strip().lower(), set()).add(topic.strip())
        words.setdefault(trigger.strip().lower(), set()).add(topic.strip())
    return words


def resolve_topics(values: tuple[str, ...], words: dict[str, set[str]]) -> tuple[str, ...]:
    """Return the topic names some filter values mean (an unknown value stays as it is)."""
    out: dict[str, None] = {}
    for value in values:
        for topic in sorted(words.get(value.strip().lower(), {value.strip()})):
            out[topic] = None
    return tuple(out)
