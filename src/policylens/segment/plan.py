"""Action plans: 一、/（一）/1./专栏N headings into a hierarchy of plan sections."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policylens.segment import patterns
from policylens.segment.lines import Draft, Line, heading_title

BOX_LEVEL = 4
LOOKBACK_FOR_TITLE = 4  # lines before the first 一、 searched for the plan's title


@dataclass(frozen=True, slots=True)
class PlanStart:
    """Where a plan begins: its title line (if found) and its first 一、 heading."""

    title: str | None
    title_index: int | None  # index of the title line in the lines list
    body_index: int  # first line after the title (and its period line)
    first_heading: int


def _heading(line: Line) -> tuple[int, str, str] | None:
    """Return ``(level, number, rest)`` if the line is a plan heading."""
    for level, pattern in (
        (1, patterns.PLAN_LEVEL1),
        (2, patterns.PLAN_LEVEL2),
        (3, patterns.PLAN_LEVEL3),
    ):
        match = pattern.match(line.text)
        if match:
            return level, line.text[: match.start(2)].strip(), match.group(2)
    box = patterns.PLAN_BOX.match(line.text)
    if box:
        return BOX_LEVEL, box.group(1), line.text
    return None


def find_plan(lines: list[Line]) -> PlanStart | None:
    """Return where the plan starts, if the lines hold one (two 一、 headings and a （一）)."""
    level1 = [i for i, line in enumerate(lines) if patterns.PLAN_LEVEL1.match(line.text)]
    level2 = [i for i, line in enumerate(lines) if patterns.PLAN_LEVEL2.match(line.text)]
    if len(level1) < 2 or not level2:
        return None
    first = level1[0]
    for index in range(first - 1, max(first - 1 - LOOKBACK_FOR_TITLE, -1), -1):
        text = lines[index].text
        if patterns.PERIOD_LINE.match(text) and index > 0:
            title_match = patterns.PLAN_TITLE.match(lines[index - 1].text)
            if title_match:
                return PlanStart(title_match.group(1) + text, index - 1, index + 1, first)
        title_match = patterns.PLAN_TITLE.match(text)
        if title_match and not patterns.NOTICE_TITLE.match(text):
            return PlanStart(title_match.group(1), index, index + 1, first)
    return PlanStart(None, None, first, first)


def responsible_units(text: str) -> tuple[str, ...]:
    """Return the 责任单位 named in a task's text, in order, without notes like 为责任主体."""
    units: list[str] = []
    for match in patterns.RESPONSIBLE.finditer(text):
        for part in patterns.RESPONSIBLE_SPLIT.split(match.group(1)):
            part = patterns.RESPONSIBLE_NOTE.sub("", part.strip())
            if part and "下同" not in part and part not in units:
                units.append(part)
    return tuple(units)


def segment_plan(lines: list[Line], plan: PlanStart) -> list[Draft]:
    """Return one draft per heading of the plan (and one for its preamble)."""
    root: tuple[str, ...] = (plan.title,) if plan.title else ()
    drafts: list[Draft] = []
    if plan.title is not None and plan.title_index is not None:
        preamble = Draft(
            "plan_section",
            plan.title,
            lines[plan.title_index].start,
            lines[plan.body_index - 1].end,
            root,
        )
        for line in lines[plan.body_index : plan.first_heading]:
            preamble.add(line)
        drafts.append(preamble)
    stack: list[tuple[int, str]] = []
    current: Draft | None = None
    for line in lines[plan.first_heading :]:
        heading = _heading(line)
        if heading is None:
            if current is not None:
                current.add(line)
            continue
        level, number, rest = heading
        title = re.sub(r"\s+", " ", heading_title(rest))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        current = Draft(
            "plan_section",
            title,
            line.start,
            line.end,
            root + tuple(t for _, t in stack),
            number=number,
        )
        drafts.append(current)
    return drafts
