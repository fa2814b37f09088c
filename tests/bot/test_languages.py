"""Languages as moderators type them: codes, tags and English names, one or a list."""

from __future__ import annotations

import pytest

from bot.languages import (
    SUGGESTION_LIMIT,
    NotOneLanguage,
    UnknownLanguages,
    language_code,
    language_name,
    names,
    parse_language,
    parse_languages,
    suggest_language,
    suggest_languages,
)
from index.search.languages import NAMES, known


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("de", "de"),
        ("DE", "de"),
        (" zh ", "zh"),
        ("pt-BR", "pt"),
        ("zh_Hant", "zh"),
        ("German", "de"),
        ("german", "de"),
        ("  norwegian   bokmål ", "nb"),
        ("Norwegian Bokmal", "nb"),
        ("German (de)", "de"),
        ("Portuguese (Brazil)", "pt"),
    ],
)
def test_a_language_is_read_from_its_code_its_tag_or_its_english_name(typed, code):
    assert language_code(typed) == code


@pytest.mark.parametrize("typed", ["", "   ", "Klingon", "xx", "ger", "deu", "Deutsch"])
def test_what_names_no_known_language_is_not_read_as_one(typed):
    assert language_code(typed) is None


def test_every_listed_language_is_read_back_from_its_name_and_its_code():
    for code, name in NAMES.items():
        assert language_code(name) == code
        assert language_code(name.upper()) == code
        assert language_code(code) == code


def test_a_list_keeps_its_order_drops_repeats_and_reads_every_separator():
    assert parse_languages("de, French; ru") == ("de", "fr", "ru")
    assert parse_languages("German, de, fr-CA, French") == ("de", "fr")
    assert parse_languages("de fr  es") == ("de", "fr", "es")
    assert parse_languages("Norwegian Nynorsk, ,") == ("nn",)


@pytest.mark.parametrize("typed", ["", "  ", "none", "None", " NONE ", "-"])
def test_an_empty_list_or_none_clears_it(typed):
    assert parse_languages(typed) == ()


def test_a_list_names_every_item_not_understood_and_how_to_write_one():
    with pytest.raises(UnknownLanguages) as refused:
        parse_languages("Spanish, Klingon, xx, de, Elvish tongue")
    assert refused.value.unknown == ("Klingon", "xx", "Elvish tongue")
    message = str(refused.value)
    assert message.startswith("Not a language I know: “Klingon”, “xx”, “Elvish tongue”.")
    assert "de" in message and "German" in message
    assert "Spanish" not in message


def test_words_of_a_list_without_commas_are_read_only_when_each_is_a_language():
    with pytest.raises(UnknownLanguages) as refused:
        parse_languages("de Klingon")
    assert refused.value.unknown == ("de Klingon",)


def test_the_main_language_is_exactly_one():
    assert parse_language("Chinese") == "zh"
    assert parse_language("en-GB") == "en"
    for typed in ("de, fr", "de fr", "none", "", ","):
        with pytest.raises(NotOneLanguage):
            parse_language(typed)
    with pytest.raises(UnknownLanguages) as refused:
        parse_language("Klingon")
    assert refused.value.unknown == ("Klingon",)


def test_codes_are_named_in_english():
    assert language_name("de") == "German"
    assert language_name("qq") == "qq"
    assert names(("de", "zh")) == "German, Chinese"
    assert names(()) == "none"
    assert names((), empty="-") == "-"


def test_one_language_is_suggested_by_the_start_of_its_name_or_code():
    assert suggest_language("zh")[0] == ("Chinese (zh)", "zh")
    german = suggest_language("GER")
    assert ("German (de)", "de") in german
    assert all("ger" in name.lower() for name, _value in german)
    # The very code comes first, then names starting with what was typed.
    assert [value for _name, value in suggest_language("es")][:3] == ["es", "eo", "et"]
    # A later word of a name counts too, with or without its accents.
    assert ("Norwegian Bokmål (nb)", "nb") in suggest_language("bokmal")
    assert suggest_language("Klingon") == []


def test_with_nothing_typed_every_language_is_offered_by_name_within_the_limit():
    offered = suggest_language("")
    assert len(offered) == 25
    shown = [name for name, _value in offered]
    assert shown == sorted(shown)
    assert all(known(value) for _name, value in offered)


def test_a_list_is_suggested_with_its_last_item_completed():
    suggested = suggest_languages("German, fr")
    assert suggested[0] == ("German, French", "de, fr")
    # Languages listed already are not offered again; items not understood stay as typed.
    assert all("de, de" not in value for _name, value in suggest_languages("de, ger"))
    assert suggest_languages("Klingon, ru")[0] == ("Klingon, Russian", "Klingon, ru")
    # Every suggestion reads back as the list it shows.
    for name, value in suggest_languages("es, Chinese, e"):
        assert parse_languages(value) == parse_languages(name)


def test_none_is_suggested_while_it_could_be_meant():
    assert suggest_languages("")[0] == ("none (expect no other language)", "none")
    assert suggest_languages("no")[0][1] == "none"
    assert all(value != "none" for _name, value in suggest_languages("de, n"))
    assert all(value != "none" for _name, value in suggest_languages("ger"))


def test_list_suggestions_fit_discords_limits():
    typed = ", ".join(list(NAMES.values())[:12]) + ", s"
    for name, value in suggest_languages(typed):
        assert len(name) <= SUGGESTION_LIMIT and len(value) <= SUGGESTION_LIMIT
