"""The analyser: text to index terms."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.search import analyzer
from index.search.analyzer import (
    SHOUTED_RUN,
    STOP_WORD_ACRONYM_LETTERS,
    analyse,
    term_spans,
    unique_terms,
)
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
        word = text[start:end]
        if word.upper() == word:
            # Alone it is an acronym; in a shouted run an ordinary word (or dropped).
            assert term in (analyse(word) + analyse(word.lower()))
        else:
            assert analyse(word) == [term]
        previous_end = end


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_gives_the_terms_of_its_spans_and_only_real_terms(text: str) -> None:
    terms = analyse(text)
    assert terms == [term for term, _start, _end in term_spans(text)]
    for term in terms:
        assert term and term == term.strip() and not any(ch.isspace() for ch in term)
        assert len(term) <= 64


_LONG_STOP_WORDS = sorted(w for w in ENGLISH_STOP_WORDS if len(w) > STOP_WORD_ACRONYM_LETTERS)

_no_content = st.one_of(
    st.sampled_from(sorted(ENGLISH_STOP_WORDS)).map(str.title),
    # Short stop words in capitals are acronyms ("US", "IT"), unless shouted (below).
    st.sampled_from(_LONG_STOP_WORDS).map(str.upper),
    st.sampled_from(sorted(ENGLISH_STOP_WORDS)),
    # Emoji, symbols, punctuation and spaces, and the joiners emoji are built with.
    st.characters(categories=["So", "Sk", "Sm", "Sc", "Po", "Ps", "Pe", "Pd", "Pi", "Pf", "Zs"]),
    st.sampled_from(["\u200d", "\ufe0f", "\U0001f3fd", "\n", "?", "!"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_no_content, max_size=40).map(" ".join))
def test_questions_of_stop_words_and_emoji_only_give_no_terms(question: str) -> None:
    assert analyse(question) == []


# -- acronyms and case ------------------------------------------------------------------


def test_the_acronym_us_is_not_the_pronoun() -> None:
    question = unique_terms(analyse("Is the US planning to kill Maduro?"))
    paragraph = analyse("The diplomats tell us that Maduro is safe.")
    assert "us" in question
    assert "us" not in paragraph
    assert analyse("us") == []


@pytest.mark.parametrize(
    ("acronym", "term"),
    [("US", "us"), ("IT", "it"), ("WHO", "who"), ("AIDS", "aids"), ("UN", "un"), ("NASA", "nasa")],
)
def test_short_capital_words_are_acronyms(acronym: str, term: str) -> None:
    assert analyse(f"The {acronym} said so") == [term, "said"]


def test_acronyms_are_not_stemmed_into_other_words() -> None:
    assert analyse("AIDS") != analyse("aids")  # the disease, not the help
    assert analyse("aids") == analyse("aid")
    assert analyse("NASA") == analyse("nasa")  # a name typed in lower case still meets it
    assert analyse("NASA's budget") == ["nasa", "budget"]


def test_long_capital_words_and_long_stop_words_are_ordinary() -> None:
    assert analyse("VOLCANOES erupted") == analyse("volcanoes erupted")
    assert analyse("Read ABOUT it") == ["read"]


@pytest.mark.parametrize(
    ("dotted", "plain"),
    [("U.S.", "US"), ("U.S", "US"), ("U.N.", "UN"), ("the U.K. and", "the UK and")],
)
def test_dotted_initials_are_the_acronym(dotted: str, plain: str) -> None:
    assert analyse(dotted) == analyse(plain)
    assert analyse(dotted)


def test_dotted_initials_highlight_as_one_span() -> None:
    text = "Troops of the U.S. arrived."
    spans = list(term_spans(text))
    assert ("us", 14, 18) in spans
    assert text[14:18] == "U.S."
    assert [t for t, _s, _e in spans] == analyse(text) == ["troop", "us", "arriv"]


def test_dotted_initials_need_capitals_each_time() -> None:
    assert analyse("e.g. volcano") == ["e", "g", "volcano"]
    assert analyse("A.Smith") == ["smith"]


def test_a_shouted_question_is_read_as_words() -> None:
    assert analyse("WHO IS THE PRESIDENT") == analyse("who is the president") == ["presid"]
    assert analyse("IS THE US PLANNING TO KILL MADURO?") == ["plan", "kill", "maduro"]


def test_a_headline_in_capitals_is_not_a_row_of_acronyms() -> None:
    headline = "TROOPS LEAVE THE BASE AS US TALKS STALL"
    assert analyse(headline) == analyse(headline.lower())


def test_shouting_is_decided_per_run_of_words() -> None:
    text = "BREAKING NEWS TODAY: the WHO says AIDS cases fell in 2024"
    assert analyse(text) == ["break", "news", "today", "who", "say", "aids", "case", "fell", "2024"]
    assert SHOUTED_RUN == 3
    assert analyse("US UK talks") == ["us", "uk", "talk"]  # two capital words: acronyms
    assert analyse("US UK EU talks") == ["uk", "eu", "talk"]  # three: read as words


def test_numbers_neither_make_nor_break_a_shouted_run() -> None:
    assert analyse("WHO 2024 IT US") == ["2024"]
    assert analyse("WHO 2024 said") == ["who", "2024", "said"]


def test_dotted_initials_stay_acronyms_in_shouted_text() -> None:
    assert "us" in analyse("U.S. TROOPS LEAVE PUERTO RICO")


def test_spans_follow_the_shouting_rule() -> None:
    text = "THE US IS HERE, the US is here"
    spans = list(term_spans(text))
    assert [t for t, _s, _e in spans] == analyse(text) == ["us"]
    assert [text[s:e] for _t, s, e in spans] == ["US"]
    assert spans[0][1] == text.rindex("US")


def test_version_raised_for_the_new_terms() -> None:
    assert analyzer.VERSION >= 2
