"""The loops a question costs, compiled with numba.

Kept apart from ``bm25.py`` so the index's bookkeeping stays plain Python and these
stay small pure functions over arrays.

A question adds each of its terms' shares into the paragraphs that hold the term. Done
over the whole corpus, that is a scattered add into an array as long as the corpus (8 MB
at a million paragraphs, as much as this machine's L3 cache), and memory, not
arithmetic, sets the pace. So the corpus is walked in blocks of ``BLOCK`` slots: every
term's postings are sorted by slot, each term keeps a cursor, and for one block at a
time every term adds its shares (in question order, so each paragraph's total is the
same float rank_bm25 computes) into accumulators small enough to stay in L2. The best
``k`` of each block are merged into the results before the next block starts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BLOCK = 1 << 13
"""Slots per block: totals, counts and the touched list take 128 KiB. Larger blocks were
as fast while the caches held only this index, and slower (356 against 270 us at 100k
paragraphs) once other work had pushed the index out of them, as between questions."""


@njit(cache=True, nogil=True)
def _accumulate_block(
    base: int,
    data: np.ndarray,
    cursors: np.ndarray,
    ends: np.ndarray,
    idfs: np.ndarray,
    norm_of_length: np.ndarray,
    k1: float,
    totals: np.ndarray,
    matched: np.ndarray,
    touched: np.ndarray,
) -> int:
    """Add every term's shares for the block of slots from ``base``; advance cursors.

    The share is rank_bm25's expression, operation for operation, so it is the same
    float: ``idf * (tf * (k1 + 1) / (tf + norm))``, where ``norm_of_length[|d|]`` is
    ``k1 * (1 - b + b * |d| / avgdl)`` computed as rank_bm25 computes it. Postings of
    removed paragraphs have a negative length and are skipped. Returns how many slots
    were touched.
    """
    limit = base + totals.shape[0]
    n_touched = 0
    for term in range(idfs.shape[0]):
        idf = idfs[term]
        start = cursors[term]
        end = _first_at_least(data, start, ends[term], limit)
        for i in range(start, end):
            length = data[3 * i + 2]
            if length >= 0:
                local = data[3 * i] - base
                tf = data[3 * i + 1]
                totals[local] += idf * (tf * (k1 + 1) / (tf + norm_of_length[length]))
                # Branch-free: whether a slot is new is a coin toss after the first term.
                touched[n_touched] = local
                n_touched += matched[local] == 0
                matched[local] += 1
        cursors[term] = end
    return n_touched


@njit(cache=True, nogil=True)
def _first_at_least(data: np.ndarray, low: int, high: int, value: int) -> int:
    """The first posting from ``low`` to ``high`` (sorted by slot) whose slot is at least
    ``value``."""
    while low < high:
        middle = (low + high) // 2
        if data[3 * middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


@njit(cache=True, nogil=True)
def _next_base(data: np.ndarray, cursors: np.ndarray, ends: np.ndarray, block: int) -> int:
    """The start of the block holding the smallest unread slot; -1 when all are read."""
    lowest = -1
    for term in range(cursors.shape[0]):
        if cursors[term] < ends[term]:
            slot = data[3 * cursors[term]]
            if lowest < 0 or slot < lowest:
                lowest = slot
    if lowest < 0:
        return -1
    return lowest - lowest % block


@njit(cache=True, nogil=True)
def _ranks_before(
    score_a: float, matched_a: int, slot_a: int, score_b: float, matched_b: int, slot_b: int
) -> bool:
    """Higher score first, then more distinct question terms, then the older slot."""
    if score_a != score_b:
        return score_a > score_b
    if matched_a != matched_b:
        return matched_a > matched_b
    return slot_a < slot_b


@njit(cache=True, nogil=True)
def _keep_if_better(
    slot: int,
    score: float,
    count: int,
    found: int,
    best_slots: np.ndarray,
    best_scores: np.ndarray,
    best_matched: np.ndarray,
) -> int:
    """Insert a result into the sorted buffer if it ranks before its last; returns the
    buffer's new fill. Most results lose to the last on the first comparison."""
    k = best_slots.shape[0]
    if found == k and not _ranks_before(
        score, count, slot, best_scores[k - 1], best_matched[k - 1], best_slots[k - 1]
    ):
        return found
    at = found if found < k else k - 1
    while at > 0 and _ranks_before(
        score, count, slot, best_scores[at - 1], best_matched[at - 1], best_slots[at - 1]
    ):
        best_scores[at] = best_scores[at - 1]
        best_matched[at] = best_matched[at - 1]
        best_slots[at] = best_slots[at - 1]
        at -= 1
    best_scores[at] = score
    best_matched[at] = count
    best_slots[at] = slot
    return found + 1 if found < k else found


