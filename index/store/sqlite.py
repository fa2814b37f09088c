"""The SQLite store: one file, WAL journal, schema migrations on open. All SQL lives here.

A damaged file is never served. It is checked before it is used (``sqlite_check``), every
row read is compared with its checksum, and every error SQLite raises is sorted into a
plain ``StoreError`` (``sqlite_faults``). Once damage is met, by a check or by any read
or write, the store refuses everything after it with the same message: nothing more is
read from the file as if it were sound, nor written to it.

A file (or folder) that cannot be written is opened read-only: questions are answered
from it, and changes are refused with a plain reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

import aiosqlite

from index.errors import DuplicateArticle, StoreDamaged, StoreError, StoreReadOnly
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
    utc_now,
)
from index.new_files import give_name
from index.store import sqlite_faults as faults
from index.store.change_log import (
    READ_LIMIT,
    ChangeBatch,
    ChangeKind,
    removal_record,
    stored_change,
)
from index.store.checksums import row_checksum
from index.store.columns import Columns, article_values
from index.store.damage import DamageFound, ParagraphOrder, check_whole
from index.store.facets import FACETS_BATCH, filter_query
from index.store.sqlite_check import (
    ROWS_CHECKED_AT_OPEN,
    ForeignDatabase,
    check_header,
    inspect,
    integrity_problems,
    one_picture,
    schema_version,
)
from index.store.sqlite_schema import (
    ARTICLES,
    AUDIT,
    CHANGES,
    CHANGES_PRUNED,
    COUNTERS,
    PARAGRAPHS,
    PENDING,
    QUESTIONS,
    SCHEMA_VERSION,
    SETTINGS,
    Table,
    migrate,
)

log = logging.getLogger(__name__)

_FETCH_BATCH = 5000
_BUSY_TIMEOUT_MS = 5000
_FAULTS = (StoreError, DamageFound, sqlite3.Error, UnicodeError, OverflowError, OSError)
"""What using the database may raise for reasons outside the program: each becomes a
``StoreError`` with a plain message."""

# Positions of the columns the store reads or changes on their own.
_GUILD, _PARAGRAPH_COUNT, _CREATED = (
    ARTICLES.columns.index(name) for name in ("guild_id", "paragraph_count", "created_at")
)
_ATTEMPTS = PENDING.columns.index("attempts")
_PARAGRAPH_GUILD = PARAGRAPHS.columns.index("guild_id")
_LOWER_FUNCTION = "newsbot_lower"
"""The SQL name of ``_lower``, registered on the connections that read."""
CHANGE_POLL_SECONDS = 0.25
"""How often the change log is read: other processes' changes give no other sign."""
_DATA = (ARTICLES, PARAGRAPHS, SETTINGS, COUNTERS, AUDIT, QUESTIONS, PENDING)
"""The tables of guild data (``columns.DATA_TABLES``), as this store keeps them."""

P = ParamSpec("P")
R = TypeVar("R")
Row = tuple[Any, ...]
"""A row's values as SQLite returns them, in its table's column order."""


def _guarded(
    method: Callable[Concatenate[SQLiteStore, P], Awaitable[R]],
) -> Callable[Concatenate[SQLiteStore, P], Awaitable[R]]:
    """Refuse to work on a damaged file, and turn whatever the database raises into a
    ``StoreError`` (noting damage, so that nothing later is served from the file)."""

    @functools.wraps(method)
    async def guarded(self: SQLiteStore, *args: P.args, **kwargs: P.kwargs) -> R:
        self._refuse_if_damaged()
        try:
            return await method(self, *args, **kwargs)
        except _FAULTS as error:
            self._raise_as_store_error(error)

    return guarded


