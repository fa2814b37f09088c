"""The loops a question costs, compiled with numba.

Kept apart from ``bm25.py`` so the index's bookkeeping stays plain Python and these
stay small pure functions over arrays.

Postings. Each term's postings are one int32 array of ``(slot, packed)`` pairs in slot
order. ``packed`` holds the term's count in the paragraph and the paragraph's length,
``tf << TF_SHIFT | length``, so a question reads 8 bytes per posting and never looks up
a per-paragraph array as long as the corpus. Two values of ``packed`` are not counts:
``DEAD`` marks a removed paragraph, and below that ``-2 - i`` points at pair ``i`` of
the overflow table, for the rare paragraph too long or word too repeated to pack.

Addresses. A question's terms are handed over as the addresses and lengths of their own
arrays, not joined into one array, which would copy every posting once per question. The
caller keeps those arrays alive and unresized for the duration of the call
(``BM25Index`` holds its lock and a buffer export of each).

Blocks. A question adds each of its terms' shares into the paragraphs that hold the
term. Done over the whole corpus, that is a scattered add into an array as long as the
corpus (8 MB at a million paragraphs, as much as this machine's L3 cache), and memory,
not arithmetic, sets the pace. So the corpus is walked in blocks of ``BLOCK`` slots:
each term keeps a cursor, and for one block at a time the terms add their shares into
accumulators small enough to stay in L2. The best ``k`` of each block are merged into
the results before the next block starts.

Weak terms. A term's share is at most its idf times a bound on its quotient (``tops``,
``k1 + 1`` at most). Once the k-th best score is above what the weakest terms could add
together, a paragraph holding only those cannot make the top k (MaxScore), so a block
is found and added up from the other terms' postings, and the weak terms, usually the
common words and most of the postings, are only added to the paragraphs that can still
make it, strongest first, letting go of each paragraph the rest can no longer lift. What
is left after a term or two is few, and their pairs are skipped through, not read. The
scores the caller sees are added in question order as rank_bm25 adds them: a paragraph
whose shares were added in another order is scored again before it is kept.
"""

from __future__ import annotations

import numpy as np
from numba import carray, njit, types
from numba.extending import intrinsic

BLOCK = 1 << 13
"""Slots per block: totals and tags take 96 KiB. Larger blocks were as fast while the
caches held only this index, and slower (356 against 270 us at 100k paragraphs) once other
work had pushed the index out of them, as between questions."""

# Compiled once and cached on disk; the loops release the GIL. "numpy" errors: a division
# by zero gives inf instead of a check before every division (none can be zero here).
_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}

TF_SHIFT = 16
LENGTH_MASK = (1 << TF_SHIFT) - 1
MAX_PACKED_TF = (1 << (31 - TF_SHIFT)) - 1
DEAD = -1

_SKIP_THROUGH = 16
"""A weak term's pairs in a block are skipped through, rather than read one by one, when
they are this many times more than the paragraphs they are looked up for."""

NO_LENGTH = (1 << 31) - 1
"""In a ``shortest`` summary: no posting of that count."""

MATCHED_BITS = 16
MATCHED_MASK = (1 << MATCHED_BITS) - 1
"""A question's distinct known terms are counted in 16 bits: at most 65,535 of them."""
MAX_EPOCH = (1 << (31 - MATCHED_BITS)) - 1


@intrinsic
def _int32_pointer(typingctx, address):
    """The int32 array at ``address`` (an integer), as numba sees a C pointer."""
    signature = types.CPointer(types.int32)(types.int64)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


@njit(**_OPTIONS, inline="always")
def _pairs(addresses: np.ndarray, counts: np.ndarray, term: int) -> np.ndarray:
    return carray(_int32_pointer(addresses[term]), (2 * counts[term],))


@njit(**_OPTIONS)
def _next_epoch(epoch: int, tags: np.ndarray) -> int:
    if epoch == MAX_EPOCH:  # after 32,767 blocks: start over from clean tags
        tags[:] = 0
        return 1
    return epoch + 1


