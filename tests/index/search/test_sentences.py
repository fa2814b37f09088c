"""Sentences in every script: where quoting and re-ordering cut a paragraph."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.search.sentences import sentence_spans, split_sentences

# -- English ------------------------------------------------------------------------------


def test_sentence_spans_do_not_split_after_abbreviations() -> None:
    text = "Gen. Alvarez met Sen. Ortiz in the U.S. Capitol at 5 p.m. Monday. Mr. Lee agreed."
    assert split_sentences(text) == [
        "Gen. Alvarez met Sen. Ortiz in the U.S. Capitol at 5 p.m. Monday.",
        "Mr. Lee agreed.",
    ]


def test_sentence_spans_split_after_normal_sentence_ends() -> None:
    text = 'It rained. Did it stop? Yes! "Maybe." Then 2024 came. (Later) it ended.'
    assert split_sentences(text) == [
        "It rained.",
        "Did it stop?",
        "Yes!",
        '"Maybe."',
        "Then 2024 came.",
        "(Later) it ended.",
    ]


def test_sentence_spans_keep_closing_quotes_with_their_sentence() -> None:
    text = 'He said "Stop." They stopped.'
    assert split_sentences(text) == ['He said "Stop."', "They stopped."]


def test_sentence_spans_no_split_before_lower_case() -> None:
    text = "The price was 3.5 percent. e.g. this is one sentence."
    assert split_sentences(text) == [text]


def test_sentence_ending_in_no_is_split() -> None:
    text = "Voters said no. The measure failed."
    assert split_sentences(text) == ["Voters said no.", "The measure failed."]
    assert split_sentences("He won No. 5 easily.") == ["He won No. 5 easily."]


def test_empty_and_blank_text_has_no_sentences() -> None:
    assert sentence_spans("") == []
    assert sentence_spans("  \n ") == []
    assert split_sentences("") == []


def test_a_long_run_of_abbreviations_is_split_in_linear_time() -> None:
    text = "Mr. " * 200_000 + "Done. The end."
    started = time.perf_counter()
    spans = sentence_spans(text)
    assert time.perf_counter() - started < 3.0
    assert [text[s:e] for s, e in spans][-1] == "The end."
    assert len(spans) == 2  # no break after "Mr."


# -- scripts with capitals other than Latin -------------------------------------------------


def test_russian_sentences_split_before_a_cyrillic_capital() -> None:
    text = (
        "Москва — столица России. Город основан в 1147 году! «Это крупнейший город», "
        "сказал он. Т. е. никто не спорил? Нет."
    )
    assert split_sentences(text) == [
        "Москва — столица России.",
        "Город основан в 1147 году!",
        "«Это крупнейший город», сказал он.",
        "Т. е. никто не спорил?",
        "Нет.",
    ]


def test_greek_and_accented_latin_capitals_start_sentences() -> None:
    assert split_sentences("Η Αθήνα είναι η πρωτεύουσα. Είναι πολύ παλιά.") == [
        "Η Αθήνα είναι η πρωτεύουσα.",
        "Είναι πολύ παλιά.",
    ]
    assert split_sentences("Il pleuvait. À midi, le soleil revint.") == [
        "Il pleuvait.",
        "À midi, le soleil revint.",
    ]


def test_spanish_opening_marks_start_sentences() -> None:
    assert split_sentences("¿Qué pasó? ¡Nada! «Bien». Él dijo.") == [
        "¿Qué pasó?",
        "¡Nada!",
        "«Bien».",
        "Él dijo.",
    ]


# -- scripts without capitals ---------------------------------------------------------------


def test_arabic_sentences_split_after_their_question_mark_and_full_stop() -> None:
    text = "هل هذا صحيح؟ نعم، إنه صحيح. قال د. محمد ذلك أمس. حقا؟! نعم."
    assert split_sentences(text) == [
        "هل هذا صحيح؟",
        "نعم، إنه صحيح.",
        "قال د. محمد ذلك أمس.",  # "د." (doctor) is an initial, as "J." is
        "حقا؟!",
        "نعم.",
    ]


def test_urdu_full_stop_ends_a_sentence_with_or_without_a_space() -> None:
    assert split_sentences("یہ ایک کتاب ہے۔ وہ ایک قلم ہے۔یہ بھی۔") == [
        "یہ ایک کتاب ہے۔",
        "وہ ایک قلم ہے۔",
        "یہ بھی۔",
    ]


def test_korean_sentences_split_after_a_full_stop() -> None:
    assert split_sentences("서울은 한국의 수도이다. 부산은 항구 도시이다! 정말?") == [
        "서울은 한국의 수도이다.",
        "부산은 항구 도시이다!",
        "정말?",
    ]


def test_hebrew_sentences_split_after_a_full_stop() -> None:
    assert split_sentences("שלום עולם. זה משפט שני? כן.") == [
        "שלום עולם.",
        "זה משפט שני?",
        "כן.",
    ]


def test_devanagari_sentences_split_after_danda_and_double_danda() -> None:
    assert split_sentences("भारत एक देश है। इसकी राजधानी दिल्ली है॥ यह बड़ा है।") == [
        "भारत एक देश है।",
        "इसकी राजधानी दिल्ली है॥",
        "यह बड़ा है।",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Հայաստանը երկիր է։ Երևանը մայրաքաղաքն է։",
        "ኢትዮጵያ አገር ናት። አዲስ አበባ ዋና ከተማ ናት።",
        "မြန်မာ နိုင်ငံ ဖြစ်သည်။ ရန်ကုန် မြို့ ဖြစ်သည်။",
        "កម្ពុជា ជាប្រទេស។ ភ្នំពេញ ជារាជធានី។",
    ],
)
def test_other_scripts_full_stops_end_sentences(text: str) -> None:
    first, second = split_sentences(text)
    assert first + " " + second == text


# -- Chinese and Japanese ---------------------------------------------------------------------


def test_chinese_sentences_split_after_full_width_enders_without_spaces() -> None:
    text = "北京大学是中国的一所大学。它成立于1898年！你知道吗？！是的｡ 就是这样。"
    assert split_sentences(text) == [
        "北京大学是中国的一所大学。",
        "它成立于1898年！",
        "你知道吗？！",
        "是的｡",
        "就是这样。",
    ]


def test_a_latin_full_stop_in_chinese_text_ends_nothing() -> None:
    text = "中国的GDP增长了3.5%. 这是U.S. officials说的. 网址是example.com。"
    assert split_sentences(text) == [text]


def test_a_quotation_inside_a_sentence_stays_in_it() -> None:
    assert split_sentences("「行こう。」と彼は言った。東京は大きい。") == [
        "「行こう。」と彼は言った。",
        "東京は大きい。",
    ]
    assert split_sentences("“好。”他说。“不好。”“为什么？”") == [
        "“好。”他说。",
        "“不好。”",
        "“为什么？”",
    ]


def test_english_and_chinese_in_one_paragraph() -> None:
    text = "The talks ended. 会谈结束了。Officials left! 官员们离开了。他说OK. 然后走了。"
    assert split_sentences(text) == [
        "The talks ended.",
        "会谈结束了。",
        "Officials left!",
        "官员们离开了。",
        "他说OK. 然后走了。",
    ]


# -- every text -----------------------------------------------------------------------------

ALPHABET = [*"abXYЖжαΩ北京東京ب ع ש.!?。！？؟۔।\"'”」«»\n\t05", "U.S.", "Mr.", "3.5"]


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.lists(st.sampled_from(ALPHABET)).map("".join)))
def test_sentences_are_in_order_and_leave_out_only_whitespace(text: str) -> None:
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == split_sentences(text)
    done = 0
    for start, end in spans:
        assert done <= start < end <= len(text)
        assert not text[done:start].strip()  # only whitespace between sentences
        assert not text[end - 1].isspace()
        done = end
    assert not text[done:].strip()