class SQLiteStore:
    """``Store`` over one SQLite file."""

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False) -> None:
        self.path = str(path)
        self.create = create
        """Whether ``open`` may create a missing database (commands that only read may not)."""
        self.read_only = read_only
        """Open without writing; also set by ``open`` when the file or folder is read-only."""
        # Writes go through one connection inside explicit transactions; reads use another,
        # so that they only ever see committed articles (WAL lets both run at once).
        self._db: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._damage: StoreDamaged | None = None

    # -- lifecycle --------------------------------------------------------------------

    async def open(self) -> None:
        try:
            await asyncio.to_thread(self._prepare_file)
            if not self.read_only:
                self._db = await self._connect(self.path)
                await self._db.execute("PRAGMA foreign_keys = ON")
                await self._db.execute("PRAGMA journal_mode = WAL")
                # FULL: an article reported as stored survives a power cut, not only a crash.
                await self._db.execute("PRAGMA synchronous = FULL")
            self._reader = await self._connect_reader()
        except BaseException as error:
            await self.close()
            if isinstance(error, _FAULTS):
                self._raise_as_store_error(error)
            raise
        if self.read_only:
            log.warning(
                "the database %s (or its folder) is read-only: questions are answered, "
                "changes are refused",
                self.path,
            )

    async def close(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            with contextlib.suppress(sqlite3.Error):
                await reader.close()
        if self._db is not None:
            db, self._db = self._db, None
            with contextlib.suppress(sqlite3.Error):
                await db.close()

    @property
    def location(self) -> str:
        """The database file, for messages and logs."""
        return self.path

    @property
    def damaged(self) -> bool:
        """Whether damage was found: the store then refuses every read and write."""
        return self._damage is not None

    def report_damage(self, detail: str) -> StoreDamaged:
        """Note damage the caller found in what the store returned (``detail`` says what,
        in plain words); returns the error to raise. Nothing is used after it."""
        failure = faults.damaged(self.path, detail)
        self._damage = self._damage or failure
        return failure

    def _prepare_file(self) -> None:
        """Create a missing database, or check an existing one and bring its schema up to
        date. Runs in a worker thread: the check reads the whole file."""
        path = Path(self.path)
        if path.is_dir():
            raise faults.cannot_open(self.path, "it is a folder")
        if not path.exists() or (path.stat().st_size == 0 and not self.create):
            if not self.create or self.read_only:
                raise faults.missing(self.path)
            self._create_file(path)
            return
        if not os.access(path, os.R_OK):
            raise faults.cannot_open(self.path, "permission denied")
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            self.read_only = True
        if path.stat().st_size:
            check_header(path)
        size = path.stat().st_size + _size_of(Path(f"{path}-wal"))
        with closing(self._check_connection()) as connection:
            try:
                version = inspect(connection, rows=size <= ROWS_CHECKED_AT_OPEN)
            except ForeignDatabase as foreign:
                raise StoreError(f"the file {self.path} cannot be used: {foreign}") from None
        if version < SCHEMA_VERSION:
            if self.read_only:
                raise StoreError(
                    f"the database {self.path} must be upgraded to this version's schema, "
                    "but it (or its folder) is read-only"
                )
            self._upgrade(version)

    def _create_file(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise faults.cannot_open(self.path, "a file is in the way of its folder") from None
        except OSError as error:
            raise faults.os_error(error, f"the folder {path.parent}") from error
        if not os.access(path.parent, os.W_OK):
            raise StoreReadOnly(f"cannot create the database {self.path}: its folder is read-only")
        self._upgrade(0)

    def _upgrade(self, version: int) -> None:
        with closing(sqlite3.connect(self.path, isolation_level=None)) as connection:
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            migrate(connection, version)
            if schema_version(connection) != SCHEMA_VERSION:  # raises on a wrong shape
                raise DamageFound("its schema could not be upgraded")

    def _check_connection(self) -> sqlite3.Connection:
        """A connection that cannot write, for the checks before the file is served."""
        connection = sqlite3.connect(self._read_only_uri(), uri=True, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        return connection

    def _read_only_uri(self) -> str:
        path = Path(self.path).resolve()
        uri = f"{path.as_uri()}?mode=ro"
        # SQLite needs a -shm file beside a WAL database to read it. When the folder is
        # read-only and there is no -wal (all changes are in the file), ``immutable``
        # reads the file without one; with a -wal, its -shm must be there too.
        if not os.access(path.parent, os.W_OK) and not Path(f"{path}-wal").exists():
            uri += "&immutable=1"
        return uri

    async def _connect(self, target: str, **options: object) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(target, isolation_level=None, **options)
        try:
            await connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _connect_reader(self) -> aiosqlite.Connection:
        if self.read_only:
            reader = await self._connect(self._read_only_uri(), uri=True)
        else:
            reader = await self._connect(self.path)
        await reader.execute("PRAGMA query_only = ON")
        await reader.create_function(_LOWER_FUNCTION, 1, _lower, deterministic=True)
        return reader

    def _refuse_if_damaged(self) -> None:
        if self._damage is not None:
            raise StoreDamaged(str(self._damage))

    def _raise_as_store_error(self, error: BaseException) -> NoReturn:
        """Raise what ``_failure`` makes of ``error``, chained to it unless it is itself."""
        failure = self._failure(error)
        if failure is error:
            raise error
        raise failure from error

    def _failure(self, error: BaseException) -> StoreError:
        """``error`` as a ``StoreError``; damage is remembered, so nothing is used after it."""
        if isinstance(error, UnicodeEncodeError):  # a lone surrogate, refused before SQLite
            return StoreError(
                "a text holds a character the database cannot store; nothing was saved"
            )
        failure = faults.store_error(error, self.path)
        if isinstance(failure, StoreDamaged) and self._damage is None:
            self._damage = failure
        return failure

    @property
    def _conn(self) -> aiosqlite.Connection:
        """The connection for reads of committed data."""
        if self._reader is None:
            raise StoreError("the store is not open")
        return self._reader

    @property
    def _writer(self) -> aiosqlite.Connection:
        if self._db is None:
            if self.read_only and self._reader is not None:
                raise faults.read_only(self.path)
            raise StoreError("the store is not open")
        return self._db

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        db = self._writer
        async with self._write_lock:
            self._refuse_if_damaged()
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                await db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await db.execute("ROLLBACK")
                raise

    async def _scalar(
        self, sql: str, params: Sequence[object] = (), db: aiosqlite.Connection | None = None
    ) -> int:
        async with (db or self._conn).execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row[0] if row and row[0] is not None else 0

    async def _select(
        self,
        table: Table,
        where: str,
        params: Sequence[object] = (),
        db: aiosqlite.Connection | None = None,
    ) -> list[Row]:
        """Whole rows of ``table``, each checked against its checksum."""
        sql = f"SELECT {table.select} FROM {table.name} {where}"
        async with (db or self._conn).execute(sql, params) as cursor:
            return [_verified(table, row) for row in await cursor.fetchall()]

    @staticmethod
    async def _next_id(db: aiosqlite.Connection, table: Table) -> int:
        """The id a new row of ``table`` gets: never one used before, as AUTOINCREMENT
        would give, but known before the row is written (its checksum covers it)."""
        sql = (
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
            f"coalesce((SELECT max(id) FROM {table.name}), 0)) + 1"
        )
        async with db.execute(sql, (table.name,)) as cursor:
            (next_id,) = await cursor.fetchone()
        return next_id

    # -- articles ---------------------------------------------------------------------

    @_guarded
    async def add_article(
        self, guild_id: int, draft: ArticleDraft, provenance: Provenance
    ) -> tuple[ArticleInfo, list[StoredParagraph]]:
        async with self._transaction() as db:
            existing = await self._duplicate(db, guild_id, draft.canonical_url, draft.fingerprint)
            if existing is not None:
                raise DuplicateArticle(existing)
            article_id = await self._next_id(db, ARTICLES)
            first_paragraph = await self._next_id(db, PARAGRAPHS)
            values = (article_id, *article_values(guild_id, draft, provenance, _timestamp))
            paragraphs = [
                StoredParagraph(first_paragraph + position, article_id, position, text)
                for position, text in enumerate(draft.paragraphs)
            ]
            await db.execute(ARTICLES.insert, ARTICLES.row(values))
            # One statement for all rows: a long article is written in milliseconds, not
            # one awaited round trip per paragraph while the write lock is held.
            await db.executemany(
                PARAGRAPHS.insert,
                [
                    PARAGRAPHS.row((p.id, guild_id, article_id, p.position, p.text))
                    for p in paragraphs
                ],
            )
            await self._log_change(db, guild_id, "added", article_id)
        return _article(values), paragraphs

    @_guarded
    async def find_duplicate(
        self, guild_id: int, canonical_url: str | None, fingerprint: str | None
    ) -> ArticleInfo | None:
        return await self._duplicate(self._conn, guild_id, canonical_url, fingerprint)

    async def _duplicate(
        self,
        db: aiosqlite.Connection,
        guild_id: int,
        canonical_url: str | None,
        fingerprint: str | None,
    ) -> ArticleInfo | None:
        rows = await self._articles(
            "WHERE guild_id = ? AND (fingerprint = ? OR canonical_url = ?) ORDER BY id LIMIT 1",
            (guild_id, fingerprint, canonical_url),
            db=db,
        )
        return rows[0] if rows else None

    @_guarded
    async def get_article(self, guild_id: int, article_id: int) -> ArticleInfo | None:
        rows = await self._articles("WHERE guild_id = ? AND id = ?", (guild_id, article_id))
        return rows[0] if rows else None

    @_guarded
    async def list_articles(
        self, guild_id: int, *, offset: int = 0, limit: int = 50
    ) -> list[ArticleInfo]:
        return await self._articles(
            "WHERE guild_id = ? ORDER BY id DESC LIMIT ? OFFSET ?", (guild_id, limit, offset)
        )

    @_guarded
    async def search_titles(self, guild_id: int, text: str, limit: int = 25) -> list[ArticleInfo]:
        # SQLite's LIKE ignores the case of ASCII letters only: "über" must find "Über".
        return await self._articles(
            f"WHERE guild_id = ? AND instr({_LOWER_FUNCTION}(title), ?) > 0 "
            "ORDER BY id DESC LIMIT ?",
            (guild_id, text.lower(), limit),
        )

    @_guarded
    async def articles_by_id(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, ArticleInfo]:
        ids = sorted(set(article_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._articles(f"WHERE guild_id = ? AND id IN ({marks})", (guild_id, *ids))
        return {row.id: row for row in rows}

    async def _articles(
        self, where: str, params: Sequence[object], db: aiosqlite.Connection | None = None
    ) -> list[ArticleInfo]:
        return [_article(values) for values in await self._select(ARTICLES, where, params, db)]

    @_guarded
    async def find_by_message(self, guild_id: int, message_id: int) -> ArticleInfo | None:
        rows = await self._articles(
            "WHERE guild_id = ? AND message_id = ? ORDER BY id LIMIT 1", (guild_id, message_id)
        )
        return rows[0] if rows else None

    # -- article facets ---------------------------------------------------------------

    @_guarded
    async def save_facets(self, guild_id: int, article_id: int, facets: ArticleFacets) -> bool:
        """Keep ``facets`` for the article (replacing any); False when it is not stored."""
        async with self._transaction() as db:
            if not await self._scalar(
                "SELECT count(*) FROM articles WHERE guild_id = ? AND id = ?",
                (guild_id, article_id),
                db=db,
            ):
                return False
            await db.execute(
                "INSERT INTO article_facets (article_id, guild_id, site, reported_at, signature) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (article_id) DO UPDATE SET "
                "site = excluded.site, reported_at = excluded.reported_at, "
                "signature = excluded.signature",
                (
                    article_id,
                    guild_id,
                    facets.site,
                    _timestamp(facets.reported_at),
                    facets.signature,
                ),
            )
            await db.execute("DELETE FROM article_bands WHERE article_id = ?", (article_id,))
            await db.executemany(
                "INSERT OR IGNORE INTO article_bands (guild_id, band_key, article_id) "
                "VALUES (?, ?, ?)",
                [(guild_id, key, article_id) for key in facets.band_keys],
            )
        return True

    @_guarded
    async def articles_missing_facets(self, limit: int = FACETS_BATCH) -> list[ArticleInfo]:
        return await self._articles(
            "WHERE NOT EXISTS (SELECT 1 FROM article_facets f WHERE f.article_id = articles.id) "
            "ORDER BY id LIMIT ?",
            (limit,),
        )

    @_guarded
    async def filter_articles(self, guild_id: int, wanted: ArticleFilter) -> set[int]:
        sql, params = filter_query(guild_id, wanted, lambda _: "?", _timestamp, _LOWER_FUNCTION)
        async with self._conn.execute(sql, params) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    @_guarded
    async def facets_of(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, ArticleFacets]:
        ids = sorted(set(article_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        keys: dict[int, list[int]] = {}
        sql = f"SELECT article_id, band_key FROM article_bands WHERE article_id IN ({marks})"
        async with self._conn.execute(sql, ids) as cursor:
            for article_id, key in await cursor.fetchall():
                keys.setdefault(article_id, []).append(key)
        sql = (
            "SELECT article_id, site, reported_at, signature FROM article_facets "
            f"WHERE guild_id = ? AND article_id IN ({marks})"
        )
        async with self._conn.execute(sql, (guild_id, *ids)) as cursor:
            rows = await cursor.fetchall()
        return {
            article_id: ArticleFacets(
                site, _parse_timestamp(reported_at), signature, tuple(keys.get(article_id, ()))
            )
            for article_id, site, reported_at, signature in rows
        }

    @_guarded
    async def articles_sharing(
        self, guild_id: int, band_keys: Sequence[int], limit: int = 50
    ) -> list[tuple[ArticleInfo, bytes | None]]:
        keys = sorted(set(band_keys))
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        columns = ", ".join(f"a.{name}" for name in ARTICLES.select.split(", "))
        sql = (
            f"SELECT {columns}, f.signature FROM articles a "
            "LEFT JOIN article_facets f ON f.article_id = a.id "
            "WHERE a.guild_id = ? AND a.id IN (SELECT article_id FROM article_bands "
            f"WHERE guild_id = ? AND band_key IN ({marks})) ORDER BY a.id DESC LIMIT ?"
        )
        async with self._conn.execute(sql, (guild_id, guild_id, *keys, limit)) as cursor:
            rows = await cursor.fetchall()
        return [(_article(_verified(ARTICLES, row[:-1])), row[-1]) for row in rows]

    @_guarded
    async def sites(self, guild_id: int, prefix: str = "", limit: int = 25) -> list[str]:
        sql = (
            "SELECT DISTINCT site FROM article_facets WHERE guild_id = ? AND site IS NOT NULL "
            "AND site >= ? AND site < ? ORDER BY site LIMIT ?"
        )
        low = prefix.lower()
        async with self._conn.execute(sql, (guild_id, low, low + "\U0010ffff", limit)) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    @_guarded
    async def article_languages(self, guild_id: int) -> dict[int, str | None]:
        sql = "SELECT id, language FROM articles WHERE guild_id = ?"
        async with self._conn.execute(sql, (guild_id,)) as cursor:
            return {row[0]: row[1] for row in await cursor.fetchall()}

    @_guarded
    async def settle_article_languages(self, guild_id: int, languages: Mapping[int, str]) -> int:
        if not languages:
            return 0
        at = ARTICLES.columns.index("language")
        settled = 0
        async with self._transaction() as db:
            rows = await self._select(
                ARTICLES, "WHERE guild_id = ? AND language IS NULL", (guild_id,), db
            )
            for values in rows:
                code = languages.get(values[0])
                if code is None:
                    continue
                settled_values = (*values[:at], code, *values[at + 1 :])
                await db.execute(
                    "UPDATE articles SET language = ?, checksum = ? "
                    "WHERE guild_id = ? AND id = ? AND language IS NULL",
                    (code, row_checksum(settled_values), guild_id, values[0]),
                )
                settled += 1
            if settled:
                await self._log_change(db, guild_id, "replaced")
        return settled

    @_guarded
    async def add_question(
        self,
        guild_id: int,
        question_id: int,
        user_id: int | None,
        question: str,
        article_id: int | None,
    ) -> None:
        values = (question_id, guild_id, user_id, question, article_id, _timestamp(utc_now()))
        async with self._transaction() as db:
            await db.execute(QUESTIONS.insert, QUESTIONS.row(values))

    @_guarded
    async def get_question(
        self, guild_id: int, question_id: int
    ) -> tuple[int | None, str, int | None] | None:
        rows = await self._select(
            QUESTIONS, "WHERE guild_id = ? AND id = ?", (guild_id, question_id)
        )
        if not rows:
            return None
        _, _, user_id, question, article_id, _ = rows[0]
        return user_id, question, article_id

    @_guarded
    async def purge_guild(self, guild_id: int) -> int:
        """Delete every article, setting and counter of the guild; returns the articles."""
        async with self._transaction() as db:
            count = await self._scalar(
                "SELECT count(*) FROM articles WHERE guild_id = ?", (guild_id,), db=db
            )
            await db.execute("DELETE FROM paragraphs WHERE guild_id = ?", (guild_id,))
            await db.execute("DELETE FROM articles WHERE guild_id = ?", (guild_id,))
            await db.execute("DELETE FROM guild_settings WHERE guild_id = ?", (guild_id,))
            await db.execute("DELETE FROM guild_counters WHERE guild_id = ?", (guild_id,))
            await db.execute("DELETE FROM questions WHERE guild_id = ?", (guild_id,))
            await db.execute("DELETE FROM pending_ingests WHERE guild_id = ?", (guild_id,))
            await self._log_change(db, guild_id, "purged")
        return count

    # -- pending ingests ----------------------------------------------------------------

    @_guarded
    async def add_pending_ingest(
        self, guild_id: int, channel_id: int | None, message_id: int | None, content: str
    ) -> int:
        async with self._transaction() as db:
            pending_id = await self._next_id(db, PENDING)
            values = (pending_id, guild_id, channel_id, message_id, content, 1, _now())
            await db.execute(PENDING.insert, PENDING.row(values))
        return pending_id

    @_guarded
    async def retry_pending_ingest(self, guild_id: int, pending_id: int) -> None:
        async with self._transaction() as db:
            rows = await self._select(
                PENDING, "WHERE guild_id = ? AND id = ?", (guild_id, pending_id), db
            )
            if not rows:
                return
            values = list(rows[0])
            values[_ATTEMPTS] += 1
            await db.execute(
                "UPDATE pending_ingests SET attempts = ?, checksum = ? WHERE id = ?",
                (values[_ATTEMPTS], row_checksum(values), pending_id),
            )

    @_guarded
    async def remove_pending_ingest(self, guild_id: int, pending_id: int) -> None:
        async with self._transaction() as db:
            await db.execute(
                "DELETE FROM pending_ingests WHERE guild_id = ? AND id = ?", (guild_id, pending_id)
            )

    @_guarded
    async def pending_ingests(self, guild_ids: Sequence[int]) -> list[PendingIngest]:
        if not guild_ids:
            return []
        marks = ", ".join("?" * len(guild_ids))
        rows = await self._select(PENDING, f"WHERE guild_id IN ({marks}) ORDER BY id", guild_ids)
        return [
            PendingIngest(
                id=id_,
                guild_id=guild_id,
                channel_id=channel_id,
                message_id=message_id,
                content=content,
                attempts=attempts,
                accepted_at=_parse_timestamp(accepted_at),
            )
            for id_, guild_id, channel_id, message_id, content, attempts, accepted_at in rows
        ]

    async def integrity_problems(self) -> list[str]:
        """What is wrong with the stored data (SQLite's ``integrity_check``, foreign keys,
        row checksums); empty when the file is sound."""

        def check() -> list[str]:
            with closing(self._check_connection()) as connection, one_picture(connection):
                try:
                    schema_version(connection)
                    return integrity_problems(connection)
                except DamageFound as damage:
                    return [damage.detail]
                except ForeignDatabase as foreign:
                    return [str(foreign)]

        try:
            return await asyncio.to_thread(check)
        except sqlite3.Error as error:
            return [str(error)]

    @_guarded
    async def add_audit(
        self, guild_id: int, user_id: int | None, user_name: str | None, action: str, detail: str
    ) -> None:
        async with self._transaction() as db:
            entry_id = await self._next_id(db, AUDIT)
            values = (entry_id, guild_id, user_id, user_name, action, detail, _now())
            await db.execute(AUDIT.insert, AUDIT.row(values))

    @_guarded
    async def audit_entries(self, guild_id: int, limit: int = 50) -> list[AuditEntry]:
        rows = await self._select(
            AUDIT, "WHERE guild_id = ? ORDER BY id DESC LIMIT ?", (guild_id, limit)
        )
        return [
            AuditEntry(user_id, name, action, detail, _parse_timestamp(when))
            for _, _, user_id, name, action, detail, when in rows
        ]

    @_guarded
    async def remove_article(
        self, guild_id: int, article_id: int
    ) -> tuple[ArticleInfo, list[StoredParagraph]] | None:
        async with self._transaction() as db:
            found = await self._whole_article(guild_id, article_id, db)
            if found is not None:
                await db.execute(
                    "DELETE FROM articles WHERE guild_id = ? AND id = ?", (guild_id, article_id)
                )
                info, paragraphs = found
                record = removal_record(info.title, paragraphs, info.language)
                await self._log_change(db, guild_id, "removed", article_id, record)
        return found

    async def _whole_article(
        self, guild_id: int, article_id: int, db: aiosqlite.Connection | None = None
    ) -> tuple[ArticleInfo, list[StoredParagraph]] | None:
        """An article with its paragraphs, which must be the ones it lists."""
        found = await self._articles("WHERE guild_id = ? AND id = ?", (guild_id, article_id), db)
        if not found:
            return None
        rows = await self._select(
            PARAGRAPHS,
            "WHERE guild_id = ? AND article_id = ? ORDER BY position",
            (guild_id, article_id),
            db,
        )
        paragraphs = [_paragraph(values) for values in rows]
        check_whole(article_id, found[0].paragraph_count, paragraphs)
        return found[0], paragraphs

    @_guarded
    async def article_paragraphs(self, guild_id: int, article_id: int) -> list[StoredParagraph]:
        found = await self._whole_article(guild_id, article_id)
        return found[1] if found else []

    @_guarded
    async def paragraphs(
        self, guild_id: int, paragraph_ids: Sequence[int]
    ) -> dict[int, StoredParagraph]:
        ids = sorted(set(paragraph_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._select(
            PARAGRAPHS, f"WHERE guild_id = ? AND id IN ({marks})", (guild_id, *ids)
        )
        return {paragraph.id: paragraph for paragraph in map(_paragraph, rows)}

    async def iter_paragraphs(self, guild_id: int) -> AsyncIterator[tuple[StoredParagraph, str]]:
        """Every paragraph of the guild with its article's title, by article and position.

        Read in one transaction of a connection of its own, so that the articles and
        their paragraphs are one consistent picture; each article must come with exactly
        the paragraphs it lists, in order, or the file is damaged.
        """
        self._refuse_if_damaged()
        try:
            connection = await self._connect_reader()
            try:
                await connection.execute("BEGIN")
                articles = {
                    values[0]: values
                    for values in await self._select(
                        ARTICLES, "WHERE guild_id = ?", (guild_id,), connection
                    )
                }
                sql = (
                    f"SELECT {PARAGRAPHS.select} FROM paragraphs WHERE guild_id = ? "
                    "ORDER BY article_id, position"
                )
                order = ParagraphOrder(
                    {key: (values[2], values[_PARAGRAPH_COUNT]) for key, values in articles.items()}
                )
                async with connection.execute(sql, (guild_id,)) as cursor:
                    while rows := await cursor.fetchmany(_FETCH_BATCH):
                        for row in rows:
                            paragraph = _paragraph(_verified(PARAGRAPHS, row))
                            yield paragraph, order.title_of(paragraph)
                order.finish()
            finally:
                with contextlib.suppress(sqlite3.Error):
                    await connection.close()
        except _FAULTS as error:
            self._raise_as_store_error(error)

    @_guarded
    async def paragraph_signature(self, guild_id: int) -> tuple[int, int, int]:
        sql = (
            "SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0) FROM paragraphs "
            "WHERE guild_id = ?"
        )
        async with self._conn.execute(sql, (guild_id,)) as cursor:
            count, largest, total = await cursor.fetchone()
        return count, largest, total

    @_guarded
    async def counts(self, guild_id: int) -> tuple[int, int, datetime | None]:
        summaries = await self._summaries("WHERE guild_id = ?", (guild_id,))
        if not summaries:
            return 0, 0, None
        (summary,) = summaries
        return summary.articles, summary.paragraphs, summary.last_ingest

    @_guarded
    async def guild_summaries(self) -> list[GuildSummary]:
        return await self._summaries("", ())

    async def _summaries(self, where: str, params: Sequence[object]) -> list[GuildSummary]:
        """Articles, paragraphs and last ingest per guild, from every article row (each
        checked: a damaged count must not be reported as the guild's)."""
        totals: dict[int, list[Any]] = {}
        sql = f"SELECT {ARTICLES.select} FROM articles {where}"
        async with self._conn.execute(sql, params) as cursor:
            while rows := await cursor.fetchmany(_FETCH_BATCH):
                for row in rows:
                    values = _verified(ARTICLES, row)
                    total = totals.setdefault(values[_GUILD], [0, 0, ""])
                    total[0] += 1
                    total[1] += values[_PARAGRAPH_COUNT]
                    total[2] = max(total[2], values[_CREATED])
        return [
            GuildSummary(guild, articles, paragraphs, _parse_timestamp(last))
            for guild, (articles, paragraphs, last) in sorted(totals.items())
        ]

    # -- settings and counters --------------------------------------------------------

    @_guarded
    async def get_setting(self, guild_id: int, key: str) -> str | None:
        rows = await self._select(SETTINGS, "WHERE guild_id = ? AND key = ?", (guild_id, key))
        return rows[0][2] if rows else None

    @_guarded
    async def set_setting(self, guild_id: int, key: str, value: str | None) -> None:
        async with self._transaction() as db:
            if value is None:
                await db.execute(
                    "DELETE FROM guild_settings WHERE guild_id = ? AND key = ?", (guild_id, key)
                )
            else:
                await db.execute(
                    f"{SETTINGS.insert} ON CONFLICT (guild_id, key) DO UPDATE SET "
                    "value = excluded.value, checksum = excluded.checksum",
                    SETTINGS.row((guild_id, key, value)),
                )

    @_guarded
    async def get_counter(self, guild_id: int, key: str) -> int:
        rows = await self._select(COUNTERS, "WHERE guild_id = ? AND key = ?", (guild_id, key))
        return rows[0][2] if rows else 0

    @_guarded
    async def increment_counter(self, guild_id: int, key: str, by: int = 1) -> None:
        async with self._transaction() as db:
            rows = await self._select(
                COUNTERS, "WHERE guild_id = ? AND key = ?", (guild_id, key), db
            )
            value = (rows[0][2] if rows else 0) + by
            await db.execute(
                f"{COUNTERS.insert} ON CONFLICT (guild_id, key) DO UPDATE SET "
                "value = excluded.value, checksum = excluded.checksum",
                COUNTERS.row((guild_id, key, value)),
            )

    # -- the change log ---------------------------------------------------------------

    async def _log_change(
        self,
        db: aiosqlite.Connection,
        guild_id: int,
        kind: ChangeKind,
        article_id: int | None = None,
        removed: str | None = None,
    ) -> None:
        """Write a change log entry, inside the transaction that made the change."""
        change_id = await self._next_id(db, CHANGES)
        await db.execute(
            CHANGES.insert, CHANGES.row((change_id, guild_id, kind, article_id, removed, _now()))
        )

    @_guarded
    async def latest_change(self) -> int:
        """The number of the last change log entry written (0 before the first)."""
        return await self._scalar(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
            "coalesce((SELECT max(id) FROM index_changes), 0))",
            (CHANGES.name,),
        )

    @_guarded
    async def changes_since(self, after: int, limit: int = READ_LIMIT) -> ChangeBatch:
        """The change log entries numbered above ``after``, oldest first."""
        rows = await self._select(CHANGES, "WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
        # Read after the entries: a prune in between makes the batch look incomplete,
        # never the other way round.
        pruned = await self._select(CHANGES_PRUNED, "")
        through = pruned[0][1] if pruned else 0
        changes = [
            stored_change(change_id, guild_id, kind, article_id, removed)
            for change_id, guild_id, kind, article_id, removed, _made_at in rows
        ]
        return ChangeBatch(changes, pruned_through=through, after=after)

    async def wait_for_changes(self, timeout: float) -> None:
        """Return when new entries may have been written: SQLite gives no sign of other
        processes' commits, so this waits ``CHANGE_POLL_SECONDS`` (or ``timeout``)."""
        await asyncio.sleep(max(0.0, min(timeout, CHANGE_POLL_SECONDS)))

    @_guarded
    async def prune_changes(self, older_than: timedelta) -> int:
        """Delete the change log entries written more than ``older_than`` ago; returns
        how many."""
        cutoff = _timestamp(datetime.now(UTC) - older_than)
        async with self._transaction() as db:
            through = await self._scalar(
                "SELECT max(id) FROM index_changes WHERE made_at < ?", (cutoff,), db=db
            )
            if not through:
                return 0
            cursor = await db.execute("DELETE FROM index_changes WHERE id <= ?", (through,))
            await db.execute("DELETE FROM index_changes_pruned")
            await db.execute(CHANGES_PRUNED.insert, CHANGES_PRUNED.row((1, through)))
            return cursor.rowcount

    # -- whole stores -----------------------------------------------------------------

    @_guarded
    async def is_empty(self) -> bool:
        anything = " OR ".join(f"EXISTS (SELECT 1 FROM {table.name})" for table in _DATA)
        return not await self._scalar(f"SELECT {anything}")

    async def copy_rows(self, columns: Columns) -> AsyncIterator[list[tuple[object, ...]]]:
        """Every row of one table in batches, by its key, each checked against its
        checksum; read in one transaction of a connection of its own (one picture)."""
        table = _table_for(columns)
        moments = [name in columns.timestamps for name in columns.names]
        key = "id" if columns.has_id else "guild_id, key"
        self._refuse_if_damaged()
        try:
            connection = await self._connect_reader()
            try:
                await connection.execute("BEGIN")
                sql = f"SELECT {table.select} FROM {table.name} ORDER BY {key}"
                async with connection.execute(sql) as cursor:
                    while rows := await cursor.fetchmany(_FETCH_BATCH):
                        yield [
                            tuple(
                                _parse_timestamp(value) if is_moment else value
                                for value, is_moment in zip(
                                    _verified(table, row), moments, strict=True
                                )
                            )
                            for row in rows
                        ]
            finally:
                with contextlib.suppress(sqlite3.Error):
                    await connection.close()
        except _FAULTS as error:
            self._raise_as_store_error(error)

    @_guarded
    async def load_rows(self, columns: Columns, rows: Sequence[tuple[object, ...]]) -> None:
        """Rows as another store's ``copy_rows`` read them, ids included, with their
        checksums, in one transaction. Rows added later get ids past them (SQLite's
        sequence follows the largest id written)."""
        table = _table_for(columns)
        moments = [name in columns.timestamps for name in columns.names]
        values = [
            table.row(
                tuple(
                    _timestamp(value) if is_moment and isinstance(value, datetime) else value
                    for value, is_moment in zip(row, moments, strict=True)
                )
            )
            for row in rows
        ]
        if not values:
            return
        async with self._transaction() as db:
            await db.executemany(table.insert, values)
            if table is PARAGRAPHS:
                for guild_id in sorted({row[_PARAGRAPH_GUILD] for row in rows}):
                    await self._log_change(db, int(guild_id), "replaced")

    @_guarded
    async def database_size(self) -> int:
        """Bytes used by the database file, for the statistics."""
        pages = await self._scalar("PRAGMA page_count")
        return pages * await self._scalar("PRAGMA page_size")

    @_guarded
    async def backup(self, target: str | Path) -> None:
        """A consistent copy of the whole database, taken while it is in use, at
        ``target``, a new file. The copy is written beside it under a temporary name,
        checked, flushed to disk and only then given its name, so a failure (a full disk,
        a stop) leaves no file at ``target`` and no temporary file either."""
        target = Path(target)
        if target.exists():
            raise StoreError(f"{target} exists already; choose a new file name")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise faults.os_error(error, f"the backup's folder {target.parent}") from error
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        try:
            await self._copy_to(temporary, target)
            try:
                await asyncio.to_thread(give_name, temporary, target)
            except FileExistsError:
                raise StoreError(f"{target} exists already; choose a new file name") from None
        except OSError as error:
            raise faults.os_error(error, f"the backup {target}") from error
        finally:
            for leftover in ("", "-journal", "-wal", "-shm"):
                Path(f"{temporary}{leftover}").unlink(missing_ok=True)

    async def _copy_to(self, temporary: Path, target: Path) -> None:
        try:
            destination = await aiosqlite.connect(str(temporary), isolation_level=None)
        except sqlite3.Error as error:
            raise StoreError(f"cannot write the backup {target}: {error}") from error
        try:
            try:
                await self._conn.backup(destination)
            except sqlite3.Error as error:
                failure = faults.store_error(error, self.path)
                if isinstance(failure, StoreDamaged):
                    raise
                raise StoreError(f"cannot write the backup {target}: {failure}") from error
            async with destination.execute("PRAGMA quick_check(3)") as cursor:
                found = [row[0] async for row in cursor]
            if found != ["ok"]:
                raise StoreError(f"the backup {target} did not pass its check: {found[0]}")
        finally:
            await destination.close()


def _lower(text: str | None) -> str | None:
    """Lower case beyond ASCII, as PostgreSQL's ``lower`` (SQLite's own stops at ASCII)."""
    return None if text is None else text.lower()


def _table_for(columns: Columns) -> Table:
    """The table that keeps ``columns`` (whose name goes into SQL)."""
    for table in _DATA:
        if table.name == columns.table and table.columns == columns.names:
            return table
    raise ValueError(f"{columns.table} with these columns is not a table of the store")


def _verified(table: Table, row: Sequence[Any]) -> Row:
    """The values of a row read with its checksum; damage if they do not match it."""
    *values, checksum = row
    if row_checksum(values) != checksum:
        raise DamageFound(f"a row of {table.name} does not match its checksum")
    return tuple(values)


def _article(values: Row) -> ArticleInfo:
    (
        id_,
        guild_id,
        title,
        source_url,
        canonical,
        fingerprint,
        note,
        site_name,
        author,
        published,
        poster_id,
        poster_name,
        _channel_id,
        _message_id,
        message_url,
        posted_at,
        _created_at,
        paragraph_count,
        language,
    ) = values
    return ArticleInfo(
        id=id_,
        guild_id=guild_id,
        title=title,
        source_url=source_url,
        canonical_url=canonical,
        fingerprint=fingerprint,
        note=note,
        poster_id=poster_id,
        poster_name=poster_name,
        message_url=message_url,
        posted_at=_parse_timestamp(posted_at),
        paragraph_count=paragraph_count,
        site_name=site_name,
        author=author,
        published=published,
        language=language,
    )


def _paragraph(values: Row) -> StoredParagraph:
    id_, _guild_id, article_id, position, text = values
    return StoredParagraph(id_, article_id, position, text)


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _now() -> str:
    return _timestamp(utc_now())


def _parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