@njit(**_OPTIONS)
def _accumulate_block(
    base: int,
    epoch: int,
    addresses: np.ndarray,
    counts: np.ndarray,
    cursors: np.ndarray,
    block_starts: np.ndarray,
    idfs: np.ndarray,
    norm_of_length: np.ndarray,
    k1: float,
    overflow: np.ndarray,
    bounded: bool,
    adding: np.ndarray,
    totals: np.ndarray,
    tags: np.ndarray,
) -> int:
    """Add the shares of every term ``adding`` marks for the block of slots from
    ``base``, and move those terms' cursors past the block; ``block_starts`` keeps where
    each one's part of the block began, for the walk that follows. Returns the block's
    epoch (the one after ``epoch``).

    The share is rank_bm25's expression, operation for operation, so it is the same
    float: ``idf * (tf * (k1 + 1) / (tf + norm))``, where ``norm_of_length[|d|]`` is
    ``k1 * (1 - b + b * |d| / avgdl)`` computed as rank_bm25 computes it, and a slot's
    total starts from 0.0 as rank_bm25's does. Postings of removed paragraphs are skipped.

    ``tags[local]`` is ``epoch << MATCHED_BITS | matched``: a slot whose tag is of an
    older epoch (block) holds a stale total, read as 0.0. So nothing has to be zeroed
    between blocks, and nothing here depends on the previous posting: the processor
    works on several postings at once.
    """
    epoch = _next_epoch(epoch, tags)
    if not bounded:
        totals[:] = 0.0  # a stale total may be inf, see below
    limit = base + totals.shape[0]
    first_visit = epoch << MATCHED_BITS
    for term in range(idfs.shape[0]):
        if not adding[term]:
            continue
        data = _pairs(addresses, counts, term)
        idf = idfs[term]
        block_starts[term] = i = cursors[term]
        # A linear walk, not a binary search for the block's end: the search's jumps
        # through a long posting list missed the cache at nearly every step.
        while i < counts[term]:
            slot = data[2 * i]
            if slot >= limit:
                break
            packed = data[2 * i + 1]
            i += 1
            if packed >= 0:
                tf = packed >> TF_SHIFT
                length = packed & LENGTH_MASK
            elif packed == DEAD:
                continue
            else:
                at = 2 * (-packed - 2)
                tf = overflow[at]
                length = overflow[at + 1]
            local = slot - base
            share = idf * (tf * (k1 + 1) / (tf + norm_of_length[length]))
            tag = tags[local]
            # Arithmetic, not a branch: whether a slot was met before in this block is a
            # coin toss the processor would mispredict half the time. A stale total times
            # 0.0 is 0.0 (or -0.0: the same sum once the share is added), as long as it is
            # finite: shares are, unless k1 < 0 or b > 1 make tf + norm zero, and for
            # those the totals are zeroed before each block (above).
            current = np.int32((tag >> MATCHED_BITS) == epoch)
            totals[local] = totals[local] * current + share
            tags[local] = current * tag + (1 - current) * first_visit + 1
        cursors[term] = i
    return epoch


@njit(**_OPTIONS)
def _next_base(
    addresses: np.ndarray, counts: np.ndarray, cursors: np.ndarray, adding: np.ndarray, block: int
) -> int:
    """The start of the block holding the smallest slot the terms ``adding`` marks have
    not read; -1 when they have read all."""
    lowest = -1
    for term in range(cursors.shape[0]):
        if adding[term] and cursors[term] < counts[term]:
            slot = _pairs(addresses, counts, term)[2 * cursors[term]]
            if lowest < 0 or slot < lowest:
                lowest = slot
    if lowest < 0:
        return -1
    return lowest - lowest % block


