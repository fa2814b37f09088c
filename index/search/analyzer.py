"""The analyser: the one function that turns text into index terms.

Paragraphs and questions go through the same steps: Unicode words, lower-cased,
accents folded, apostrophes and possessives removed, English stop words dropped, Snowball-stemmed.

Except acronyms, where the capitals carry the meaning: "Is the US planning..." must not
lose "US" as the stop word "us", nor match "the diplomats tell us". A word of
``ACRONYM_LETTERS`` capital letters or fewer ("US", "IT", "WHO", "AIDS", "UN") is kept
lower-cased but neither dropped nor stemmed; a stop word in capitals is an acronym only
up to ``STOP_WORD_ACRONYM_LETTERS`` letters ("ABOUT" is emphasis). Dotted initials
("U.S.", "U.N.") are the same term as their letters written together. Lower-case "us"
is a stop word, so the acronym's term never meets the pronoun; "NASA" still meets "nasa"
(and "AIDS" no longer meets "aids", stemmed to "aid").

On the SQuAD subset the rule changes little (R@1 over the whole corpus 0.7325 ->
0.7328, MRR@10 0.8081 -> 0.8082; with the re-ordering of ``rerank`` no number of either
half of the articles is lower than without the rule, the first half gains): its
questions seldom turn on an acronym. Keeping acronyms in capitals as their own terms
("NASA" apart from "nasa") measured the same (0.7329 / 0.8084) but would lose every
question typed in lower case, as chat questions often are.

Text written all in capitals (a headline, a shouted "WHO IS THE PRESIDENT") is not a
row of acronyms: a run of ``SHOUTED_RUN`` or more consecutive all-capital words is read
as ordinary words. Words without letters of a case (numbers, Chinese) neither break nor
extend a run. Dotted initials stay acronyms even inside a shouted run.
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

VERSION = 2
"""Raised whenever a change here changes the terms of some text (saved indexes then rebuild)."""

# Letters and digits of any script with their combining marks (accents in decomposed
# text, Indic vowel signs), joined by inner apostrophes: "don't", "Trump's".
_WORD = regex.compile(
    r"(?P<initials>\p{Lu}(?:\.\p{Lu})+\.?(?![\p{L}\p{N}\p{M}]))"
    r"|[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['’][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*"
)
ACRONYM_LETTERS = 5
"""The most letters of an all-capital word read as an acronym."""
STOP_WORD_ACRONYM_LETTERS = 3
"""The most letters of an acronym that is also a stop word ("US", "IT", "WHO")."""
SHOUTED_RUN = 3
"""Consecutive all-capital words from which they are read as ordinary words."""
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


@lru_cache(maxsize=50_000)
def _acronym(word: str) -> str | None:
    """The term of ``word`` read as an acronym, or None when it is not one."""
    letters = _APOSTROPHE.sub("", _POSSESSIVE.sub("", word)).replace(".", "")
    if not 2 <= len(letters) <= ACRONYM_LETTERS or not letters.isalpha() or not letters.isupper():
        return None
    term = _fold_accents(letters.casefold())
    if len(term) > STOP_WORD_ACRONYM_LETTERS and term in ENGLISH_STOP_WORDS:
        return None  # "ABOUT", "THEIR": emphasis, not an acronym
    return term


def _all_capitals(word: str) -> bool | None:
    """True for a word written in capitals, False for one with a lower-case letter, None
    for one without letters of a case (it neither makes nor breaks a shouted run)."""
    if word.isupper():
        return True
    return False if word.lower() != word.upper() else None


@lru_cache(maxsize=200_000)
def _reading(word: str) -> tuple[str | None, str | None, bool | None]:
    """How ``word`` reads: its term in ordinary text, its term inside a shouted run, and
    whether it is written in capitals (``_all_capitals``). Cached: a word is read once."""
    plain = _term(word)
    capitals = _all_capitals(word)
    initials = "." in word  # only dotted initials match the word pattern with a dot
    acronym = _acronym(word)
    ordinary = plain if acronym is None else acronym
    return ordinary, (acronym if initials and acronym is not None else plain), capitals


def _words(text: str) -> list[tuple[str | None, int, int]]:
    """Each word's term (None for a stop word) and span, acronyms and shouting read."""
    matches = list(_WORD.finditer(text))
    readings = [_reading(match.group()) for match in matches]
    if sum(1 for reading in readings if reading[2]) < SHOUTED_RUN:  # no run possible
        return [(r[0], m.start(), m.end()) for r, m in zip(readings, matches, strict=True)]
    shouted = _shouted([reading[2] for reading in readings])
    return [
        (r[1] if loud else r[0], m.start(), m.end())
        for r, m, loud in zip(readings, matches, shouted, strict=True)
    ]


def _shouted(capitals: list[bool | None]) -> list[bool]:
    """Per word: whether it is in a run of ``SHOUTED_RUN`` or more all-capital words
    (``capitals`` per word: True, False, or None for a word that neither makes nor
    breaks a run)."""
    flags = [False] * len(capitals)
    run: list[int] = []

    def close() -> None:
        if len(run) >= SHOUTED_RUN:
            for position in run:
                flags[position] = True
        run.clear()

    for position, written in enumerate(capitals):
        if written is None:
            continue
        if written:
            run.append(position)
        else:
            close()
    close()
    return flags


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
    return [term for term, _start, _end in _words(text) if term is not None]


def term_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Each term of ``text`` with the character span of the word it came from."""
    for term, start, end in _words(text):
        if term is not None:
            yield term, start, end


def unique_terms(terms: list[str]) -> list[str]:
    """``terms`` without repeats, in order of first appearance."""
    return list(dict.fromkeys(terms))
