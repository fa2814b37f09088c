"""Quoting a paragraph: the sentences around the matched words, and where they are.

A passage is always an exact substring of the stored paragraph, so it can be quoted
word for word; whether text was left out before or after it is reported separately
for the renderer to mark with an ellipsis.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from index.search.analyzer import term_spans

# A sentence ends at . ! or ? (and any closing quotes or brackets), before a space and a
# capital letter, digit or opening quote.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof gen sen rep gov lt col sgt capt cmdr adm maj st jr sr inc co corp
    ltd no vs etc e.g i.e u.s u.k u.n a.m p.m jan feb mar apr jun jul aug sep sept oct
    nov dec fig est approx dept univ
    """.split()
)


SEARCH_CHARS = 100_000
"""Of a longer paragraph (a pasted file can be one line of 2 MB), only this much text, from
just before its first matched word, is searched for the passage: it bounds the time an
answer takes. Paragraphs of real articles are far shorter."""


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]
    trimmed_start: bool
    trimmed_end: bool


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``."""
    spans = []
    start = 0
    for match in _SENTENCE_BREAK.finditer(text):
        # The word before the break; read backwards from the break, so that a long run of
        # abbreviations costs time in proportion to its length, not to its square.
        word_start = match.start()
        while word_start > start and not text[word_start - 1].isspace():
            word_start -= 1
        last_word = text[word_start : match.start()].rstrip(".").lower()
        after = text[match.end() : match.end() + 1]
        if last_word == "no":  # "No. 5" goes on; "voters said no." ends
            if after.isdigit():
                continue
        elif last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        spans.append((start, match.start() + len(match.group().rstrip())))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s, e) for s, e in spans if e > s]


def make_snippet(
    paragraph: str,
    terms: Collection[str],
    weights: Mapping[str, float] | None = None,
    max_chars: int = 600,
) -> Snippet:
    """The best run of whole sentences of ``paragraph`` within ``max_chars``.

    Sentences are worth the summed weight of the distinct question terms they contain;
    the chosen run holds the most weight, preferring fewer sentences, then earlier ones.
    """
    terms = set(terms)
    if len(paragraph) <= max_chars:
        matches = [(term, s, e) for term, s, e in term_spans(paragraph) if term in terms]
        return Snippet(paragraph, tuple((s, e) for _t, s, e in matches), False, False)

    begin, end = _search_region(paragraph, terms, max_chars)
    region = paragraph[begin:end]
    matches = [(term, s + begin, e + begin) for term, s, e in term_spans(region) if term in terms]
    sentences = [(s + begin, e + begin) for s, e in sentence_spans(region)]
    sentence_terms = _terms_by_sentence(sentences, matches)
    worth = {term: _worth((weights or {}).get(term, 1.0)) for term in terms}
    run = _best_run(sentences, sentence_terms, worth, max_chars)
    if run is None or (matches and not any(sentence_terms)):
        # No run of whole sentences fits (one sentence is longer than the limit), or the
        # matches sit in no sentence: cut around the first match at word boundaries.
        return _window_in_sentence(paragraph, matches, max_chars)
    first, last = run
    return _snippet(paragraph, matches, sentences[first][0], sentences[last][1])


def _search_region(paragraph: str, terms: Collection[str], max_chars: int) -> tuple[int, int]:
    """The part of ``paragraph`` to search: all of it, or for a very long one the
    ``SEARCH_CHARS`` from just before its first matched word, cut at spaces."""
    if len(paragraph) <= SEARCH_CHARS:
        return 0, len(paragraph)
    first = next((start for term, start, _end in term_spans(paragraph) if term in terms), 0)
    begin = max(0, first - max_chars)
    if begin > 0:
        space = paragraph.find(" ", begin, first)
        begin = space + 1 if space >= 0 else first
    end = min(len(paragraph), begin + SEARCH_CHARS)
    if end < len(paragraph):
        space = paragraph.rfind(" ", begin, end)
        end = space if space > begin else end
    return begin, end


def _worth(weight: float) -> int:
    """A term's weight in billionths, so that sums of weights compare exactly."""
    if not math.isfinite(weight):
        weight = 1.0
    return round(max(weight, 1e-6) * 1e9)


