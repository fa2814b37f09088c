"""Near-duplicate paragraphs and articles: MinHash signatures over word shingles.

The same wire story comes back through several outlets with a byline or dateline changed,
a sentence added or dropped, an "Updated:" line, other quote marks. An answer should quote
such a paragraph once, and a re-shared article should be recognised as one already indexed.

Text is reduced to its words (case and accents folded, punctuation and spacing ignored),
cut into overlapping runs of ``SHINGLE_WORDS`` words, and summarised by a MinHash signature
of ``NUM_PERM`` values: the share of equal values between two signatures estimates the
Jaccard similarity of their shingle sets. Signatures are stored, so everything that shapes
them (the word rule, the shingle size, the 32-bit hash, the permutations) is fixed here and
does not depend on a library default or on the process: ``SIGNATURE_VERSION`` is raised
whenever one of them changes, and stored signatures must then be computed again.

The numbers were chosen by ``python -m index.eval_duplicates`` on the 133 pages of aeb-dev
(their ground-truth text re-published with small changes, against every pair of distinct
paragraphs and of distinct pages) and on the SQuAD subset (paragraphs of one article share
a subject). Similarities measured with these settings:

    paragraphs                                     median    max
    3,736,011 pairs of distinct aeb paragraphs      0.000    0.883 (recipe lines that differ
                                                                   in their quantities)
      of those with the same numbers, 8+ words               0.555
    88,058 pairs within one SQuAD article           0.000    0.602 (one repeats two
                                                                   sentences of the other)
    a paragraph and its variant (8+ words)         median    merged at 0.7
      other quotes and spacing                      1.000    100%
      a dateline before it                          0.938     98%
      a sentence added / its last one dropped       0.695     50% / 31%
      its last third cut                            0.609      4%
    articles                                       median    max       merged at 0.6
    8,778 pairs of distinct aeb pages               0.000    0.094     0
    a page and its variant (byline, dateline,      0.95-1.0  min 0.656 931 of 931
      "Updated:" line, quotes, a sentence added or
      dropped, the last paragraph cut), each alone
    all of those changes at once                    0.875    min 0.477 128 of 133

So a paragraph groups with a copy whose words changed a little (a dateline, quote marks),
not with one that gained or lost a good part of its text; no two distinct paragraphs of the
pages or of one SQuAD article group. With 32 bands of 4 rows, two articles at 0.6 are
candidates with a chance of 0.988, at 0.7 of 0.9998, at 0.2 of 0.05.

- A paragraph of fewer than ``MIN_SHINGLED_WORDS`` words ("Advertisement", a photo credit)
  is one shingle, its whole word sequence: it only matches the same words.
- Paragraphs group when their similarity reaches ``PARAGRAPH_THRESHOLD`` and they state the
  same numbers: an updated toll ("12 dead" then "15 dead") or the same line of a recipe
  with other quantities is a different fact, and both stay in the answer.
- Articles match when their similarity reaches ``ARTICLE_THRESHOLD``. ``band_keys`` cuts a
  signature into ``BANDS`` bands of ``ROWS`` values (locality-sensitive hashing): two
  articles that share a band key are candidates, found by equality in the store, and the
  candidates are then compared with ``similarity``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import regex
from datasketch import LeanMinHash, MinHash

__all__ = [
    "ARTICLE_THRESHOLD",
    "BANDS",
    "MIN_SHINGLED_WORDS",
    "NUM_PERM",
    "PARAGRAPH_THRESHOLD",
    "ROWS",
    "SHINGLE_WORDS",
    "SIGNATURE_VERSION",
    "Signature",
    "article_signature",
    "band_keys",
    "group_near_duplicates",
    "numbers",
    "paragraph_signature",
    "paragraphs_match",
    "signature_bytes",
    "signature_from_bytes",
    "similarity",
    "words",
]

Signature = LeanMinHash

SIGNATURE_VERSION = 1
SHINGLE_WORDS = 4
MIN_SHINGLED_WORDS = 8
NUM_PERM = 128
SEED = 20_261_203
PARAGRAPH_THRESHOLD = 0.7
ARTICLE_THRESHOLD = 0.6
BANDS = 32
ROWS = 4

_SCHEME = "affine32"
_MASK32 = 0xFFFF_FFFF
_WORD = regex.compile(r"[\p{L}\p{N}]+")
_NONSPACING_MARKS = regex.compile(r"\p{Mn}+")
_SHINGLE_JOINER = " "


def _permutations(count: int, seed: int) -> np.ndarray:
    """``count`` affine maps ``h -> a*h + b (mod 2**32)`` with odd ``a``, derived from
    ``seed`` by a cryptographic hash so that no random generator's stream is relied on."""
    a = np.empty(count, dtype=np.uint32)
    b = np.empty(count, dtype=np.uint32)
    for index in range(count):
        digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest()
        a[index] = int.from_bytes(digest[:4], "little") | 1
        b[index] = int.from_bytes(digest[4:], "little")
    return np.array([a, b])


_PERMUTATIONS = _permutations(NUM_PERM, SEED)


