"""The index stays exact in every language: for a corpus in one language and a question
read in it, scores equal ``rank_bm25.BM25Okapi`` over the same analysed terms."""

from __future__ import annotations

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.search.analyzer import analyse
from index.search.bm25 import BM25Params
from tests.index.search.test_bm25 import assert_matches_reference, build, params_strategy
from tests.support.languages import SAMPLES, Sample

_PIECE = regex.compile(r"\p{Han}|[\p{L}\p{N}\p{M}]+")
"""Words, and Chinese characters one by one (so drawn texts make new character pairs)."""


def pieces(sample: Sample) -> list[str]:
    return sorted(set(_PIECE.findall(sample.paste + " " + sample.question)))


def joined(sample: Sample, words: list[str]) -> str:
    return ("" if sample.language == "zh" else " ").join(words)


@st.composite
def corpora(draw: st.DrawFn, sample: Sample) -> tuple[list[str], list[list[str]]]:
    """Paragraphs and a question drawn from the sample's words, in its language."""
    vocabulary = pieces(sample)
    texts = st.lists(st.sampled_from(vocabulary), min_size=0, max_size=25)
    paragraphs = draw(st.lists(texts, min_size=1, max_size=12), label="paragraphs")
    question = draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=8))
    return [joined(sample, words) for words in paragraphs], [question]


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.language for s in SAMPLES])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), params=params_strategy)
def test_scores_equal_bm25okapi_in_each_language(
    sample: Sample, data: st.DataObject, params: BM25Params
) -> None:
    texts, (question_words,) = data.draw(corpora(sample), label="corpus")
    terms = [analyse(text, sample.language) for text in texts]
    articles = [(1, [(position, paragraph) for position, paragraph in enumerate(terms)])]
    question = analyse(joined(sample, question_words), sample.language)
    assert_matches_reference(build(articles, params), articles, question, params)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.language for s in SAMPLES])
def test_each_sample_question_meets_its_answer_read_in_its_own_language(
    sample: Sample,
) -> None:
    """The sample data is what the other tests think it is: read in its own language
    the question meets its answer's paragraph."""
    answer = set(analyse(sample.paragraphs[sample.answer_paragraph], sample.language))
    assert set(analyse(sample.question, sample.language)) & answer
