"""Search operators read out of a question, and the check of a quoted phrase.

People type what search engines taught them: ``"exact phrase"``, ``-word``,
``site:example.com``, and Discord adds ``from:@member`` and ``in:#channel``; dates bound
when the articles report from. Reading them must never make a question fail: whatever
does not read as an operator stays words, and where a person clearly meant an operator
(``after:yesterday``, ``site:`` with nothing after it, a quote never closed) a note says
in plain words what was done and how to write it.

Decisions a reader would otherwise have to guess:

- A word's ``-`` only excludes at the start of a word and before a letter: "well-known",
  "COVID-19", "e-mail" and "-5 degrees" are words; a lone ``-`` is punctuation.
- ``-"a phrase"`` leaves out paragraphs holding any of its words (the index excludes
  words, not sequences), and a note says so.
- Dates are periods: ``2025-11-01``, ``2025-11`` or ``2025``. ``after:`` keeps articles
  from the start of its period on; ``before:`` keeps those before the start of its
  period, so ``before:2025-11-30`` leaves the 30th out, as "before" does in speech.
  Both naming the same period (``after:2025-11 before:2025-11``) means within it.
  Several ``after:`` (``before:``) keep the latest (earliest); a range that is empty
  (after not before before) is dropped with a note, rather than answering nothing.
- Values of one kind are alternatives (two ``site:`` search both sites), as the store
  reads them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import regex

from index.guild_config import normalise_domain
from index.search.analyzer import analyse

OPERATOR_HELP: tuple[tuple[str, str], ...] = (
    ('"exact phrase"', "only paragraphs with these words, in this order"),
    ("-word", "leave out paragraphs with this word"),
    ("site:example.com", "only articles from this site (its subdomains too)"),
    ("from:@member", "only articles this member shared"),
    ("in:#channel", "only articles shared in this channel"),
    ("after:2025-11-01", "only articles reporting from this day on (or 2025-11, or 2025)"),
    ("before:2025-11-30", "only articles reporting from before this day (or 2025-11, or 2025)"),
    ("order:newest", "newest articles first, instead of the most relevant"),
)

QUOTES = '"“”„'
"""Marks that open or close a phrase: straight and curly double quotes."""

_OPERATOR = re.compile(r"(site|from|in|after|before|order):(.*)", re.IGNORECASE | re.DOTALL)
_ORDERS = {"newest": True, "relevance": False}
"""``order:`` values: whether the answer is ordered newest first."""
_TRAILING = ".,;:!?)]}'’" + QUOTES
"""Left off an operator's value: "after:2025-11-01?" ends a question, not a date."""
_MEMBER = re.compile(r"<@!?(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_DOMAIN = regex.compile(r"[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+")
_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['’][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*")
_POSSESSIVE = re.compile(r"['’]s$")
_APOSTROPHE = re.compile(r"['’]")
_EXAMPLE = {
    "site": "site:example.com",
    "from": "from:@alex",
    "in": "in:#news",
    "after": "after:2025-11-01",
    "before": "before:2025-11-30",
    "order": "order:newest",
}


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    words: str
    """The text left for ranking: the question without its operators, phrases' words in."""
    phrases: tuple[tuple[str, ...], ...] = ()
    """Each quoted phrase as its normalised words (see ``phrase_words``)."""
    excluded: tuple[str, ...] = ()
    """Words whose paragraphs are left out, as written."""
    sites: tuple[str, ...] = ()
    posters: tuple[int | str, ...] = ()
    """A member's id from a mention (``<@123>``), else the name written."""
    channels: tuple[int | str, ...] = ()
    """A channel's id from a mention (``<#456>``), else the name written."""
    after: date | None = None
    """Articles reporting from this day on."""
    before: date | None = None
    """Articles reporting from before this day."""
    notes: tuple[str, ...] = ()
    """What was read otherwise than it may look, in plain words."""
    newest_first: bool = False
    """``order:newest``: the answer ordered by date, newest first."""


def phrase_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as phrases compare them: lower case, accents folded,
    possessive 's and apostrophes dropped, punctuation between words ignored."""
    return tuple(filter(None, (_normalised(word) for word in _WORD.findall(text))))


def _normalised(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _APOSTROPHE.sub("", _POSSESSIVE.sub("", unicodedata.normalize("NFC", folded)))


def contains_phrase(text: str, phrase: Sequence[str]) -> bool:
    """Whether ``phrase`` (normalised words, as ``ParsedQuery.phrases`` holds them) is in
    ``text`` word for word, in order and side by side. "White House's" holds
    ``("white", "house")``; "the house, white" does not."""
    wanted = " ".join(phrase)
    if not wanted:
        return True
    return f" {wanted} " in f" {' '.join(phrase_words(text))} "


@dataclass(frozen=True, slots=True)
class _Period:
    start: date
    end: date
    """The first day after it."""
    written: str


class _Reader:
    """One question's operators, gathered token by token."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.phrases: list[tuple[str, ...]] = []
        self.excluded: list[str] = []
        self.sites: list[str] = []
        self.posters: list[int | str] = []
        self.channels: list[int | str] = []
        self.afters: list[_Period] = []
        self.befores: list[_Period] = []
        self.notes: list[str] = []
        self.newest_first = False

    def as_words(self, token: str, note: str | None = None) -> None:
        self.words.append(token)
        if note is not None:
            self.notes.append(note)

    def phrase(self, inner: str, negated: bool, written: str) -> None:
        words = phrase_words(inner)
        if not words:
            return
        if negated:
            self.excluded += [word for word in words if analyse(word)]
            shown = ", ".join(words)
            self.notes.append(f"-{written} left out every paragraph with any of its words: {shown}")
            return
        self.phrases.append(words)
        self.words.append(inner)

    def exclusion(self, token: str) -> None:
        word = token[1:].rstrip(_TRAILING)
        if _OPERATOR.fullmatch(word):
            self.as_words(
                token[1:], f"{token} was read as words: a - before an operator is not supported"
            )
        elif not analyse(word):
            self.notes.append(f"{token} was not used: it is too common a word to leave out")
        else:
            self.excluded.append(word)

    def operator(self, token: str, name: str, value: str) -> None:
        name = name.lower()
        value = value.rstrip(_TRAILING)
        if not value:
            self.as_words(
                token,
                f"{token} was read as words: write what it stands for right after the colon, "
                f"like {_EXAMPLE[name]}",
            )
        elif name == "site":
            self.site(token, value)
        elif name == "from":
            self.poster(token, value)
        elif name == "in":
            self.channel(token, value)
        elif name == "order":
            if value.lower() in _ORDERS:
                self.newest_first = _ORDERS[value.lower()]
            else:
                self.as_words(
                    token, f"{token} was read as words: write order:newest or order:relevance"
                )
        else:
            self.day(token, name, value)

    def site(self, token: str, value: str) -> None:
        domain = normalise_domain(value) if value else ""
        if not _DOMAIN.fullmatch(domain):
            self.as_words(
                token, f"{token} was read as words: write a whole domain, like {_EXAMPLE['site']}"
            )
        elif domain not in self.sites:
            self.sites.append(domain)

    def poster(self, token: str, value: str) -> None:
        mention = _MEMBER.fullmatch(value)
        name = value.removeprefix("@").strip()
        if mention is None and (not name or value.startswith("<")):
            self.as_words(
                token, f"{token} was read as words: name a member, like {_EXAMPLE['from']}"
            )
            return
        poster: int | str = int(mention.group(1)) if mention else name
        if poster not in self.posters:
            self.posters.append(poster)

    def channel(self, token: str, value: str) -> None:
        mention = _CHANNEL.fullmatch(value)
        name = value.removeprefix("#").strip()
        if mention is None and (not name or value.startswith("<")):
            self.as_words(
                token, f"{token} was read as words: name a channel, like {_EXAMPLE['in']}"
            )
            return
        channel: int | str = int(mention.group(1)) if mention else name
        if channel not in self.channels:
            self.channels.append(channel)

    def day(self, token: str, name: str, value: str) -> None:
        period = _period(value, token)
        if period is None:
            self.as_words(token, f"{token} was read as words: write dates like {_EXAMPLE[name]}")
        else:
            (self.afters if name == "after" else self.befores).append(period)

    def dates(self) -> tuple[date | None, date | None]:
        """The latest ``after:`` and earliest ``before:``; see the module's docstring."""
        first = max(self.afters, key=lambda p: p.start, default=None)
        last = min(self.befores, key=lambda p: p.start, default=None)
        after = first.start if first else None
        before = last.start if last else None
        if first and last and (first.start, first.end) == (last.start, last.end):
            before = last.end  # both name one period: within it
        if after is not None and before is not None and after >= before:
            self.notes.append(
                f"{first.written} and {last.written} leave no day between them, "
                "so neither date was used"
            )
            return None, None
        return after, before


def _period(value: str, written: str) -> _Period | None:
    """``2025-11-01``, ``2025-11`` or ``2025`` as a period of days; None if not a date."""
    found = _DATE.fullmatch(value)
    if found is None:
        return None
    year, month, day = (int(part) if part else None for part in found.groups())
    try:
        if day is not None:
            start = date(year, month, day)
            end = date.fromordinal(start.toordinal() + 1)
        elif month is not None:
            start = date(year, month, 1)
            end = date(year + month // 12, month % 12 + 1, 1)
        else:
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
    except (ValueError, OverflowError):
        return None
    return _Period(start, end, written)


def parse_query(text: str) -> ParsedQuery:
    """The operators of a question and the words left for ranking. Never raises: what
    is not a well-formed operator is read as words (``ParsedQuery.notes`` says where
    that may surprise)."""
    reader = _Reader()
    at, end = 0, len(text)
    while at < end:
        if text[at].isspace():
            at += 1
            continue
        negated = text[at] == "-" and at + 1 < end and text[at + 1] in QUOTES
        opening = at + 1 if negated else at
        if text[opening] in QUOTES:
            closing = _next_quote(text, opening + 1)
            if closing < 0:
                rest = text[opening + 1 :].split()
                shown = text[opening] + " ".join(rest[:4]) + ("…" if len(rest) > 4 else "")
                reader.notes.append(f"{shown} has no closing quote mark, so it was read as words")
                at = opening + 1
                continue
            reader.phrase(text[opening + 1 : closing], negated, text[opening : closing + 1])
            at = closing + 1
            continue
        stop = at
        while stop < end and not text[stop].isspace():
            stop += 1
        operator = _OPERATOR.fullmatch(text, at, stop)
        if operator and text[operator.start(2) : operator.start(2) + 1] in tuple(QUOTES):
            # from:"Alex Smith", in:"news room": a quoted value may hold spaces.
            closing = _next_quote(text, operator.start(2) + 1)
            if closing >= 0:
                inner = text[operator.start(2) + 1 : closing].strip()
                reader.operator(text[at : closing + 1], operator.group(1), inner)
                at = closing + 1
                continue
        token = text[at:stop]
        at = stop
        if operator:
            reader.operator(token, operator.group(1), operator.group(2))
        elif len(token) > 1 and token[0] == "-" and token[1].isalpha():
            reader.exclusion(token)
        else:
            reader.as_words(token)
    after, before = reader.dates()
    return ParsedQuery(
        words=" ".join(reader.words),
        phrases=tuple(dict.fromkeys(reader.phrases)),
        excluded=tuple(dict.fromkeys(reader.excluded)),
        sites=tuple(reader.sites),
        posters=tuple(reader.posters),
        channels=tuple(reader.channels),
        after=after,
        before=before,
        notes=tuple(dict.fromkeys(reader.notes)),
        newest_first=reader.newest_first,
    )


def _next_quote(text: str, start: int) -> int:
    """Where the next quote mark at or after ``start`` is; -1 if none."""
    found = [at for at in (text.find(quote, start) for quote in QUOTES) if at >= 0]
    return min(found, default=-1)
