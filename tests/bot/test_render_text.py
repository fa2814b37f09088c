from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import wcwidth
from hypothesis import example, given
from hypothesis import strategies as st

from bot import render_text
from index.models import (
    Answer,
    ArticleInfo,
    GuildStats,
    GuildSummary,
    IngestResult,
    Passage,
    StoredParagraph,
)
from index.store.copy import CopyReport


def article(**changes) -> ArticleInfo:
    fields = dict(
        id=3,
        guild_id=1,
        title="Harbour reopens",
        source_url="https://x.org/harbour",
        canonical_url="https://x.org/harbour",
        fingerprint="f",
        note="nice",
        poster_id=None,
        poster_name="ann",
        message_url=None,
        posted_at=datetime(2025, 11, 24, tzinfo=UTC),
        paragraph_count=4,
    )
    fields.update(changes)
    return ArticleInfo(**fields)


def passage(**changes) -> Passage:
    fields = dict(
        article=article(),
        paragraph_id=9,
        position=0,
        text="The harbour reopened on Tuesday.",
        highlights=((4, 11),),
        score=3.14159,
    )
    fields.update(changes)
    return Passage(**fields)


def test_answer_quotes_with_title_link_poster_and_date():
    text = render_text.answer_text(Answer("q", (passage(),), ("harbour",)))
    assert text.splitlines() == [
        "[1] Harbour reopens",
        "    https://x.org/harbour",
        "    shared by ann on 24 Nov 2025 · article #3 · score 3.14",
        "    > The harbour reopened on Tuesday.",
    ]


def test_colour_marks_matched_words_and_trimming_shows_ellipses():
    text = render_text.answer_text(
        Answer("q", (passage(trimmed_start=True, trimmed_end=True),), ("harbour",)), color=True
    )
    assert f"> … The {render_text.BOLD}harbour{render_text.RESET} reopened on Tuesday. …" in text


def test_terminal_escape_sequences_in_article_text_are_not_printed():
    hostile = article(
        title="Harbour\x1b]0;owned\x07 reopens\u202e\nnext",
        poster_name="ann\x1b[2J",
        note="nice\x9b31m",
    )
    text = render_text.answer_text(
        Answer("q", (passage(article=hostile, text="The \x1b[5mharbour\x1b[0m."),), ("x",))
    )
    text += render_text.ingest_text(IngestResult("added", hostile))
    text += render_text.articles_text([hostile])
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
    assert "[1] Harbour]0;owned reopens next" in text
    assert "shared by ann[2J on" in text


def test_no_answer_and_no_words():
    assert render_text.answer_text(Answer("q", (), ("x",))) == render_text.NO_ANSWER
    assert "no words" in render_text.answer_text(Answer("the of", (), ()))


def test_article_without_link_or_poster():
    text = render_text.answer_text(
        Answer("q", (passage(article=article(source_url=None, poster_name=None)),), ("x",))
    )
    assert "http" not in text and "shared by someone" in text


def test_a_quote_says_the_date_it_reports_from_and_which_date_it_is():
    published = passage(article=article(published="2025-11-20T08:00:00Z"))
    text = render_text.answer_text(Answer("q", (published,), ("x",)))
    assert "    published 20 Nov 2025 · shared by ann · article #3 · score 3.14" in text
    assert render_text.reported_text(article(published="2025-11-20")) == "published 20 Nov 2025"
    assert render_text.reported_text(article(published="soon")) == "shared 24 Nov 2025"


def test_other_articles_holding_the_paragraph_are_named_once_with_how_many_more():
    others = tuple(
        article(id=10 + n, title=f"Copy {n}", source_url=None if n == 1 else f"https://c{n}.org")
        for n in range(5)
    )
    text = render_text.answer_text(Answer("q", (passage(also_in=others),), ("x",)))
    assert text.splitlines()[-1] == (
        "    also in: #10 Copy 0 https://c0.org, #11 Copy 1, #12 Copy 2 https://c2.org, and 2 more"
    )


