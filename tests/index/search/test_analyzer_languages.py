"""The analyser in languages other than English: each language's stemmer and stop words,
accents folded after stemming, elided articles, and scripts written without spaces read
as character pairs."""

from __future__ import annotations

import pytest

from index.search.analyzer import analyse, term_spans
from index.search.languages import SNOWBALL, language, normalise_code


def test_english_reads_as_it_did_without_a_language() -> None:
    text = "The officials said the U.S. boats were struck twice near Venezuela's coast."
    assert analyse(text, "en") == analyse(text)
    assert analyse(text) == [
        "offici",
        "said",
        "us",
        "boat",
        "struck",
        "twice",
        "near",
        "venezuela",
        "coast",
    ]


def test_each_language_drops_its_own_stop_words_and_stems_with_its_own_stemmer() -> None:
    assert analyse("Die Häuser und das Haus", "de") == ["haus", "haus"]
    assert analyse("Москва столица России", "ru") == ["москв", "столиц", "росс"]
    # Read as English, German words are neither stop words nor stemmed alike.
    assert analyse("Die Häuser und das Haus", "en") == ["die", "hauser", "und", "das", "haus"]


def test_accents_are_folded_after_stemming_so_questions_typed_without_them_match() -> None:
    assert analyse("los años", "es") == analyse("los anos", "es") == ["anos"]
    assert analyse("Wörter", "de") == analyse("Worter", "de")


def test_an_elided_article_is_dropped() -> None:
    assert analyse("l'homme", "fr") == analyse("l’homme", "fr") == analyse("homme", "fr")
    assert analyse("dell'anno", "it") == analyse("anno", "it")


@pytest.mark.parametrize(
    ("text", "code", "terms"),
    [
        ("北京大学", "zh", ["北京", "京大", "大学"]),
        ("서울은 한국의 수도", "ko", ["서울", "울은", "한국", "국의", "수도"]),
        ("ภาษาไทย", "th", ["ภา", "าษ", "ษา", "าไ", "ไท", "ทย"]),
        ("東京タワーの高さ", "ja", ["東京", "京タ", "タワ", "ワー", "ーの", "の高", "高さ"]),
        ("水", "zh", ["水"]),  # a lone character is its own term
    ],
)
def test_scripts_without_spaces_become_overlapping_pairs(text, code, terms) -> None:
    assert analyse(text, code) == terms


def test_pairs_are_made_in_an_article_of_any_language_with_their_characters_spans() -> None:
    assert analyse("The 北京 office opened", "en") == ["北京", "offic", "open"]
    assert analyse("北京大学", "de") == analyse("北京大学", "zh")
    assert list(term_spans("北京大学", "zh")) == [("北京", 0, 2), ("京大", 1, 3), ("大学", 2, 4)]


def test_a_language_without_a_stemmer_is_lowered_and_folded_only() -> None:
    assert "xx" not in SNOWBALL
    assert analyse("Ünïcode Wörter", "xx") == ["unicode", "worter"]
    assert language("xx").stop_words == frozenset()


def test_pystemmer_languages_have_stemmers_and_the_common_ones_stop_words() -> None:
    assert len({code for code in SNOWBALL if code not in ("nb", "nn")}) >= 30
    for code in ("de", "es", "fr", "it", "pt", "nl", "ru", "ar", "sv", "tr"):
        assert SNOWBALL[code] and language(code).stop_words, code


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en-GB", "en"), ("zh_Hant", "zh"), ("PT-br", "pt"), (" de ", "de"), ("", None), ("x1", None)],
)
def test_language_tags_are_read_as_their_primary_code(tag, code) -> None:
    assert normalise_code(tag) == code
