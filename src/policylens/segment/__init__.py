"""Clean text → Items: digest entries, plan sections, articles, front and back matter."""

from __future__ import annotations

import bisect
from dataclasses import replace

from policylens.model import CleanText, Item, SourceLink, Span
from policylens.resources import Resources
from policylens.segment import digest, patterns, plan
from policylens.segment.lines import Draft, Line, split_lines


def segment(clean: CleanText, res: Resources, title: str | None = None) -> tuple[Item, ...]:
    """Return the items of a clean text, in order, with their footnote links attached."""
    lines = split_lines(clean.text)
    drafts: list[Draft] = []
    # 1. a contents page is recognized and kept apart, never turned into entries
    contents = digest.contents_range(lines)
    if contents is not None:
        first, last = contents
        drafts.append(Draft("contents", "目录", lines[first].start, lines[last].end))
        before, lines = lines[:first], lines[last + 1 :]
        drafts[0:0] = digest.segment_article(before, title) if before else []
    # 2. an action plan, if the text holds one, takes everything from its title on
    plan_start = plan.find_plan(lines)
    head = (
        lines if plan_start is None else lines[: plan_start.title_index or plan_start.first_heading]
    )
    # 3. what precedes the plan: a cover notice, a digest, or an article
    drafts.extend(_segment_head(head, res, title))
    if plan_start is not None:
        drafts.extend(plan.segment_plan(lines, plan_start))
    return tuple(_finish(drafts, clean))


def _segment_head(lines: list[Line], res: Resources, title: str | None) -> list[Draft]:
    notice = next(
        (i for i, line in enumerate(lines) if patterns.NOTICE_TITLE.match(line.text)), None
    )
    if notice is not None:
        drafts = digest.segment_digest(lines[:notice], res)
        cover = Draft("notice", lines[notice].text, lines[notice].start, lines[notice].end)
        for line in lines[notice + 1 :]:
            cover.add(line)
        return [*drafts, cover]
    opened = digest.headlines(lines)
    if sum(1 for headline in opened if headline is not None) >= 2:
        return digest.segment_digest(lines, res, opened)
    return digest.segment_article(lines, title)


def _finish(drafts: list[Draft], clean: CleanText) -> list[Item]:
    drafts = sorted(drafts, key=lambda d: d.start)
    items: list[Item] = []
    for index, draft in enumerate(drafts):
        text = clean.text[draft.start : draft.end]
        items.append(
            Item(
                index=index,
                kind=draft.kind,
                title=draft.title,
                span=Span(draft.start, draft.end),
                text=text,
                path=draft.path,
                section=draft.section,
                number=draft.number,
                responsible=plan.responsible_units(text) if draft.kind == "plan_section" else (),
            )
        )
    return _attach_links(items, clean)


def _attach_links(items: list[Item], clean: CleanText) -> list[Item]:
    """Return items with each footnote link on the item that cites it."""
    if not items or not clean.links:
        return items
    starts = [item.span.start for item in items]
    by_item: dict[int, list[SourceLink]] = {}
    unanchored: list[SourceLink] = []
    for link in clean.links:
        if link.anchor is None:
            unanchored.append(link)
            continue
        owner = max(bisect.bisect_right(starts, max(link.anchor - 1, 0)) - 1, 0)
        by_item.setdefault(owner, []).append(link)
    origins = clean.offsets.origins()
    for link in unanchored:
        # No mark in the text: the footnote was printed at the foot of the page,
        # after the passage citing it. Walk back to the nearest item that does
        # not already cite a later footnote.
        position = max(bisect.bisect_left(origins, link.raw_span.start) - 1, 0)
        owner = max(bisect.bisect_right(starts, position) - 1, 0)
        while (
            link.number is not None
            and owner > 0
            and any((other.number or 0) > link.number for other in by_item.get(owner, ()))
        ):
            owner -= 1
        by_item.setdefault(owner, []).append(link)
    return [
        replace(item, links=tuple(sorted(by_item.get(i, ()), key=_link_order)))
        for i, item in enumerate(items)
    ]


def _link_order(link: SourceLink) -> tuple[int, int]:
    return (link.number if link.number is not None else 1 << 30, link.raw_span.start)
