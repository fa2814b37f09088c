"""Search operators read out of questions, malformed ones read as words with a note, and
the phrase check."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.search.query import (
    OPERATOR_HELP,
    ParsedQuery,
    contains_phrase,
    parse_query,
    phrase_words,
)


def test_every_operator_in_one_question():
    query = parse_query(
        'who won the "White House" race -election site:https://www.BBC.co.uk/news '
        "from:<@!123> from:@alex in:<#456> in:#world after:2025-11-01 before:2025-11-30?"
    )
    assert query == ParsedQuery(
        words="who won the White House race",
        phrases=(("white", "house"),),
        excluded=("election",),
        sites=("bbc.co.uk",),
        posters=(123, "alex"),
        channels=(456, "world"),
        after=date(2025, 11, 1),
        before=date(2025, 11, 30),
        notes=(),
    )


def test_operator_names_are_case_insensitive_and_mentions_give_ids():
    query = parse_query("Site:Example.COM FROM:<@42> In:<#7> AFTER:2024 Before:2025-03 tax")
    assert query.sites == ("example.com",)
    assert query.posters == (42,) and query.channels == (7,)
    assert (query.after, query.before) == (date(2024, 1, 1), date(2025, 3, 1))
    assert query.words == "tax" and query.notes == ()


def test_curly_quotes_and_quoted_names():
    query = parse_query('“climate deal” from:"Alex Smith" in:"news room" signed')
    assert query.phrases == (("climate", "deal"),)
    assert query.posters == ("Alex Smith",) and query.channels == ("news room",)
    assert query.words == "climate deal signed"


@pytest.mark.parametrize(
    "text",
    [
        "well-known COVID-19 e-mail",
        "it was -5 degrees",
        "Paris - the capital",
        "Note: the plan",
        "at 10:30 on https://example.com/a",
        "5'11\" tall",
    ],
)
def test_text_that_only_looks_like_operators_is_words_without_a_note(text: str):
    query = parse_query(text)
    assert query.words == text
    assert (query.excluded, query.sites, query.posters, query.channels) == ((), (), (), ())
    assert query.phrases == () and query.notes == ()
    assert query.after is None and query.before is None


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("after:yesterday", "after:yesterday was read as words: write dates like after:2025-11-01"),
        ("before:2025-02-30", "before:2025-02-30 was read as words: write dates like before:"),
        ("site:", "site: was read as words: write what it stands for right after the colon"),
        ("site:bbc", "site:bbc was read as words: write a whole domain, like site:example.com"),
        ("from:", "from: was read as words"),
        ("from:@", "from:@ was read as words: name a member, like from:@alex"),
        ("from:<@&99>", "from:<@&99> was read as words: name a member"),
        ("in:#", "in:# was read as words: name a channel, like in:#news"),
        ("-site:example.com", "-site:example.com was read as words: a - before an operator"),
    ],
)
def test_a_malformed_operator_is_read_as_words_with_a_note(text: str, note: str):
    query = parse_query(f"{text} volcano")
    assert query.words.endswith("volcano")
    assert len(query.notes) == 1 and query.notes[0].startswith(note)
    assert (query.sites, query.posters, query.channels, query.excluded) == ((), (), (), ())
    assert query.after is None and query.before is None


def test_an_unclosed_quote_is_read_as_words():
    query = parse_query('the "white house press')
    assert query.phrases == ()
    assert query.words == "the white house press"
    assert query.notes == ('"white house press has no closing quote mark, so it was read as words',)


def test_an_excluded_phrase_leaves_out_each_of_its_words_and_says_so():
    query = parse_query('tax -"White House" -the')
    assert query.words == "tax" and query.phrases == ()
    assert query.excluded == ("white", "house")
    assert query.notes == (
        '-"White House" left out every paragraph with any of its words: white, house',
        "-the was not used: it is too common a word to leave out",
    )


def test_an_operator_value_loses_the_question_mark_that_ends_the_question():
    query = parse_query("what changed site:example.com? after:2025-11-01.")
    assert query.sites == ("example.com",) and query.after == date(2025, 11, 1)


def test_dates_are_periods():
    month = parse_query("after:2025-11 before:2025-11")  # both the same month: within it
    assert (month.after, month.before) == (date(2025, 11, 1), date(2025, 12, 1))
    year = parse_query("after:2024 before:2025")
    assert (year.after, year.before) == (date(2024, 1, 1), date(2025, 1, 1))
    december = parse_query("after:2025-12 before:2025-12")
    assert december.before == date(2026, 1, 1)
    several = parse_query("after:2024 after:2025-06-01 before:2026 before:2025-12-24")
    assert (several.after, several.before) == (date(2025, 6, 1), date(2025, 12, 24))


def test_a_range_without_a_day_is_dropped_with_a_note():
    query = parse_query("after:2025-11-30 before:2025-11-01 flood")
    assert query.after is None and query.before is None
    assert query.words == "flood"
    assert query.notes == (
        "after:2025-11-30 and before:2025-11-01 leave no day between them, "
        "so neither date was used",
    )


def test_repeats_are_kept_once():
    query = parse_query('site:a.com site:A.com -x -x "b c" "B C"')
    assert query.sites == ("a.com",) and query.excluded == ("x",)
    assert query.phrases == (("b", "c"),)


@pytest.mark.parametrize(
    ("text", "phrase", "found"),
    [
        ("The White House's lawn", "white house", True),
        ("the WHITE-house", "white house", True),
        ("Nicolás Maduro spoke", "nicolas maduro", True),
        ("Nicolas Maduro spoke", "Nicolás Maduro", True),
        ("the house, white", "white house", False),
        ("white, the house", "white house", False),
        ("a whitehouse", "white house", False),
        ("they don’t agree", "don't agree", True),
        ("anything", "", True),
    ],
)
def test_contains_phrase(text: str, phrase: str, found: bool):
    assert contains_phrase(text, phrase_words(phrase)) is found


def test_operator_help_lists_every_operator():
    syntax = " ".join(line for line, _meaning in OPERATOR_HELP)
    for operator in ('"', "-", "site:", "from:", "in:", "after:", "before:"):
        assert operator in syntax
    assert all(meaning for _syntax, meaning in OPERATOR_HELP)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                ['"', "“", "”", "-", "site:", "from:", "in:", "after:", "before:", "<@", "<#", ">"]
            ),
        ),
        max_size=12,
    ).map(" ".join)
)
def test_any_text_parses_and_accepted_values_are_well_formed(text: str):
    query = parse_query(text)
    assert all("." in site and site == site.lower() for site in query.sites)
    assert all(poster != "" for poster in query.posters)
    assert all(channel != "" for channel in query.channels)
    assert all(phrase for phrase in query.phrases)
    if query.after is not None and query.before is not None:
        assert query.after < query.before


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=10),
    st.data(),
)
def test_a_paragraphs_own_words_are_a_phrase_it_contains(parts: list[str], data: st.DataObject):
    text = " ".join(parts)
    words = phrase_words(text)
    start = data.draw(st.integers(0, len(words)))
    stop = data.draw(st.integers(start, len(words)))
    assert contains_phrase(text, words[start:stop])
    assert contains_phrase(text.upper(), words[start:stop]) or not text.isascii()
