"""Events (conferences, forums, launches, firsts), topics, and the date a news item carries."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policylens.extract.context import DocContext, sentence_start
from policylens.model import Event, Item, ItemDate, TopicTag

# The words an event's name ends with. Most items hold none, and a substring test is far
# cheaper than EVENT's pass over the item; FIRST_OF_KIND likewise needs a 首.
EVENT_WORDS = (
    *("大会", "论坛", "峰会", "博览会", "工博会", "年会"),
    *("展览会", "发布会", "亚运会", "开幕式", "启动仪式"),
)
EVENT = re.compile(
    r"(?P<name>(?:20\d{2}|第[一二三四五六七八九十\d]+届|“)[^，。、；：\n]{0,40}?"
    f"(?:{'|'.join(EVENT_WORDS)})”?)"
)
FIRST_OF_KIND = re.compile(r"(?:全国|国内|全球|世界)首[张个款部家批](?P<what>[^，。；\n]{2,20})")
ORGANIZER = re.compile(r"由(?P<who>[^，。；]{2,60}?)(?:主办|牵头|举办|发起)")
NEWS_KINDS = ("digest_entry", "article")


def extract_events(item: Item, ctx: DocContext) -> Iterator[Event]:
    """Yield named events and firsts in an item, with their date, place and organizers."""
    text = item.text
    seen: set[str] = set()
    spans: list[tuple[int, int, str]] = []
    # Every event word holds 会, 坛 or 式: three character tests spare most items the words.
    if ("会" in text or "坛" in text or "式" in text) and any(map(text.__contains__, EVENT_WORDS)):
        spans = [(m.start(), m.end(), m.group("name").strip("“”")) for m in EVENT.finditer(text)]
    if "首" in text:
        spans += [(m.start(), m.end(), m.group(0)) for m in FIRST_OF_KIND.finditer(text)]
    for start, end, name in sorted(spans):
        if name in seen:
            continue
        seen.add(name)
        floor = sentence_start(text, start)
        sentence = text[floor : text.find("。", end) + 1 or len(text)]
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