def _hash32(shingle: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(shingle, digest_size=4).digest(), "little")


def words(text: str) -> list[str]:
    """The words of ``text``: case folded, accents taken off, punctuation left out."""
    folded = _NONSPACING_MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))
    return _WORD.findall(folded)


def _shingles(text_words: Sequence[str]) -> set[bytes]:
    if len(text_words) < MIN_SHINGLED_WORDS:
        return {_SHINGLE_JOINER.join(text_words).encode()}
    return {
        _SHINGLE_JOINER.join(text_words[start : start + SHINGLE_WORDS]).encode()
        for start in range(len(text_words) - SHINGLE_WORDS + 1)
    }


def _signature(text_words: Sequence[str]) -> Signature:
    minhash = MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=_hash32,
        permutations=_PERMUTATIONS,
        scheme=_SCHEME,
    )
    minhash.update_batch(_shingles(text_words))
    return LeanMinHash(minhash)


def paragraph_signature(text: str) -> Signature:
    """The MinHash signature of one paragraph's words."""
    return _signature(words(text))


def article_signature(paragraphs: Sequence[str]) -> Signature:
    """The MinHash signature of an article: its paragraphs' words read as one text, so that
    an outlet that splits or joins paragraphs differently still gives the same shingles."""
    return _signature([word for paragraph in paragraphs for word in words(paragraph)])


def similarity(a: Signature, b: Signature) -> float:
    """The estimated Jaccard similarity of the two shingle sets, from 0.0 to 1.0."""
    return a.jaccard(b)


def signature_bytes(signature: Signature) -> bytes:
    """A signature as bytes to store: a version byte, then its values as 32-bit integers."""
    values = np.asarray(signature.hashvalues, dtype="<u4")
    return bytes([SIGNATURE_VERSION]) + values.tobytes()


def signature_from_bytes(data: bytes) -> Signature:
    """The signature stored by ``signature_bytes``. Raises ``ValueError`` for bytes of
    another version or size, whose signature must be computed again."""
    if len(data) != 1 + 4 * NUM_PERM or data[0] != SIGNATURE_VERSION:
        raise ValueError("not a signature of this version")
    values = np.frombuffer(data, dtype="<u4", offset=1).astype(np.uint32)
    return LeanMinHash(seed=SEED, hashvalues=values, scheme=_SCHEME)


def band_keys(signature: Signature) -> list[int]:
    """One key per band of ``ROWS`` values, each a signed 64-bit integer: two signatures
    that share a key (at the same band) are candidates for ``ARTICLE_THRESHOLD``."""
    values = np.asarray(signature.hashvalues, dtype="<u4")
    keys = []
    for band in range(BANDS):
        rows = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(
            rows,
            digest_size=8,
            person=b"band%d" % SIGNATURE_VERSION,
            salt=band.to_bytes(8, "little"),
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def numbers(text_words: Sequence[str]) -> Counter[str]:
    """The words with a digit in them ("12", "1970s", "2026"), counted."""
    return Counter(word for word in text_words if any(char.isdigit() for char in word))


class _Paragraph:
    """A paragraph as compared; its signature is made when a comparison first needs it
    (paragraphs of other lengths or other numbers never need one)."""

    __slots__ = ("_signature", "numbers", "words")

    def __init__(self, text: str) -> None:
        self.words = words(text)
        self.numbers = numbers(self.words)
        self._signature: Signature | None = None

    @property
    def signature(self) -> Signature:
        if self._signature is None:
            self._signature = _signature(self.words)
        return self._signature

    def matches(self, other: _Paragraph) -> bool:
        if len(self.words) < MIN_SHINGLED_WORDS or len(other.words) < MIN_SHINGLED_WORDS:
            return self.words == other.words
        return (
            self.numbers == other.numbers
            and similarity(self.signature, other.signature) >= PARAGRAPH_THRESHOLD
        )


_KEPT_CHARS = 4000
"""Paragraphs up to this long are kept as compared between answers (the same ones come
back question after question), 4,096 at most."""
_kept_paragraph = lru_cache(maxsize=4096)(_Paragraph)


def _paragraph(text: str) -> _Paragraph:
    return _kept_paragraph(text) if len(text) <= _KEPT_CHARS else _Paragraph(text)


def paragraphs_match(a: str, b: str) -> bool:
    """Whether two paragraphs say the same thing in nearly the same words (the rule of
    ``group_near_duplicates``)."""
    return _Paragraph(a).matches(_Paragraph(b))


def group_near_duplicates(texts: Sequence[str]) -> list[list[int]]:
    """The indices of ``texts`` grouped by near-duplicate paragraphs, each group in input
    order and the groups ordered by their first index.

    A text joins the first group whose first text it matches, so a chain of small edits
    (A like B, B like C) never puts two texts that do not match each other under one quote.
    """
    paragraphs = [_paragraph(text) for text in texts]
    groups: list[list[int]] = []
    for index, paragraph in enumerate(paragraphs):
        for group in groups:
            if paragraphs[group[0]].matches(paragraph):
                group.append(index)
                break
        else:
            groups.append([index])
    return groups