@njit(**_OPTIONS)
def _ranks_before(
    score_a: float, matched_a: int, slot_a: int, score_b: float, matched_b: int, slot_b: int
) -> bool:
    """Higher score first, then more distinct question terms, then the older slot."""
    if score_a != score_b:
        return score_a > score_b
    if matched_a != matched_b:
        return matched_a > matched_b
    return slot_a < slot_b


@njit(**_OPTIONS)
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


@njit(**_OPTIONS)
def _in_buffer(slot: int, found: int, best_slots: np.ndarray) -> bool:
    for j in range(found):  # noqa: SIM110 (numba compiles the loop, not a generator)
        if best_slots[j] == slot:
            return True
    return False


@njit(**_OPTIONS)
def best_k(
    where: np.ndarray,
    weights: np.ndarray,
    norm_of_length: np.ndarray,
    k1: float,
    overflow: np.ndarray,
    article: np.ndarray,
    one_article: bool,
    only_article: int,
    totals: np.ndarray,
    tags: np.ndarray,
    waiting: np.ndarray,
    marks: np.ndarray,
    state: np.ndarray,
    best_slots: np.ndarray,
    best_scores: np.ndarray,
    best_matched: np.ndarray,
) -> int:
    """The ``len(best_slots)`` best paragraphs holding a term, best first.

    For ``n`` terms in question order, ``where`` holds the addresses of their postings
    then their pair counts, and ``weights`` their idfs then their tops: the most each
    term's quotient ``tf * (k1 + 1) / (tf + norm)`` can be, or inf when nothing bounds it
    (see ``_bounds``). Two arrays rather than four: each array a call is given costs time
    to check. With ``one_article``, only paragraphs of ``only_article`` are kept.
    ``totals``, ``tags``, ``waiting`` and ``marks`` are scratch arrays as long as a block
    (``BLOCK`` slots, fewer in tests); ``marks`` is all False between calls, and
    ``state[0]`` the last epoch the tags were given (see ``_accumulate_block``), so they
    need no clearing. Returns how many results were written.

    Once ``k`` results are kept, their last score is a threshold a paragraph must reach.
    The weakest terms, those whose most they could add together stays below it, cannot
    bring a paragraph there on their own (MaxScore): a paragraph can only make the top k
    through one of the other, essential, terms. So blocks are found and added up from
    the essential terms' postings only, and the weak terms' postings (usually the common
    words, and most of the postings) are read only in blocks where an essential term
    left a paragraph that could still make it, and added only to such paragraphs. The
    threshold only rises, so a term once weak stays weak.
    """
    k = best_slots.shape[0]
    n_terms = weights.shape[0] // 2
    addresses, counts = where[:n_terms], where[n_terms:]
    idfs, tops = weights[:n_terms], weights[n_terms:]
    found = 0
    threshold = -np.inf  # the k-th best score so far, once there are k
    cursors = np.zeros(n_terms, dtype=np.int64)
    block_starts = np.zeros(n_terms, dtype=np.int64)
    rank, by_strength, reach = _bounds(idfs, tops)
    bounded = not np.isinf(reach[-1])
    room = _room(idfs, tops) if bounded else np.inf
    weak = 0  # terms, weakest first, whose slots cannot reach the threshold on their own
    essential = np.ones(n_terms, dtype=np.bool_)
    block = totals.shape[0]
    epoch = state[0]
    while True:
        while weak < n_terms and reach[weak] < threshold:
            weak += 1
        if weak == n_terms:
            break  # not even every term together reaches the threshold
        for term in range(n_terms):
            essential[term] = rank[term] >= weak
        base = _next_base(addresses, counts, cursors, essential, block)
        if base < 0:
            break
        epoch = _accumulate_block(
            base, epoch, addresses, counts, cursors, block_starts, idfs, norm_of_length,
            k1, overflow, bounded, essential, totals, tags,
        )  # fmt: skip
        if weak == 0:
            found, threshold = _keep_block(
                base, epoch, addresses, counts, cursors, block_starts, article,
                one_article, only_article, threshold, found, totals, tags,
                best_slots, best_scores, best_matched,
            )  # fmt: skip
            continue
        # Paragraphs that could still make it: with the most the weak terms could add.
        most = reach[weak - 1]
        count = 0
        for term in range(n_terms):
            if not essential[term]:
                continue
            data = _pairs(addresses, counts, term)
            for i in range(block_starts[term], cursors[term]):
                local = data[2 * i] - base
                if (tags[local] >> MATCHED_BITS) != epoch:
                    continue  # a removed paragraph's, or a slot met before
                tags[local] = 0  # met: later visits find another epoch
                partial = totals[local]
                if partial + most + room < threshold:
                    continue
                if one_article and article[base + local] != only_article:
                    continue
                marks[local] = True
                waiting[count] = local
                count += 1
        if count == 0:
            continue
        # The weak terms' shares, strongest first, added to those paragraphs only; after
        # each, a paragraph that the rest cannot bring to the threshold is let go. Few
        # are left after the first terms: then a term's pairs are skipped through, not read.
        limit = base + block
        in_order = False
        for weaker in range(weak - 1, -1, -1):
            term = by_strength[weaker]
            data = _pairs(addresses, counts, term)
            start = _skip_to(data, cursors[term], counts[term], base)
            end = _skip_to(data, start, counts[term], limit)
            block_starts[term], cursors[term] = start, end
            idf = idfs[term]
            if _SKIP_THROUGH * count < end - start:
                if not in_order:
                    waiting[:count].sort()
                    in_order = True
                at = start
                for j in range(count):
                    at = _skip_to(data, at, end, base + waiting[j])
                    if at == end:
                        break
                    if data[2 * at] == base + waiting[j] and data[2 * at + 1] != DEAD:
                        share = _share(data[2 * at + 1], overflow, idf, norm_of_length, k1)
                        totals[waiting[j]] += share
            else:
                for i in range(start, end):
                    local = data[2 * i] - base
                    if not marks[local] or data[2 * i + 1] == DEAD:
                        continue
                    share = _share(data[2 * i + 1], overflow, idf, norm_of_length, k1)
                    totals[local] += share
            rest = reach[weaker - 1] if weaker > 0 else 0.0
            kept = 0
            for j in range(count):
                local = waiting[j]
                total = totals[local]
                if total + rest + room < threshold:
                    marks[local] = False
                else:
                    waiting[kept] = local
                    kept += 1
            count = kept
            if count == 0:
                break
        # The sums were added in another order than the question's: the few that may
        # make it are scored again, in question order.
        for j in range(count):
            local = waiting[j]
            marks[local] = False
            total = totals[local]
            if total + room < threshold:
                continue
            slot = base + local
            if _in_buffer(slot, found, best_slots):
                continue
            score, matched = _score_of(
                slot, addresses, counts, block_starts, cursors, idfs, norm_of_length, k1,
                overflow,
            )  # fmt: skip
            if score < threshold:
                continue
            found = _keep_if_better(
                slot, score, matched, found, best_slots, best_scores, best_matched
            )
            if found == k:
                threshold = best_scores[k - 1]
    state[0] = epoch
    return found


