"""Snippets: exact substrings of a paragraph around the matched words."""

from __future__ import annotations

import itertools
import time

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from index.search.analyzer import analyse
from index.search.sentences import sentence_spans
from index.search.snippets import Snippet, make_snippet, merged_spans

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


def test_sentence_spans_cover_text() -> None:
    spans = sentence_spans(PARAGRAPH)
    assert sentences_of(PARAGRAPH) == SENTENCES
    assert spans[0][0] == 0
    assert spans[-1][1] == len(PARAGRAPH)


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


# -- every script ------------------------------------------------------------------------

CHINESE = [
    "清华大学位于北京市海淀区。",
    "它成立于1911年，最初是一所留美预备学校！",
    "北京大学是中国的一所著名大学，校园在颐和园附近。",
    "两所学校都有很多学生？",
    "是的。",
]


def test_a_chinese_paragraph_is_trimmed_to_the_sentence_with_the_question_pairs() -> None:
    paragraph = "".join(CHINESE)  # no spaces between Chinese sentences
    question = "北京大学在哪里？"
    terms = set(analyse(question, "zh"))
    snippet = make_snippet(paragraph, terms, max_chars=30, language="zh")
    assert snippet.text == CHINESE[2]
    assert (snippet.trimmed_start, snippet.trimmed_end) == (True, True)
    # "北京", "京大", "大学" overlap by a character each: one span, on the characters.
    assert highlighted_words(snippet) == ["北京大学", "大学"]
    for start, end in snippet.highlights:
        shown = snippet.text[start:end]
        assert set(analyse(shown, "zh")) <= terms
    # Every matched pair of the quoted sentence lies inside a highlight.
    for pair_start in range(len(snippet.text) - 1):
        if snippet.text[pair_start : pair_start + 2] in terms:
            assert any(s <= pair_start and pair_start + 2 <= e for s, e in snippet.highlights)


def test_japanese_pairs_are_highlighted_as_one_run() -> None:
    paragraph = "東京タワーは港区にあります。高さは333メートルです。"
    terms = set(analyse("東京タワーの高さ", "ja"))
    snippet = make_snippet(paragraph, terms, language="ja")
    assert snippet.text == paragraph
    assert highlighted_words(snippet) == ["東京タワー", "高さ"]


def test_a_russian_paragraph_is_trimmed_to_its_sentence_with_stems_highlighted() -> None:
    sentences = [
        "Москва — столица России.",
        "Город был основан в 1147 году князем Юрием Долгоруким.",
        "Сегодня в Москве живут миллионы людей.",
    ]
    terms = set(analyse("Когда был основан город?", "ru"))
    snippet = make_snippet(" ".join(sentences), terms, max_chars=70, language="ru")
    assert snippet.text == sentences[1]
    assert highlighted_words(snippet) == ["Город", "основан"]


def test_an_arabic_paragraph_is_trimmed_to_its_sentence() -> None:
    sentences = [
        "القاهرة هي عاصمة مصر.",
        "تأسست المدينة عام 969 في عهد الفاطميين.",
        "هل يعيش فيها ملايين الناس؟",
        "نعم.",
    ]
    terms = set(analyse("متى تأسست المدينة؟", "ar"))
    snippet = make_snippet(" ".join(sentences), terms, max_chars=45, language="ar")
    assert snippet.text == sentences[1]
    assert (snippet.trimmed_start, snippet.trimmed_end) == (True, True)
    assert highlighted_words(snippet) == ["تأسست", "المدينة"]


def test_highlights_sit_on_the_original_characters() -> None:
    # "İ" and "ß" change length when case-folded: spans of a folded copy would drift.
    paragraph = "İİİ ßß Straße, İstanbul'da büyük bir şehirdir."
    snippet = make_snippet(paragraph, set(analyse("istanbul", "tr")), language="tr")
    assert highlighted_words(snippet) == ["İstanbul'da"]
    snippet = make_snippet(paragraph, set(analyse("Strasse", "de")), language="de")
    assert highlighted_words(snippet) == ["Straße"]


def test_a_long_sentence_without_spaces_is_cut_between_characters() -> None:
    # Thai vowel and tone signs are combining marks: a cut must not strand one.
    paragraph = "สวัสดี" * 150 + "ประเทศไทย" + "สวัสดี" * 150
    terms = set(analyse("ประเทศไทย", "th"))
    for max_chars in range(90, 110):
        snippet = make_snippet(paragraph, terms, max_chars=max_chars, language="th")
        assert len(snippet.text) <= max_chars
        assert highlighted_words(snippet) == ["ประเทศไทย"]
        start = paragraph.find(snippet.text)
        end = start + len(snippet.text)
        assert not regex.match(r"\p{M}", paragraph[start])
        assert end == len(paragraph) or not regex.match(r"\p{M}", paragraph[end])


@pytest.mark.parametrize(
    ("spans", "merged"),
    [
        ([], ()),
        ([(0, 2), (1, 3), (2, 4)], ((0, 4),)),
        ([(4, 6), (0, 2), (2, 3)], ((0, 3), (4, 6))),
        ([(0, 5), (1, 2)], ((0, 5),)),
        ([(0, 2), (3, 5)], ((0, 2), (3, 5))),
    ],
)
def test_overlapping_or_touching_spans_become_one(spans, merged) -> None:
    assert merged_spans(spans) == merged


# -- properties ---------------------------------------------------------------------------

WORDS = [
    "Volcano",
    "troops",
    "running",
    "Gen.",
    "U.S.",
    "the",
    "Nicolás",
    "東京",
    "no.",
    "北京大学。",
]

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
    language=st.sampled_from(["en", "zh", "ru", "ar"]),
)
def test_snippet_is_a_bounded_substring_with_valid_highlights(
    paragraph: str,
    extra_terms: list[str],
    pick: list[int],
    weight_values: list[float] | None,
    max_chars: int,
    language: str,
) -> None:
    paragraph_terms = analyse(paragraph, language)
    terms = set(extra_terms)
    if paragraph_terms:
        terms |= {paragraph_terms[i % len(paragraph_terms)] for i in pick}
    weights = None
    if weight_values is not None:
        weights = dict(zip(sorted(terms), weight_values, strict=False))

    snippet = make_snippet(
        paragraph, terms, weights=weights, max_chars=max_chars, language=language
    )

    assert snippet.text in paragraph
    if len(paragraph) <= max_chars:
        assert snippet.text == paragraph
        assert not snippet.trimmed_start and not snippet.trimmed_end
    else:
        assert len(snippet.text) <= max_chars
    assert len(set(snippet.highlights)) == len(snippet.highlights)
    for (_, end), (start, _) in itertools.pairwise(snippet.highlights):
        assert end < start  # sorted, apart: bold markers never nest nor meet
    for start, end in snippet.highlights:
        assert 0 <= start < end <= len(snippet.text)
        word_terms = analyse(snippet.text[start:end], language)
        assert word_terms and word_terms[0] in terms
    if not snippet.trimmed_start and not snippet.trimmed_end:
        assert snippet.text.strip() == paragraph.strip() or not paragraph.strip()
