"""Re-ordering BM25's best paragraphs by where the question's words sit in them.

BM25Okapi scores a paragraph by how often it holds each question word, wherever the
words are: a long paragraph that names the subject in its first sentence and the
question's other words three sentences later scores like one that says it all in one
sentence. The re-ordering looks again at the ``RERANK_DEPTH`` best paragraphs only, and
adds to BM25's score a share of the first paragraph's score for each of four features
(each between 0 and 1):

    score' = bm25 + first * (0.5 * sentence + 0.5 * window + 0.2 * title + 0.2 * kind)

- ``sentence``: the question's idf found in the paragraph's best single sentence, as a
  share of the question's total idf (distinct terms, each counted once);
- ``window``: the same in the best run of ``WINDOW_TERMS`` consecutive terms (question
  words close together);
- ``title``: the question's idf found in the article's title;
- ``kind``: 1 when the question asks for a kind of answer ("how many"/"how much" a
  number, "when"/"what year" a year, month or century, "who" a capitalised name that is
  not in the question) and the paragraph's best sentence holds one.

Scaling by the first's score puts the features in BM25's units for every question,
short or long. Only the order changes: ``Hit.score`` is BM25Okapi's, shown as before.

Measured on the SQuAD subset (44 articles, 11,877 questions, one gold paragraph each;
articles split in halves by position; weights tuned on the first half and checked on
the second, then the other way round; depth 20), R@1 / MRR@10, whole corpus:

======================  ===============  ===============  ===============
formula                 first half       second half      all
======================  ===============  ===============  ===============
BM25 alone              0.7285 / 0.8062  0.7432 / 0.8132  0.7325 / 0.8081
+ title 0.2             0.7293 / 0.8067  0.7435 / 0.8137  0.7332 / 0.8086
+ sentence, window 0.5  0.7505 / 0.8211  0.7519 / 0.8190  0.7509 / 0.8205
+ title 0.2             0.7513 / 0.8217  0.7522 / 0.8193  0.7515 / 0.8211
+ kind 0.2 (kept)       0.7557 / 0.8251  0.7565 / 0.8226  0.7559 / 0.8245
======================  ===============  ===============  ===============

Within the question's article, R@1 0.7640 -> 0.7829 (halves 0.7591 -> 0.7810 and
0.7772 -> 0.7881); the title feature cannot change an order there (one title). Weights
of 0.75 and 1.0 for sentence and window did no better on either half; 0.3 and 0.2 did
worse on both. The title alone gains little because the index already puts the title's
terms in front of each paragraph (``GuildIndexes.paragraph_terms``).

Titles. The index puts the article's title terms in front of every paragraph, and that
stays: without it BM25 alone falls from R@1 0.7328 to 0.7188 (0.7563 -> 0.7457 with the
re-ordering). News headlines are long and seldom name the subject, so the rule was also
measured with the 133 news articles of the extraction benchmark, under their real
headlines (og:title or <title>, median 8 terms), added to the corpus as distractors.
R@1 whole corpus, BM25 alone / re-ordered: every title 0.7107 / 0.7435; none 0.6890 /
0.7314; titles of at most 4 terms only 0.7035 / 0.7397, at most 6 terms 0.7055 / 0.7412;
the first 3 title terms only 0.7067, the first 5 0.7088. Each shortening lost on both
halves, so the titles stay whole in the paragraphs and the title feature adds the
title's match where the question names it.

Languages. In a guild of several languages each candidate is weighed with the question
as read in its article's language (``reorder_in_languages``), and the kind of answer is
asked in English only. When the question's language is known among the guild's, a
candidate in it gains ``LANGUAGE_WEIGHT`` (0.2, like the title): a near tie goes to the
language the person asked in, and a paragraph in another language that BM25 puts well
ahead stays ahead (someone may ask in English about a German article). Measured with the
five XQuAD files of the shared data in one guild (1,200 paragraphs; every question has a
translation of its paragraph, with the same names, in each other language), R@1 for 0 /
0.1 / 0.2 / 0.4 / 1.0: German 0.884 / 0.892 / 0.892 / 0.895 / 0.896, Spanish 0.881 /
0.894 / 0.906 / 0.918 / 0.928, Russian 0.900 / 0.903 / 0.905 / 0.906 / 0.906; Chinese
(0.923) and Arabic (0.880) do not change, their scripts keeping them apart. Larger
weights gain more here, where every question has a same-language answer, but would let
a weak match in the asker's language push out the one real answer in another.

Cost: the candidates' texts are cut into sentences and analysed once per question:
about 3 ms per question at depth 20 on SQuAD's paragraphs (measured over its 11,877
questions); a very long text costs in proportion to its length (the caller moves such
work off the event loop).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from index.search.analyzer import analyse, term_spans
from index.search.bm25 import Hit
from index.search.languages import DEFAULT_LANGUAGE, ENGLISH

RERANK_DEPTH = 20
"""BM25's best paragraphs that are re-ordered; the rest keep BM25's order after them."""
WINDOW_TERMS = 12
"""Terms in the run where question words count as close together."""

SENTENCE_WEIGHT = 0.5
WINDOW_WEIGHT = 0.5
TITLE_WEIGHT = 0.2
KIND_WEIGHT = 0.2
LANGUAGE_WEIGHT = 0.2
"""For a candidate in the language the question is written in, in a guild of several
languages (see the module)."""

_KEPT_LAYOUT_CHARS = 4000
"""Paragraphs up to this long keep their sentences' terms between questions (4,096 of
them at most: a few MiB)."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])")
"""Where the sentence feature cuts a paragraph: a Latin capital or a digit after the
stop. Not ``sentences.split_sentences`` (what quotes are cut by, in every script): on the
shared data that would cost English 0.0004 R@1 within articles and Chinese 0.003 over
the whole corpus, for 0.003 in Russian."""
_QUESTION_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d")
_DATE = re.compile(
    r"\b(?:1\d{3}|20\d{2})s?\b|\bcentur(?:y|ies)\b|\b(?:January|February|March|April|May|"
    r"June|July|August|September|October|November|December)\b"
)
_NAME = re.compile(r"\b[A-Z][a-z]+")
_ASKS_NUMBER = re.compile(r"\bhow (?:many|much)\b", re.IGNORECASE)
_ASKS_DATE = re.compile(
    r"\b(?:when|(?:what|which) (?:year|century|decade|date|month))\b", re.IGNORECASE
)
_ASKS_PERSON = re.compile(r"^\W*who\b|\bwho (?:was|is|were)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Candidate:
    hit: Hit
    text: str
    title: str
    language: str = DEFAULT_LANGUAGE
    """The language the question was read in for this candidate (its article's, when the
    question was read in that language): its text is read in it too."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A question read in one language: its distinct terms and their idf (None: every
    term weighs 1)."""

    terms: Sequence[str]
    weights: Mapping[str, float] | None = None


def answer_kind(question: str) -> str | None:
    """The kind of answer ``question`` asks for: "number", "date", "person" or None."""
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_PERSON.search(question):
        return "person"
    return None


def holds_kind(sentence: str, kind: str | None, question: str = "") -> bool:
    """Whether ``sentence`` holds an answer of ``kind`` (a person: a capitalised word
    that is not the sentence's first word and not one of the question's words)."""
    if kind == "number":
        return _NUMBER.search(sentence) is not None
    if kind == "date":
        return _DATE.search(sentence) is not None
    if kind == "person":
        asked = {word.casefold() for word in _QUESTION_WORD.findall(question)}
        return any(
            match.start() > 0 and match.group().casefold() not in asked
            for match in _NAME.finditer(sentence)
        )
    return False


def reorder(
    terms: Sequence[str],
    candidates: Sequence[Candidate],
    weights: Mapping[str, float] | None = None,
    *,
    question: str = "",
) -> list[Candidate]:
    """``candidates`` (best first by BM25) in the order of the formula above.

    ``terms`` are the question's distinct analysed terms; ``weights`` their idf (every
    term weighs 1 without it); ``question`` the question as typed, for the kind of
    answer it asks for (no kind without it). Ties keep BM25's order; candidates past
    ``RERANK_DEPTH`` keep theirs, after the re-ordered ones.
    """
    if not terms:
        return list(candidates)
    reading = Reading(terms, weights)
    return reorder_in_languages(
        candidates, {candidate.language: reading for candidate in candidates}, question
    )


def reorder_in_languages(
    candidates: Sequence[Candidate],
    readings: Mapping[str, Reading],
    question: str = "",
    written_in: str | None = None,
) -> list[Candidate]:
    """``reorder`` for candidates in several languages: each is weighed with the question
    as read in its ``Candidate.language`` (``readings``), its text read in it too. The
    kind of answer is asked in English only (its patterns are English). A candidate in
    the language the question is ``written_in`` (when that is known) gains
    ``LANGUAGE_WEIGHT``."""
    head, tail = list(candidates[:RERANK_DEPTH]), list(candidates[RERANK_DEPTH:])
    if len(head) < 2:
        return head + tail
    first = max(candidate.hit.score for candidate in head)
    if first <= 0:  # BM25Okapi's idf can be negative in a tiny corpus: nothing to scale
        return head + tail
    weighed = {code: _Weighed.of(reading) for code, reading in readings.items()}
    kind = answer_kind(question) if question else None
    titles: dict[tuple[str, str], float] = {}

    def adjusted(candidate: Candidate) -> float:
        reading = weighed.get(candidate.language)
        if reading is None or reading.total <= 0:
            return candidate.hit.score
        weight, total = reading.weight, reading.total
        asked = kind if candidate.language == ENGLISH else None
        sentence, window, kind_found = _proximity(
            candidate.text, weight, asked, question, candidate.language
        )
        key = (candidate.title, candidate.language)
        title = titles.get(key)
        if title is None:
            title = titles[key] = sum(
                weight[term]
                for term in set(analyse(candidate.title, candidate.language))
                if term in weight
            )
        extra = (
            SENTENCE_WEIGHT * sentence / total
            + WINDOW_WEIGHT * window / total
            + TITLE_WEIGHT * title / total
            + KIND_WEIGHT * kind_found
            + (LANGUAGE_WEIGHT if candidate.language == written_in else 0.0)
        )
        return candidate.hit.score + first * extra

    scored = [(adjusted(candidate), position) for position, candidate in enumerate(head)]
    order = sorted(range(len(head)), key=lambda i: (-scored[i][0], i))
    return [head[i] for i in order] + tail


@dataclass(frozen=True, slots=True)
class _Weighed:
    """A reading's terms with their weights (idf, never negative) and their total."""

    weight: dict[str, float]
    total: float

    @classmethod
    def of(cls, reading: Reading) -> _Weighed:
        weights = reading.weights
        weight = {
            term: max(weights.get(term, 0.0), 0.0) if weights else 1.0 for term in reading.terms
        }
        return cls(weight, sum(weight.values()))


def _layout(text: str, language: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``text``'s sentences, each with its terms in order: the same for every question,
    so a short paragraph's is kept (the same paragraphs come back question after
    question) and a long one's is made each time rather than held."""
    if len(text) <= _KEPT_LAYOUT_CHARS:
        return _kept_layout(text, language)
    return _made_layout(text, language)


def _made_layout(text: str, language: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(
        (sentence, tuple(term for term, _start, _end in term_spans(sentence, language)))
        for sentence in _SENTENCE_END.split(text)
    )


_kept_layout = lru_cache(maxsize=4096)(_made_layout)


def _proximity(
    text: str, weight: Mapping[str, float], kind: str | None, question: str, language: str
) -> tuple[float, float, float]:
    """The question's weight in the best sentence and in the best window of
    ``WINDOW_TERMS`` terms of ``text``, and whether the best sentence holds ``kind``."""
    best_sentence = 0.0
    best_sentence_text = ""
    matched: list[tuple[int, str]] = []  # (term position in text, term)
    position = 0
    for sentence, sentence_terms in _layout(text, language):
        found = set()
        for term in sentence_terms:
            if term in weight:
                found.add(term)
                matched.append((position, term))
            position += 1
        value = sum(weight[term] for term in found)
        if value > best_sentence:
            best_sentence, best_sentence_text = value, sentence
    best_window = 0.0
    for i, (start, _term) in enumerate(matched):
        seen: set[str] = set()
        value = 0.0
        for at, term in matched[i:]:
            if at - start >= WINDOW_TERMS:
                break
            if term not in seen:
                seen.add(term)
                value += weight[term]
        best_window = max(best_window, value)
    kind_found = 1.0 if kind and holds_kind(best_sentence_text, kind, question) else 0.0
    return best_sentence, best_window, kind_found
