"""Quoting a paragraph: the sentences around the matched words, and where they are.

A passage is always an exact substring of the stored paragraph, so it can be quoted
word for word; whether text was left out before or after it is reported separately
for the renderer to mark with an ellipsis.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from index.analyzer import term_spans

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
        before = text[start : match.start()]
        last_word = before.rsplit(None, 1)[-1].rstrip(".").lower() if before.strip() else ""
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
    matches = [(term, s, e) for term, s, e in term_spans(paragraph) if term in terms]
    if len(paragraph) <= max_chars:
        return Snippet(paragraph, tuple((s, e) for _t, s, e in matches), False, False)

    sentences = sentence_spans(paragraph)
    weight = weights or {}
    sentence_terms = [{t for t, ms, me in matches if s <= ms and me <= e} for s, e in sentences]
    # More weight first, then fewer sentences, then the earlier run.
    best: tuple[float, int] | None = None
    best_run = (0, 0)
    for first in range(len(sentences)):
        covered: set[str] = set()
        for last in range(first, len(sentences)):
            length = sentences[last][1] - sentences[first][0]
            if length > max_chars:
                break
            covered |= sentence_terms[last]
            value = round(sum(max(weight.get(t, 1.0), 1e-6) for t in covered), 9)
            if best is None or (value, first - last) > best:
                best, best_run = (value, first - last), (first, last)
    if best is None or (matches and not any(sentence_terms)):
        # No run of whole sentences fits (one sentence is longer than the limit), or the
        # matches sit in no sentence: cut around the first match at word boundaries.
        return _window_in_sentence(paragraph, matches, max_chars)
    first, last = best_run
    return _snippet(paragraph, matches, sentences[first][0], sentences[last][1])


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
