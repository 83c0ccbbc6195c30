"""Ranking a bounded pool of matching items: BM25-like term weights plus a few field boosts.

The database proves which items match; only the best-placed few hundred of them (title hits
first) are scored here, so the cost of ranking does not grow with the number of matches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from policylens.search.tokens import QueryTerm, fold_text, is_word_char

K1, B = 1.2, 0.75
TITLE_BOOST = 1.0  # a term in the title: the item is about it
REGION_BOOST = 1.0  # a term naming one of the item's regions (四川 → 四川省)
CONTEXT_BOOST = 1.0  # a term in its headings or document title: the whole is about it
FALSE_FRIEND = 0.1  # 数字人 inside 数字人民币: the compound's head is another word
# Contents pages and disclaimers repeat other items' words without being about them.
KIND_WEIGHTS = {"contents": 0.2, "back_matter": 0.3}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A matching item as ranking sees it."""

    item_id: int
    document_id: int
    kind: str
    title: str
    text: str
    triggers: frozenset[str] = frozenset()  # the words that tagged its topics, folded
    regions: tuple[str, ...] = ()  # its region facet values (四川省, 四川省成都市)
    context: str = ""  # its heading path and document title, folded


def occurrences(haystack: str, needle: str) -> list[int]:
    """Return where a folded term occurs; a Latin edge must be a word edge (AR ≠ ARt)."""
    if not needle:
        return []
    left_word, right_word = is_word_char(needle[0]), is_word_char(needle[-1])
    out, start = [], haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        left_ok = not (left_word and start > 0 and is_word_char(haystack[start - 1]))
        right_ok = not (right_word and end < len(haystack) and is_word_char(haystack[end]))
        if left_ok and right_ok:
            out.append(start)
        start = haystack.find(needle, start + 1)
    return out


def _false_friends(term: str, triggers: frozenset[str]) -> list[str]:
    """Return the topic words holding the term but not as their head (数字人民币 for 数字人)."""
    return [w for w in triggers if term in w and w != term and not w.endswith(term)]


def term_frequency(haystack: str, term: QueryTerm, triggers: frozenset[str]) -> float:
    """Return a term's weighted count: occurrences inside false friends count a tenth."""
    # A term with a Latin edge counts whole words only (AR is not in ART).
    whole = term.latin_edge
    count = len(occurrences(haystack, term.text)) if whole else haystack.count(term.text)
    if not count or not triggers:
        return float(count)
    inside = sum(haystack.count(word) for word in _false_friends(term.text, triggers))
    return count - (1.0 - FALSE_FRIEND) * min(inside, count)


def idf(total: int, frequency: int) -> float:
    """Return the BM25 inverse document frequency of a term found in ``frequency`` items."""
    return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))


def score(
    candidate: Candidate, terms: list[QueryTerm], weights: list[float], avg_len: float
) -> float:
    """Return a candidate's relevance to the terms (0 when there are none)."""
    title = fold_text(candidate.title)
    haystack = f"{title}\n{fold_text(candidate.text)}"
    norm = K1 * (1 - B + B * len(haystack) / max(avg_len, 1.0))
    total = 0.0
    for term, weight in zip(terms, weights, strict=True):
        tf = term_frequency(haystack, term, candidate.triggers)
        value = tf * (K1 + 1) / (tf + norm) if tf else 0.0
        # A false friend in the title (数字人 in 数字人民币) earns a tenth of the boost.
        value += TITLE_BOOST * min(1.0, term_frequency(title, term, candidate.triggers))
        if len(term.text) > 1 and any(term.text in region for region in candidate.regions):
            value += REGION_BOOST
        if term.text in candidate.context:
            value += CONTEXT_BOOST
        total += weight * value
    return total * KIND_WEIGHTS.get(candidate.kind, 1.0)


def rank(
    candidates: list[Candidate], terms: list[QueryTerm], weights: list[float]
) -> list[tuple[float, Candidate]]:
    """Return candidates with scores, best first (ties: document order)."""
    if not candidates:
        return []
    avg_len = sum(len(c.title) + len(c.text) + 1 for c in candidates) / len(candidates)
    scored = [(score(c, terms, weights, avg_len), c) for c in candidates]
    scored.sort(key=lambda pair: (-pair[0], pair[1].document_id, pair[1].item_id))
    return scored
