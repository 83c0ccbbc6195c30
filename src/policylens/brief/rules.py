"""The brief's rule data: section rules per style and sentence trimming, from data files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path

from policylens.errors import PolicyLensError

SECTIONS_FILE = "brief_sections.tsv"
TEXT_FILE = "brief_text.tsv"
RULE_KINDS = ("section", "subject", "fact", "topic", "word", "*")
TEXT_ACTIONS = ("cut", "drop", "strip", "lead", "head", "background")


class BriefRulesError(PolicyLensError):
    """A brief data file holds a line that cannot be read."""


@dataclass(frozen=True, slots=True)
class SectionRule:
    """One line of brief_sections.tsv: entries for which ``kind=value`` holds go to ``section``."""

    style: str
    section: str
    kind: str  # section | subject | fact | topic | word | *
    value: str


@dataclass(frozen=True, slots=True)
class TextRules:
    """Compiled trimming rules (brief_text.tsv)."""

    cut: tuple[re.Pattern[str], ...] = ()
    drop: tuple[re.Pattern[str], ...] = ()
    strip: tuple[re.Pattern[str], ...] = ()
    lead: tuple[re.Pattern[str], ...] = ()
    head: tuple[re.Pattern[str], ...] = ()
    background: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class BriefRules:
    """Everything a brief reads from data files."""

    sections: tuple[SectionRule, ...]
    text: TextRules

    def styles(self) -> tuple[str, ...]:
        """Return the styles the section rules know, in file order."""
        return tuple(dict.fromkeys(rule.style for rule in self.sections))

    def section_order(self, style: str) -> tuple[str, ...]:
        """Return a style's sections in the order they first appear in the file."""
        return tuple(dict.fromkeys(r.section for r in self.sections if r.style == style))


def _lines(name: str, data_dir: Path | None) -> list[str]:
    if data_dir is not None and (data_dir / name).exists():
        text = (data_dir / name).read_text(encoding="utf-8")
    else:
        text = importlib_resources.files("policylens.data").joinpath(name).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def parse_section_rule(line: str) -> SectionRule:
    """Return the rule a brief_sections.tsv line states; raise BriefRulesError if malformed."""
    parts = line.split("\t")
    if len(parts) != 3:
        raise BriefRulesError(f"{SECTIONS_FILE}: expected style<TAB>section<TAB>rule: {line!r}")
    style, section, rule = (part.strip() for part in parts)
    kind, _, value = rule.partition("=")
    if kind not in RULE_KINDS or (kind != "*" and not value):
        raise BriefRulesError(f"{SECTIONS_FILE}: unknown rule {rule!r} (one of {RULE_KINDS})")
    return SectionRule(style, section, kind, value)


def parse_text_rules(lines: list[str]) -> TextRules:
    """Return the compiled trimming rules of brief_text.tsv lines."""
    found: dict[str, list[re.Pattern[str]]] = {action: [] for action in TEXT_ACTIONS}
    for line in lines:
        action, _, pattern = line.partition("\t")
        if action not in found or not pattern:
            raise BriefRulesError(f"{TEXT_FILE}: expected action<TAB>regex: {line!r}")
        try:
            found[action].append(re.compile(pattern))
        except re.error as exc:
            raise BriefRulesError(f"{TEXT_FILE}: bad regex {pattern!r}: {exc}") from exc
    return TextRules(*(tuple(found[action]) for action in TEXT_ACTIONS))


def load_brief_rules(data_dir: Path | None = None) -> BriefRules:
    """Return the brief rules, taking files from ``data_dir`` where it has them."""
    sections = tuple(parse_section_rule(line) for line in _lines(SECTIONS_FILE, data_dir))
    return BriefRules(sections, parse_text_rules(_lines(TEXT_FILE, data_dir)))
