"""Quoting a paragraph: the sentences around the matched words, and where they are.

A passage is always an exact substring of the stored paragraph, so it can be quoted
word for word; whether text was left out before or after it is reported separately
for the renderer to mark with an ellipsis. Sentences are those of ``sentences``, in
every script.

Highlights are spans of the passage's own characters (the analyser reads each word as
written and folds only its term), sorted, and neither overlapping nor touching: the
character pairs of Chinese or Japanese overlap by a character ("北京", "京大", "大学"),
and a run of them shown as separate spans would nest or break a renderer's bold
markers ("**北京****大学**"), so matches that overlap or touch are one span.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import regex

from index.search.analyzer import term_spans
from index.search.languages import DEFAULT_LANGUAGE
from index.search.sentences import sentence_spans

_INSIDE_CHARACTER = regex.compile(r"[\p{M}\u200d\p{Emoji_Modifier}]|(?<=\u200d)")
"""At a position inside what a reader sees as one character: before an accent, a vowel
sign or a joiner, or after a joiner."""

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


def make_snippet(
    paragraph: str,
    terms: Collection[str],
    weights: Mapping[str, float] | None = None,
    max_chars: int = 600,
    *,
    language: str = DEFAULT_LANGUAGE,
) -> Snippet:
    """The best run of whole sentences of ``paragraph`` within ``max_chars``, its words
    read as language ``language`` (that of the terms).

    Sentences are worth the summed weight of the distinct question terms they contain;
    the chosen run holds the most weight, preferring fewer sentences, then earlier ones.
    """
    terms = set(terms)
    if len(paragraph) <= max_chars:
        matches = [(term, s, e) for term, s, e in term_spans(paragraph, language) if term in terms]
        return _snippet(paragraph, matches, 0, len(paragraph))

    begin, end = _search_region(paragraph, terms, max_chars, language)
    region = paragraph[begin:end]
    matches = [
        (term, s + begin, e + begin) for term, s, e in term_spans(region, language) if term in terms
    ]
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


def _search_region(
    paragraph: str, terms: Collection[str], max_chars: int, language: str
) -> tuple[int, int]:
    """The part of ``paragraph`` to search: all of it, or for a very long one the
    ``SEARCH_CHARS`` from just before its first matched word, cut at spaces."""
    if len(paragraph) <= SEARCH_CHARS:
        return 0, len(paragraph)
    first = next(
        (start for term, start, _end in term_spans(paragraph, language) if term in terms), 0
    )
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
    # Move inwards to whole words; in text without spaces (Chinese, Japanese), to whole
    # characters at least.
    if start > 0:
        space = paragraph.find(" ", start)
        start = space + 1 if 0 <= space < center else start
        while start < center and _INSIDE_CHARACTER.match(paragraph, start):
            start += 1
    if end < len(paragraph):
        space = paragraph.rfind(" ", start, end)
        end = space if space > start else end
        while end > start + 1 and _INSIDE_CHARACTER.match(paragraph, end):
            end -= 1
    return _snippet(paragraph, matches, start, end)


def _snippet(paragraph: str, matches: list[tuple[str, int, int]], start: int, end: int) -> Snippet:
    text = paragraph[start:end]
    inside = ((s - start, e - start) for _t, s, e in matches if start <= s and e <= end)
    return Snippet(text, merged_spans(inside), start > 0, end < len(paragraph.rstrip()))


def merged_spans(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """``spans`` sorted, those that overlap or touch made one: ``(0, 2), (1, 3), (3, 5)``
    -> ``(0, 5)``. Bold markers around each never nest nor meet."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)
