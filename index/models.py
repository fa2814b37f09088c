"""Plain data passed between the engine and its callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

LEGACY_LANGUAGE = "en"
"""The language of articles stored before each article's language was kept: English,
the only language the analyser read then."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """An article as parsed from its source, before it is stored."""

    title: str
    paragraphs: tuple[str, ...]
    fingerprint: str
    source_url: str | None = None
    canonical_url: str | None = None
    note: str | None = None
    site_name: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    """The language it is written in (ISO 639-1), when its page declares it; the engine
    settles it (detected, or the guild's main language) before storing the article."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who shared an article, where and when."""

    poster_id: int | None = None
    poster_name: str | None = None
    channel_id: int | None = None
    message_id: int | None = None
    message_url: str | None = None
    posted_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """A stored article, without its paragraphs."""

    id: int
    guild_id: int
    title: str
    source_url: str | None
    canonical_url: str | None
    fingerprint: str
    note: str | None
    poster_id: int | None
    poster_name: str | None
    message_url: str | None
    posted_at: datetime
    paragraph_count: int
    site_name: str | None = None
    author: str | None = None
    published: str | None = None
    """The publication date as an ISO 8601 string, when the source gave one."""
    language: str | None = None
    """The language its words were indexed in (ISO 639-1); None for an article stored
    before languages were told apart, indexed as English (``analysis_language``)."""

    @property
    def analysis_language(self) -> str:
        """The language the index reads the article's words in."""
        return self.language or LEGACY_LANGUAGE

    @property
    def published_at(self) -> datetime | None:
        """The publication date, when known and readable (as a UTC moment)."""
        if not self.published:
            return None
        try:
            moment = datetime.fromisoformat(self.published.strip())
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    @property
    def reported_at(self) -> datetime:
        """The date the article reports from: published when known, else when shared."""
        return self.published_at or self.posted_at


@dataclass(frozen=True, slots=True)
class ArticleFacets:
    """What questions filter and compare an article by, derived from the article itself
    (and so filled in again whenever it is missing)."""

    site: str | None
    """The host it came from, lower-case and without "www."; None for a paste."""
    reported_at: datetime
    signature: bytes | None = None
    """Its MinHash signature (``index.search.near_duplicates``), None when it has no words."""
    band_keys: tuple[int, ...] = ()
    """The signature's LSH band keys: articles sharing one are compared."""


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles a question searches. Values of one kind are alternatives (any
    site listed); kinds combine (that site and that member)."""

    sites: tuple[str, ...] = ()
    """Hosts; each matches itself and its subdomains."""
    poster_ids: tuple[int, ...] = ()
    poster_names: tuple[str, ...] = ()
    """Display names of who shared it, matched without regard to case."""
    channel_ids: tuple[int, ...] = ()
    after: datetime | None = None
    """Articles reporting from this moment on."""
    before: datetime | None = None
    """Articles reporting from before this moment."""

    @property
    def empty(self) -> bool:
        return not (
            self.sites
            or self.poster_ids
            or self.poster_names
            or self.channel_ids
            or self.after
            or self.before
        )


@dataclass(frozen=True, slots=True)
class StoredParagraph:
    id: int
    article_id: int
    position: int
    text: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    status: Literal["added", "duplicate", "similar"]
    """``similar``: not added, as ``article`` (already indexed) has nearly the same words."""
    article: ArticleInfo

    @property
    def added(self) -> bool:
        return self.status == "added"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that came with a message."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What became of one source (a link, a file, the message text) of a message."""

    source: str
    result: IngestResult | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, slots=True)
class Passage:
    """One quoted paragraph (or the part of it around the matched words)."""

    article: ArticleInfo
    paragraph_id: int
    position: int
    text: str
    """Exact substring of the stored paragraph: quote it word for word."""
    highlights: tuple[tuple[int, int], ...]
    """Character spans in ``text`` of words that matched the question."""
    score: float
    trimmed_start: bool = False
    trimmed_end: bool = False
    also_in: tuple[ArticleInfo, ...] = ()
    """Other articles holding the same paragraph, or nearly (not quoted again)."""
    newer: ArticleInfo | None = None
    """A newer article of the guild on the same story, when there is one."""


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    passages: tuple[Passage, ...]
    terms: tuple[str, ...]
    """The analysed question terms, after stop words and stemming."""
    article_id: int | None = None
    notes: tuple[str, ...] = ()
    """What the question's search operators did that the asker should know, in words."""
    newest_first: bool = False
    """Passages ordered by their articles' dates, newest first, instead of by relevance."""

    @property
    def found(self) -> bool:
        return bool(self.passages)


@dataclass(frozen=True, slots=True)
class GuildStats:
    articles: int
    paragraphs: int
    vocabulary: int | None
    """Distinct terms in the index; None when the index is not in memory."""
    last_ingest: datetime | None
    questions_answered: int
    index_bytes: int | None = None
    """The index's estimated size in memory; None when it is not in memory (statistics
    never load it: it is loaded by the guild's next question)."""

    @property
    def index_in_memory(self) -> bool:
        return self.index_bytes is not None


@dataclass(frozen=True, slots=True)
class GuildSummary:
    """A guild that has data in the store, for operators."""

    guild_id: int
    articles: int
    paragraphs: int
    last_ingest: datetime | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    user_id: int | None
    user_name: str | None
    action: str
    detail: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PendingIngest:
    """Something a user shared that the bot accepted and has not finished ingesting.

    It is written down before the work starts and crossed out when the user has been
    told the result, so work cut short by a crash is found again after the restart.
    """

    id: int
    guild_id: int
    channel_id: int | None
    message_id: int | None
    content: str
    """What to ingest when there is no message to read again (a link given to /ingest)."""
    attempts: int
    """How many times the work was started, this time included."""
    accepted_at: datetime
