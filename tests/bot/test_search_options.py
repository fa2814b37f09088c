from __future__ import annotations

import pytest

from bot.search_options import BadOption, Channel, Member, SearchOptions, with_operators
from index.search.query import parse_query


def test_every_option_becomes_the_operator_the_engine_reads():
    options = SearchOptions(
        exclude="storm -ferry 2019",
        site="https://www.Example.com/news",
        member=Member(21, "alice"),
        channel=Channel(11, "news"),
        after="2025-11-01",
        before="2025-12",
        order="newest",
    )
    question = with_operators("sea wall cost", options.operators())
    assert question == (
        'sea wall cost -storm -ferry -"2019" site:example.com from:<@21> in:<#11> '
        "after:2025-11-01 before:2025-12 order:newest"
    )
    read = parse_query(question)
    assert set(read.excluded) >= {"storm", "ferry", "2019"}
    assert read.sites == ("example.com",) and read.posters == (21,) and read.channels == (11,)
    assert str(read.after) == "2025-11-01" and str(read.before) == "2025-12-01"
    assert not read.notes or all("2019" in note for note in read.notes)


def test_the_question_shown_names_the_member_and_the_channel():
    options = SearchOptions(member=Member(21, "alice"), channel=Channel(11, "news"))
    assert with_operators("who?", options.shown_operators()) == "who? from:@alice in:#news"


def test_no_options_leave_the_question_as_it_was():
    assert with_operators(" who won? ", SearchOptions().operators()) == "who won?"
    assert SearchOptions(order="relevance").operators() == []


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (SearchOptions(after="1 Nov 2025"), "after needs a date written YYYY-MM-DD"),
        (SearchOptions(before="2025-13-01"), "before needs a date written YYYY-MM-DD"),
        (SearchOptions(after="yesterday"), "after needs a date"),
        (SearchOptions(site="not a site"), "site needs a whole domain"),
        (SearchOptions(site="localhost"), "site needs a whole domain"),
    ],
)
def test_a_value_that_cannot_be_an_operator_is_refused_with_how_to_write_it(options, said):
    with pytest.raises(BadOption, match=said):
        options.operators()