@njit(**_OPTIONS)
def _room(idfs: np.ndarray, tops: np.ndarray) -> float:
    """More than two sums of a paragraph's shares can differ when added in two orders:
    each is within n * 2^-53 of the sum of the shares' sizes, which is at most the sum of
    every term's largest share, idfs below 0 included (their shares can cancel others).
    1e-9 of that covers any question of up to 65,535 terms."""
    most = 0.0
    for term in range(idfs.shape[0]):
        most += abs(idfs[term]) * tops[term]
    return 1e-9 * most


@njit(**_OPTIONS, inline="always")
def _share(
    packed: int, overflow: np.ndarray, idf: float, norm_of_length: np.ndarray, k1: float
) -> float:
    """A live posting's share, as ``_accumulate_block`` computes it."""
    if packed >= 0:
        tf = packed >> TF_SHIFT
        length = packed & LENGTH_MASK
    else:
        pair = 2 * (-packed - 2)
        tf = overflow[pair]
        length = overflow[pair + 1]
    return idf * (tf * (k1 + 1) / (tf + norm_of_length[length]))


@njit(**_OPTIONS)
def _score_of(
    slot: int,
    addresses: np.ndarray,
    counts: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    idfs: np.ndarray,
    norm_of_length: np.ndarray,
    k1: float,
    overflow: np.ndarray,
) -> tuple[float, int]:
    """A live slot's score, each term's share added in question order as rank_bm25 adds
    them, and how many distinct terms it holds; term ``t`` is looked for among its pairs
    ``starts[t]`` to ``ends[t]``."""
    score = 0.0
    matched = 0
    for term in range(idfs.shape[0]):
        data = _pairs(addresses, counts, term)
        at = _skip_to(data, starts[term], ends[term], slot)
        if at < ends[term] and data[2 * at] == slot:
            score += _share(data[2 * at + 1], overflow, idfs[term], norm_of_length, k1)
            matched += 1
    return score, matched


