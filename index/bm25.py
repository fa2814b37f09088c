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
slots and term counts), each paragraph's length, N, the total length, and how many
terms have each document frequency. The last makes the mean idf (needed for epsilon)
a sum over the distinct document frequencies, a few thousand at most, instead of over
the whole vocabulary.

Where BM25Okapi is a poor ranking, the index does better without changing a score:
only paragraphs that contain a question word are results (BM25Okapi gives everything a
score, zero included), ties are broken by how many distinct question words a paragraph
contains, and a word repeated in the question counts once.
"""

from __future__ import annotations

import math
import threading
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from index.analyzer import unique_terms
from index.bm25_kernels import BLOCK, best_k, every_score

_DEAD = -1
_SMALL_K = 64
_FIELDS = 3  # slot, tf, length: see _Postings
"""Up to this many results are kept in a sorted buffer while scanning; more are sorted."""


@dataclass(frozen=True, slots=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25


@dataclass(frozen=True, slots=True)
class Hit:
    paragraph_id: int
    article_id: int
    score: float
    matched: int
    """How many distinct question terms the paragraph contains."""


class IndexInconsistent(RuntimeError):
    """The index was asked to remove something it does not hold as described."""


class _Postings:
    """One term's postings, in slot order, as one flat array of ``(slot, tf, length)``
    triples: the paragraph's slot, the term's count in it, and the paragraph's length.

    Keeping the length here, not only per slot, lets a question read its postings front
    to back without a lookup per posting in an array as long as the corpus, which at a
    million paragraphs cost more than all the arithmetic; one array per term instead of
    three is one copy per term per question instead of three. A removed paragraph's
    entries stay, with length -1, until the next compaction; ``live`` counts the others:
    the term's df.
    """

    __slots__ = ("data", "live")

    def __init__(self) -> None:
        self.data = array("i")
        self.live = 0

    def slots(self) -> memoryview:
        return memoryview(self.data)[0::_FIELDS]

    def __len__(self) -> int:
        return len(self.data) // _FIELDS


class _Scratch:
    """One block's accumulators (see ``bm25_kernels``); zero between questions."""

    def __init__(self, block: int) -> None:
        self.totals = np.zeros(block, dtype=np.float64)
        self.matched = np.zeros(block, dtype=np.int32)
        self.touched = np.zeros(block, dtype=np.int32)


@dataclass(frozen=True, slots=True)
class _Query:
    data: np.ndarray
    """The terms' postings, joined: ``(slot, tf, length)`` triples, flat."""
    starts: np.ndarray
    ends: np.ndarray
    idfs: np.ndarray


