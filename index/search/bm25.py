"""An incremental inverted index whose scores are exactly ``rank_bm25.BM25Okapi``'s.

BM25Okapi scores a paragraph ``d`` for a question ``q`` as

    score(d, q) = sum over terms t of q:
        idf(t) * tf(t, d) * (k1 + 1) / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))

    idf(t) = log(N - df(t) + 0.5) - log(df(t) + 0.5), and where that is negative,
             epsilon * (the mean of idf over the whole vocabulary).

A paragraph without ``t`` gets nothing from ``t``, so walking the postings of the
question's terms gives the same scores as BM25Okapi's pass over every paragraph. The
arithmetic below is written in the same order as rank_bm25's so each term's share is
the same float, and each paragraph's shares are added in question order.

What the index keeps so that adding and removing are cheap: the postings (paragraph
slots, term counts and paragraph lengths, see ``bm25_kernels``), each paragraph's
length, N, the total length, and how many terms have each document frequency. The last
makes the mean idf (needed for epsilon) a sum over the distinct document frequencies, a
few thousand at most, instead of over the whole vocabulary. Everything kept per
paragraph is a flat array, not a Python object: at a million paragraphs, dictionaries
of paragraph ids cost more memory than the postings of some terms.

Where BM25Okapi is a poor ranking, the index does better without changing a score:
only paragraphs that contain a question word are results (BM25Okapi gives everything a
score, zero included), ties are broken by how many distinct question words a paragraph
contains, and a word repeated in the question counts once.
"""

from __future__ import annotations

import math
import struct
import sys
import threading
import zlib
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import BinaryIO, NamedTuple

import numpy as np

from index.search.analyzer import unique_terms
from index.search.bm25_kernels import (
    BLOCK,
    DEAD,
    LENGTH_MASK,
    MATCHED_MASK,
    MAX_PACKED_TF,
    NO_LENGTH,
    TF_SHIFT,
    best_k,
    check_postings,
    every_score,
    scores_of_slots,
)

_SMALL_K = 64
"""Up to this many results are kept in a sorted buffer while scanning; more are sorted."""
_COMPACT_MIN_SLOTS = 1024
_LONG = 256
_WEIGHTS_KEPT = 50_000
"""Terms whose idf and bound are kept between changes, at most (about 150 bytes each)."""
"""Terms with this many postings get a bound on their shares tighter than ``k1 + 1``."""


