"""Every error a caller of the engine may handle, in one place.

``IngestRefused`` and ``ArticleNotFound`` carry words fit for the member who caused them.
The ``StoreError`` family carries plain words for an operator (paths, database names);
callers that face members word those themselves, by kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.models import ArticleInfo


class IngestRefused(Exception):
    """An input that will not become an article. ``reason`` is short and fit for a user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IngestBusy(Exception):
    """The guild already has as much ingest work admitted as it may have."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"{waiting} articles are already being indexed in this server")
        self.waiting = waiting


class ArticleNotFound(LookupError):
    """No article with that id exists in this guild."""

    def __init__(self, guild_id: int, article_id: int) -> None:
        super().__init__(f"no article #{article_id} in this server")
        self.guild_id = guild_id
        self.article_id = article_id


class StoreError(Exception):
    """The store could not do what was asked. The message is plain words for an operator."""


class StoreDamaged(StoreError):
    """The database file is damaged. The store reads and writes nothing more from it: a
    damaged file must be restored from a backup, not used or changed further."""


class StoreReadOnly(StoreError):
    """The database file or its folder cannot be written: reading still works."""


class StoreFull(StoreError):
    """The disk is full; the change was not saved."""


class StoreBusy(StoreError):
    """Another process held the database for too long; trying again may work."""


class StoreUnavailable(StoreError):
    """The database server cannot be reached (restarted, network cut). Nothing was lost
    that had been accepted; the store reconnects by itself, so trying again shortly works."""


class StoreMissing(StoreError):
    """There is no database at the path, and the caller did not ask to create one."""


class DuplicateArticle(Exception):
    """The guild already holds this article (same canonical URL or same text)."""

    def __init__(self, existing: ArticleInfo) -> None:
        super().__init__(f"already stored as article #{existing.id}")
        self.existing = existing
