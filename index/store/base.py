"""The storage interface the engine depends on. Implementations keep their SQL to themselves.

Every method that reads or writes articles takes the guild first, and an implementation
must never return or touch rows of another guild. The contract suite
(``tests/index/store/test_contract.py``) holds every store to the same behaviour.

Errors are the ``StoreError`` family of ``index.errors``: ``StoreUnavailable`` when the
database cannot be reached (the store reconnects by itself), ``StoreDamaged``,
``StoreReadOnly``, ``StoreFull``, ``StoreBusy``, ``StoreMissing``; never a driver's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from index.errors import (
    StoreDamaged,
)
from index.models import (
    ArticleDraft,
    ArticleFacets,
    ArticleFilter,
    ArticleInfo,
    AuditEntry,
    GuildSummary,
    PendingIngest,
    Provenance,
    StoredParagraph,
)
from index.store.change_log import ChangeBatch
from index.store.columns import Columns


class Store(Protocol):
    @property
    def location(self) -> str:
        """Where the data is, for messages and logs (a URL without its password)."""
        ...

    async def open(self) -> None:
        """Connect, and bring the schema up to date (safe when several processes start
        at once)."""
        ...

    async def close(self) -> None: ...

    async def add_article(
        self, guild_id: int, draft: ArticleDraft, provenance: Provenance
    ) -> tuple[ArticleInfo, list[StoredParagraph]]:
        """Store an article and its paragraphs in one transaction.

        Raises ``DuplicateArticle`` if the guild already has the same canonical URL or
        fingerprint; nothing is written then.
        """
        ...

    async def find_duplicate(
        self, guild_id: int, canonical_url: str | None, fingerprint: str | None
    ) -> ArticleInfo | None: ...

    async def save_facets(self, guild_id: int, article_id: int, facets: ArticleFacets) -> bool:
        """Keep an article's facets (replacing any it had); False when the article is not
        stored (removed meanwhile). Facets are derived: an article may lack them for a
        while (stored before they existed, copied from another store, or a crash between
        the two writes) and ``articles_missing_facets`` finds it."""
        ...

    async def articles_missing_facets(self, limit: int = ...) -> list[ArticleInfo]:
        """Up to ``limit`` articles of any guild without facets, oldest first."""
        ...

    async def filter_articles(self, guild_id: int, wanted: ArticleFilter) -> set[int]:
        """The ids of the guild's articles that ``wanted`` keeps (reading no paragraph)."""
        ...

    async def facets_of(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, ArticleFacets]:
        """The facets kept for each of the articles (those that have them)."""
        ...

    async def articles_sharing(
        self, guild_id: int, band_keys: Sequence[int], limit: int = 50
    ) -> list[tuple[ArticleInfo, bytes | None]]:
        """The guild's articles holding any of ``band_keys``, newest first, each with its
        signature: the only ones worth comparing with an article of those keys."""
        ...

    async def sites(self, guild_id: int, prefix: str = "", limit: int = 25) -> list[str]:
        """The sites the guild's articles came from that start with ``prefix``."""
        ...

    async def get_article(self, guild_id: int, article_id: int) -> ArticleInfo | None: ...

    async def article_languages(self, guild_id: int) -> dict[int, str | None]:
        """Each of the guild's articles' language (``ArticleInfo.language``), by id: what
        an index needs to read their words, besides the paragraphs."""
        ...

    async def settle_article_languages(self, guild_id: int, languages: Mapping[int, str]) -> int:
        """Give each article of ``languages`` that was stored without a language (before
        languages were kept) the one given; articles that have one keep it. Their words
        now read differently, so a change that lets the guild's index go is logged with
        them (every process rebuilds it). Returns how many articles changed."""
        ...

    async def list_articles(
        self, guild_id: int, *, offset: int = 0, limit: int = 50
    ) -> list[ArticleInfo]: ...

    async def search_titles(
        self, guild_id: int, text: str, limit: int = 25
    ) -> list[ArticleInfo]: ...

    async def remove_article(
        self, guild_id: int, article_id: int
    ) -> tuple[ArticleInfo, list[StoredParagraph]] | None:
        """Delete an article; returns what was deleted, or None if there was none."""
        ...

    async def paragraphs(
        self, guild_id: int, paragraph_ids: Sequence[int]
    ) -> dict[int, StoredParagraph]: ...

    async def articles_by_id(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, ArticleInfo]: ...

    def iter_paragraphs(self, guild_id: int) -> AsyncIterator[tuple[StoredParagraph, str]]:
        """Every paragraph of the guild with its article's title, by article and position."""
        ...

    async def paragraph_signature(self, guild_id: int) -> tuple[int, int, int]:
        """(paragraphs, largest paragraph id, sum of ids) of the guild, to check snapshots."""
        ...

    async def counts(self, guild_id: int) -> tuple[int, int, datetime | None]:
        """Articles, paragraphs and the time of the last ingest."""
        ...

    async def get_setting(self, guild_id: int, key: str) -> str | None: ...

    async def set_setting(self, guild_id: int, key: str, value: str | None) -> None: ...

    async def find_by_message(self, guild_id: int, message_id: int) -> ArticleInfo | None:
        """The article shared by a given message."""
        ...

    async def add_question(
        self,
        guild_id: int,
        question_id: int,
        user_id: int | None,
        question: str,
        article_id: int | None,
    ) -> None:
        """Remember a question under an id the caller chose (unique across guilds), for
        paging its answer later."""
        ...

    async def get_question(
        self, guild_id: int, question_id: int
    ) -> tuple[int | None, str, int | None] | None:
        """(asker, question, article) of a remembered question."""
        ...

    async def guild_summaries(self) -> list[GuildSummary]:
        """Every guild that has articles, with its counts, by guild id."""
        ...

    async def purge_guild(self, guild_id: int) -> int:
        """Delete all of a guild's data; returns how many articles were deleted."""
        ...

    async def add_audit(
        self, guild_id: int, user_id: int | None, user_name: str | None, action: str, detail: str
    ) -> None: ...

    async def audit_entries(self, guild_id: int, limit: int = 50) -> list[AuditEntry]: ...

    async def get_counter(self, guild_id: int, key: str) -> int: ...

    async def increment_counter(self, guild_id: int, key: str, by: int = 1) -> None: ...

    async def article_paragraphs(self, guild_id: int, article_id: int) -> list[StoredParagraph]: ...

    async def backup(self, target: str | Path) -> None:
        """Write a consistent copy of everything to ``target``, a new file, while in use.

        Never leaves a partial copy: on any failure there is no file at ``target``. An
        existing ``target`` is refused, not replaced. A store whose database has its own
        backup tool may raise ``StoreError`` saying how to use it instead."""
        ...

    async def is_empty(self) -> bool:
        """Whether the store holds no row of any guild (a target for ``copy-store``)."""
        ...

    def copy_rows(self, columns: Columns) -> AsyncIterator[list[tuple[object, ...]]]:
        """Every row of one table (``columns`` names it), in batches, ordered by its key;
        values as ``columns`` says (timestamps as aware ``datetime``)."""
        ...

    async def load_rows(self, columns: Columns, rows: Sequence[tuple[object, ...]]) -> None:
        """Write rows read by another store's ``copy_rows`` as they are, ids included,
        in one transaction; rows added later get ids past them."""
        ...

    async def add_pending_ingest(
        self, guild_id: int, channel_id: int | None, message_id: int | None, content: str
    ) -> int:
        """Write down accepted work before it starts; returns its id."""
        ...

    async def retry_pending_ingest(self, guild_id: int, pending_id: int) -> None:
        """Count one more attempt at unfinished work (after a restart)."""
        ...

    async def remove_pending_ingest(self, guild_id: int, pending_id: int) -> None:
        """Cross out work whose result the user has been given."""
        ...

    async def pending_ingests(self, guild_ids: Sequence[int]) -> list[PendingIngest]:
        """Unfinished work of the given guilds, oldest first."""
        ...

    async def latest_change(self) -> int:
        """The number of the last change log entry committed (0 before the first): a
        reader starting now reads the entries after it (see ``index.store.change_log``)."""
        ...

    async def changes_since(self, after: int, limit: int = 500) -> ChangeBatch:
        """The change log entries numbered above ``after``, oldest first, at most
        ``limit``; ``complete`` False when some of them were pruned already."""
        ...

    async def wait_for_changes(self, timeout: float) -> None:
        """Return when new change log entries may have been committed, by this process or
        any other, or after ``timeout`` seconds (never raises; nothing is read)."""
        ...

    async def prune_changes(self, older_than: timedelta) -> int:
        """Delete change log entries written more than ``older_than`` ago; returns how
        many. Safe to call from every process at once."""
        ...

    def report_damage(self, detail: str) -> StoreDamaged:
        """Note damage a caller found in what the store returned; returns the error to
        raise, and every later call raises it too."""
        ...

    async def integrity_problems(self) -> list[str]:
        """What is wrong with the stored data; empty when it is sound. (Damage met in any
        other call raises ``StoreDamaged``, and every later call raises it again.)"""
        ...
