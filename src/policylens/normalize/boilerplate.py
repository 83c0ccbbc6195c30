"""Web and print boilerplate: navigation, footers, disclaimers, comment boxes."""

from __future__ import annotations

import re
from collections.abc import Callable

from policylens.normalize.linescan import candidate_lines, line_scan
from policylens.normalize.tracked import Edit, TrackedText, line_starts
from policylens.resources import BoilerplateRule, Resources

CUT_AFTER_SHARE = 0.4


def page_metadata(text: str, res: Resources) -> tuple[tuple[str, str], ...]:
    """Return ``(key, value)`` pairs from metadata lines such as ``文章链接:URL``."""
    lines = list(map(str.strip, text.split("\n")))
    # One scan of the text finds the few lines worth searching pattern by pattern.
    scan = line_scan(tuple(pattern for _, pattern in res.metadata_lines))
    found: list[tuple[str, str]] = []
    for index in candidate_lines(scan, lines):
        line = lines[index]
        for key, pattern in res.metadata_lines:
            match = pattern.search(line)
            if match:
                found.append((key, match.group(1).strip()))
                break
    return tuple(found)


def _first_rule(
    line: str, rules: list[tuple[Callable[[str], re.Match[str] | None], BoilerplateRule]]
) -> BoilerplateRule | None:
    """Return the first rule whose pattern the line holds."""
    for search, rule in rules:
        if search(line):
            return rule
    return None


def remove_boilerplate(text: TrackedText, res: Resources) -> TrackedText:
    """Return the text without boilerplate lines, and without whatever follows a ``cut`` line."""
    edits: list[Edit] = []
    rules = [(rule.pattern.search, rule) for rule in res.boilerplate]
    raw_lines = text.text.split("\n")
    lines = list(map(str.strip, raw_lines))
    # One scan of the text finds the few lines worth trying rule by rule.
    candidates = candidate_lines(line_scan(tuple(rule.pattern for rule in res.boilerplate)), lines)
    if not candidates:
        return text
    starts = line_starts(raw_lines)
    for index in candidates:
        line = lines[index]
        if not line:
            continue
        rule = _first_rule(line, rules)
        if rule is None:
            continue
        start = starts[index]
        # A related-articles list in a sidebar can come before the article;
        # only a cut marker in the latter part of the page ends the text.
        if rule.action == "cut" and start > len(text.text) * CUT_AFTER_SHARE:
            edits.append((start, len(text.text), ""))
            break
        edits.append((start, start + len(raw_lines[index]), ""))
    return text.apply(edits)
