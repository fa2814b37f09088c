"""Which language a text is written in: an article's, settled once when it is ingested,
and a question's, guessed among the languages of a guild's articles.

The language decides how the article's words become index terms (its stemmer and stop
words), so it is stored with the article and never guessed again: a snapshot, a rebuild
and a removal all read the words the same way.

In this order: the language the page declares (``<html lang>``), when it is a language
code, unless the detector is sure of another over at least ``OVERRULE_LETTERS`` letters
(sites declare their template's language on every page); else the detector
(py3langid, a naive Bayes model over byte n-grams of 97 languages, well under a
millisecond for the text read here) when it is sure; else the
detector's best among the languages the guild expects, when that is clearly ahead; else
the guild's main language. A text of fewer than ``MIN_DETECT_LETTERS`` letters is too
short to tell (a Chinese, Japanese or Korean character counts as two), and takes the
guild's main language.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import regex
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from index.search.languages import normalise_code

MIN_DETECT_LETTERS = 40
"""Letters a text needs before the detector is asked."""
SURE = 0.9
"""The detector's probability (normalised over its languages) taken as sure."""
AHEAD_OF_OTHERS = 0.6
"""Among the expected languages only: the share the best needs of their probabilities."""
OVERRULE_LETTERS = 200
"""Letters from which a sure detection overrules the language a page declares."""
SAMPLE_CHARS = 3000
"""Characters of an article read to detect its language."""

ALIASES = {"yue": "zh", "wuu": "zh", "ary": "ar", "arz": "ar", "nn": "no", "nb": "no"}
"""The detector's codes for varieties, as the language they are analysed as."""
NOT_A_LANGUAGE = frozenset({"zxx"})
"""Detector codes that name no language (no linguistic content)."""

_LETTER = regex.compile(r"\p{L}")
_WORD_LIKE_LETTER = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
"""Letters that say as much as a word: they count twice towards ``MIN_DETECT_LETTERS``."""
_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def _detector() -> LanguageIdentifier:
    """The detector, loaded on first use (its model takes a moment and some MiB)."""
    global _identifier
    with _lock:
        if _identifier is None:
            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def settle_language(
    paragraphs: Sequence[str],
    *,
    declared: str | None,
    main: str,
    expected: Sequence[str] = (),
) -> str:
    """The language of an article whose text is ``paragraphs``: ``declared`` by its
    page when that is a language code, else detected, else the guild's ``main``
    language (``expected``: the guild's other languages). CPU work: off the event loop."""
    text = "\n".join(paragraphs)[:SAMPLE_CHARS]
    code = normalise_code(declared)
    if code is None:
        return detect_language(text, main=main, expected=expected)
    code = ALIASES.get(code, code)
    if _letters(text) >= OVERRULE_LETTERS:
        detected = _sure_language(text)
        if detected is not None and detected != code:
            return detected  # a site's template that declares one language for all pages
    return code


def detect_language(text: str, *, main: str, expected: Sequence[str] = ()) -> str:
    """The language of ``text``, ``main`` when it cannot be told (see the module)."""
    sample = text[:SAMPLE_CHARS]
    if _letters(sample) < MIN_DETECT_LETTERS:
        return main
    ranking = _ranking(sample)
    best = max(ranking.items(), key=lambda item: item[1], default=None)
    if best is not None and best[1] >= SURE:
        return best[0]
    wanted = {main, *expected}
    among = {code: probability for code, probability in ranking.items() if code in wanted}
    total = sum(among.values())
    if total > 0:
        code, probability = max(among.items(), key=lambda item: item[1])
        if probability / total >= AHEAD_OF_OTHERS:
            return code
    return main


def _letters(text: str) -> int:
    return len(_LETTER.findall(text)) + len(_WORD_LIKE_LETTER.findall(text))


def _ranking(sample: str) -> dict[str, float]:
    """The detector's probability of each language, varieties added to their language."""
    ranking: dict[str, float] = {}
    for code, probability in _detector().rank(sample):
        if code not in NOT_A_LANGUAGE:
            language = ALIASES.get(code, code)
            ranking[language] = ranking.get(language, 0.0) + probability
    return ranking


def _sure_language(sample: str) -> str | None:
    best = max(_ranking(sample).items(), key=lambda item: item[1], default=None)
    return best[0] if best is not None and best[1] >= SURE else None


def likely_language(question: str, candidates: Sequence[str]) -> str | None:
    """The language of ``candidates`` that ``question`` is most likely written in, when
    the detector puts it clearly ahead of the others (``AHEAD_OF_OTHERS``); None when it
    does not, or the question has no letters. Questions are short: only a choice among
    a guild's few languages is asked of the detector, not an open guess."""
    if len(candidates) < 2 or not _LETTER.search(question):
        return None
    ranking = _ranking(question[:SAMPLE_CHARS])
    among = {code: ranking.get(code, 0.0) for code in candidates}
    total = sum(among.values())
    if total <= 0:
        return None
    code, probability = max(among.items(), key=lambda item: item[1])
    return code if probability / total >= AHEAD_OF_OTHERS else None
