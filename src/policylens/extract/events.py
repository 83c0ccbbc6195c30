"""Events (conferences, forums, launches, firsts), topics, and the date a news item carries."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policylens.extract.context import (
    DocContext,
    after_last_mark,
    last_mark_finder,
    reach_forward,
    sentence_start,
)
from policylens.model import Event, Item, ItemDate, TopicTag

# The words an event's name ends with. Most items hold none, and EVENT is read only around
# those that do (event_matches); FIRST_OF_KIND likewise needs a 首.
EVENT_WORDS = (
    *("大会", "论坛", "峰会", "博览会", "工博会", "年会"),
    *("展览会", "发布会", "亚运会", "开幕式", "启动仪式"),
)
EVENT = re.compile(
    r"(?P<name>(?:20\d{2}|第[一二三四五六七八九十\d]+届|“)[^，。、；：\n]{0,40}?"
    f"(?:{'|'.join(EVENT_WORDS)})”?)"
)
# Every event word ends with one of these (tests hold the words to it).
EVENT_WORD_LAST_CHARACTERS = "会坛式"
# No character of an event's name is one of these: each EVENT match lies in one stretch
# of text between two of them, and holds an event word.
NAME_BREAK = re.compile(r"[，。、；：\n]")
LAST_NAME_BREAK = last_mark_finder(NAME_BREAK)
FIRST_OF_KIND = re.compile(r"(?:全国|国内|全球|世界)首[张个款部家批](?P<what>[^，。；\n]{2,20})")
ORGANIZER = re.compile(r"由(?P<who>[^，。；]{2,60}?)(?:主办|牵头|举办|发起)")
NEWS_KINDS = ("digest_entry", "article")


def extract_events(item: Item, ctx: DocContext) -> Iterator[Event]:
    """Yield named events and firsts in an item, with their date, place and organizers."""
    text = item.text
    seen: set[str] = set()
    spans = [(m.start(), m.end(), m.group("name").strip("“”")) for m in event_matches(text)]
    if "首" in text:
        spans += [(m.start(), m.end(), m.group(0)) for m in FIRST_OF_KIND.finditer(text)]
    for start, end, name in sorted(spans):
        if name in seen:
            continue
        seen.add(name)
        floor = sentence_start(text, start)
        limit = reach_forward(text, end)
        sentence = text[floor : text.find("。", end, limit) + 1 or limit]
        hits = [h for h in ctx.dates_between(item, floor, end) if h.day]
        if not hits:
            hits = [h for h in ctx.dates(item) if h.day][:1]
        organizer = ORGANIZER.search(sentence)
        yield Event(
            name=name,
            date=ctx.resolve_date(item, hits[-1]) if hits else None,
            place=ctx.place_before(item, end) or ctx.place_before(item, len(text), False),
            organizers=tuple(re.split(r"[、和]", organizer.group("who"))) if organizer else (),
            prov=ctx.prov(item, start, end, "event.v1"),
        )


def event_word_ends(text: str) -> list[int]:
    """Return where each event word in a text ends, in order: at each of its last
    characters (会 is common, the words are not), a suffix test in C."""
    ends = []
    for last in EVENT_WORD_LAST_CHARACTERS:
        at = text.find(last)
        while at >= 0:
            if text.endswith(EVENT_WORDS, 0, at + 1):
                ends.append(at + 1)
            at = text.find(last, at + 1)
    return sorted(ends)


def event_matches(text: str) -> Iterator[re.Match[str]]:
    """Yield the matches of ``EVENT.finditer(text)``, read only in the stretches between
    name breaks that hold an event word.

    EVENT tries a lazy run of up to 40 characters and every event word after each year,
    第…届 and quote mark of a text; a match lies in one stretch and holds an event word,
    and few stretches hold one.
    """
    read_to = 0
    for end in event_word_ends(text):
        if end <= read_to:
            continue  # in the stretch just read
        limit = reach_forward(text, end)
        following = NAME_BREAK.search(text, end, limit)
        read_to = following.start() if following else limit
        yield from EVENT.finditer(text, after_last_mark(LAST_NAME_BREAK, text, end), read_to)


def extract_topics(item: Item, ctx: DocContext) -> Iterator[TopicTag]:
    """Yield one tag per taxonomy topic whose trigger words occur in the item."""
    topics = ctx.res.topics
    found: dict[str, list[tuple[int, str]]] = {}
    for index, at in ctx.res.first_topic_triggers(item.text):
        topic, trigger = topics[index]
        found.setdefault(topic, []).append((at, trigger))
    for topic, hits in found.items():
        hits.sort()
        first, trigger = hits[0]
        yield TopicTag(
            topic,
            (trigger,) if len(hits) == 1 else tuple([t for _, t in hits]),
            ctx.prov(item, first, first + len(trigger), "topic.v1"),
        )


def extract_item_date(item: Item, ctx: DocContext) -> Iterator[ItemDate]:
    """Yield the date a news item carries: the first full or month-day date of its text."""
    if item.kind not in NEWS_KINDS:
        return
    body_start = len(item.title) if item.text.startswith(item.title) else 0
    hit = next((h for h in ctx.dates(item) if h.day and h.start >= body_start), None)
    if hit is None:
        return
    value = ctx.resolve_date(item, hit)
    if value is not None:
        yield ItemDate(value, ctx.prov(item, hit.start, hit.end, "item_date.v1"))
