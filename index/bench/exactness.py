"""Whether this index's answers are BM25Okapi's: the top 10 of every question compared
with ``rank_bm25.BM25Okapi`` over the same paragraphs (``--quick`` fails if one differs)."""

from __future__ import annotations

import numpy as np

from index.search.analyzer import unique_terms
from index.search.bm25 import BM25Index, BM25Params

EXACT_TOP = 10
EXACT_MAX_SIZE = 20_000
"""Checked only up to this many paragraphs: BM25Okapi scores every paragraph in Python."""
EXACT_QUESTIONS = 200
"""Questions checked at most, for the same reason."""


def check_exact(
    index: BM25Index, tokens: list[list[str]], questions: list[list[str]], params: BM25Params
) -> tuple[int, int]:
    """Questions whose top 10 equals BM25Okapi's (scores equal to 1e-9, same ties rule),
    and how many were asked."""
    from rank_bm25 import BM25Okapi

    okapi = BM25Okapi(tokens, k1=params.k1, b=params.b, epsilon=params.epsilon)
    agree = 0
    for query in questions:
        hits = index.search(query, EXACT_TOP)
        scores = okapi.get_scores(unique_terms(query))
        ok = all(abs(scores[h.paragraph_id] - h.score) <= 1e-9 * max(1, abs(h.score)) for h in hits)
        # Nothing outside our hits may score above our last hit among candidates.
        if hits and len(hits) == EXACT_TOP:
            outside = np.ones(len(tokens), dtype=bool)
            outside[[h.paragraph_id for h in hits]] = False
            candidates = np.array([bool(set(query) & set(t)) for t in tokens])
            better = scores[outside & candidates] > hits[-1].score + 1e-9
            ok = ok and not better.any()
        agree += ok
    return agree, len(questions)