def test_a_newer_article_on_the_story_is_named_as_of_the_quotes_date():
    newer = article(id=14, title="Harbour fully reopened", published="2025-12-03T09:00:00Z")
    text = render_text.answer_text(Answer("q", (passage(newer=newer),), ("x",)))
    assert text.splitlines()[-1] == (
        "    as of 24 Nov 2025; newer: #14 Harbour fully reopened (published 3 Dec 2025) "
        "https://x.org/harbour"
    )


def test_the_order_and_notes_come_before_the_passages_and_with_no_answer():
    note = "after:soon was read as words: write dates like after:2025-11-01"
    answer = Answer("q", (passage(),), ("x",), notes=(note,), newest_first=True)
    lines = render_text.answer_text(answer).splitlines()
    assert lines[:3] == [render_text.NEWEST_FIRST, f"Note: {note}.", ""]
    assert lines[3].startswith("[1] Harbour reopens")
    nothing = Answer("q", (), ("x",), notes=("no article here matches those filters",))
    assert render_text.answer_text(nothing).splitlines() == [
        render_text.NO_ANSWER,
        "Note: no article here matches those filters.",
    ]


def test_a_similar_article_is_reported_as_already_indexed_by_its_number():
    text = render_text.ingest_text(IngestResult("similar", article(title="Harbour\nreopens")))
    assert text == "Looks like article #3 (“Harbour reopens”), already indexed."


def test_operator_help_has_one_aligned_line_per_operator():
    from index.search.query import OPERATOR_HELP

    lines = render_text.operators_help_lines()
    assert len(lines) == len(OPERATOR_HELP)
    starts = {line.index(meaning) for line, (_, meaning) in zip(lines, OPERATOR_HELP, strict=True)}
    assert len(starts) == 1  # the meanings line up in one column


def test_ingest_stats_and_lists():
    added = render_text.ingest_text(IngestResult("added", article()))
    assert added.startswith("Added article #3: Harbour reopens (4 paragraphs)")
    assert "note from the poster: nice" in added
    assert render_text.ingest_text(IngestResult("duplicate", article())).startswith(
        "Already indexed as article #3"
    )
    assert render_text.articles_text([]) == "No articles are indexed yet."
    assert "#3" in render_text.articles_text([article()])
    stats = render_text.stats_text(GuildStats(1, 4, 2000, None, 2, 13_002_342))
    assert "articles: 1" in stats and "last ingest: never" in stats
    assert "index: in memory, 12.4 MiB, 2,000 distinct terms" in stats.splitlines()


def test_stats_say_plainly_when_the_index_is_not_in_memory():
    stats = render_text.stats_text(GuildStats(1, 4, None, None, 2))
    assert "index: not in memory (loaded on the next question)" in stats.splitlines()
    assert "terms" not in stats and "None" not in stats


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1.0 KiB"),
        (839_680, "820.0 KiB"),
        (13_002_342, "12.4 MiB"),
        (1024**3 * 3 // 2, "1.5 GiB"),
        (1024**4 * 2, "2048.0 GiB"),
    ],
)
def test_byte_sizes_read_as_people_write_them(count, shown):
    assert render_text.byte_size(count) == shown


def test_messages_shared_with_the_command_line_read_as_one_sentence():
    assert render_text.refused_text("a.png", "a.png is not a file the bot can read") == (
        "a.png: not indexed: a.png is not a file the bot can read."
    )
    assert render_text.unreadable_text("x.txt", "No such file or directory") == (
        "x.txt: cannot read it: No such file or directory."
    )
    assert render_text.database_error_text("the database is locked.") == (
        "Database error: the database is locked."
    )
    assert render_text.not_found_text(7) == "There is no article #7 in this server."
    hostile = article(title="Harbour\x1b[2J reopens")
    assert render_text.removed_text(hostile) == "Removed article #3: Harbour[2J reopens"


# -- lists and whole articles: plain links, no Discord markup -------------------------


def paragraphs(count: int, text: str = "The harbour reopened on Tuesday.") -> list:
    return [StoredParagraph(id=n, article_id=3, position=n, text=text) for n in range(count)]


