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
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.analyzer import unique_terms

_DEAD = -1


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


@dataclass(slots=True)
class _Summed:
    slots: np.ndarray
    """Touched slots, one entry per (term, paragraph) pair."""
    scores: np.ndarray
    """The paragraph's total score, at each of its entries."""
    parts: list[np.ndarray]
    """Each term's postings slots, in question order."""


class _Postings:
    __slots__ = ("slots", "tfs")

    def __init__(self) -> None:
        self.slots = array("i")
        self.tfs = array("i")


class BM25Index:
    """Paragraphs of one guild, grouped by article, searchable with BM25Okapi's scores."""

    def __init__(self, params: BM25Params | None = None) -> None:
        self.params = params or BM25Params()
        self._postings: dict[str, _Postings] = {}
        # Per slot; a removed paragraph leaves a dead slot until the next compaction.
        self._doc_len = array("i")
        self._paragraph = array("q")
        self._article = array("q")
        self._slot_of: dict[int, int] = {}
        self._article_slots: dict[int, list[int]] = {}
        self._total_len = 0
        self._df_histogram: Counter[int] = Counter()
        self._mean_idf_cache: float | None = None  # reset by every change
        self._norms: np.ndarray | None = None
        self._totals = np.zeros(0, dtype=np.float64)

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
        for paragraph_id, terms in paragraphs:
            slot = len(self._doc_len)
            slots.append(slot)
            self._slot_of[paragraph_id] = slot
            self._doc_len.append(len(terms))
            self._paragraph.append(paragraph_id)
            self._article.append(article_id)
            self._total_len += len(terms)
            for term, tf in Counter(terms).items():
                postings = self._postings.get(term)
                if postings is None:
                    postings = self._postings[term] = _Postings()
                else:
                    self._df_histogram[len(postings.slots)] -= 1
                postings.slots.append(slot)
                postings.tfs.append(tf)
                self._df_histogram[len(postings.slots)] += 1
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
        removals: list[tuple[_Postings, int]] = []
        for paragraph_id, terms in paragraphs:
            slot = self._slot_of[paragraph_id]
            if len(terms) != self._doc_len[slot]:
                raise IndexInconsistent(f"paragraph {paragraph_id} has a different length")
            for term, tf in Counter(terms).items():
                postings = self._postings.get(term)
                at = bisect_left(postings.slots, slot) if postings is not None else -1
                if at < 0 or at >= len(postings.slots) or postings.slots[at] != slot:
                    raise IndexInconsistent(f"paragraph {paragraph_id} does not hold {term!r}")
                if postings.tfs[at] != tf:
                    raise IndexInconsistent(f"paragraph {paragraph_id} has {term!r} {tf} times?")
                removals.append((postings, slot))

        for postings, slot in removals:
            at = bisect_left(postings.slots, slot)
            self._df_histogram[len(postings.slots)] -= 1
            del postings.slots[at]
            del postings.tfs[at]
            if postings.slots:
                self._df_histogram[len(postings.slots)] += 1
        for term in {term for _pid, terms in paragraphs for term in terms}:
            if not self._postings[term].slots:
                del self._postings[term]
        for paragraph_id, _terms in paragraphs:
            slot = self._slot_of.pop(paragraph_id)
            self._total_len -= self._doc_len[slot]
            self._paragraph[slot] = _DEAD
            self._article[slot] = _DEAD
        del self._article_slots[article_id]
        self._df_histogram = +self._df_histogram  # drop zero counts
        self._mean_idf_cache = None
        self._norms = None
        if len(self._doc_len) > 1024 and self.paragraph_count < len(self._doc_len) // 2:
            self._compact()

    def _compact(self) -> None:
        """Renumber slots so dead ones stop taking space. Order, hence scores, is kept."""
        paragraph = np.frombuffer(self._paragraph, dtype=np.int64)
        alive = paragraph != _DEAD
        new_slot = np.cumsum(alive, dtype=np.int64) - 1
        for postings in self._postings.values():
            old = np.frombuffer(postings.slots, dtype=np.int32)
            postings.slots = array("i", new_slot[old].astype(np.int32).tobytes())
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

    # -- scoring ----------------------------------------------------------------------

    def idf(self, term: str) -> float:
        """BM25Okapi's idf of ``term``, epsilon floor included; 0 for unknown terms."""
        postings = self._postings.get(term)
        if postings is None:
            return 0.0
        n = self.paragraph_count
        df = len(postings.slots)
        raw = math.log(n - df + 0.5) - math.log(df + 0.5)
        if raw < 0:
            return self.params.epsilon * self._mean_idf()
        return raw

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

    def _length_norms(self) -> np.ndarray:
        """``k1 * (1 - b + b * |d| / avgdl)`` for every slot, kept until the corpus changes.

        rank_bm25 computes the same expression, in the same order, for each query word.
        """
        if self._norms is None or len(self._norms) != len(self._doc_len):
            k1, b = self.params.k1, self.params.b
            avgdl = self._total_len / self.paragraph_count
            doc_len = np.frombuffer(self._doc_len, dtype=np.int32).astype(np.float64)
            self._norms = k1 * (1 - b + b * doc_len / avgdl)
        return self._norms

    def _scratch(self) -> np.ndarray:
        size = len(self._doc_len)
        if len(self._totals) < size:
            self._totals = np.zeros(max(size, 2 * len(self._totals), 1024), dtype=np.float64)
        return self._totals

    def _sum_shares(self, terms: Sequence[str]) -> _Summed | None:
        """Each question term's share added into every paragraph that holds it.

        A term's postings hold a paragraph once, so adding its shares into a scratch array
        by fancy indexing sums each paragraph's shares in question order, starting from
        0.0, exactly as rank_bm25 does. Only touched entries are read and later reset, so
        a question costs what its postings cost, not the size of the corpus.
        """
        query = [t for t in unique_terms(list(terms)) if t in self._postings]
        if not query or self._total_len == 0:
            return None
        k1 = self.params.k1
        norms = self._length_norms()
        totals = self._scratch()
        parts = []
        try:
            for term in query:
                postings = self._postings[term]
                slots = np.frombuffer(postings.slots, dtype=np.int32)
                tf = np.frombuffer(postings.tfs, dtype=np.int32)
                # Same operations in the same order as rank_bm25's get_scores (the int
                # counts turn into float64 exactly, as its int64 ones do).
                totals[slots] += self.idf(term) * (tf * (k1 + 1) / (tf + norms[slots]))
                parts.append(slots)
            joined = np.concatenate(parts) if len(parts) > 1 else parts[0]
            return _Summed(joined, totals[joined], parts)
        finally:
            for part in parts:  # leave the scratch array zeroed for the next question
                totals[part] = 0.0

    def scores(self, terms: Sequence[str]) -> dict[int, float]:
        """Score of every paragraph that contains a question term, by paragraph id."""
        summed = self._sum_shares(terms)
        if summed is None:
            return {}
        touched, first = np.unique(summed.slots, return_index=True)
        paragraph = np.frombuffer(self._paragraph, dtype=np.int64)
        return dict(zip(paragraph[touched].tolist(), summed.scores[first].tolist(), strict=True))

    def search(self, terms: Sequence[str], k: int, article_id: int | None = None) -> list[Hit]:
        """The ``k`` best paragraphs containing at least one of ``terms``.

        Ranked by score, then by distinct matched terms, then by age (older first).
        """
        if k <= 0:
            return []
        summed = self._sum_shares(terms)
        if summed is None:
            return []
        slots, scores = summed.slots, summed.scores
        article = np.frombuffer(self._article, dtype=np.int64)
        if article_id is not None:
            keep = article[slots] == article_id
            slots, scores = slots[keep], scores[keep]
        # ``slots`` repeats a paragraph once per term it holds, with the same total each
        # time; the best k * terms entries hold at least k distinct paragraphs, so every
        # paragraph scoring at least the k-th best (ties included) is among those at or
        # above that entry's score.
        depth = k * len(summed.parts)
        if len(scores) > depth:
            threshold = np.partition(scores, len(scores) - depth)[len(scores) - depth]
            keep = scores >= threshold
            slots, scores = slots[keep], scores[keep]
        touched, first = np.unique(slots, return_index=True)
        scores = scores[first]
        if len(touched) > k:
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= kth
            touched, scores = touched[keep], scores[keep]
        matched = np.zeros(len(touched), dtype=np.int64)
        for part in summed.parts:  # each term's postings are sorted by slot
            at = np.minimum(np.searchsorted(part, touched), len(part) - 1)
            matched += part[at] == touched
        order = np.lexsort((touched, -matched, -scores))[:k]
        paragraph = np.frombuffer(self._paragraph, dtype=np.int64)
        return [
            Hit(
                paragraph_id=int(paragraph[touched[i]]),
                article_id=int(article[touched[i]]),
                score=float(scores[i]),
                matched=int(matched[i]),
            )
            for i in order
        ]


