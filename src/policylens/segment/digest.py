"""Digests, newsletters and articles: headlines, numbered entries, sections, front/back matter."""

from __future__ import annotations

from policylens.resources import Resources
from policylens.segment import patterns
from policylens.segment.lines import Draft, Line, is_headline_like

HEADLESS_TITLE_MAX = 40


def contents_range(lines: list[Line]) -> tuple[int, int] | None:
    """Return ``(first, last)`` line indexes of a contents page (目录 and its entries)."""
    for index, line in enumerate(lines[:10]):
        if not patterns.CONTENTS_HEADING.match(line.text):
            continue
        last = index
        for offset, entry in enumerate(lines[index + 1 :], start=index + 1):
            # The contents block runs until the first blank line after its first entry.
            if offset > index + 1 and entry.blank_before:
                break
            last = offset
        return index, last
    return None


def starts_news(text: str) -> bool:
    """Return whether a paragraph opens with a dateline (a news story's first words)."""
    return bool(patterns.DATELINE.match(text))


def headless_title(text: str) -> str:
    """Return a title for an entry without headline: its first sentence, dateline removed."""
    sentence = text.split("。", 1)[0]
    sentence = patterns.DATELINE.sub("", sentence, count=1)
    sentence = patterns.ATTRIBUTION.sub("", sentence, count=1)
    return sentence[:HEADLESS_TITLE_MAX]


def _opens_headline(lines: list[Line], index: int) -> str | None:
    """Return the headline an entry opens with at ``lines[index]``, or None."""
    text = lines[index].text
    numbered = patterns.NUMBERED_HEADLINE.match(text)
    if numbered and is_headline_like(text):
        return numbered.group(2)
    following = lines[index + 1].text if index + 1 < len(lines) else ""
    if patterns.LONE_NUMBER.match(text) and is_headline_like(following):
        return following
    if is_headline_like(text) and starts_news(following) and len(following) > len(text):
        return text
    return None


def headlines(lines: list[Line]) -> list[str | None]:
    """Return the headline each line opens an entry with (None for most lines): asked once
    to tell a digest, and again to cut it."""
    return [_opens_headline(lines, index) for index in range(len(lines))]


def segment_digest(
    lines: list[Line], res: Resources, opened: list[str | None] | None = None
) -> list[Draft]:
    """Return drafts for a digest: front matter, entries under their sections, back matter
    (``opened``: the lines' ``headlines``, if already known)."""
    opened = headlines(lines) if opened is None else opened
    # A compact brief (no blank lines, numbered headlines, as pasted from a chat
    # app) gives each story one paragraph; any further paragraph is another story.
    numbered = sum(1 for line in lines if patterns.NUMBERED_HEADLINE.match(line.text))
    compact = numbered >= 2 and not any(line.blank_before for line in lines[1:])
    drafts: list[Draft] = []
    current: Draft | None = None
    section: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        text = line.text
        if current is not None and current.kind == "back_matter":
            current.add(line)
        elif text in res.back_matter:
            current = Draft("back_matter", text, line.start, line.end)
            drafts.append(current)
        elif text in res.digest_sections:
            section = text
            current = None
        elif (headline := opened[index]) is not None:
            number = text if patterns.LONE_NUMBER.match(text) else None
            numbered = patterns.NUMBERED_HEADLINE.match(text)
            number = numbered.group(1) if numbered and headline == numbered.group(2) else number
            end = lines[index + 1].end if number and text == number else line.end
            current = Draft(
                "digest_entry", headline, line.start, end, section=section, number=number
            )
            drafts.append(current)
            if number and text == number:
                index += 1  # the headline line was taken with its number
        elif current is None or current.kind == "front_matter":
            if current is None:
                current = Draft("front_matter", text, line.start, line.end)
                drafts.append(current)
            else:
                current.add(line)
        elif current.body_lines and (
            compact or (starts_news(text) and starts_news(current.body_lines[0].text))
        ):
            # A second news story under one headline: its own entry without headline.
            current = Draft(
                "digest_entry", headless_title(text), line.start, line.end, section=section
            )
            current.add(line)
            drafts.append(current)
        else:
            current.add(line)
        index += 1
    return drafts


def segment_article(lines: list[Line], title: str | None) -> list[Draft]:
    """Return one article draft over all the lines."""
    if not lines:
        return []
    first = lines[0]
    # The format's own title (HTML <title>, PDF metadata) beats a guess from the first line.
    headline = title or (first.text if is_headline_like(first.text) else first.text[:40])
    draft = Draft("article", headline, first.start, first.end)
    for line in lines[1:]:
        draft.add(line)
    return [draft]