@njit(cache=True, nogil=True)
def best_k(
    data: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    idfs: np.ndarray,
    norm_of_length: np.ndarray,
    k1: float,
    article: np.ndarray,
    only_article: int,
    totals: np.ndarray,
    matched: np.ndarray,
    touched: np.ndarray,
    best_slots: np.ndarray,
    best_scores: np.ndarray,
    best_matched: np.ndarray,
) -> int:
    """The ``len(best_slots)`` best paragraphs holding a term, best first.

    Term ``t``'s postings are the ``(slot, tf, length)`` triples ``starts[t]`` to
    ``ends[t]`` of ``data`` (flat), terms in question order. ``only_article``, when not
    negative, keeps one article's paragraphs. ``totals``, ``matched`` and ``touched`` are
    scratch arrays as long as a block (``BLOCK`` slots, fewer in tests), zero on entry and
    on return. Returns how many results were written.
    """
    k = best_slots.shape[0]
    found = 0
    cursors = starts.copy()
    base = _next_base(data, cursors, ends, totals.shape[0])
    while base >= 0:
        n_touched = _accumulate_block(
            base, data, cursors, ends, idfs, norm_of_length, k1,
            totals, matched, touched,
        )  # fmt: skip
        for j in range(n_touched):
            local = touched[j]
            score = totals[local]
            count = matched[local]
            totals[local] = 0.0
            matched[local] = 0
            if found == k and score < best_scores[k - 1]:
                continue  # the usual case, decided without a call
            slot = base + local
            if only_article < 0 or article[slot] == only_article:
                found = _keep_if_better(
                    slot, score, count, found, best_slots, best_scores, best_matched
                )
        base = _next_base(data, cursors, ends, totals.shape[0])
    return found


@njit(cache=True, nogil=True)
def every_score(
    data: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    idfs: np.ndarray,
    norm_of_length: np.ndarray,
    k1: float,
    totals: np.ndarray,
    matched: np.ndarray,
    touched: np.ndarray,
    out_slots: np.ndarray,
    out_scores: np.ndarray,
    out_matched: np.ndarray,
) -> int:
    """Every live paragraph holding a term, with its total and matched count, by slot
    block. The outputs need room for every posting. Returns how many."""
    count = 0
    cursors = starts.copy()
    base = _next_base(data, cursors, ends, totals.shape[0])
    while base >= 0:
        n_touched = _accumulate_block(
            base, data, cursors, ends, idfs, norm_of_length, k1,
            totals, matched, touched,
        )  # fmt: skip
        for j in range(n_touched):
            local = touched[j]
            out_slots[count] = base + local
            out_scores[count] = totals[local]
            out_matched[count] = matched[local]
            totals[local] = 0.0
            matched[local] = 0
            count += 1
        base = _next_base(data, cursors, ends, totals.shape[0])
    return count


def compile_kernels() -> None:
    """Run every kernel once on a tiny question, so that numba compiles them (or loads
    them from its cache) now and not during the first real question. Takes seconds on a
    machine that has never compiled them; call it off the event loop."""
    data = np.array([0, 1, 3, 1, 2, 2], dtype=np.int32)  # two (slot, tf, length) triples
    starts, ends = np.array([0], dtype=np.int64), np.array([2], dtype=np.int64)
    idfs, norms = np.array([1.0]), np.array([0.5, 0.8, 1.0, 1.2])
    article = np.array([7, 7], dtype=np.int64)
    totals = np.zeros(4, dtype=np.float64)
    matched = np.zeros(4, dtype=np.int32)
    touched = np.zeros(4, dtype=np.int32)
    best = np.empty(1, dtype=np.int32), np.empty(1, dtype=np.float64), np.empty(1, dtype=np.int32)
    best_k(data, starts, ends, idfs, norms, 1.2, article, -1, totals, matched, touched, *best)
    every = np.empty(2, dtype=np.int32), np.empty(2, dtype=np.float64), np.empty(2, dtype=np.int32)
    every_score(data, starts, ends, idfs, norms, 1.2, totals, matched, touched, *every)
