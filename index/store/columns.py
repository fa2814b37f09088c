"""The tables every store keeps and their columns, the same for each store.

A store may add columns of its own (SQLite keeps a checksum per row), but these are the
columns of the data itself, in this order. Copying a database from one store to another
(``copy_rows`` and ``load_rows``) moves rows of exactly these columns, with timestamps as
timezone-aware ``datetime`` values, whatever each store writes them as.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from index.models import ArticleDraft, Provenance, utc_now


@dataclass(frozen=True, slots=True)
class Columns:
    table: str
    names: tuple[str, ...]
    timestamps: frozenset[str] = frozenset()
    """Columns holding a moment in time."""

    @property
    def has_id(self) -> bool:
        """Whether rows are numbered by the store (a new row gets a new ``id``)."""
        return self.names[0] == "id"


ARTICLES = Columns(
    "articles",
    (
        "id",
        "guild_id",
        "title",
        "source_url",
        "canonical_url",
        "fingerprint",
        "note",
        "site_name",
        "author",
        "published",
        "poster_id",
        "poster_name",
        "channel_id",
        "message_id",
        "message_url",
        "posted_at",
        "created_at",
        "paragraph_count",
        "language",
    ),
    frozenset({"posted_at", "created_at"}),
)
PARAGRAPHS = Columns("paragraphs", ("id", "guild_id", "article_id", "position", "text"))
SETTINGS = Columns("guild_settings", ("guild_id", "key", "value"))
COUNTERS = Columns("guild_counters", ("guild_id", "key", "value"))
AUDIT = Columns(
    "audit_log",
    ("id", "guild_id", "user_id", "user_name", "action", "detail", "created_at"),
    frozenset({"created_at"}),
)
QUESTIONS = Columns(
    "questions",
    ("id", "guild_id", "user_id", "question", "article_id", "created_at"),
    frozenset({"created_at"}),
)
PENDING = Columns(
    "pending_ingests",
    ("id", "guild_id", "channel_id", "message_id", "content", "attempts", "accepted_at"),
    frozenset({"accepted_at"}),
)

DATA_TABLES = (ARTICLES, PARAGRAPHS, SETTINGS, COUNTERS, AUDIT, QUESTIONS, PENDING)
"""Every table of guild data, each after the tables its rows refer to."""


def article_values(
    guild_id: int,
    draft: ArticleDraft,
    provenance: Provenance,
    stamp: Callable[[datetime], object],
) -> tuple[object, ...]:
    """A new article's row in the order of ``ARTICLES.names``, without its ``id`` (each
    store numbers its own); ``stamp`` writes a moment as the store keeps it."""
    return (
        guild_id,
        draft.title,
        draft.source_url,
        draft.canonical_url,
        draft.fingerprint,
        draft.note,
        draft.site_name,
        draft.author,
        draft.published,
        provenance.poster_id,
        provenance.poster_name,
        provenance.channel_id,
        provenance.message_id,
        provenance.message_url,
        stamp(provenance.posted_at),
        stamp(utc_now()),
        len(draft.paragraphs),
        draft.language,
    )
