"""The analyser: the one function that turns text into index terms, in a language.

Paragraphs and questions go through the same steps: Unicode words, lower-cased,
accents folded, apostrophes and possessives removed, English stop words dropped, Snowball-stemmed.
That is English (``DEFAULT_LANGUAGE``), unchanged from before languages. Another
language (``languages.language``) drops its own stop words and stems with its own
Snowball stemmer when PyStemmer has one, the accented word first and the stem folded
after ("años" -> "años" stemmed -> "anos"; stemmers read their accents, and folding
first cost Spanish and Russian questions a point of Recall@1 on XQuAD), and drops an
elided article ("l'homme" -> "homme").

Scripts written without spaces between words (Han, Hiragana, Katakana, Hangul, Thai,
Lao, Khmer, Myanmar) are cut into overlapping pairs of characters ("北京大学" ->
"北京", "京大", "大学"; a lone character is its own term) in every language: no
dictionary to keep, and a question matches whatever segmentation a dictionary would
choose. On XQuAD's Chinese paragraphs, Recall@1 0.10 with whole runs as words, 0.92
with pairs; pairs and single characters together did no better.

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

import itertools
import re
import threading
from collections.abc import Iterator
from functools import lru_cache

import regex
import Stemmer

from index.search.languages import DEFAULT_LANGUAGE, ENGLISH, fold_accents, language

VERSION = 3
"""Raised whenever a change here changes the terms of some text (saved indexes then rebuild)."""

# Letters and digits of any script with their combining marks (accents in decomposed
# text, Indic vowel signs), joined by inner apostrophes: "don't", "Trump's".
_WORD = regex.compile(
    r"(?P<initials>\p{Lu}(?:\.\p{Lu})+\.?(?![\p{L}\p{N}\p{M}]))"
    r"|[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['’][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*"
)
_UNSPACED = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}ー]"
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}ー\p{M}]*"
)
"""A run of characters of the scripts written without spaces, with their marks."""
_GRAPHEME = regex.compile(r"\X")
ACRONYM_LETTERS = 5
"""The most letters of an all-capital word read as an acronym."""
STOP_WORD_ACRONYM_LETTERS = 3
"""The most letters of an acronym that is also a stop word ("US", "IT", "WHO")."""
SHOUTED_RUN = 3
"""Consecutive all-capital words from which they are read as ordinary words."""
ELISION_LETTERS = 5
"""Outside English, letters before an apostrophe that are dropped as an elided word
("l'", "qu'", "dell'"); after a longer part, the apostrophe is only removed."""
_POSSESSIVE = re.compile(r"['’]s$")
_APOSTROPHE = re.compile(r"['’]")
_MAX_WORD_CHARS = 64

# PyStemmer's stemmer objects keep a cache and are not safe to share between threads.
_local = threading.local()


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(algorithm)
    if stemmer is None:
        stemmer = stemmers[algorithm] = Stemmer.Stemmer(algorithm)
    return stemmer


@lru_cache(maxsize=200_000)
def _term(word: str, code: str) -> str | None:
    """The index term for one word as written, or None for a stop word."""
    if code == ENGLISH:
        lowered = _APOSTROPHE.sub("", _POSSESSIVE.sub("", fold_accents(word.casefold())))
        if not lowered or lowered in language(ENGLISH).stop_words:
            return None
        if len(lowered) > _MAX_WORD_CHARS:
            return None
        return _stemmer("english").stemWord(lowered)
    lowered = _without_elision(word.casefold())
    spoken = language(code)
    if not lowered or len(lowered) > _MAX_WORD_CHARS or lowered in spoken.stop_words:
        return None
    folded = fold_accents(lowered)
    if folded in spoken.folded_stop_words:
        return None
    if spoken.stemmer is None:
        return folded
    return fold_accents(_stemmer(spoken.stemmer).stemWord(lowered))


def _without_elision(word: str) -> str:
    """``word`` without an elided article or apostrophes ("l'homme" -> "homme")."""
    head, apostrophe, tail = word.rpartition("'") if "'" in word else word.rpartition("’")
    if apostrophe and tail and len(head) <= ELISION_LETTERS and "'" not in head:
        return tail
    return _APOSTROPHE.sub("", word)


@lru_cache(maxsize=50_000)
def _acronym(word: str, code: str) -> str | None:
    """The term of ``word`` read as an acronym, or None when it is not one."""
    letters = _APOSTROPHE.sub("", _POSSESSIVE.sub("", word)).replace(".", "")
    if not 2 <= len(letters) <= ACRONYM_LETTERS or not letters.isalpha() or not letters.isupper():
        return None
    term = fold_accents(letters.casefold())
    if len(term) > STOP_WORD_ACRONYM_LETTERS and term in language(code).stop_words:
        return None  # "ABOUT", "THEIR": emphasis, not an acronym
    return term


def _all_capitals(word: str) -> bool | None:
    """True for a word written in capitals, False for one with a lower-case letter, None
    for one without letters of a case (it neither makes nor breaks a shouted run)."""
    if word.isupper():
        return True
    return False if word.lower() != word.upper() else None


@lru_cache(maxsize=200_000)
def _reading(word: str, code: str) -> tuple[str | None, str | None, bool | None]:
    """How ``word`` reads: its term in ordinary text, its term inside a shouted run, and
    whether it is written in capitals (``_all_capitals``). Cached: a word is read once."""
    plain = _term(word, code)
    capitals = _all_capitals(word)
    initials = "." in word  # only dotted initials match the word pattern with a dot
    acronym = _acronym(word, code)
    ordinary = plain if acronym is None else acronym
    return ordinary, (acronym if initials and acronym is not None else plain), capitals


_PAIR_READING = (None, None, None)
"""A character pair's reading: its term is the pair itself, it has no case."""