@dataclass(frozen=True, slots=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25


class Hit(NamedTuple):
    """One result. A named tuple: made per result per question, it costs a fifth of a
    frozen dataclass."""

    paragraph_id: int
    article_id: int
    score: float
    matched: int
    """How many distinct question terms the paragraph contains."""


class IndexInconsistent(RuntimeError):
    """The index was asked to remove something it does not hold as described."""


class _Postings:
    """One term's postings: ``(slot, packed)`` int32 pairs in slot order (see
    ``bm25_kernels``). A removed paragraph's pair stays, marked ``DEAD``, until the next
    compaction; ``live`` counts the others: the term's df.

    ``shortest`` bounds what any one posting can add to a score (see ``_top_ratio``):
    the shortest paragraph holding the term once, twice and three times, and the largest
    count of four or more with the shortest paragraph of those. Made when a term's list
    reaches ``_LONG`` pairs (dead ones included) or the index is read, kept up by
    additions, and kept as it was by removals and compaction: an upper bound still. (A
    long list without one, which only a changed ``_LONG`` makes, gets it on its next
    question.)"""

    __slots__ = ("data", "live", "shortest")

    def __init__(
        self, data: array | None = None, live: int = 0, shortest: list[int] | None = None
    ) -> None:
        self.data = array("i") if data is None else data
        self.live = live
        self.shortest = shortest

    def slots(self) -> memoryview:
        return memoryview(self.data)[0::2]

    def __len__(self) -> int:
        return len(self.data) // 2


class _Scratch:
    """One block's accumulators (see ``bm25_kernels``)."""

    def __init__(self, block: int) -> None:
        self.totals = np.zeros(block, dtype=np.float64)
        self.tags = np.zeros(block, dtype=np.int32)
        self.waiting = np.zeros(block, dtype=np.int32)
        self.marks = np.zeros(block, dtype=np.bool_)
        self.state = np.zeros(1, dtype=np.int64)  # the tags' last epoch


@dataclass(frozen=True, slots=True)
class _Query:
    where: np.ndarray
    """Where each known question term's pairs are, in question order, then how many."""
    weights: np.ndarray
    """Their idfs, then their tops: the most each one's quotient can be (its shares are at
    most idf times this)."""
    held: list[memoryview]
    """Exports of those arrays: while they live, the arrays cannot be resized or freed."""

    @property
    def postings(self) -> int:
        return int(self.where[len(self.held) :].sum())


class BM25Index:
    """Paragraphs of one guild, grouped by article, searchable with BM25Okapi's scores.

    Safe to share between threads: changes and questions take one lock.
    """

    def __init__(self, params: BM25Params | None = None, *, block: int = BLOCK) -> None:
        """``block`` is how many slots a question adds up at a time; tests make it small
        so that a handful of paragraphs spans many blocks."""
        self.params = params or BM25Params()
        # Whether a term's share is at most idf * (k1 + 1): what lets a question skip
        # paragraphs that cannot make its top k (see bm25_kernels.best_k).
        self._bounded = self.params.k1 >= 0 and 0 <= self.params.b <= 1
        self._postings: dict[str, _Postings] = {}
        # Per slot. A removed paragraph leaves a dead slot (all three DEAD) until the
        # next compaction, so removing costs the article, not the postings it is in.
        self._doc_len = array("i")
        self._paragraph = array("q")
        self._article = array("q")
        # An article's paragraphs are added together and compaction keeps slot order, so
        # they always fill one run of slots: (first slot, how many).
        self._spans: dict[int, tuple[int, int]] = {}
        # (tf, length) pairs too large to pack; dead ones stay until compaction.
        self._overflow = array("i")
        self._live = 0
        self._largest_id = -1  # of any paragraph ever held: newer ids need no lookup
        self._total_len = 0
        self._df_histogram: Counter[int] = Counter()
        self._longest = 0
        # Reset by every change: N and avgdl move with each paragraph.
        self._mean_idf_cache: float | None = None
        self._norms: np.ndarray | None = None
        self._idf_by_df: dict[int, float] = {}  # N is fixed between changes
        # A term's postings, idf and top, as questions last asked for them.
        self._weights: dict[str, tuple[_Postings, float, float]] = {}
        self._scratch = _Scratch(block)
        self._lock = threading.Lock()

    # -- size -------------------------------------------------------------------------

    @property
    def paragraph_count(self) -> int:
        """N in BM25's formulas: live paragraphs, empty ones included."""
        return self._live

    @property
    def article_count(self) -> int:
        return len(self._spans)

    @property
    def vocabulary_size(self) -> int:
        return len(self._postings)

    @property
    def slot_count(self) -> int:
        """Paragraph slots held, live or dead: a removal leaves its slots dead until a
        compaction frees them (see ``wants_compaction``)."""
        return len(self._doc_len)

    @property
    def overflow_count(self) -> int:
        """Postings whose term frequency or paragraph length did not fit the compact
        form and are kept in the overflow table."""
        return len(self._overflow) // 2

    def memory_bytes(self) -> int:
        """An estimate of the bytes the index holds, for a memory budget to weigh it.

        Counted as allocated: every array (the slots', each term's pairs, the overflow
        table, the scratch and the cached norms), each term's string, postings object and
        dictionary entry, each article's span, the document frequencies' counts and the
        per-question caches. Not counted: Python's shared small ints and the allocator's
        own rounding. One pass over the terms, in C where it can (tens of milliseconds at
        a million paragraphs); takes the lock, so callers on an event loop run it in a
        worker thread."""
        size = sys.getsizeof
        big_int, pair = size(1 << 40), size((1 << 40, 1 << 40))
        with self._lock:
            postings = self._postings
            held = size(postings) + sum(map(size, postings))  # the table, the terms
            held += len(postings) * size(_Postings(array("i")))
            held += sum(size(entry.data) for entry in postings.values())
            # A df above 256 is an int object of its own; long lists keep five bounds.
            histogram = self._df_histogram
            held += big_int * sum(n for df, n in histogram.items() if df > 256)
            held += size([0] * 5) * sum(n for df, n in histogram.items() if df >= _LONG)
            held += size(histogram) + len(histogram) * 2 * big_int
            for per_slot in (self._doc_len, self._paragraph, self._article, self._overflow):
                held += size(per_slot)
            # Each article: its id, its first slot and the tuple holding them.
            held += size(self._spans) + len(self._spans) * (pair + 2 * big_int)
            held += size(self._idf_by_df) + len(self._idf_by_df) * (big_int + size(1.0))
            held += size(self._weights) + len(self._weights) * (size((0, 1.0, 1.0)) + 2 * size(1.0))
            scratch = self._scratch
            for values in (scratch.totals, scratch.tags, scratch.waiting, scratch.marks):
                held += size(values)
            held += size(self._norms) if self._norms is not None else 0
            return held + size(self) + size(self.__dict__)

    @property
    def lock(self) -> threading.Lock:
        """The lock every change holds. ``search`` and ``idfs`` wait for it; ``try_search``
        and ``try_idfs`` give up (None) rather than wait, for callers on an event loop."""
        return self._lock

    def __contains__(self, article_id: int) -> bool:
        return article_id in self._spans

    def signature(self) -> tuple[int, int, int]:
        """(paragraphs, largest paragraph id, sum of ids): what the store must also hold."""
        with self._lock:
            ids = self._live_ids()
        return len(ids), int(ids.max(initial=0)), int(ids.sum(dtype=np.int64))

    def _live_ids(self) -> np.ndarray:
        lengths = np.frombuffer(self._doc_len, dtype=np.int32)
        return np.frombuffer(self._paragraph, dtype=np.int64)[lengths != DEAD]

    # -- changes ----------------------------------------------------------------------

    def add_article(self, article_id: int, paragraphs: Iterable[tuple[int, Sequence[str]]]) -> None:
        """Index an article's paragraphs, given as ``(paragraph_id, terms)``.

        The terms are counted before the lock is taken, so questions wait only for the
        postings to be appended."""
        counted = [(paragraph_id, len(terms), Counter(terms)) for paragraph_id, terms in paragraphs]
        ids = [paragraph_id for paragraph_id, _length, _counts in counted]
        with self._lock:
            self._check_new(article_id, ids)
            self._spans[article_id] = (len(self._doc_len), len(counted))
            histogram = self._df_histogram
            for paragraph_id, length, counts in counted:
                slot = len(self._doc_len)
                self._doc_len.append(length)
                self._paragraph.append(paragraph_id)
                self._article.append(article_id)
                self._total_len += length
                self._longest = max(self._longest, length)
                for term, tf in counts.items():
                    postings = self._postings.get(term)
                    if postings is None:
                        postings = self._postings[term] = _Postings()
                    else:
                        histogram[postings.live] -= 1
                    postings.data.append(slot)
                    postings.data.append(self._pack(tf, length))
                    postings.live += 1
                    shortest = postings.shortest
                    if shortest is not None:
                        if tf <= 3:
                            if length < shortest[tf - 1]:
                                shortest[tf - 1] = length
                        else:
                            shortest[3] = max(shortest[3], tf)
                            shortest[4] = min(shortest[4], length)
                    elif len(postings.data) >= 2 * _LONG:
                        postings.shortest = self._shortest_of(postings)
                    histogram[postings.live] += 1
            self._live += len(counted)
            self._largest_id = max(self._largest_id, *ids) if ids else self._largest_id
            self._changed()

    def _check_new(self, article_id: int, ids: list[int]) -> None:
        if not all(-(2**63) <= n < 2**63 for n in (article_id, *ids)):
            raise ValueError(f"article {article_id}: ids must fit in 64 bits")
        if article_id in self._spans:
            raise IndexInconsistent(f"article {article_id} is already indexed")
        if len(set(ids)) != len(ids):
            raise IndexInconsistent(f"article {article_id} lists a paragraph twice")
        if ids and min(ids) <= self._largest_id:
            # Only ids at or below the largest seen can be held already: look them up.
            held = np.isin(np.array(ids, dtype=np.int64), self._live_ids())
            if held.any():
                raise IndexInconsistent(f"paragraph {ids[int(held.argmax())]} is already indexed")

    def _pack(self, tf: int, length: int) -> int:
        if tf <= MAX_PACKED_TF and length <= LENGTH_MASK:
            return tf << TF_SHIFT | length
        self._overflow.append(tf)
        self._overflow.append(length)
        return -1 - len(self._overflow) // 2

    def _tf_of(self, packed: int) -> int:
        if packed >= 0:
            return packed >> TF_SHIFT
        return self._overflow[2 * (-packed - 2)]

    def remove_article(
        self,
        article_id: int,
        paragraphs: Iterable[tuple[int, Sequence[str]]],
        *,
        compact: bool = True,
    ) -> None:
        """Remove an article, given the same ``(paragraph_id, terms)`` it was added with.

        Everything is checked before anything changes, so a mismatch leaves the index as
        it was and raises ``IndexInconsistent``. When over half the slots are then dead,
        the index is compacted in place, unless ``compact`` is False: then the caller
        sees ``wants_compaction`` and uses ``compacted`` (which can run in a thread).
        """
        counted = [(paragraph_id, len(terms), Counter(terms)) for paragraph_id, terms in paragraphs]
        with self._lock:
            span = self._spans.get(article_id)
            if span is None:
                raise IndexInconsistent(f"article {article_id} is not indexed")
            first, count = span
            slot_of = {self._paragraph[first + i]: first + i for i in range(count)}
            if sorted(slot_of) != sorted(pid for pid, _length, _counts in counted):
                raise IndexInconsistent(f"paragraphs given for article {article_id} do not match")
            doomed = self._postings_of(slot_of, counted)
            histogram = self._df_histogram
            for term, postings, at, n in doomed:
                postings.data[2 * at + 1 : 2 * (at + n) : 2] = array("i", [DEAD]) * n
                histogram[postings.live] -= 1
                postings.live -= n
                if postings.live:
                    histogram[postings.live] += 1
                else:
                    del self._postings[term]
            for slot in range(first, first + count):
                self._total_len -= self._doc_len[slot]
                self._doc_len[slot] = DEAD
                self._paragraph[slot] = DEAD
                self._article[slot] = DEAD
            del self._spans[article_id]
            self._live -= count
            self._df_histogram = +histogram  # drop zero counts
            self._changed()
            if compact and self.wants_compaction:
                self._take(self._compact_state())

    def _postings_of(
        self, slot_of: dict[int, int], counted: list[tuple[int, int, Counter[str]]]
    ) -> list[tuple[str, _Postings, int, int]]:
        """Where an article's terms are posted: ``(term, postings, first pair, pairs)``.

        An article fills one run of slots, so each of its terms' pairs are one run of
        that term's postings, found with one search per term rather than per paragraph
        and term. Raises if the index holds anything else."""
        wanted: dict[str, list[tuple[int, int, int]]] = {}
        for paragraph_id, length, counts in sorted(counted, key=lambda p: slot_of[p[0]]):
            slot = slot_of[paragraph_id]
            if length != self._doc_len[slot]:
                raise IndexInconsistent(f"paragraph {paragraph_id} has a different length")
            for term, tf in counts.items():
                wanted.setdefault(term, []).append((slot, tf, paragraph_id))
        found = []
        for term, expected in wanted.items():
            postings = self._postings.get(term)
            slots = postings.slots() if postings is not None else memoryview(array("i"))
            at = bisect_left(slots, expected[0][0])
            for offset, (slot, tf, paragraph_id) in enumerate(expected):
                if at + offset >= len(slots) or slots[at + offset] != slot:
                    raise IndexInconsistent(f"paragraph {paragraph_id} does not hold {term!r}")
                if self._tf_of(postings.data[2 * (at + offset) + 1]) != tf:
                    raise IndexInconsistent(f"paragraph {paragraph_id} has {term!r} {tf} times?")
            found.append((term, postings, at, len(expected)))
        return found

    def _changed(self) -> None:
        self._mean_idf_cache = None
        self._norms = None
        self._idf_by_df = {}
        self._weights = {}

    @property
    def wants_compaction(self) -> bool:
        """Over half the slots are removed paragraphs' (in an index of some size)."""
        return len(self._doc_len) > _COMPACT_MIN_SLOTS and self._live < len(self._doc_len) // 2

    def compacted(self) -> BM25Index:
        """A copy without the removed paragraphs: the same scores and ranking. Only reads
        this index, so it may run in a thread while questions are asked of this one; not
        while it changes. At a million paragraphs it takes seconds, too long for an event
        loop to wait, and needs memory for the live postings only."""
        copy = BM25Index(self.params, block=len(self._scratch.totals))
        copy._live, copy._largest_id = self._live, self._largest_id
        copy._total_len, copy._df_histogram = self._total_len, Counter(self._df_histogram)
        copy._take(self._compact_state())
        return copy

    def _take(self, state: tuple) -> None:
        (
            self._postings, self._overflow, self._spans,
            self._doc_len, self._paragraph, self._article,
        ) = state  # fmt: skip
        self._weights = {}
        self._longest = int(np.frombuffer(self._doc_len, dtype=np.int32).max(initial=0))

    def _compact_state(self) -> tuple:
        """Postings, overflow table, spans and per-slot arrays without dead slots, all new
        objects. Order, hence every score, is kept."""
        doc_len = np.frombuffer(self._doc_len, dtype=np.int32)
        alive = doc_len != DEAD
        before = np.zeros(len(alive) + 1, dtype=np.int64)  # live slots before each slot
        np.cumsum(alive, out=before[1:])
        old_overflow = np.frombuffer(self._overflow, dtype=np.int32).reshape(-1, 2)
        overflow = array("i")
        postings: dict[str, _Postings] = {}
        for term, old in self._postings.items():
            pairs = np.frombuffer(old.data, dtype=np.int32).reshape(-1, 2)
            kept = pairs[pairs[:, 1] != DEAD]
            kept[:, 0] = before[kept[:, 0]]
            escaped = kept[:, 1] < DEAD
            if escaped.any():
                first = len(overflow) // 2
                overflow.extend(old_overflow[DEAD - 1 - kept[escaped, 1]].ravel().tolist())
                kept[escaped, 1] = DEAD - 1 - np.arange(first, first + escaped.sum())
            shortest = None if old.shortest is None else list(old.shortest)
            postings[term] = _Postings(array("i", kept.tobytes()), old.live, shortest)
        spans = {aid: (int(before[first]), n) for aid, (first, n) in self._spans.items()}
        return (
            postings,
            overflow,
            spans,
            array("i", doc_len[alive].tobytes()),
            array("q", np.frombuffer(self._paragraph, np.int64)[alive].tobytes()),
            array("q", np.frombuffer(self._article, np.int64)[alive].tobytes()),
        )

    # -- scoring ----------------------------------------------------------------------

    def idf(self, term: str) -> float:
        """BM25Okapi's idf of ``term``, epsilon floor included; 0 for unknown terms."""
        with self._lock:
            postings = self._postings.get(term)
            return 0.0 if postings is None else self._idf_of(postings.live)

    def idfs(self, terms: Iterable[str]) -> dict[str, float]:
        """``idf`` of each of ``terms``."""
        with self._lock:
            return self._idfs(terms)

    def try_idfs(self, terms: Iterable[str]) -> dict[str, float] | None:
        """``idfs``, or None at once while a change holds the index (see ``try_search``)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self._idfs(terms)
        finally:
            self._lock.release()

    def _idfs(self, terms: Iterable[str]) -> dict[str, float]:
        found = {term: self._postings.get(term) for term in terms}
        return {term: 0.0 if p is None else self._idf_of(p.live) for term, p in found.items()}

    def _idf_of(self, df: int) -> float:
        idf = self._idf_by_df.get(df)
        if idf is None:
            n = self._live
            raw = math.log(n - df + 0.5) - math.log(df + 0.5)
            idf = raw if raw >= 0 else self.params.epsilon * self._mean_idf()
            self._idf_by_df[df] = idf
        return idf

    def _mean_idf(self) -> float:
        if self._mean_idf_cache is not None:
            return self._mean_idf_cache
        n = self._live
        # fsum: the same total whatever order the histogram is in (a reloaded index too).
        total = math.fsum(
            count * (math.log(n - df + 0.5) - math.log(df + 0.5))
            for df, count in self._df_histogram.items()
        )
        mean = total / len(self._postings) if self._postings else 0.0
        self._mean_idf_cache = mean
        return mean

    def _norm_of_length(self) -> np.ndarray:
        """``k1 * (1 - b + b * |d| / avgdl)`` for every length up to the longest paragraph,
        as rank_bm25 computes it for an int64 array of lengths; kept until a change."""
        if self._norms is None:
            k1, b = self.params.k1, self.params.b
            avgdl = self._total_len / self._live
            lengths = np.arange(self._longest + 1, dtype=np.int64)
            self._norms = k1 * (1 - b + b * lengths / avgdl)
        return self._norms

    def _query(self, terms: Sequence[str]) -> _Query | None:
        """Where the known question terms' postings are, with their idfs and tops, in
        question order. Runs for every question, so it stays lean: no posting is copied,
        and a term's idf and top are worked out once between changes."""
        if self._total_len == 0:
            return None
        known, weights = self._postings, self._weights
        if len(weights) > _WEIGHTS_KEPT:
            weights.clear()
        found = []
        for term in unique_terms(terms):
            entry = weights.get(term)
            if entry is None:
                postings = known.get(term)
                if postings is None:
                    continue
                entry = weights[term] = (
                    postings,
                    self._idf_of(postings.live),
                    self._top_ratio(postings),
                )
            found.append(entry)
        del found[MATCHED_MASK:]  # more distinct words than any question has
        if not found:
            return None
        held = [memoryview(postings.data) for postings, _idf, _top in found]
        return _Query(
            where=np.array(
                [postings.data.buffer_info()[0] for postings, _idf, _top in found]
                + [len(view) // 2 for view in held],
                dtype=np.int64,
            ),
            weights=np.array(
                [idf for _p, idf, _top in found] + [top for _p, _idf, top in found],
                dtype=np.float64,
            ),
            held=held,
        )

    def _top_ratio(self, postings: _Postings) -> float:
        """The most ``tf * (k1 + 1) / (tf + norm(|d|))`` can be for any of the term's
        postings, a little over (a share is this times the idf): ``k1 + 1`` for a short
        list, and for a long one the most its ``shortest`` summary allows, since the
        quotient grows with the count and falls with the length (``_bounded``)."""
        k1, b = self.params.k1, self.params.b
        if not self._bounded:
            return math.inf
        if len(postings.data) < 2 * _LONG:
            return k1 + 1
        shortest = postings.shortest
        if shortest is None:
            shortest = postings.shortest = self._shortest_of(postings)
        avgdl = self._total_len / self._live
        top = 0.0
        once, twice, thrice, most, shortest_of_most = shortest
        for tf, length in ((1, once), (2, twice), (3, thrice), (most, shortest_of_most)):
            if length != NO_LENGTH:
                top = max(top, tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgdl)))
        return min(k1 + 1, top * (1 + 1e-9))

    def _shortest_of(self, postings: _Postings) -> list[int]:
        """``_Postings.shortest`` from the postings themselves, as a snapshot's terms get
        theirs when it is read (``check_postings``, which also checks them)."""
        _live, shortest = check_postings(
            np.array([postings.data.buffer_info()[0]], dtype=np.int64),
            np.array([len(postings)], dtype=np.int64),
            np.frombuffer(self._doc_len, dtype=np.int32),
            np.frombuffer(self._overflow, dtype=np.int32),
        )
        return shortest[0].tolist()

    def scores(self, terms: Sequence[str]) -> dict[int, float]:
        """Score of every paragraph that contains a question term, by paragraph id."""
        with self._lock:
            paragraphs, _articles, totals, _matched = self._ranked(terms, None, None)
        return dict(zip(paragraphs, totals, strict=True))

    def search(self, terms: Sequence[str], k: int, article_id: int | None = None) -> list[Hit]:
        """The ``k`` best paragraphs containing at least one of ``terms``.

        Ranked by score, then by distinct matched terms, then by age (older first).
        """
        if k <= 0:
            return []
        with self._lock:
            found = self._ranked(terms, k, article_id)
        return list(map(Hit, *found))

    def try_search(
        self, terms: Sequence[str], k: int, article_id: int | None = None
    ) -> list[Hit] | None:
        """``search``, or None at once while a change holds the index.

        Changes to a large index run in a worker thread and hold the lock for as long
        as they take; an event loop asks with this, and when it gets None asks again
        from a worker thread rather than stall behind the change.
        """
        if k <= 0:
            return []
        if not self._lock.acquire(blocking=False):
            return None
        try:
            found = self._ranked(terms, k, article_id)
        finally:
            self._lock.release()
        return list(map(Hit, *found))

    def search_where(
        self,
        terms: Sequence[str],
        k: int,
        *,
        articles: Collection[int] | None = None,
        required: Iterable[str] = (),
        excluded: Iterable[str] = (),
    ) -> list[Hit]:
        """``search`` among the paragraphs of ``articles`` (None: every article) that
        contain every ``required`` term and none of the ``excluded`` ones: the same hits,
        scores and order as ``search`` gives, with the others left out.

        Never a pass over the guild's paragraphs: costs the postings of the question's,
        the required and the excluded terms, and the articles asked for. Either only the
        paragraphs the filters leave are scored, or, when those are more than the
        question's postings, every paragraph holding a question term is (as ``scores``
        does) and the filters drop the others. A required term no paragraph holds leaves
        nothing."""
        if k <= 0:
            return []
        with self._lock:
            found = self._ranked_where(terms, k, articles, required, excluded)
        return list(map(Hit, *found))

    def try_search_where(
        self,
        terms: Sequence[str],
        k: int,
        *,
        articles: Collection[int] | None = None,
        required: Iterable[str] = (),
        excluded: Iterable[str] = (),
    ) -> list[Hit] | None:
        """``search_where``, or None at once while a change holds the index (see
        ``try_search``)."""
        if k <= 0:
            return []
        if not self._lock.acquire(blocking=False):
            return None
        try:
            found = self._ranked_where(terms, k, articles, required, excluded)
        finally:
            self._lock.release()
        return list(map(Hit, *found))

    def _kept_of_the_best(
        self,
        common: tuple,
        k: int,
        runs: tuple[np.ndarray, np.ndarray] | None,
        required: list[str],
        excluded: list[str],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The paragraphs the filters keep among the index's best ``_SMALL_K`` (found
        with the pruning plain search uses), when they hold the answer: at least ``k``
        of them are kept, or there were no more to find. The filtered ranking is the
        whole ranking with some left out, so its first ``k`` are then exactly these.
        None otherwise (a filter that keeps few of the best)."""
        if k > _SMALL_K:
            return None
        scratch = self._scratch
        slots = np.empty(_SMALL_K, dtype=np.int32)
        totals = np.empty(_SMALL_K, dtype=np.float64)
        matched = np.empty(_SMALL_K, dtype=np.int32)
        found = best_k(
            *common, np.frombuffer(self._article, dtype=np.int64), False, 0, scratch.totals,
            scratch.tags, scratch.waiting, scratch.marks, scratch.state, slots, totals, matched,
        )  # fmt: skip
        slots, totals, matched = slots[:found], totals[:found], matched[:found]
        keep = self._kept_by_filters(slots, runs, required, excluded)
        if int(keep.sum()) < k and found == _SMALL_K:
            return None
        return slots[keep], totals[keep], matched[keep]

    def _kept_by_filters(
        self,
        slots: np.ndarray,
        runs: tuple[np.ndarray, np.ndarray] | None,
        required: Sequence[str],
        excluded: Sequence[str],
    ) -> np.ndarray:
        """Per slot of ``slots``: whether the filters keep it (in the articles' runs, with
        every required term, without an excluded one). Lock held."""
        keep = np.ones(len(slots), dtype=np.bool_)
        if runs is not None:
            keep &= _in_runs(slots, *runs)
        for term in required:
            keep &= _among(slots, self._live_slots(term))
        for term in excluded:
            if term in self._postings:
                keep &= ~_among(slots, self._live_slots(term))
        return keep

    def _ranked_where(
        self,
        terms: Sequence[str],
        k: int,
        articles: Collection[int] | None,
        required: Iterable[str],
        excluded: Iterable[str],
    ) -> tuple[list[int], list[int], list[float], list[int]]:
        """``_ranked``'s best ``k`` among the paragraphs the filters keep (lock held).

        Two ways, the cheaper for the question: when the filters leave fewer paragraphs
        than the question has postings (a rare required word, a few articles), only those
        are scored, each term's postings skipped through to them; otherwise every
        paragraph holding a question term is scored and the filters drop the others."""
        required, excluded = unique_terms(list(required)), unique_terms(list(excluded))
        if articles is None and not required and not excluded:
            return self._ranked(terms, k, None)
        if any(term not in self._postings for term in required):
            return [], [], [], []  # no paragraph holds every required term
        query = self._query(terms)
        if query is None:
            return [], [], [], []
        runs = None if articles is None else self._runs(articles)
        common = (
            query.where, query.weights, self._norm_of_length(), float(self.params.k1),
            np.frombuffer(self._overflow, dtype=np.int32),
        )  # fmt: skip
        candidates = self._candidates(runs, required, query.postings // len(query.held))
        if candidates is not None:
            for term in excluded:
                if term in self._postings:
                    candidates = candidates[~_among(candidates, self._live_slots(term))]
            totals = np.empty(len(candidates), dtype=np.float64)
            matched = np.empty(len(candidates), dtype=np.int32)
            scores_of_slots(*common, candidates, totals, matched)
            keep = matched > 0
            slots, totals, matched = candidates[keep], totals[keep], matched[keep]
        elif (ahead := self._kept_of_the_best(common, k, runs, required, excluded)) is not None:
            slots, totals, matched = ahead
        else:
            size = query.postings
            slots = np.empty(size, dtype=np.int32)
            totals = np.empty(size, dtype=np.float64)
            matched = np.empty(size, dtype=np.int32)
            scratch = self._scratch
            found = every_score(
                *common, self._bounded, scratch.totals, scratch.tags, scratch.state, slots,
                totals, matched,
            )  # fmt: skip
            slots, totals, matched = slots[:found], totals[:found], matched[:found]
            keep = self._kept_by_filters(slots, runs, required, excluded)
            slots, totals, matched = slots[keep], totals[keep], matched[keep]
        order = np.lexsort((slots, -matched, -totals))[:k]
        slots, totals, matched = slots[order], totals[order], matched[order]
        return (
            np.frombuffer(self._paragraph, dtype=np.int64)[slots].tolist(),
            np.frombuffer(self._article, dtype=np.int64)[slots].tolist(),
            totals.tolist(),
            matched.tolist(),
        )

    def _candidates(
        self, runs: tuple[np.ndarray, np.ndarray] | None, required: list[str], most: int
    ) -> np.ndarray | None:
        """The slots the article runs and required terms allow, increasing, if found
        for at most about ``most`` slots' work; None (score first, filter after) if not.
        Starts from the required term with the fewest postings, or else the articles'
        slots."""
        if required:
            rarest = min(required, key=lambda term: len(self._postings[term]))
            if len(self._postings[rarest]) > most:
                return None
            slots = self._live_slots(rarest)
            for term in required:
                if term != rarest:
                    slots = slots[_among(slots, self._live_slots(term))]
            return slots if runs is None else slots[_in_runs(slots, *runs)]
        if runs is None:
            return None
        firsts, ends = runs
        lengths = ends - firsts
        total = int(lengths.sum())
        if total > most:
            return None
        # Each run's slots in turn: a running count, shifted to each run's first slot.
        shift = firsts - (np.cumsum(lengths) - lengths)
        return (np.arange(total, dtype=np.int64) + np.repeat(shift, lengths)).astype(np.int32)

    def _live_slots(self, term: str) -> np.ndarray:
        """The slots of a known term's live postings, in increasing order."""
        pairs = np.frombuffer(self._postings[term].data, dtype=np.int32).reshape(-1, 2)
        return pairs[pairs[:, 1] != DEAD, 0]

    def _runs(self, articles: Collection[int]) -> tuple[np.ndarray, np.ndarray]:
        """The held ones of ``articles`` as runs of slots (``_spans``): first slots and
        ends, in slot order. Costs the articles asked for, not the guild."""
        runs = sorted(self._spans[a] for a in set(articles) if a in self._spans)
        firsts = np.array([first for first, _count in runs], dtype=np.int64)
        counts = np.array([count for _first, count in runs], dtype=np.int64)
        return firsts, firsts + counts

    def _ranked(
        self, terms: Sequence[str], k: int | None, article_id: int | None
    ) -> tuple[list[int], list[int], list[float], list[int]]:
        """Paragraph ids, article ids, scores and matched counts: the best ``k`` ranked,
        or with ``k`` None every paragraph holding a term, unordered. Called with the
        lock held; returns plain lists, so that no view of the index's arrays (which
        would stop them from growing) outlives the lock."""
        query = self._query(terms)
        if query is None:
            return [], [], [], []
        # Types as compile_kernels gave them: another type (an int k1) would compile the
        # kernels again, for seconds, during a question.
        common = (
            query.where, query.weights, self._norm_of_length(), float(self.params.k1),
            np.frombuffer(self._overflow, dtype=np.int32),
        )  # fmt: skip
        scratch = self._scratch
        if k is not None and k <= _SMALL_K:
            slots = np.empty(k, dtype=np.int32)
            totals = np.empty(k, dtype=np.float64)
            matched = np.empty(k, dtype=np.int32)
            found = best_k(
                *common, np.frombuffer(self._article, dtype=np.int64), article_id is not None,
                article_id or 0, scratch.totals, scratch.tags, scratch.waiting, scratch.marks,
                scratch.state, slots, totals, matched,
            )  # fmt: skip
            slot_list = slots[:found].tolist()
            return (
                [self._paragraph[slot] for slot in slot_list],
                [self._article[slot] for slot in slot_list],
                totals[:found].tolist(),
                matched[:found].tolist(),
            )
        size = query.postings
        slots = np.empty(size, dtype=np.int32)
        totals = np.empty(size, dtype=np.float64)
        matched = np.empty(size, dtype=np.int32)
        found = every_score(
            *common, self._bounded, scratch.totals, scratch.tags, scratch.state,
            slots, totals, matched,
        )  # fmt: skip
        slots, totals, matched = slots[:found], totals[:found], matched[:found]
        article = np.frombuffer(self._article, dtype=np.int64)
        if k is not None:
            if article_id is not None:
                keep = article[slots] == article_id
                slots, totals, matched = slots[keep], totals[keep], matched[keep]
            order = np.lexsort((slots, -matched, -totals))[:k]
            slots, totals, matched = slots[order], totals[order], matched[order]
        return (
            np.frombuffer(self._paragraph, dtype=np.int64)[slots].tolist(),
            article[slots].tolist(),
            totals.tolist(),
            matched.tolist(),
        )


