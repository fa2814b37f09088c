"""The search options of ``/ask``, written as the operators a question may hold.

Each option becomes operator text appended to the question (``-word``, ``site:``,
``from:<@id>``, ``in:<#id>``, ``after:``, ``before:``, ``order:newest``), so the question
the engine reads, and remembers for the More button, carries its options: a page of the
answer is searched exactly as the first. Values are checked with the engine's own reading
of operators (``index.search.query``), so an option accepts what a typed operator does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from index.search.query import QUOTES, parse_query

NEWEST = "newest"
"""The ``order`` option's value (and the operator's) for newest first."""


class BadOption(ValueError):
    """An option's value cannot be an operator; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class SearchOptions:
    exclude: str | None = None
    """Words, separated by spaces: paragraphs holding any of them are left out."""
    site: str | None = None
    member: Member | None = None
    channel: Channel | None = None
    after: str | None = None
    before: str | None = None
    order: str | None = None

    def operators(self) -> list[str]:
        """The options as operators, for the engine: members and channels by id.
        Raises ``BadOption`` for a value that cannot be one."""
        return self._operators(
            self.member and f"<@{self.member.id}>", self.channel and f"<#{self.channel.id}>"
        )

    def shown_operators(self) -> list[str]:
        """The options as the asker reads them: members and channels by name."""
        return self._operators(
            self.member and f"@{self.member.name}", self.channel and f"#{self.channel.name}"
        )

    def _operators(self, member: str | None, channel: str | None) -> list[str]:
        written = [*_exclusions(self.exclude or "")]
        if self.site is not None:
            written.append(f"site:{_site(self.site)}")
        if member:
            written.append(f"from:{member}")
        if channel:
            written.append(f"in:{channel}")
        for name, value in (("after", self.after), ("before", self.before)):
            if value is not None:
                written.append(f"{name}:{_day(name, value)}")
        if self.order == NEWEST:
            written.append(f"order:{NEWEST}")
        return written


def with_operators(question: str, operators: Iterable[str]) -> str:
    """``question`` followed by ``operators``."""
    return " ".join([question.strip(), *operators]).strip()


def _exclusions(text: str) -> list[str]:
    """``-word`` for each word; a word that does not start with a letter (``-2019``
    reads as a number) is quoted, ``-"2019"``, which leaves it out just the same."""
    for quote in QUOTES:
        text = text.replace(quote, " ")
    written = []
    for word in text.split():
        word = word.lstrip("-")
        if word:
            written.append(f"-{word}" if word[0].isalpha() else f'-"{word}"')
    return written


def _site(value: str) -> str:
    sites = parse_query(f"site:{value.strip()}").sites if value.strip() else ()
    if len(value.split()) != 1 or not sites:
        raise BadOption("site needs a whole domain, such as example.com.")
    return sites[0]


def _day(name: str, value: str) -> str:
    value = value.strip()
    query = parse_query(f"{name}:{value}") if value and len(value.split()) == 1 else None
    if query is None or getattr(query, name) is None:
        raise BadOption(
            f"{name} needs a date written YYYY-MM-DD, such as 2025-11-01 "
            "(or a month, 2025-11, or a year, 2025)."
        )
    return value