def _pieces(
    text: str, code: str
) -> Iterator[tuple[tuple[str | None, str | None, bool | None], int, int, str | None]]:
    """Each word of ``text`` with its reading and span; a word holding a run of an
    unspaced script is cut there, each run into its character pairs (the pair is the
    fourth item, None for a word read as usual)."""
    for match in _WORD.finditer(text):
        word = match.group()
        if _UNSPACED.search(word) is None:
            yield _reading(word, code), match.start(), match.end(), None
            continue
        at = match.start()
        done = 0
        for run in _UNSPACED.finditer(word):
            if run.start() > done:
                yield _reading(word[done : run.start()], code), at + done, at + run.start(), None
            yield from _pairs(run.group(), at + run.start())
            done = run.end()
        if done < len(word):
            yield _reading(word[done:], code), at + done, match.end(), None


def _pairs(run: str, start: int) -> Iterator[tuple[tuple[None, None, None], int, int, str]]:
    """The overlapping pairs of characters (graphemes: a Thai consonant with its vowel
    sign is one) of ``run``, which starts at ``start``; a lone one is its own term."""
    characters = [(m.start(), m.end()) for m in _GRAPHEME.finditer(run)]
    if len(characters) == 1:
        yield _PAIR_READING, start, start + len(run), run.casefold()
        return
    for (first, _), (_, end) in itertools.pairwise(characters):
        yield _PAIR_READING, start + first, start + end, run[first:end].casefold()


def _words(text: str, code: str) -> list[tuple[str | None, int, int]]:
    """Each word's term (None for a stop word) and span, acronyms and shouting read."""
    pieces = list(_pieces(text, code))
    if sum(1 for piece in pieces if piece[0][2]) < SHOUTED_RUN:  # no run possible
        return [(p[3] or p[0][0], p[1], p[2]) for p in pieces]
    shouted = _shouted([piece[0][2] for piece in pieces])
    return [
        (p[3] or (p[0][1] if loud else p[0][0]), p[1], p[2])
        for p, loud in zip(pieces, shouted, strict=True)
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


def analyse(text: str, code: str = DEFAULT_LANGUAGE) -> list[str]:
    """The terms of ``text`` read as language ``code``, in order, repeats included."""
    return [term for term, _start, _end in _words(text, code) if term is not None]


def term_spans(text: str, code: str = DEFAULT_LANGUAGE) -> Iterator[tuple[str, int, int]]:
    """Each term of ``text`` (read as language ``code``) with the character span of the
    word or character pair it came from (pairs overlap by a character)."""
    for term, start, end in _words(text, code):
        if term is not None:
            yield term, start, end


def unique_terms(terms: list[str]) -> list[str]:
    """``terms`` without repeats, in order of first appearance."""
    return list(dict.fromkeys(terms))