# -- snapshots ----------------------------------------------------------------------------


def index_to_arrays(index: BM25Index) -> dict[str, np.ndarray]:
    """The index as flat arrays (postings in CSR form), for saving to a file."""
    postings = list(index._postings.items())
    lengths = np.fromiter((len(p.slots) for _t, p in postings), dtype=np.int64, count=len(postings))
    pointers = np.zeros(len(postings) + 1, dtype=np.int64)
    np.cumsum(lengths, out=pointers[1:])
    return {
        "terms": np.frombuffer("\n".join(t for t, _p in postings).encode(), dtype=np.uint8),
        "pointers": pointers,
        "slots": np.frombuffer(b"".join(p.slots.tobytes() for _t, p in postings), np.int32),
        "tfs": np.frombuffer(b"".join(p.tfs.tobytes() for _t, p in postings), np.int32),
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
    index = BM25Index(params)
    slot_bytes, tf_bytes = slots.astype(np.int32).tobytes(), tfs.astype(np.int32).tobytes()
    for number, term in enumerate(terms):
        start, end = int(pointers[number]) * 4, int(pointers[number + 1]) * 4
        postings = _Postings()
        postings.slots = array("i", slot_bytes[start:end])
        postings.tfs = array("i", tf_bytes[start:end])
        index._postings[term] = postings
    index._df_histogram = Counter(np.diff(pointers).tolist())
    index._doc_len = array("i", doc_len.astype(np.int32).tobytes())
    index._paragraph = array("q", paragraph.astype(np.int64).tobytes())
    index._article = array("q", article.astype(np.int64).tobytes())
    alive = np.flatnonzero(paragraph != _DEAD)
    index._slot_of = dict(zip(paragraph[alive].tolist(), alive.tolist(), strict=True))
    for slot, article_id in zip(alive.tolist(), article[alive].tolist(), strict=True):
        index._article_slots.setdefault(article_id, []).append(slot)
    index._total_len = int(doc_len[alive].sum())
    return index


def index_signature(index: BM25Index) -> tuple[int, int, int]:
    """(paragraphs, largest paragraph id, sum of ids): what the store must also hold."""
    ids = list(index._slot_of)
    return len(ids), max(ids, default=0), sum(ids)
