"""TextRank over sentences (Mihalcea & Tarau 2004), for extractive summaries of Chinese text.

Sentences are nodes; two sentences are joined by an edge weighted by how many units they
share, normalized by their lengths: ``|Si ∩ Sj| / (log|Si| + log|Sj|)``. Units are character
bigrams for Chinese (no segmenter, so no word list to ship) and whole words for Latin letters
and numbers. A weighted PageRank then scores each sentence by how much of the rest of the
text it "recommends". An optional bias vector makes the random jump prefer some sentences
(in news, the lead); without it the jump is uniform, as in the paper.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*")
CJK = re.compile(r"[\u3400-\u9fff]+")
DAMPING = 0.85
MAX_ITERATIONS = 200
TOLERANCE = 1e-8


def units(sentence: str) -> frozenset[str]:
    """Return a sentence's units: Chinese character bigrams (a lone character as itself), words."""
    found: set[str] = {word.lower() for word in LATIN.findall(sentence)}
    for run in CJK.findall(sentence):
        if len(run) == 1:
            found.add(run)
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(found)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Return TextRank's similarity of two unit sets: shared units over the sum of log sizes."""
    shared = len(a & b)
    if not shared:
        return 0.0
    denominator = math.log(len(a) + 1) + math.log(len(b) + 1)
    return shared / denominator if denominator else 0.0


def weights(sentences: Sequence[str]) -> list[list[float]]:
    """Return the symmetric edge weights between sentences (zero on the diagonal)."""
    sets = [units(s) for s in sentences]
    n = len(sets)
    matrix = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            matrix[i][j] = matrix[j][i] = similarity(sets[i], sets[j])
    return matrix


def _normalized(values: Sequence[float]) -> list[float]:
    total = sum(values)
    return [v / total for v in values] if total > 0 else [1.0 / len(values)] * len(values)


def pagerank(
    matrix: Sequence[Sequence[float]],
    bias: Sequence[float] | None = None,
    damping: float = DAMPING,
) -> list[float]:
    """Return weighted PageRank scores (summing to 1) of a symmetric weight matrix.

    ``bias`` is where the random jump lands (normalized; uniform when None). A sentence
    sharing nothing with the others passes its score on by the jump.
    """
    n = len(matrix)
    if n == 0:
        return []
    jump = _normalized(bias) if bias is not None else [1.0 / n] * n
    out_weight = [sum(row) for row in matrix]
    scores = list(jump)
    for _ in range(MAX_ITERATIONS):
        dangling = sum(scores[j] for j in range(n) if out_weight[j] == 0)
        new = [
            (1 - damping) * jump[i]
            + damping
            * (
                sum(
                    matrix[j][i] / out_weight[j] * scores[j]
                    for j in range(n)
                    if out_weight[j] > 0 and matrix[j][i] > 0
                )
                + dangling * jump[i]
            )
            for i in range(n)
        ]
        change = sum(abs(a - b) for a, b in zip(new, scores, strict=True))
        scores = new
        if change < TOLERANCE:
            break
    return scores


def lead_bias(count: int, strength: float = 1.0) -> list[float]:
    """Return a jump vector favouring early sentences: ``1 / (position + 1) ** strength``."""
    return [1.0 / (i + 1) ** strength for i in range(count)]


def textrank(sentences: Sequence[str], bias: Sequence[float] | None = None) -> list[float]:
    """Return each sentence's TextRank score, in input order."""
    return pagerank(weights(sentences), bias)


def choose(
    sentences: Sequence[str], scores: Sequence[float], budget: int, keep: Sequence[int] = ()
) -> list[int]:
    """Return the indices of the best sentences fitting ``budget`` characters, in text order.

    The ``keep`` sentences come first; then sentences are taken best first (ties: the
    earlier one), skipping one that would overflow the budget. At least one is taken.
    """
    chosen = [i for i in dict.fromkeys(keep) if 0 <= i < len(sentences)]
    used = sum(len(sentences[i]) for i in chosen)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    for index in order:
        if index in chosen:
            continue
        size = len(sentences[index])
        if chosen and used + size > budget:
            continue
        chosen.append(index)
        used += size
    return sorted(chosen)