def test_guilds_are_a_table_with_their_counts_and_last_ingest():
    assert render_text.guilds_text([]) == "No guild has any articles yet."
    summaries = [
        GuildSummary(0, 1, 27, datetime(2025, 11, 24, 9, 30, tzinfo=UTC)),
        GuildSummary(1234567890123456789, 2, 40, None),
    ]
    assert render_text.guilds_text(summaries).splitlines() == [
        "guild                 articles  paragraphs  last ingest",
        "0                            1          27  2025-11-24 09:30 UTC",
        "1234567890123456789          2          40  never",
    ]


def test_a_copy_reports_its_rows_its_guilds_and_that_it_was_checked():
    assert render_text.copy_progress_text("paragraphs", 27) == "  paragraphs: 27 rows copied"
    assert render_text.copy_progress_text("articles", 1) == "  articles: 1 row copied"
    guild = GuildSummary(5, 1, 27, datetime(2025, 11, 24, 9, 30, tzinfo=UTC))
    report = CopyReport("data/newsbot.sqlite3", "postgresql://bot:***@db/news", (guild,), ())
    assert render_text.copy_report_text(report).splitlines() == [
        "Copied data/newsbot.sqlite3 to postgresql://bot:***@db/news:",
        "guild                 articles  paragraphs  last ingest",
        "5                            1          27  2025-11-24 09:30 UTC",
        "Verified: every table of the copy holds the rows of data/newsbot.sqlite3, and the "
        "guild has the same articles and paragraphs in both.",
    ]
    two = CopyReport("a.sqlite3", "b.sqlite3", (guild, GuildSummary(6, 2, 2, None)), ())
    assert render_text.copy_report_text(two).endswith(
        "and each of the 2 guilds has the same articles and paragraphs in both."
    )
    none = CopyReport("a.sqlite3", "b.sqlite3", (), ())
    assert render_text.copy_report_text(none).splitlines()[1:] == [
        "No guild has any articles yet.",
        "Verified: every table of the copy holds the rows of a.sqlite3.",
    ]


def test_article_list_puts_a_bare_link_under_the_title():
    listing = render_text.articles_text([article(), article(id=12, source_url=None)])
    assert listing.splitlines() == [
        "#3    Harbour reopens · 4 paragraphs · English · shared by ann on 2025-11-24",
        "      https://x.org/harbour",
        "#12   Harbour reopens · 4 paragraphs · English · shared by ann on 2025-11-24",
    ]
    assert "<" not in listing and ">" not in listing


def test_a_shown_article_has_its_note_and_numbered_paragraphs():
    shown = render_text.article_text(article(), paragraphs(10, "Boats \x1b[5mreturned\x1b[0m."))
    lines = shown.splitlines()
    assert lines[:4] == [
        "#3    Harbour reopens · 4 paragraphs · English · shared by ann on 2025-11-24",
        "      https://x.org/harbour",
        "      note from the poster: nice",
        "",
    ]
    assert lines[4] == "   1. Boats [5mreturned[0m."
    assert lines[-1] == "  10. Boats [5mreturned[0m."
    assert "<" not in shown and "\x1b" not in shown


# -- fitting text to the terminal ------------------------------------------------------

QUOTE = (
    "Also Monday, Gen. Dan Caine, the military brains behind Southern Spear, visited "
    "Puerto Rico, where as many as 10,000 troops, sailors and pilots are stationed."
)


def quoted_answer(*, color: bool) -> str:
    words = [(QUOTE.index(w), QUOTE.index(w) + len(w)) for w in ("Puerto", "Rico", "troops")]
    found = passage(text=QUOTE, highlights=tuple(words))
    return render_text.answer_text(Answer("q", (found,), ("troops",)), color=color)