def _in_runs(slots: np.ndarray, firsts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each of ``slots`` lies in one of the runs ``firsts[i]`` to ``ends[i]``
    (in order, not overlapping)."""
    if len(firsts) == 0:
        return np.zeros(len(slots), dtype=np.bool_)
    run = np.searchsorted(firsts, slots, side="right") - 1
    return (run >= 0) & (slots < ends[np.maximum(run, 0)])


def _among(slots: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Whether each of ``slots`` is one of ``sorted_values`` (increasing): a binary search
    per slot, with no sort of ``slots``."""
    if len(sorted_values) == 0:
        return np.zeros(len(slots), dtype=np.bool_)
    at = np.searchsorted(sorted_values, slots)
    return sorted_values[np.minimum(at, len(sorted_values) - 1)] == slots


# -- files --------------------------------------------------------------------------------
#
# The index as bytes, written and read in pieces so that neither needs a second copy of
# the postings in memory: a size header, the terms, each term's pair count, the pairs of
# every term in turn, the per-slot arrays, the overflow table and the article spans, then
# a CRC-32 of everything before it. Numbers are in this machine's byte order; a file from
# a machine of the other order is refused like a damaged one (and rebuilt by the caller).

_SIZES = struct.Struct("<6q")  # byte order, terms, slots, overflow pairs, articles, pairs
_BYTE_ORDER = 1 if sys.byteorder == "little" else 2  # of the arrays that follow
_CRC = struct.Struct("<I")


def write_index(index: BM25Index, handle: BinaryIO) -> None:
    """Write ``index`` to ``handle``. Must not run while the index is being changed (the
    engine holds the guild's lock); questions may go on meanwhile."""
    crc = 0

    def put(data: bytes | memoryview | array | np.ndarray) -> None:
        nonlocal crc
        view = memoryview(data).cast("B")
        crc = zlib.crc32(view, crc)
        handle.write(view)

    postings = list(index._postings.items())
    # Terms joined, with their lengths in characters: any string is a term to the index.
    terms = "".join(term for term, _p in postings).encode("utf-8", "surrogatepass")
    put(_SIZES.pack(
        _BYTE_ORDER, len(postings), len(index._doc_len), len(index._overflow) // 2,
        len(index._spans), sum(len(p) for _t, p in postings),
    ))  # fmt: skip
    put(struct.pack("<q", len(terms)) + terms)
    put(array("q", [len(term) for term, _p in postings]))
    put(array("q", [len(p) for _t, p in postings]))
    for _term, p in postings:
        put(p.data)
    put(index._doc_len)
    put(index._paragraph)
    put(index._article)
    put(index._overflow)
    put(array("q", [n for span in index._spans.items() for n in (span[0], *span[1])]))
    handle.write(_CRC.pack(crc))


class _CheckedReader:
    """Reads exactly the bytes asked for, never more than the file still holds (a damaged
    size must not become a huge allocation), and keeps their CRC-32."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.crc = 0
        position = handle.tell()
        self.left = handle.seek(0, 2) - position
        handle.seek(position)

    def read(self, size: int) -> bytes:
        if size > self.left:
            raise ValueError("the index file ends early")
        self.left -= size
        data = self.handle.read(size)
        if len(data) != size:
            raise ValueError("the index file ends early")
        self.crc = zlib.crc32(data, self.crc)
        return data

    def array(self, typecode: str, count: int) -> array:
        if count < 0:
            raise ValueError("the index file gives a negative size")
        values = array(typecode)
        values.frombytes(self.read(count * values.itemsize))
        return values


def read_index(handle: BinaryIO, params: BM25Params) -> BM25Index:
    """An index written by ``write_index``. Raises ``ValueError`` if the bytes are damaged
    or do not describe a consistent index."""
    reader = _CheckedReader(handle)
    order, n_terms, n_slots, n_overflow, n_articles, n_pairs = _SIZES.unpack(
        reader.read(_SIZES.size)
    )
    if order != _BYTE_ORDER:
        raise ValueError("the index file was written on a machine of another byte order")
    (terms_size,) = struct.unpack("<q", reader.read(8))
    if terms_size < 0 or min(n_terms, n_slots, n_overflow, n_articles, n_pairs) < 0:
        raise ValueError("the index file gives a negative size")
    text = reader.read(terms_size).decode("utf-8", "surrogatepass")
    term_lengths = np.frombuffer(reader.array("q", n_terms), dtype=np.int64)
    counts = reader.array("q", n_terms)
    if term_lengths.min(initial=0) < 0 or term_lengths.sum() != len(text):
        raise ValueError("the index file's terms do not fit together")
    ends = np.cumsum(term_lengths).tolist()
    terms = [text[start:end] for start, end in pairwise([0, *ends])]
    if len(set(terms)) != n_terms or sum(counts) != n_pairs or (n_terms and min(counts) <= 0):
        raise ValueError("the index file's terms do not fit together")
    data = [reader.array("i", 2 * count) for count in counts]
    doc_len = reader.array("i", n_slots)
    paragraph = reader.array("q", n_slots)
    article = reader.array("q", n_slots)
    overflow = reader.array("i", 2 * n_overflow)
    spans = np.frombuffer(reader.array("q", 3 * n_articles), dtype=np.int64).reshape(-1, 3)
    trailer = handle.read(_CRC.size)
    if len(trailer) != _CRC.size or _CRC.unpack(trailer)[0] != reader.crc or handle.read(1):
        raise ValueError("the index file is damaged (its checksum does not match)")

    lengths = np.frombuffer(doc_len, dtype=np.int32)
    ids = np.frombuffer(paragraph, dtype=np.int64)
    owners = np.frombuffer(article, dtype=np.int64)
    alive = lengths != DEAD
    live, shortest = check_postings(
        np.array([values.buffer_info()[0] for values in data], dtype=np.int64),
        np.frombuffer(counts, dtype=np.int64),
        lengths,
        np.frombuffer(overflow, dtype=np.int32),
    )
    _check_slots(alive, lengths, ids, owners, spans)

    index = BM25Index(params)
    long_lists = np.flatnonzero(np.frombuffer(counts, dtype=np.int64) >= _LONG)
    summaries = dict(zip(long_lists.tolist(), shortest[long_lists].tolist(), strict=True))
    index._postings = {
        term: _Postings(values, int(df), summaries.get(number))
        for number, (term, values, df) in enumerate(zip(terms, data, live.tolist(), strict=True))
    }
    index._df_histogram = Counter(live.tolist())
    index._doc_len, index._paragraph, index._article = doc_len, paragraph, article
    index._overflow = overflow
    index._spans = {int(a): (int(f), int(n)) for a, f, n in spans.tolist()}
    index._live = int(alive.sum())
    index._largest_id = int(ids.max(initial=-1))
    index._total_len = int(lengths[alive].sum(dtype=np.int64))
    index._longest = int(lengths.max(initial=0))
    return index


def _check_slots(
    alive: np.ndarray,
    lengths: np.ndarray,
    ids: np.ndarray,
    owners: np.ndarray,
    spans: np.ndarray,
) -> None:
    """Dead slots are dead in every array; the spans cover exactly the live slots, once
    each, with their article's id; no paragraph id is live twice."""
    if np.any(lengths[alive] < 0) or np.any(ids[~alive] != DEAD) or np.any(owners[~alive] != DEAD):
        raise ValueError("the index file's slots disagree")
    if len(np.unique(spans[:, 0])) != len(spans) or len(np.unique(ids[alive])) != alive.sum():
        raise ValueError("the index file lists something twice")
    first, count = spans[:, 1], spans[:, 2]
    if np.any(count < 0) or np.any(first < 0) or np.any(count > len(alive) - first):
        raise ValueError("the index file's articles lie outside its slots")
    cover = np.zeros(len(alive) + 1, dtype=np.int64)
    np.add.at(cover, first, 1)
    np.add.at(cover, first + count, -1)
    if not np.array_equal(np.cumsum(cover)[:-1] > 0, alive) or np.cumsum(cover).max(initial=0) > 1:
        raise ValueError("the index file's articles do not cover its paragraphs")
    by_first = np.argsort(first, kind="stable")
    if not np.array_equal(np.repeat(spans[by_first, 0], count[by_first]), owners[alive]):
        raise ValueError("the index file's articles do not own their paragraphs")
