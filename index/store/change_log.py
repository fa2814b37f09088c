"""The change log: what happened to each guild's paragraphs, in the order it was committed.

A guild's index lives in one process (the one that owns its Discord shard), but its
articles can be written by any: the command line, another bot process, a copy between
stores. So every store writes one entry in the very transaction that adds or removes an
article, purges a guild or loads copied rows, and the process holding the guild's index
follows the entries (``index.search.change_follower``) to bring the index up to date
without rebuilding it.

Entries are numbered in commit order: an entry numbered n is never committed after one
numbered above n is visible (SQLite has one writer at a time; PostgreSQL writers take a
transaction lock just before writing their entry, which they hold until they commit).
A reader therefore only needs the last number it has read.

A removal carries the removed article's title and paragraphs: an index needs an article's
terms to take it out, and by the time the entry is read the store no longer has them.
Entries are kept for ``KEEP_CHANGES``; a reader that fell further behind is told so
(``ChangeBatch.complete``) and lets its indexes go, to be loaded again from the store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from index.models import StoredParagraph

log = logging.getLogger(__name__)

ChangeKind = Literal["added", "removed", "purged", "replaced"]
"""``added``/``removed``: one article; ``purged``: every article of the guild went;
``replaced``: the guild's paragraphs were written in bulk (a copy between stores)."""
CHANGE_KINDS: tuple[ChangeKind, ...] = ("added", "removed", "purged", "replaced")

CHANGE_CHANNEL = "newsbot_changes"
"""The PostgreSQL notification channel an entry is announced on (payload: the guild)."""
KEEP_CHANGES = timedelta(hours=24)
"""How long entries are kept: far longer than any process is away in a restart."""
READ_LIMIT = 500
"""Entries read at a time."""


@dataclass(frozen=True, slots=True)
class RemovedArticle:
    """What a removal took out of the store, enough to take it out of an index."""

    title: str
    paragraphs: tuple[StoredParagraph, ...]
    language: str | None = None
    """The article's language as stored (``ArticleInfo.language``)."""


@dataclass(frozen=True, slots=True)
class StoredChange:
    id: int
    guild_id: int
    kind: ChangeKind
    article_id: int | None
    removed: RemovedArticle | None = None


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    changes: list[StoredChange]
    pruned_through: int
    """The log was pruned up to this entry (0: never)."""
    after: int
    """The position the entries were asked for after."""

    @property
    def complete(self) -> bool:
        """False when entries after the position asked for were already pruned: whoever
        reads then missed changes, and must not trust what it built from earlier ones."""
        return self.pruned_through <= self.after


def removal_record(
    title: str, paragraphs: Sequence[StoredParagraph], language: str | None = None
) -> str:
    """The text kept with a removal entry."""
    return json.dumps(
        {
            "title": title,
            "paragraphs": [[p.id, p.position, p.text] for p in paragraphs],
            "language": language,
        },
        ensure_ascii=False,
    )


def read_removal(article_id: int, record: str) -> RemovedArticle:
    """A removal entry's record back (see ``removal_record``)."""
    data = json.loads(record)
    return RemovedArticle(
        data["title"],
        tuple(
            StoredParagraph(int(paragraph_id), article_id, int(position), text)
            for paragraph_id, position, text in data["paragraphs"]
        ),
        data.get("language"),  # absent from entries written before languages
    )


def stored_change(
    change_id: int, guild_id: int, kind: str, article_id: int | None, record: str | None
) -> StoredChange:
    """An entry as a store reads it back. One that cannot be read (a kind this version
    does not know, a damaged record) is taken as ``replaced``: the guild's index is let
    go and loaded from the store, which is right whatever the entry said."""
    try:
        if kind not in CHANGE_KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        removed = None
        if kind == "removed":
            if record is None or article_id is None:
                raise ValueError("a removal without what was removed")
            removed = read_removal(article_id, record)
        return StoredChange(change_id, guild_id, kind, article_id, removed)  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError) as error:
        log.warning(
            "change log entry %d cannot be read (%s); reloading the guild", change_id, error
        )
        return StoredChange(change_id, guild_id, "replaced", None)