@njit(**_OPTIONS)
def _keep_block(
    base: int,
    epoch: int,
    addresses: np.ndarray,
    counts: np.ndarray,
    cursors: np.ndarray,
    block_starts: np.ndarray,
    article: np.ndarray,
    one_article: bool,
    only_article: int,
    threshold: float,
    found: int,
    totals: np.ndarray,
    tags: np.ndarray,
    best_slots: np.ndarray,
    best_scores: np.ndarray,
    best_matched: np.ndarray,
) -> tuple[int, float]:
    """Keep the best of a block whose every term was added up, in question order: each
    total is a paragraph's score. Returns the buffer's fill and the new threshold.

    Walks the block's postings again, only reading: nearly every total is below the
    k-th best, a test the processor predicts. The rare one that is not may be a removed
    paragraph's stale total, or a slot met before through another term."""
    k = best_slots.shape[0]
    for term in range(block_starts.shape[0]):
        data = _pairs(addresses, counts, term)
        for i in range(block_starts[term], cursors[term]):
            local = data[2 * i] - base
            score = totals[local]
            if score < threshold:
                continue
            tag = tags[local]
            slot = base + local
            if (
                (tag >> MATCHED_BITS) != epoch
                or (one_article and article[slot] != only_article)
                or _in_buffer(slot, found, best_slots)
            ):
                continue
            found = _keep_if_better(
                slot, score, tag & MATCHED_MASK, found, best_slots, best_scores, best_matched
            )
            if found == k:
                threshold = best_scores[k - 1]
    return found, threshold


@njit(**_OPTIONS)
def _skip_to(data: np.ndarray, start: int, end: int, slot: int) -> int:
    """The first pair at or after ``start`` (and before ``end``) whose slot is not below
    ``slot``; ``end`` if none. Gallops: steps of 1, 2, 4… then halves, so skipping ``d``
    pairs costs about ``2 log d`` reads, whatever the list's length."""
    if start >= end or data[2 * start] >= slot:
        return start
    low, step = start, 1  # data at low is below slot
    high = start + 1
    while high < end and data[2 * high] < slot:
        low = high
        step *= 2
        high = low + step
    high = min(high, end)
    low += 1
    while low < high:
        middle = (low + high) >> 1
        if data[2 * middle] < slot:
            low = middle + 1
        else:
            high = middle
    return low


