"""Tests for index.ingest.dates: publication dates from metadata and from paste lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from index.ingest.dates import DATE_LINE_LINES, date_line, parse_published, without_date_lines


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- parse_published -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-03", utc(2024, 5, 3)),
        ("  2024-05-03\n", utc(2024, 5, 3)),
        ("20240503", utc(2024, 5, 3)),
        ("2024-03-05T10:00:00Z", utc(2024, 3, 5, 10)),
        ("2024-03-05T10:00:00+02:00", utc(2024, 3, 5, 8)),
        ("2024-03-05T23:30:00-05:00", utc(2024, 3, 6, 4, 30)),
        ("2024-03-05 10:00", utc(2024, 3, 5, 10)),
        ("Tue, 05 Mar 2024 10:00:00 GMT", utc(2024, 3, 5, 10)),
    ],
)
def test_metadata_dates_become_aware_utc_datetimes(value, expected):
    parsed = parse_published(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "yesterday-ish",
        "2024",
        "2024-05",
        "2024-13-45",
        "0001-01-01",
        "1899-12-31",
        "not a date 2024-05-03 at all",
    ],
)
def test_what_is_no_plausible_date_gives_none(value):
    assert parse_published(value) is None


def test_a_date_more_than_a_day_ahead_is_nonsense_but_today_is_not():
    now = datetime.now(UTC)
    assert parse_published((now + timedelta(days=3)).isoformat()) is None
    assert parse_published((now + timedelta(hours=1)).isoformat()) is not None
    assert parse_published("1900-01-01") == utc(1900, 1, 1)


# -- date lines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Published 3 December 2025", utc(2025, 12, 3)),
        ("Dec. 3, 2025", utc(2025, 12, 3)),
        ("December 3, 2025 10:32 AM ET", utc(2025, 12, 3, 15, 32)),
        ("June 3, 2025 10:32 AM ET", utc(2025, 6, 3, 14, 32)),  # summer time
        ("Updated: 2025-12-03", utc(2025, 12, 3)),
        ("Posted on Thursday, December 4, 2025 at 9:15 a.m. EST", utc(2025, 12, 4, 14, 15)),
        ("Last updated 4 Dec 2025, 09:15 GMT", utc(2025, 12, 4, 9, 15)),
        ("  3rd December 2025  ", utc(2025, 12, 3)),
        ("Published: 2025-12-03T10:32:00+02:00", utc(2025, 12, 3, 8, 32)),
        ("13/12/2025", utc(2025, 12, 13)),  # the day first: 13 is no month
        ("12/13/2025", utc(2025, 12, 13)),  # the month first: 13 is no month
        ("2025/12/03", utc(2025, 12, 3)),  # the year first: ISO order
        ("3/3/2025", utc(2025, 3, 3)),  # either order gives the same day
    ],
)
def test_a_line_that_is_a_date_gives_it(line, expected):
    assert date_line([line]) == expected


@pytest.mark.parametrize(
    "line",
    [
        "The vote was held on December 3, 2025, after a long debate.",
        "Council closes the old bridge",
        "By Jane Doe",
        "2025",
        "May 2025",
        "Tuesday",
        "12 dead in Tuesday floods",
        "10 things to know about the vote",
        "3/12/2025",  # March 12 or 3 December: not read
        "03.12.2025",
        "Published 3/12/2025",
        "Dec 3, 3026",  # far ahead
        "",
    ],
)
def test_a_line_that_is_not_only_a_readable_date_gives_none(line):
    assert date_line([line]) is None


def test_only_the_first_lines_are_looked_at():
    lines = ["Title", "By Jane Doe", "First paragraph.", "Second.", "December 3, 2025"]
    assert DATE_LINE_LINES == 4
    assert date_line(lines) is None
    assert date_line(lines[:3] + lines[4:]) == utc(2025, 12, 3)


def test_a_published_date_comes_before_an_updated_one():
    lines = ["Title", "Updated: December 4, 2025", "Published: December 3, 2025"]
    assert date_line(lines) == utc(2025, 12, 3)
    assert date_line(["Title", "Updated: December 4, 2025"]) == utc(2025, 12, 4)
    assert date_line(["Dec. 2, 2025", "Dec. 3, 2025"]) == utc(2025, 12, 2)


def test_date_lines_are_taken_out_even_when_their_date_cannot_be_read():
    lines = [
        "Title",
        "3/12/2025",
        "Updated: December 4, 2025 10:32 AM ET",
        "A first paragraph that mentions December 3, 2025 in a sentence.",
        "December 5, 2025",  # past the first lines: a paragraph
    ]
    kept, published = without_date_lines(lines)
    assert kept == [lines[0], lines[3], lines[4]]
    assert published == utc(2025, 12, 4, 15, 32)
    assert without_date_lines(["Title", "Body."]) == (["Title", "Body."], None)
    assert without_date_lines([]) == ([], None)