class BM25Index:
    """Paragraphs of one guild, grouped by article, searchable with BM25Okapi's scores."""

    def __init__(self, params: BM25Params | None = None, *, block: int = BLOCK) -> None:
        """``block`` is how many slots a question adds up at a time; tests make it small
        so that a handful of paragraphs spans many blocks."""
        self.params = params or BM25Params()
        self._postings: dict[str, _Postings] = {}
        # Per slot. A removed paragraph leaves a dead slot (length -1, ids _DEAD) until
        # the next compaction, so removing costs the article, not the postings it is in.
        self._doc_len = array("i")
        self._paragraph = array("q")
        self._article = array("q")
        self._slot_of: dict[int, int] = {}
        self._article_slots: dict[int, list[int]] = {}
        self._total_len = 0
        self._df_histogram: Counter[int] = Counter()
        self._longest = 0
        # Reset by every change: N and avgdl move with each paragraph.
        self._mean_idf_cache: float | None = None
        self._norms: np.ndarray | None = None
        self._scratch = _Scratch(block)
        self._scratch_lock = threading.Lock()

    # -- size -------------------------------------------------------------------------

    @property
    def paragraph_count(self) -> int:
        """N in BM25's formulas: live paragraphs, empty ones included."""
        return len(self._slot_of)

    @property
    def article_count(self) -> int:
        return len(self._article_slots)

    @property
    def vocabulary_size(self) -> int:
        return len(self._postings)

    def __contains__(self, article_id: int) -> bool:
        return article_id in self._article_slots

    # -- changes ----------------------------------------------------------------------

    def add_article(self, article_id: int, paragraphs: Iterable[tuple[int, Sequence[str]]]) -> None:
        """Index an article's paragraphs, given as ``(paragraph_id, terms)``."""
        if article_id in self._article_slots:
            raise IndexInconsistent(f"article {article_id} is already indexed")
        paragraphs = list(paragraphs)
        ids = [paragraph_id for paragraph_id, _terms in paragraphs]
        if len(set(ids)) != len(ids):
            raise IndexInconsistent(f"article {article_id} lists a paragraph twice")
        for paragraph_id in ids:
            if paragraph_id in self._slot_of:
                raise IndexInconsistent(f"paragraph {paragraph_id} is already indexed")
        slots = self._article_slots[article_id] = []
        histogram = self._df_histogram
        for paragraph_id, terms in paragraphs:
            slot = len(self._doc_len)
            slots.append(slot)
            self._slot_of[paragraph_id] = slot
            self._doc_len.append(len(terms))
            self._paragraph.append(paragraph_id)
            self._article.append(article_id)
            self._total_len += len(terms)
            self._longest = max(self._longest, len(terms))
            for term, tf in Counter(terms).items():
                postings = self._postings.get(term)
                if postings is None:
                    postings = self._postings[term] = _Postings()
                else:
                    histogram[postings.live] -= 1
                postings.data.extend((slot, tf, len(terms)))
                postings.live += 1
                histogram[postings.live] += 1
        self._mean_idf_cache = None
        self._norms = None

    def remove_article(
        self, article_id: int, paragraphs: Iterable[tuple[int, Sequence[str]]]
    ) -> None:
        """Remove an article, given the same ``(paragraph_id, terms)`` it was added with.

        Everything is checked before anything changes, so a mismatch leaves the index as
        it was and raises ``IndexInconsistent``.
        """
        slots = self._article_slots.get(article_id)
        if slots is None:
            raise IndexInconsistent(f"article {article_id} is not indexed")
        paragraphs = list(paragraphs)
        if sorted(self._slot_of.get(pid, _DEAD) for pid, _ in paragraphs) != sorted(slots):
            raise IndexInconsistent(f"paragraphs given for article {article_id} do not match")
        emptied: list[tuple[str, _Postings, int]] = []
        for paragraph_id, terms in paragraphs:
            slot = self._slot_of[paragraph_id]
            if len(terms) != self._doc_len[slot]:
                raise IndexInconsistent(f"paragraph {paragraph_id} has a different length")
            for term, tf in Counter(terms).items():
                postings = self._postings.get(term)
                slots = postings.slots() if postings is not None else ()
                at = bisect_left(slots, slot)
                if at >= len(slots) or slots[at] != slot:
                    raise IndexInconsistent(f"paragraph {paragraph_id} does not hold {term!r}")
                if postings.data[at * _FIELDS + 1] != tf:
                    raise IndexInconsistent(f"paragraph {paragraph_id} has {term!r} {tf} times?")
                emptied.append((term, postings, at))

        histogram = self._df_histogram
        for term, postings, at in emptied:
            postings.data[at * _FIELDS + 2] = _DEAD
            histogram[postings.live] -= 1
            postings.live -= 1
            if postings.live:
                histogram[postings.live] += 1
            else:
                del self._postings[term]
        for paragraph_id, _terms in paragraphs:
            slot = self._slot_of.pop(paragraph_id)
            self._total_len -= self._doc_len[slot]
            self._doc_len[slot] = _DEAD
            self._paragraph[slot] = _DEAD
            self._article[slot] = _DEAD
        del self._article_slots[article_id]
        self._df_histogram = +histogram  # drop zero counts
        self._mean_idf_cache = None
        self._norms = None
        if len(self._doc_len) > 1024 and self.paragraph_count < len(self._doc_len) // 2:
            self._compact()

    def _compact(self) -> None:
        """Drop dead slots and their postings. Order, hence every score, is kept."""
        paragraph = np.frombuffer(self._paragraph, dtype=np.int64)
        alive = paragraph != _DEAD
        new_slot = (np.cumsum(alive, dtype=np.int64) - 1).astype(np.int32)
        for postings in self._postings.values():
            triples = np.frombuffer(postings.data, dtype=np.int32).reshape(-1, _FIELDS)
            kept = triples[alive[triples[:, 0]]].copy()
            kept[:, 0] = new_slot[kept[:, 0]]
            postings.data = array("i", kept.tobytes())
        doc_len = np.frombuffer(self._doc_len, dtype=np.int32)[alive]
        article = np.frombuffer(self._article, dtype=np.int64)[alive]
        kept_paragraphs = paragraph[alive]
        del paragraph
        self._doc_len = array("i", doc_len.tobytes())
        self._article = array("q", article.tobytes())
        self._paragraph = array("q", kept_paragraphs.tobytes())
        self._slot_of = {int(pid): slot for slot, pid in enumerate(kept_paragraphs.tolist())}
        self._article_slots = {}
        for slot, article_id in enumerate(article.tolist()):
            self._article_slots.setdefault(article_id, []).append(slot)
        self._longest = int(doc_len.max(initial=0))

    # -- scoring ----------------------------------------------------------------------

    def idf(self, term: str) -> float:
        """BM25Okapi's idf of ``term``, epsilon floor included; 0 for unknown terms."""
        postings = self._postings.get(term)
        return 0.0 if postings is None else self._idf_of(postings.live)

    def _idf_of(self, df: int) -> float:
        n = self.paragraph_count
        raw = math.log(n - df + 0.5) - math.log(df + 0.5)
        return raw if raw >= 0 else self.params.epsilon * self._mean_idf()

    def _mean_idf(self) -> float:
        if self._mean_idf_cache is not None:
            return self._mean_idf_cache
        n = self.paragraph_count
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
            avgdl = self._total_len / self.paragraph_count
            lengths = np.arange(self._longest + 1, dtype=np.int64)
            self._norms = k1 * (1 - b + b * lengths / avgdl)
        return self._norms

    def _query(self, terms: Sequence[str]) -> _Query | None:
        """The known question terms' postings joined, with their idfs, in question order.

        This runs for every question, so it stays close to the metal: at 100k paragraphs
        its Python costs as much as a third of the kernel's time.
        """
        if self._total_len == 0:
            return None
        known = self._postings
        postings = [p for p in map(known.get, unique_terms(terms)) if p is not None]
        if not postings:
            return None
        idfs = [self._idf_of(p.live) for p in postings]
        views = [np.frombuffer(p.data, dtype=np.int32) for p in postings]
        ends = list(accumulate(len(view) // _FIELDS for view in views))
        return _Query(
            data=np.concatenate(views) if len(views) > 1 else views[0],
            starts=np.array([0, *ends[:-1]], dtype=np.int64),
            ends=np.array(ends, dtype=np.int64),
            idfs=np.array(idfs, dtype=np.float64),
        )

    def scores(self, terms: Sequence[str]) -> dict[int, float]:
        """Score of every paragraph that contains a question term, by paragraph id."""
        found = self._every_score(terms)
        if found is None:
            return {}
        slots, totals, _matched = found
        paragraph = np.frombuffer(self._paragraph, dtype=np.int64)
        return dict(zip(paragraph[slots].tolist(), totals.tolist(), strict=True))

    def _every_score(self, terms: Sequence[str]) -> tuple[np.ndarray, ...] | None:
        query = self._query(terms)
        if query is None:
            return None
        size = len(query.data) // _FIELDS
        slots = np.empty(size, dtype=np.int32)
        totals = np.empty(size, dtype=np.float64)
        matched = np.empty(size, dtype=np.int32)
        with self._scratch_lock:
            count = every_score(
                query.data, query.starts, query.ends, query.idfs,
                self._norm_of_length(),
                self.params.k1, self._scratch.totals, self._scratch.matched,
                self._scratch.touched, slots, totals, matched,
            )  # fmt: skip
        return slots[:count], totals[:count], matched[:count]

    def search(self, terms: Sequence[str], k: int, article_id: int | None = None) -> list[Hit]:
        """The ``k`` best paragraphs containing at least one of ``terms``.

        Ranked by score, then by distinct matched terms, then by age (older first).
        """
        if k <= 0:
            return []
        article = np.frombuffer(self._article, dtype=np.int64)
        if k <= _SMALL_K:
            query = self._query(terms)
            if query is None:
                return []
            slots = np.empty(k, dtype=np.int32)
            totals = np.empty(k, dtype=np.float64)
            matched = np.empty(k, dtype=np.int32)
            with self._scratch_lock:
                found = best_k(
                    query.data, query.starts, query.ends, query.idfs,
                    self._norm_of_length(),
                    self.params.k1, article, _DEAD if article_id is None else article_id,
                    self._scratch.totals, self._scratch.matched, self._scratch.touched,
                    slots, totals, matched,
                )  # fmt: skip
            slots, totals, matched = slots[:found], totals[:found], matched[:found]
        else:
            every = self._every_score(terms)
            if every is None:
                return []
            slots, totals, matched = every
            if article_id is not None:
                keep = article[slots] == article_id
                slots, totals, matched = slots[keep], totals[keep], matched[keep]
            order = np.lexsort((slots, -matched, -totals))[:k]
            slots, totals, matched = slots[order], totals[order], matched[order]
        paragraph = np.frombuffer(self._paragraph, dtype=np.int64)
        return [
            Hit(
                paragraph_id=int(paragraph[slot]),
                article_id=int(article[slot]),
                score=float(score),
                matched=int(count),
            )
            for slot, score, count in zip(
                slots.tolist(), totals.tolist(), matched.tolist(), strict=True
            )
        ]


# -- snapshots ----------------------------------------------------------------------------


def index_to_arrays(index: BM25Index) -> dict[str, np.ndarray]:
    """The index as flat arrays (postings in CSR form), for saving to a file."""
    postings = list(index._postings.items())
    lengths = np.fromiter((len(p) for _t, p in postings), dtype=np.int64, count=len(postings))
    pointers = np.zeros(len(postings) + 1, dtype=np.int64)
    np.cumsum(lengths, out=pointers[1:])
    joined = np.frombuffer(b"".join(p.data.tobytes() for _t, p in postings), np.int32)
    triples = joined.reshape(-1, _FIELDS)
    return {
        "terms": np.frombuffer("\n".join(t for t, _p in postings).encode(), dtype=np.uint8),
        "pointers": pointers,
        "slots": triples[:, 0].copy(),
        "tfs": triples[:, 1].copy(),
        "doc_len": np.frombuffer(index._doc_len, dtype=np.int32).copy(),
        "paragraph": np.frombuffer(index._paragraph, dtype=np.int64).copy(),
        "article": np.frombuffer(index._article, dtype=np.int64).copy(),
    }


def index_from_arrays(arrays: dict[str, np.ndarray], params: BM25Params) -> BM25Index:
    """Rebuild an index from ``index_to_arrays``; raises ``ValueError`` if they disagree."""
    terms = arrays["terms"].tobytes().decode().split("\n") if len(arrays["terms"]) else []
    pointers, slots, tfs = arrays["pointers"], arrays["slots"], arrays["tfs"]
    doc_len, paragraph, article = arrays["doc_len"], arrays["paragraph"], arrays["article"]
    if (
        len(pointers) != len(terms) + 1
        or int(pointers[-1]) != len(slots)
        or len(tfs) != len(slots)
        or not len(doc_len) == len(paragraph) == len(article)
        or (len(slots) and (slots.min() < 0 or slots.max() >= len(doc_len)))
        or (len(pointers) > 1 and np.any(np.diff(pointers) <= 0))
    ):
        raise ValueError("the index arrays do not fit together")
    alive = paragraph != _DEAD
    live = np.add.reduceat(alive[slots].astype(np.int64), pointers[:-1]) if terms else []
    if len(terms) and (np.any(live == 0) or np.any(doc_len[alive] < 0)):
        raise ValueError("the index arrays hold a term or a paragraph that is not there")
    index = BM25Index(params)
    triples = np.empty((len(slots), _FIELDS), dtype=np.int32)
    triples[:, 0] = slots
    triples[:, 1] = tfs
    triples[:, 2] = np.where(alive[slots], doc_len[slots], _DEAD)  # -1: removed
    data = triples.tobytes()
    for number, term in enumerate(terms):
        start, end = int(pointers[number]) * 4 * _FIELDS, int(pointers[number + 1]) * 4 * _FIELDS
        postings = _Postings()
        postings.data = array("i", data[start:end])
        postings.live = int(live[number])
        index._postings[term] = postings
    index._df_histogram = Counter(np.asarray(live, dtype=np.int64).tolist())
    lengths = np.where(alive, doc_len, _DEAD).astype(np.int32)
    index._doc_len = array("i", lengths.tobytes())
    index._paragraph = array("q", paragraph.astype(np.int64).tobytes())
    index._article = array("q", article.astype(np.int64).tobytes())
    alive_slots = np.flatnonzero(alive)
    index._slot_of = dict(zip(paragraph[alive_slots].tolist(), alive_slots.tolist(), strict=True))
    for slot, article_id in zip(alive_slots.tolist(), article[alive_slots].tolist(), strict=True):
        index._article_slots.setdefault(article_id, []).append(slot)
    index._total_len = int(lengths[alive_slots].sum())
    index._longest = int(lengths.max(initial=0))
    return index


def index_signature(index: BM25Index) -> tuple[int, int, int]:
    """(paragraphs, largest paragraph id, sum of ids): what the store must also hold."""
    ids = list(index._slot_of)
    return len(ids), max(ids, default=0), sum(ids)