@pytest.mark.parametrize("width", [30, 41, 60, 80])
def test_highlighted_words_wrap_at_the_same_columns_as_plain_text(width):
    plain = render_text.fit_to_width(quoted_answer(color=False), width)
    colored = render_text.fit_to_width(quoted_answer(color=True), width)
    assert render_text.BOLD in colored
    assert wcwidth.strip_sequences(colored) == plain
    assert len(plain.splitlines()) > len(quoted_answer(color=False).splitlines())
    assert all(render_text.visible_width(line) <= width for line in colored.splitlines())


def test_wrapped_lines_continue_under_their_text():
    fitted = render_text.fit_to_width(quoted_answer(color=False), 50).splitlines()
    quote_start = next(n for n, line in enumerate(fitted) if line.startswith("    > "))
    assert fitted[quote_start].startswith("    > Also Monday")
    assert all(line.startswith("      ") for line in fitted[quote_start + 1 :])
    listing = render_text.articles_text([article(title="A very long title " * 5)])
    assert all(
        line.startswith("      ") for line in render_text.fit_to_width(listing, 40).splitlines()[1:]
    )
    shown = render_text.article_text(article(), paragraphs(12, QUOTE))
    fitted = render_text.fit_to_width(shown, 40).splitlines()
    first = fitted.index(next(line for line in fitted if line.startswith("   1. Also")))
    assert fitted[first + 1].startswith("      ") and fitted[first + 1][6] != " "


def test_bold_carries_over_a_break_and_stops_at_the_line_end():
    line = f"    > The {render_text.BOLD}harbour reopened{render_text.RESET} on Tuesday"
    first, second, *_ = render_text.fit_to_width(line, 20).splitlines()
    assert first.endswith(render_text.RESET) and render_text.BOLD in second


def test_wide_characters_take_two_columns():
    text = "    > " + "港口 重新 开放 " * 8
    fitted = render_text.fit_to_width(text, 24).splitlines()
    assert len(fitted) > 1
    assert all(render_text.visible_width(line) <= 24 for line in fitted)
    assert max(len(line) for line in fitted) < 24  # counted in characters it would be too short


def test_links_are_never_broken_and_no_width_means_no_wrapping():
    link = "https://www.axios.com/2025/11/24/trump-maduro-talks-meeting-venezuela-boat-strikes"
    fitted = render_text.fit_to_width(f"    {link}", 30)
    assert fitted == f"    {link}"
    assert render_text.fit_to_width(QUOTE, None) == QUOTE


MARKER = re.compile(r"^ *(> |\[\d+\] |\d+\. |#\d+ +)?")
BREAKABLE_SPACE = re.compile(r"[ \t\n\r\x0b\x0c]+")
"""Where a line may break: not at a no-break space, which ``str.split`` splits at too."""


@given(
    text=st.text(
        st.characters(blacklist_categories=["Cs", "Cc"], whitelist_characters="\n\t"),
        max_size=300,
    ),
    width=st.integers(0, 150),
)
@example(text="000000000000000000\xa0⺀", width=1)  # a no-break space joins two words
def test_fitting_never_raises_keeps_every_word_and_only_long_words_overflow(text, width):
    fitted = render_text.fit_to_width(text, width)
    assert fitted.split() == text.split()
    for line in fitted.splitlines():
        too_wide = render_text.visible_width(line) > max(width, render_text.NARROWEST)
        after_marker = MARKER.sub("", wcwidth.strip_sequences(line), count=1)
        words_after_marker = [word for word in BREAKABLE_SPACE.split(after_marker) if word]
        assert not too_wide or width == 0 or len(words_after_marker) == 1, line


@pytest.mark.parametrize(
    ("environ", "is_terminal", "wanted"),
    [
        ({"TERM": "xterm-256color"}, True, True),
        ({}, True, True),
        ({"TERM": "xterm-256color"}, False, False),
        ({"TERM": "xterm-256color", "NO_COLOR": "1"}, True, False),
        ({"TERM": "xterm-256color", "NO_COLOR": "yes please"}, True, False),
        ({"TERM": "xterm-256color", "NO_COLOR": ""}, True, True),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_only_where_it_is_wanted(environ, is_terminal, wanted):
    assert render_text.color_wanted(environ, is_terminal) is wanted
