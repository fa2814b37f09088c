"""Publication dates: from a page's metadata, or from a date line at the top of a paste.

When an article was published is not when it was shared: answers say which date a quote
reports from, and order by it. Pages give the date in their metadata (trafilatura returns
``2024-05-03``; feeds and other sources give full ISO 8601 times with an offset). A pasted
article often keeps the date line that stood under its title ("Published 3 December 2026",
"Dec. 3, 2026 10:32 AM ET", "Updated: 2026-12-03").

Dates are read by ``python-dateutil`` and kept as aware UTC datetimes. A time without a
zone is taken as UTC, a date without a time as its midnight UTC. What cannot be a
publication date is dropped: a year before 1900, a moment more than a day ahead.

A numeric date whose first two numbers could both be the month ("3/12/2026", "03.12.2026")
is March 12 in the United States and 3 December nearly everywhere else. Nothing in a paste
says which, so such a line gives no date; it is still recognised as a date line, and is
not indexed as a paragraph. When one of the two numbers is above 12 ("13/12/2026",
"12/13/2026") or the year comes first ("2026/12/03"), the date is read.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from dateutil import parser, tz

__all__ = [
    "DATE_LINE_LINES",
    "MAX_DATE_LINE_CHARS",
    "date_line",
    "parse_published",
    "without_date_lines",
]

DATE_LINE_LINES = 4
"""How many lines at the top of a paste may hold its date (the title, a byline, the date)."""
MAX_DATE_LINE_CHARS = 80
EARLIEST_YEAR = 1900
FUTURE_SLACK = timedelta(days=1)

# Labels before a date, and their separators: "Published:", "Last updated on", "Posted -".
_LABEL = re.compile(
    r"^(?:(?:first\s+|originally\s+)?(?P<published>published|posted|date[d]?)"
    r"|(?:last\s+)?(?P<updated>updated|modified|revised))"
    r"(?:\s+(?:on|at))?\s*[:\-–—|]?\s*",
    re.IGNORECASE,
)
# A full ISO 8601 date, which ``isoparse`` reads (it would also take "2024" alone).
_ISO_DATE = re.compile(r"^\d{4}-?\d{2}-?\d{2}(?:$|[T ])")
_AMBIGUOUS_NUMERIC = re.compile(r"^\s*(\d{1,2})\s*([./-])\s*(\d{1,2})\s*\2\s*\d{2,4}\b")
_TRIM = " \t·•|,;:-–—()[]"


def _zones() -> dict[str, tzinfo]:
    """Zone abbreviations seen in news datelines that dateutil does not know by itself."""
    named = {
        "ET": "America/New_York",
        "CT": "America/Chicago",
        "MT": "America/Denver",
        "PT": "America/Los_Angeles",
        "BST": "Europe/London",
        "CET": "Europe/Paris",
        "CEST": "Europe/Paris",
        "EET": "Europe/Athens",
        "EEST": "Europe/Athens",
        "AEST": "Australia/Sydney",
        "AEDT": "Australia/Sydney",
    }
    fixed = {"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}
    zones: dict[str, tzinfo] = {}
    for name, zone_name in named.items():
        zone = tz.gettz(zone_name)
        if zone is not None:
            zones[name] = zone
    for name, hours in fixed.items():
        zones[name] = tz.tzoffset(name, hours * 3600)
    return zones


_ZONES = _zones()
# Two defaults that differ in every field: a field that takes the default's value in one
# parse and not in the other was missing from the text.
_DEFAULTS = (datetime(1904, 1, 1), datetime(1908, 2, 2))


def parse_published(value: str | None) -> datetime | None:
    """The publication moment in a metadata date (``2024-05-03``,
    ``2024-05-03T10:00:00+02:00``...) as an aware UTC datetime, or None when there is no
    plausible date in it."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    moment = None
    if _ISO_DATE.match(text):
        try:
            moment = parser.isoparse(text)
        except (ValueError, OverflowError):
            moment = None
    return _plausible(moment or _parse_complete(text))


def date_line(lines: Sequence[str]) -> datetime | None:
    """The publication date given by a line near the top of a pasted article (among its
    first ``DATE_LINE_LINES``) that is only a date, with perhaps a label such as
    "Published" before it. A published date comes before an "Updated" one."""
    return _found_date([_read_line(line) for line in lines[:DATE_LINE_LINES]])


def without_date_lines(lines: Sequence[str]) -> tuple[list[str], datetime | None]:
    """``lines`` without the date lines among their first ``DATE_LINE_LINES``, and the
    publication date they give (see ``date_line``)."""
    readings = [_read_line(line) for line in lines[:DATE_LINE_LINES]]
    kept = [line for line, reading in zip(lines, readings, strict=False) if reading is None]
    return [*kept, *lines[DATE_LINE_LINES:]], _found_date(readings)


@dataclass(frozen=True, slots=True)
class _DateLine:
    moment: datetime | None
    """None when the date cannot be read for sure (an ambiguous numeric date)."""
    updated: bool


def _found_date(readings: Sequence[_DateLine | None]) -> datetime | None:
    dated = [r for r in readings if r is not None and r.moment is not None]
    published = [r for r in dated if not r.updated]
    chosen = (published or dated or [None])[0]
    return chosen.moment if chosen is not None else None


def _read_line(line: str) -> _DateLine | None:
    """What a line says when it is only a date (with perhaps a label), else None."""
    text = line.strip().strip(_TRIM)
    if not text or len(text) > MAX_DATE_LINE_CHARS or not any(c.isdigit() for c in text):
        return None
    label = _LABEL.match(text)
    updated = bool(label and label.group("updated"))
    if label:
        text = text[label.end() :].strip(_TRIM)
    numeric = _AMBIGUOUS_NUMERIC.match(text)
    if numeric:
        first, second = int(numeric.group(1)), int(numeric.group(3))
        if 1 <= first <= 12 and 1 <= second <= 12 and first != second:
            # Only a date, but which one is unknown.
            return _DateLine(None, updated) if _parse_complete(text) else None
        day_first = first > 12
        moment = _parse_complete(text, dayfirst=day_first)
    else:
        moment = _parse_complete(text)
    if moment is None:
        return None
    return _DateLine(_plausible(moment), updated)


def _parse_complete(text: str, *, dayfirst: bool = False) -> datetime | None:
    """``text`` read as a date with its year, month and day, all of it (no other words)."""
    readings = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unknown zone name is read as no zone
        for default in _DEFAULTS:
            try:
                readings.append(
                    parser.parse(text, default=default, dayfirst=dayfirst, tzinfos=_ZONES)
                )
            except (ValueError, OverflowError, parser.ParserError):
                return None
    first, second = readings
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None
    return first


def _plausible(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if moment.year < EARLIEST_YEAR or moment > datetime.now(UTC) + FUTURE_SLACK:
        return None
    return moment
