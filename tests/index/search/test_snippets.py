"""Snippets: exact substrings of a paragraph around the matched words."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.search.analyzer import analyse
from index.search.snippets import Snippet, make_snippet, sentence_spans

SENTENCES = [
    "The city council met on Monday to discuss the annual budget.",
    "Several members raised concerns about rising maintenance costs.",
    "Gen. Alvarez of the U.S. Army described the volcano evacuation plan in detail.",
    "Residents asked questions for nearly two hours.",
    "The meeting ended shortly after nine in the evening.",
]
PARAGRAPH = " ".join(SENTENCES)


def sentences_of(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def assert_highlights_are_query_words(snippet: Snippet, terms: set[str]) -> None:
    for start, end in snippet.highlights:
        assert 0 <= start < end <= len(snippet.text)
        assert analyse(snippet.text[start:end])[0] in terms


def highlighted_words(snippet: Snippet) -> list[str]:
    return [snippet.text[s:e] for s, e in snippet.highlights]


# -- short paragraphs ---------------------------------------------------------------------


def test_short_paragraph_returned_whole() -> None:
    paragraph = "Troops were running toward the volcano. Nobody knew why."
    terms = set(analyse("troop volcano"))
    snippet = make_snippet(paragraph, terms, max_chars=600)
    assert snippet.text == paragraph
    assert snippet.trimmed_start is False
    assert snippet.trimmed_end is False
    assert highlighted_words(snippet) == ["Troops", "volcano"]
    assert_highlights_are_query_words(snippet, terms)


def test_paragraph_exactly_max_chars_returned_whole() -> None:
    paragraph = "Volcano " * 10
    snippet = make_snippet(paragraph, {"volcano"}, max_chars=len(paragraph))
    assert snippet == Snippet(paragraph, tuple((8 * i, 8 * i + 7) for i in range(10)), False, False)


def test_short_paragraph_without_matches() -> None:
    snippet = make_snippet("Nothing to see here.", {"volcano"})
    assert snippet == Snippet("Nothing to see here.", (), False, False)


# -- long paragraphs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "sentence", "trimmed_start", "trimmed_end"),
    [
        ("volcano", 2, True, True),
        ("council", 0, False, True),
        (
            "meeting evening",
            4,
            True,
            False,
        ),
        # Equal weight in sentences 0 and 4: the earlier sentence wins.
        ("council meeting", 0, False, True),
        ("maintenance", 1, True, True),
    ],
)
def test_long_paragraph_gives_the_matching_sentence(
    query: str, sentence: int, trimmed_start: bool, trimmed_end: bool
) -> None:
    assert len(PARAGRAPH) > 120
    terms = set(analyse(query))
    snippet = make_snippet(PARAGRAPH, terms, max_chars=120)
    assert snippet.text == SENTENCES[sentence]
    assert snippet.text in PARAGRAPH
    assert len(snippet.text) <= 120
    assert snippet.trimmed_start is trimmed_start
    assert snippet.trimmed_end is trimmed_end
    assert snippet.highlights
    assert_highlights_are_query_words(snippet, terms)
    assert {analyse(w)[0] for w in highlighted_words(snippet)} <= terms


def test_long_paragraph_run_of_sentences_covering_more_terms() -> None:
    terms = set(analyse("volcano questions"))
    snippet = make_snippet(PARAGRAPH, terms, max_chars=140)
    assert snippet.text == " ".join(SENTENCES[2:4])
    assert (snippet.trimmed_start, snippet.trimmed_end) == (True, True)
    assert highlighted_words(snippet) == ["volcano", "questions"]


def test_long_paragraph_trailing_whitespace_does_not_count_as_trimmed() -> None:
    paragraph = PARAGRAPH + "   \n"
    snippet = make_snippet(paragraph, set(analyse("evening")), max_chars=120)
    assert snippet.text.endswith(SENTENCES[4])
    assert snippet.trimmed_start is True
    assert snippet.trimmed_end is False


@pytest.mark.parametrize("max_chars", [120, 200, 296])
def test_long_paragraph_prefers_the_shortest_run_holding_the_terms(max_chars: int) -> None:
    # Only the last sentence holds the term; any run starting earlier holds the same weight
    # but is longer, so by "preferring shorter runs" it must not be chosen.
    snippet = make_snippet(PARAGRAPH, set(analyse("evening")), max_chars=max_chars)
    assert snippet.text == SENTENCES[4]


def test_weights_choose_the_sentence() -> None:
    terms = set(analyse("council volcano"))
    snippet = make_snippet(
        PARAGRAPH, terms, weights={"council": 0.5, "volcano": 3.0}, max_chars=100
    )
    assert snippet.text == SENTENCES[2]
    snippet = make_snippet(
        PARAGRAPH, terms, weights={"council": 3.0, "volcano": 0.5}, max_chars=100
    )
    assert snippet.text == SENTENCES[0]


def test_highlights_only_query_words() -> None:
    terms = set(analyse("running troops"))
    paragraph = (
        "The troops kept running. "
        + "Filler sentence number one is here. " * 5
        + "A troop ran past the run-down shelter."
    )
    snippet = make_snippet(paragraph, terms, max_chars=60)
    assert snippet.text == "The troops kept running."
    assert highlighted_words(snippet) == ["troops", "running"]
    snippet = make_snippet(paragraph, {"troop"}, max_chars=len(paragraph))
    assert highlighted_words(snippet) == ["troops", "troop"]


# -- sentences ----------------------------------------------------------------------------


def test_sentence_spans_do_not_split_after_abbreviations() -> None:
    text = "Gen. Alvarez met Sen. Ortiz in the U.S. Capitol at 5 p.m. Monday. Mr. Lee agreed."
    assert sentences_of(text) == [
        "Gen. Alvarez met Sen. Ortiz in the U.S. Capitol at 5 p.m. Monday.",
        "Mr. Lee agreed.",
    ]


def test_sentence_spans_split_after_normal_sentence_ends() -> None:
    text = 'It rained. Did it stop? Yes! "Maybe." Then 2024 came. (Later) it ended.'
    assert sentences_of(text) == [
        "It rained.",
        "Did it stop?",
        "Yes!",
        '"Maybe."',
        "Then 2024 came.",
        "(Later) it ended.",
    ]


def test_sentence_spans_keep_closing_quotes_with_their_sentence() -> None:
    text = 'He said "Stop." They stopped.'
    assert sentences_of(text) == ['He said "Stop."', "They stopped."]


def test_sentence_spans_no_split_before_lower_case() -> None:
    text = "The price was 3.5 percent. e.g. this is one sentence."
    assert sentences_of(text) == [text]


def test_sentence_spans_cover_text() -> None:
    assert sentence_spans("") == []
    assert sentence_spans("   ") == []
    spans = sentence_spans(PARAGRAPH)
    assert sentences_of(PARAGRAPH) == SENTENCES
    assert spans[0][0] == 0
    assert spans[-1][1] == len(PARAGRAPH)


def test_sentence_ending_in_no_is_split() -> None:
    text = "Voters said no. The measure failed."
    assert sentences_of(text) == ["Voters said no.", "The measure failed."]


# -- one huge sentence --------------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 3, 60, 150, 198])
def test_huge_sentence_cut_at_word_boundaries(position: int) -> None:
    words = [f"word{i}" for i in range(200)]
    words[position] = "volcano"
    paragraph = " ".join(words) + "."
    max_chars = 100
    snippet = make_snippet(paragraph, {"volcano"}, max_chars=max_chars)
    text = snippet.text
    start = paragraph.find(text)
    end = start + len(text)
    assert start >= 0
    assert paragraph.count(text) == 1
    assert 0 < len(text) <= max_chars
    assert start == 0 or paragraph[start - 1] == " "
    assert end == len(paragraph) or paragraph[end] == " "
    assert not text.startswith(" ") and not text.endswith(" ")
    assert snippet.trimmed_start is (start > 0)
    assert snippet.trimmed_end is (end < len(paragraph))
    assert highlighted_words(snippet) == ["volcano"]


def test_huge_sentence_without_match_is_cut_at_word_boundaries() -> None:
    paragraph = " ".join(f"word{i}" for i in range(200))
    snippet = make_snippet(paragraph, {"volcano"}, max_chars=100)
    assert paragraph.startswith(snippet.text)
    assert len(snippet.text) <= 100
    assert paragraph[len(snippet.text)] == " "
    assert (snippet.trimmed_start, snippet.trimmed_end) == (False, True)
    assert snippet.highlights == ()


# -- properties ---------------------------------------------------------------------------

WORDS = ["Volcano", "troops", "running", "Gen.", "U.S.", "the", "Nicolás", "東京", "no."]

# -- hostile paragraphs ------------------------------------------------------------------


def test_a_huge_paragraph_of_matching_sentences_is_quoted_in_linear_time() -> None:
    # A 2 MB message.txt can be one paragraph of tiny sentences that all match the
    # question; choosing the best run once took time in the square of their number.
    paragraph = "Ab cat. " * 15_000
    started = time.perf_counter()
    snippet = make_snippet(paragraph, {"cat"}, {"cat": 2.0}, max_chars=600)
    assert time.perf_counter() - started < 3.0
    assert snippet.text == "Ab cat."
    assert highlighted_words(snippet) == ["cat"]
    assert not snippet.trimmed_start and snippet.trimmed_end


def test_a_long_run_of_abbreviations_is_split_in_linear_time() -> None:
    text = "Mr. " * 200_000 + "Done. The end."
    started = time.perf_counter()
    spans = sentence_spans(text)
    assert time.perf_counter() - started < 3.0
    assert [text[s:e] for s, e in spans][-1] == "The end."
    assert len(spans) == 2  # no break after "Mr."


texts = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.sampled_from(list("abcXYZ .!?\"')\n\t0")), max_size=600),
    st.lists(
        st.one_of(
            st.sampled_from(WORDS),
            st.text(alphabet=st.sampled_from(list("abcdefghijKLM")), min_size=1, max_size=30),
            st.sampled_from([". ", "! ", "? ", "  ", "\n", '." ']),
        ),
        max_size=150,
    ).map(" ".join),
)


@settings(max_examples=500, deadline=None)
@given(
    paragraph=texts,
    extra_terms=st.lists(st.text(max_size=8), max_size=3),
    pick=st.lists(st.integers(0, 1000), max_size=4),
    weight_values=st.none() | st.lists(st.floats(0, 10), max_size=6),
    max_chars=st.integers(1, 300),
)
def test_snippet_is_a_bounded_substring_with_valid_highlights(
    paragraph: str,
    extra_terms: list[str],
    pick: list[int],
    weight_values: list[float] | None,
    max_chars: int,
) -> None:
    paragraph_terms = analyse(paragraph)
    terms = set(extra_terms)
    if paragraph_terms:
        terms |= {paragraph_terms[i % len(paragraph_terms)] for i in pick}
    weights = None
    if weight_values is not None:
        weights = dict(zip(sorted(terms), weight_values, strict=False))

    snippet = make_snippet(paragraph, terms, weights=weights, max_chars=max_chars)

    assert snippet.text in paragraph
    if len(paragraph) <= max_chars:
        assert snippet.text == paragraph
        assert not snippet.trimmed_start and not snippet.trimmed_end
    else:
        assert len(snippet.text) <= max_chars
    assert len(set(snippet.highlights)) == len(snippet.highlights)
    for start, end in snippet.highlights:
        assert 0 <= start < end <= len(snippet.text)
        word_terms = analyse(snippet.text[start:end])
        assert word_terms and word_terms[0] in terms
    if not snippet.trimmed_start and not snippet.trimmed_end:
        assert snippet.text.strip() == paragraph.strip() or not paragraph.strip()