@njit(**_OPTIONS)
def _bounds(idfs: np.ndarray, tops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each term's rank from the weakest, the terms in that order, and ``reach[j]``: the
    most the ``j + 1`` weakest terms can add to a total together, with room for rounding.

    A share is ``idf * tf * (k1 + 1) / (tf + norm)``: at most ``idf * top``, and never
    above 0 for a negative idf. An inf top (nothing known) makes every reach inf.
    """
    bound = np.empty(idfs.shape[0], dtype=np.float64)
    for term in range(idfs.shape[0]):
        bound[term] = (
            max(idfs[term], 0.0) * tops[term] * (1 + 1e-6) if tops[term] < np.inf else np.inf
        )
    order = np.argsort(bound, kind="mergesort")
    rank = np.empty(idfs.shape[0], dtype=np.int64)
    for j in range(order.shape[0]):
        rank[order[j]] = j
    return rank, order, np.cumsum(bound[order])


@njit(**_OPTIONS)
def every_score(
    where: np.ndarray,
    weights: np.ndarray,
    norm_of_length: np.ndarray,
    k1: float,
    overflow: np.ndarray,
    bounded: bool,
    totals: np.ndarray,
    tags: np.ndarray,
    state: np.ndarray,
    out_slots: np.ndarray,
    out_scores: np.ndarray,
    out_matched: np.ndarray,
) -> int:
    """Every live paragraph holding a term, with its total and matched count, in no
    particular order (``where``, ``weights`` and the scratch arrays as for ``best_k``).
    The outputs need room for every posting. Returns how many."""
    n_terms = weights.shape[0] // 2
    addresses, counts, idfs = where[:n_terms], where[n_terms:], weights[:n_terms]
    found = 0
    cursors = np.zeros(idfs.shape[0], dtype=np.int64)
    block_starts = np.zeros(idfs.shape[0], dtype=np.int64)
    every_term = np.ones(idfs.shape[0], dtype=np.bool_)
    epoch = state[0]
    base = _next_base(addresses, counts, cursors, every_term, totals.shape[0])
    while base >= 0:
        epoch = _accumulate_block(
            base, epoch, addresses, counts, cursors, block_starts, idfs, norm_of_length,
            k1, overflow, bounded, every_term, totals, tags,
        )  # fmt: skip
        for term in range(idfs.shape[0]):
            data = _pairs(addresses, counts, term)
            for i in range(block_starts[term], cursors[term]):
                local = data[2 * i] - base
                tag = tags[local]
                if (tag >> MATCHED_BITS) == epoch:
                    out_slots[found] = base + local
                    out_scores[found] = totals[local]
                    out_matched[found] = tag & MATCHED_MASK
                    found += 1
                    tags[local] = 0  # taken: later visits find another epoch
        base = _next_base(addresses, counts, cursors, every_term, totals.shape[0])
    state[0] = epoch
    return found


@njit(**_OPTIONS)
def scores_of_slots(
    where: np.ndarray,
    weights: np.ndarray,
    norm_of_length: np.ndarray,
    k1: float,
    overflow: np.ndarray,
    candidates: np.ndarray,
    out_scores: np.ndarray,
    out_matched: np.ndarray,
) -> None:
    """The score and matched count of each of ``candidates`` (live slots, increasing),
    for a question given as to ``best_k``; 0.0 and 0 for a slot holding no term.

    For a filter that leaves few paragraphs (a rare required word, a few articles): each
    term's pairs are skipped through to the candidates, so the cost follows the
    candidates, not the terms' postings. Shares are added term by term in question
    order, each from 0.0, as ``_accumulate_block`` adds them: the same floats."""
    n_terms = weights.shape[0] // 2
    addresses, counts, idfs = where[:n_terms], where[n_terms:], weights[:n_terms]
    out_scores[:] = 0.0
    out_matched[:] = 0
    for term in range(n_terms):
        data = _pairs(addresses, counts, term)
        end = counts[term]
        idf = idfs[term]
        at = 0
        for c in range(candidates.shape[0]):
            slot = candidates[c]
            at = _skip_to(data, at, end, slot)
            if at == end:
                break
            if data[2 * at] == slot:  # a live slot: a removed paragraph's slot is dead
                out_scores[c] += _share(data[2 * at + 1], overflow, idf, norm_of_length, k1)
                out_matched[c] += 1


def compile_kernels() -> None:
    """Run every kernel once on a tiny question, so that numba compiles them (or loads
    them from its cache) now and not during the first real question. Takes seconds on a
    machine that has never compiled them; call it off the event loop."""
    # Two postings: slot 0 (tf 1, length 3) and slot 1 (tf and length in the overflow).
    pairs = np.array([0, 1 << TF_SHIFT | 3, 1, -2], dtype=np.int32)
    overflow = np.array([2, 2], dtype=np.int32)
    where = np.array([pairs.ctypes.data, 2], dtype=np.int64)
    weights, norms = np.array([1.0, 2.2]), np.array([0.5, 0.8, 1.0, 1.2])
    article = np.array([7, 7], dtype=np.int64)
    totals = np.zeros(4, dtype=np.float64)
    tags, state = np.zeros(4, dtype=np.int32), np.zeros(1, dtype=np.int64)
    best = np.empty(1, dtype=np.int32), np.empty(1, dtype=np.float64), np.empty(1, dtype=np.int32)
    waiting, marks = np.zeros(4, dtype=np.int32), np.zeros(4, dtype=np.bool_)
    best_k(
        where, weights, norms, 1.2, overflow, article, False, 0,
        totals, tags, waiting, marks, state, *best,
    )  # fmt: skip
    every = np.empty(2, dtype=np.int32), np.empty(2, dtype=np.float64), np.empty(2, dtype=np.int32)
    every_score(where, weights, norms, 1.2, overflow, True, totals, tags, state, *every)
    scores_of_slots(where, weights, norms, 1.2, overflow, np.array([1], dtype=np.int32), *every[1:])
    check_postings(where[:1], where[1:], np.array([3, 2], dtype=np.int32), overflow)


@njit(**_OPTIONS)
def check_postings(
    addresses: np.ndarray, counts: np.ndarray, doc_len: np.ndarray, overflow: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each term's live posting count (its df), after checking that its pairs are in
    strictly increasing slot order, name slots that exist, are dead exactly where their
    paragraph is, and give that paragraph's length. Raises ``ValueError`` otherwise.

    Also each term's ``shortest`` summary (see ``bm25._Postings``), one row per term:
    the shortest paragraph holding it once, twice, three times, then the largest count
    of four or more and the shortest paragraph of those; ``NO_LENGTH`` for a length, 0
    for the count, where there is no such posting."""
    live = np.zeros(counts.shape[0], dtype=np.int64)
    shortest = np.full((counts.shape[0], 5), NO_LENGTH, dtype=np.int32)
    shortest[:, 3] = 0
    for term in range(counts.shape[0]):
        data = _pairs(addresses, counts, term)
        previous = -1
        for i in range(counts[term]):
            slot = data[2 * i]
            packed = data[2 * i + 1]
            if slot <= previous or slot >= doc_len.shape[0]:
                raise ValueError("postings out of order or naming a slot that does not exist")
            previous = slot
            if packed == DEAD:
                if doc_len[slot] != DEAD:
                    raise ValueError("a removed posting of a paragraph that is still there")
                continue
            if packed >= 0:
                tf = packed >> TF_SHIFT
                length = packed & LENGTH_MASK
            else:
                at = 2 * (-packed - 2)
                if at + 1 >= overflow.shape[0]:
                    raise ValueError("a posting points outside the overflow table")
                tf = overflow[at]
                length = overflow[at + 1]
            if doc_len[slot] == DEAD or length != doc_len[slot] or tf <= 0 or tf > length:
                raise ValueError("a posting disagrees with its paragraph")
            live[term] += 1
            if tf <= 3:
                shortest[term, tf - 1] = min(shortest[term, tf - 1], length)
            else:
                shortest[term, 3] = max(shortest[term, 3], tf)
                shortest[term, 4] = min(shortest[term, 4], length)
        if live[term] == 0:
            raise ValueError("a term without a paragraph")
    return live, shortest
