"""The analyser: text to index terms."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.search.analyzer import analyse, term_spans, unique_terms
from index.search.stopwords import ENGLISH_STOP_WORDS


def test_lower_cases() -> None:
    assert analyse("VOLCANO Volcano volcano") == ["volcano"] * 3
    assert analyse("NASA") == analyse("nasa")


def test_stop_words_dropped() -> None:
    for word in ("the", "what", "is", "of", "and"):
        assert word in ENGLISH_STOP_WORDS
    assert analyse("the troops of the army") == ["troop", "armi"]
    assert analyse("The") == []
    assert analyse("WHAT IS THE") == []


@pytest.mark.parametrize(
    ("word", "term"),
    [
        ("troops", "troop"),
        ("running", "run"),
        ("runs", "run"),
        ("elections", "elect"),
        ("Ministers", "minist"),
    ],
)
def test_stemming(word: str, term: str) -> None:
    assert analyse(word) == [term]


def test_inflections_share_a_term() -> None:
    assert analyse("troop") == analyse("troops")
    assert analyse("run") == analyse("running")


@pytest.mark.parametrize("text", ["Trump's", "Trump’s", "TRUMP'S", "Trump"])
def test_possessive_removed(text: str) -> None:
    assert analyse(text) == ["trump"]


def test_contractions_of_stop_words_are_stop_words() -> None:
    assert analyse("don't it's won’t") == []


@pytest.mark.parametrize(
    ("accented", "plain"),
    [
        ("Nicolás", "Nicolas"),
        ("Nicolás Maduro", "Nicolas Maduro"),
        ("Zoë Müller", "Zoe Muller"),
        ("São Paulo", "Sao Paulo"),
        ("CAFÉ", "cafe"),
    ],
)
def test_accents_folded(accented: str, plain: str) -> None:
    assert analyse(accented) == analyse(plain)
    assert analyse(accented)  # not dropped


@pytest.mark.parametrize("text", ["Müller", "Zürich", "Málaga", "São Paulo"])
def test_decomposed_accents_folded_like_composed(text: str) -> None:
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert analyse(decomposed) == analyse(text)


@pytest.mark.parametrize("text", ["東京", "Αθήνα", "Москва", "القاهرة", "서울"])
def test_non_latin_scripts_kept(text: str) -> None:
    terms = analyse(text)
    assert len(terms) == 1
    [(_term, start, end)] = list(term_spans(text))
    assert (start, end) == (0, len(text))


def test_greek_folded_and_lowered() -> None:
    assert analyse("ΑΘΉΝΑ") == analyse("Αθηνα") == analyse("αθήνα")


@pytest.mark.parametrize("word", ["हिन्दी", "भाषा", "दिल्ली"])
def test_devanagari_word_is_one_term(word: str) -> None:
    spans = list(term_spans(word))
    assert len(spans) == 1
    assert spans[0][1:] == (0, len(word))


def test_underscores_split() -> None:
    assert analyse("climate_change") == analyse("climate change")
    assert analyse("_volcano_") == ["volcano"]
    spans = list(term_spans("foo_bar"))
    assert [(s, e) for _t, s, e in spans] == [(0, 3), (4, 7)]


def test_term_spans_map_back_to_words() -> None:
    text = "Gen. Alvarez's troops, running north, reached Nicolás' camp — 東京!"
    spans = list(term_spans(text))
    assert [t for t, _s, _e in spans] == analyse(text)
    words = [text[s:e] for _t, s, e in spans]
    assert words == [
        "Gen",
        "Alvarez's",
        "troops",
        "running",
        "north",
        "reached",
        "Nicolás",
        "camp",
        "東京",
    ]
    for term, start, end in spans:
        assert analyse(text[start:end]) == [term]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "what is the",
        "Who? What! Where... And why?",
        "🙂🎉🔥",
        "!!! ??? ... --- ***",
        "🙂 — … “” ‘’ «»",
        "___",
        "is it? 🤔",
    ],
)
def test_questions_without_content_give_no_terms(text: str) -> None:
    assert analyse(text) == []
    assert list(term_spans(text)) == []


def test_numbers_kept() -> None:
    assert analyse("In 2024, 3 people") == ["2024", "3", "peopl"]


def test_unique_terms_keeps_first_appearance_order() -> None:
    assert unique_terms(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert unique_terms([]) == []


def test_very_long_words_dropped() -> None:
    assert analyse("a" * 65 + " volcano") == ["volcano"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_spans_are_in_order_and_within_text(text: str) -> None:
    previous_end = 0
    for term, start, end in term_spans(text):
        assert previous_end <= start < end <= len(text)
        assert term
        assert analyse(text[start:end]) == [term]
        previous_end = end


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_gives_the_terms_of_its_spans_and_only_real_terms(text: str) -> None:
    terms = analyse(text)
    assert terms == [term for term, _start, _end in term_spans(text)]
    for term in terms:
        assert term and term == term.strip() and not any(ch.isspace() for ch in term)
        assert len(term) <= 64


_no_content = st.one_of(
    st.sampled_from(sorted(ENGLISH_STOP_WORDS)).map(str.title),
    st.sampled_from(sorted(ENGLISH_STOP_WORDS)).map(str.upper),
    st.sampled_from(sorted(ENGLISH_STOP_WORDS)),
    # Emoji, symbols, punctuation and spaces, and the joiners emoji are built with.
    st.characters(categories=["So", "Sk", "Sm", "Sc", "Po", "Ps", "Pe", "Pd", "Pi", "Pf", "Zs"]),
    st.sampled_from(["\u200d", "\ufe0f", "\U0001f3fd", "\n", "?", "!"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_no_content, max_size=40).map(" ".join))
def test_questions_of_stop_words_and_emoji_only_give_no_terms(question: str) -> None:
    assert analyse(question) == []