def _terms_by_sentence(
    sentences: Sequence[tuple[int, int]], matches: Sequence[tuple[str, int, int]]
) -> list[set[str]]:
    """The matched terms inside each sentence; both lists are in text order."""
    found: list[set[str]] = [set() for _ in sentences]
    index = 0
    for term, start, end in matches:
        while index < len(sentences) and sentences[index][1] < end:
            index += 1
        if index < len(sentences) and sentences[index][0] <= start:
            found[index].add(term)
    return found


class _Window:
    """A run of sentences and the weight of the distinct terms in it."""

    def __init__(self, sentence_terms: Sequence[set[str]], worth: Mapping[str, int]) -> None:
        self._sentence_terms = sentence_terms
        self._worth = worth
        self._counts: dict[str, int] = {}
        self.value = 0

    def add(self, sentence: int) -> None:
        for term in self._sentence_terms[sentence]:
            count = self._counts.get(term, 0)
            if count == 0:
                self.value += self._worth[term]
            self._counts[term] = count + 1

    def remove(self, sentence: int) -> None:
        for term in self._sentence_terms[sentence]:
            self._counts[term] -= 1
            if self._counts[term] == 0:
                self.value -= self._worth[term]


def _best_run(
    sentences: Sequence[tuple[int, int]],
    sentence_terms: Sequence[set[str]],
    worth: Mapping[str, int],
    max_chars: int,
) -> tuple[int, int] | None:
    """The run of sentences within ``max_chars`` holding the most weight, the shortest
    among those, the earliest among equals; None when not even one sentence fits.

    Two passes with a sliding window, each moving both ends only forward, so the time is
    linear in the sentences and matches of the paragraph, however many there are.
    """
    count = len(sentences)

    def fits(first: int, last: int) -> bool:
        return sentences[last][1] - sentences[first][0] <= max_chars

    # Weight only grows with a run, so each first sentence's longest fitting run holds
    # the most it can.
    most: int | None = None
    window = _Window(sentence_terms, worth)
    last = -1
    for first in range(count):
        last = max(last, first - 1)
        while last + 1 < count and fits(first, last + 1):
            last += 1
            window.add(last)
        if last >= first:
            most = window.value if most is None else max(most, window.value)
            window.remove(first)
    if most is None:
        return None

    # The shortest run reaching that weight: as the first sentence moves on, the last
    # sentence it needs never moves back.
    best: tuple[int, int] | None = None
    window = _Window(sentence_terms, worth)
    last = -1
    for first in range(count):
        last = max(last, first - 1)
        while (last < first or window.value < most) and last + 1 < count and fits(first, last + 1):
            last += 1
            window.add(last)
        if last >= first:
            if window.value == most and (best is None or last - first < best[1] - best[0]):
                best = (first, last)
            window.remove(first)
    return best


def _window_in_sentence(
    paragraph: str, matches: list[tuple[str, int, int]], max_chars: int
) -> Snippet:
    center = matches[0][1] if matches else 0
    start = max(0, center - max_chars // 3)
    end = min(len(paragraph), start + max_chars)
    start = max(0, end - max_chars)
    # Move inwards to whole words.
    if start > 0:
        space = paragraph.find(" ", start)
        start = space + 1 if 0 <= space < center else start
    if end < len(paragraph):
        space = paragraph.rfind(" ", start, end)
        end = space if space > start else end
    return _snippet(paragraph, matches, start, end)


def _snippet(paragraph: str, matches: list[tuple[str, int, int]], start: int, end: int) -> Snippet:
    text = paragraph[start:end]
    highlights = tuple((s - start, e - start) for _t, s, e in matches if start <= s and e <= end)
    return Snippet(text, highlights, start > 0, end < len(paragraph.rstrip()))
