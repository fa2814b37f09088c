"""The analyser: the one function that turns text into index terms.

Paragraphs and questions go through the same steps: Unicode words, lower-cased,
accents folded, apostrophes and possessives removed, English stop words dropped, Snowball-stemmed.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import regex
import Stemmer

from index.search.stopwords import ENGLISH_STOP_WORDS

VERSION = 1
"""Raised whenever a change here changes the terms of some text (saved indexes then rebuild)."""

# Letters and digits of any script with their combining marks (accents in decomposed
# text, Indic vowel signs), joined by inner apostrophes: "don't", "Trump's".
_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['’][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*")
_POSSESSIVE = re.compile(r"['’]s$")
_APOSTROPHE = re.compile(r"['’]")
_MAX_WORD_CHARS = 64

# PyStemmer's stemmer objects keep a cache and are not safe to share between threads.
_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


@lru_cache(maxsize=200_000)
def _term(word: str) -> str | None:
    """The index term for one word as written, or None for a stop word."""
    lowered = _APOSTROPHE.sub("", _POSSESSIVE.sub("", _fold_accents(word.casefold())))
    if not lowered or lowered in ENGLISH_STOP_WORDS or len(lowered) > _MAX_WORD_CHARS:
        return None
    return _stemmer().stemWord(lowered)


def _fold_accents(word: str) -> str:
    """Fold accents ("Nicolás" becomes "Nicolas") so a question typed without them matches."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def analyse(text: str) -> list[str]:
    """The terms of ``text`` in order, repeats included."""
    terms = map(_term, _WORD.findall(text))
    return [term for term in terms if term is not None]


def term_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Each term of ``text`` with the character span of the word it came from."""
    for match in _WORD.finditer(text):
        term = _term(match.group())
        if term is not None:
            yield term, match.start(), match.end()


def unique_terms(terms: list[str]) -> list[str]:
    """``terms`` without repeats, in order of first appearance."""
    return list(dict.fromkeys(terms))
