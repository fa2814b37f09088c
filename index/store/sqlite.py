"""The SQLite store: one file, WAL journal, schema migrations on open. All SQL lives here."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from index.models import (
    ArticleDraft,
    ArticleInfo,
    AuditEntry,
    PendingIngest,
    Provenance,
    StoredParagraph,
    utc_now,
)
from index.store.base import DuplicateArticle, StoreError

# Each entry upgrades the schema by one version; PRAGMA user_version records how far.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE articles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            source_url TEXT,
            canonical_url TEXT,
            fingerprint TEXT NOT NULL,
            note TEXT,
            site_name TEXT,
            author TEXT,
            published TEXT,
            poster_id INTEGER,
            poster_name TEXT,
            channel_id INTEGER,
            message_id INTEGER,
            message_url TEXT,
            posted_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            paragraph_count INTEGER NOT NULL
        )""",
        "CREATE UNIQUE INDEX articles_by_fingerprint ON articles (guild_id, fingerprint)",
        """CREATE UNIQUE INDEX articles_by_url ON articles (guild_id, canonical_url)
           WHERE canonical_url IS NOT NULL""",
        """CREATE TABLE paragraphs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id INTEGER NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            UNIQUE (article_id, position)
        )""",
        "CREATE INDEX paragraphs_by_guild ON paragraphs (guild_id, article_id, position)",
        """CREATE TABLE guild_settings (
            guild_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (guild_id, key)
        ) WITHOUT ROWID""",
        """CREATE TABLE guild_counters (
            guild_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (guild_id, key)
        ) WITHOUT ROWID""",
    ),
    (
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id INTEGER NOT NULL,
            user_id INTEGER,
            user_name TEXT,
            action TEXT NOT NULL,
            detail TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX audit_by_guild ON audit_log (guild_id, id)",
        "CREATE INDEX articles_by_message ON articles (guild_id, message_id)",
        """CREATE TABLE questions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id INTEGER NOT NULL,
            user_id INTEGER,
            question TEXT NOT NULL,
            article_id INTEGER,
            created_at TEXT NOT NULL
        )""",
    ),
    (
        """CREATE TABLE pending_ingests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id INTEGER NOT NULL,
            channel_id INTEGER,
            message_id INTEGER,
            content TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            accepted_at TEXT NOT NULL
        )""",
        "CREATE INDEX pending_ingests_by_guild ON pending_ingests (guild_id, id)",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)

_ARTICLE_COLUMNS = (
    "id, guild_id, title, source_url, canonical_url, fingerprint, note, poster_id, poster_name, "
    "message_url, posted_at, paragraph_count, site_name, author, published"
)
_FETCH_BATCH = 5000


class SQLiteStore:
    """``Store`` over one SQLite file."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = str(path)
        self.create = create
        """Whether ``open`` may create a missing database (commands that only read may not)."""
        # Writes go through one connection inside explicit transactions; reads use another,
        # so that they only ever see committed articles (WAL lets both run at once).
        self._db: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    # -- lifecycle --------------------------------------------------------------------

    async def open(self) -> None:
        if not self.create and not Path(self.path).is_file():
            raise StoreError(f"there is no database at {self.path}")
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the database {self.path}: {error}") from error
        self._db = db
        try:
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA busy_timeout = 5000")
            await db.execute("PRAGMA journal_mode = WAL")
            # FULL: an article reported as stored survives a power cut, not only a crash.
            await db.execute("PRAGMA synchronous = FULL")
            await self._migrate()
            await self._check_sound(db)
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            await self._reader.execute("PRAGMA busy_timeout = 5000")
            await self._reader.execute("PRAGMA query_only = ON")
        except BaseException as error:
            await self.close()
            if isinstance(error, sqlite3.DatabaseError):
                raise StoreError(
                    f"the database {self.path} is damaged or not a database: {error}"
                ) from error
            raise

    async def close(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def _check_sound(self, db: aiosqlite.Connection) -> None:
        """Refuse a damaged file rather than answer from it. ``quick_check`` reads every
        page once (about a second per few hundred MB), which a start can afford."""
        problems = await _problems(db, "PRAGMA quick_check(5)")
        if problems:
            raise StoreError(
                f"the database {self.path} is damaged ({'; '.join(problems)}). "
                "Restore it from a backup (see the README)."
            )

    async def _migrate(self) -> None:
        db = self._writer
        version = await self._scalar("PRAGMA user_version", db=db)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the database {self.path} was written by a newer version (schema {version}, "
                f"this version knows {SCHEMA_VERSION})"
            )
        for number in range(version, SCHEMA_VERSION):
            async with self._transaction():
                for statement in _MIGRATIONS[number]:
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {number + 1}")

    @property
    def _conn(self) -> aiosqlite.Connection:
        """The connection for reads of committed data."""
        if self._reader is None:
            raise StoreError("the store is not open")
        return self._reader

    @property
    def _writer(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreError("the store is not open")
        return self._db

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        db = self._writer
        async with self._write_lock:
            try:
                await db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise StoreError(_describe(error)) from error
            try:
                yield db
                await db.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(sqlite3.Error):
                    await db.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError):
                    raise StoreError(_describe(error)) from error
                raise

    async def _scalar(
        self, sql: str, params: Sequence[object] = (), db: aiosqlite.Connection | None = None
    ) -> int:
        async with (db or self._conn).execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row[0] if row and row[0] is not None else 0

    # -- articles ---------------------------------------------------------------------

    async def add_article(
        self, guild_id: int, draft: ArticleDraft, provenance: Provenance
    ) -> tuple[ArticleInfo, list[StoredParagraph]]:
        async with self._transaction() as db:
            existing = await self._duplicate(db, guild_id, draft.canonical_url, draft.fingerprint)
            if existing is not None:
                raise DuplicateArticle(existing)
            cursor = await db.execute(
                """INSERT INTO articles (guild_id, title, source_url, canonical_url, fingerprint,
                       note, site_name, author, published, poster_id, poster_name, channel_id,
                       message_id, message_url, posted_at, created_at, paragraph_count)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
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
                    _timestamp(provenance.posted_at),
                    _timestamp(utc_now()),
                    len(draft.paragraphs),
                ),
            )
            article_id = cursor.lastrowid
            # One statement for all rows: a long article is written in milliseconds, not
            # one awaited round trip per paragraph while the write lock is held.
            await db.executemany(
                "INSERT INTO paragraphs (guild_id, article_id, position, text) VALUES (?, ?, ?, ?)",
                [
                    (guild_id, article_id, position, text)
                    for position, text in enumerate(draft.paragraphs)
                ],
            )
            paragraphs = await self._paragraphs_of(guild_id, article_id, db=db)
            (info,) = await self._articles("WHERE id = ?", (article_id,), db=db)
        return info, paragraphs

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

    async def get_article(self, guild_id: int, article_id: int) -> ArticleInfo | None:
        rows = await self._articles("WHERE guild_id = ? AND id = ?", (guild_id, article_id))
        return rows[0] if rows else None

    async def list_articles(
        self, guild_id: int, *, offset: int = 0, limit: int = 50
    ) -> list[ArticleInfo]:
        return await self._articles(
            "WHERE guild_id = ? ORDER BY id DESC LIMIT ? OFFSET ?", (guild_id, limit, offset)
        )

    async def search_titles(self, guild_id: int, text: str, limit: int = 25) -> list[ArticleInfo]:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return await self._articles(
            "WHERE guild_id = ? AND title LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
            (guild_id, pattern, limit),
        )

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
        sql = f"SELECT {_ARTICLE_COLUMNS} FROM articles {where}"
        async with (db or self._conn).execute(sql, params) as cursor:
            return [_article(row) async for row in cursor]

    async def find_by_message(self, guild_id: int, message_id: int) -> ArticleInfo | None:
        rows = await self._articles(
            "WHERE guild_id = ? AND message_id = ? ORDER BY id LIMIT 1", (guild_id, message_id)
        )
        return rows[0] if rows else None

    async def add_question(
        self,
        guild_id: int,
        question_id: int,
        user_id: int | None,
        question: str,
        article_id: int | None,
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO questions (id, guild_id, user_id, question, article_id, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (question_id, guild_id, user_id, question, article_id, _timestamp(utc_now())),
            )

    async def get_question(
        self, guild_id: int, question_id: int
    ) -> tuple[int | None, str, int | None] | None:
        sql = "SELECT user_id, question, article_id FROM questions WHERE guild_id = ? AND id = ?"
        async with self._conn.execute(sql, (guild_id, question_id)) as cursor:
            row = await cursor.fetchone()
        return (row[0], row[1], row[2]) if row else None

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
        return count

    # -- pending ingests ----------------------------------------------------------------

    async def add_pending_ingest(
        self, guild_id: int, channel_id: int | None, message_id: int | None, content: str
    ) -> int:
        async with self._transaction() as db:
            cursor = await db.execute(
                """INSERT INTO pending_ingests
                   (guild_id, channel_id, message_id, content, attempts, accepted_at)
                   VALUES (?, ?, ?, ?, 1, ?)""",
                (guild_id, channel_id, message_id, content, _timestamp(utc_now())),
            )
            return cursor.lastrowid

    async def retry_pending_ingest(self, guild_id: int, pending_id: int) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE pending_ingests SET attempts = attempts + 1 WHERE guild_id = ? AND id = ?",
                (guild_id, pending_id),
            )

    async def remove_pending_ingest(self, guild_id: int, pending_id: int) -> None:
        async with self._transaction() as db:
            await db.execute(
                "DELETE FROM pending_ingests WHERE guild_id = ? AND id = ?", (guild_id, pending_id)
            )

    async def pending_ingests(self, guild_ids: Sequence[int]) -> list[PendingIngest]:
        if not guild_ids:
            return []
        marks = ", ".join("?" * len(guild_ids))
        sql = f"""SELECT id, guild_id, channel_id, message_id, content, attempts, accepted_at
                  FROM pending_ingests WHERE guild_id IN ({marks}) ORDER BY id"""
        async with self._conn.execute(sql, list(guild_ids)) as cursor:
            return [
                PendingIngest(
                    id=row[0],
                    guild_id=row[1],
                    channel_id=row[2],
                    message_id=row[3],
                    content=row[4],
                    attempts=row[5],
                    accepted_at=_parse_timestamp(row[6]),
                )
                async for row in cursor
            ]

    async def integrity_problems(self) -> list[str]:
        """What ``PRAGMA integrity_check`` finds wrong; empty when the file is sound."""
        try:
            return await _problems(self._conn, "PRAGMA integrity_check")
        except sqlite3.DatabaseError as error:
            return [str(error)]

    async def add_audit(
        self, guild_id: int, user_id: int | None, user_name: str | None, action: str, detail: str
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO audit_log (guild_id, user_id, user_name, action, detail, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (guild_id, user_id, user_name, action, detail, _timestamp(utc_now())),
            )

    async def audit_entries(self, guild_id: int, limit: int = 50) -> list[AuditEntry]:
        sql = (
            "SELECT user_id, user_name, action, detail, created_at FROM audit_log "
            "WHERE guild_id = ? ORDER BY id DESC LIMIT ?"
        )
        async with self._conn.execute(sql, (guild_id, limit)) as cursor:
            return [
                AuditEntry(uid, name, action, detail, _parse_timestamp(when))
                async for uid, name, action, detail, when in cursor
            ]

    async def remove_article(
        self, guild_id: int, article_id: int
    ) -> tuple[ArticleInfo, list[StoredParagraph]] | None:
        async with self._transaction() as db:
            found = await self._articles(
                "WHERE guild_id = ? AND id = ?", (guild_id, article_id), db=db
            )
            if not found:
                return None
            paragraphs = await self._paragraphs_of(guild_id, article_id, db=db)
            await db.execute(
                "DELETE FROM articles WHERE guild_id = ? AND id = ?", (guild_id, article_id)
            )
        return found[0], paragraphs

    async def _paragraphs_of(
        self, guild_id: int, article_id: int, db: aiosqlite.Connection | None = None
    ) -> list[StoredParagraph]:
        sql = (
            "SELECT id, article_id, position, text FROM paragraphs "
            "WHERE guild_id = ? AND article_id = ? ORDER BY position"
        )
        async with (db or self._conn).execute(sql, (guild_id, article_id)) as cursor:
            return [StoredParagraph(*row) async for row in cursor]

    async def article_paragraphs(self, guild_id: int, article_id: int) -> list[StoredParagraph]:
        return await self._paragraphs_of(guild_id, article_id)

    async def paragraphs(
        self, guild_id: int, paragraph_ids: Sequence[int]
    ) -> dict[int, StoredParagraph]:
        ids = sorted(set(paragraph_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        sql = (
            "SELECT id, article_id, position, text FROM paragraphs "
            f"WHERE guild_id = ? AND id IN ({marks})"
        )
        async with self._conn.execute(sql, (guild_id, *ids)) as cursor:
            return {row[0]: StoredParagraph(*row) async for row in cursor}

    async def iter_paragraphs(self, guild_id: int) -> AsyncIterator[tuple[StoredParagraph, str]]:
        sql = (
            "SELECT p.id, p.article_id, p.position, p.text, a.title FROM paragraphs AS p "
            "JOIN articles AS a ON a.id = p.article_id "
            "WHERE p.guild_id = ? AND a.guild_id = ? ORDER BY p.article_id, p.position"
        )
        async with self._conn.execute(sql, (guild_id, guild_id)) as cursor:
            while rows := await cursor.fetchmany(_FETCH_BATCH):
                for *row, title in rows:
                    yield StoredParagraph(*row), title

    async def paragraph_signature(self, guild_id: int) -> tuple[int, int, int]:
        sql = (
            "SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0) FROM paragraphs "
            "WHERE guild_id = ?"
        )
        async with self._conn.execute(sql, (guild_id,)) as cursor:
            count, largest, total = await cursor.fetchone()
        return count, largest, total

    async def guild_ids(self) -> list[int]:
        async with self._conn.execute("SELECT DISTINCT guild_id FROM articles") as cursor:
            return [row[0] async for row in cursor]

    async def counts(self, guild_id: int) -> tuple[int, int, datetime | None]:
        sql = (
            "SELECT count(*), coalesce(sum(paragraph_count), 0), max(created_at) "
            "FROM articles WHERE guild_id = ?"
        )
        async with self._conn.execute(sql, (guild_id,)) as cursor:
            articles, paragraphs, last = await cursor.fetchone()
        return articles, paragraphs, _parse_timestamp(last) if last else None

    # -- settings and counters --------------------------------------------------------

    async def get_setting(self, guild_id: int, key: str) -> str | None:
        sql = "SELECT value FROM guild_settings WHERE guild_id = ? AND key = ?"
        async with self._conn.execute(sql, (guild_id, key)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def set_setting(self, guild_id: int, key: str, value: str | None) -> None:
        async with self._transaction() as db:
            if value is None:
                await db.execute(
                    "DELETE FROM guild_settings WHERE guild_id = ? AND key = ?", (guild_id, key)
                )
            else:
                await db.execute(
                    """INSERT INTO guild_settings (guild_id, key, value) VALUES (?, ?, ?)
                       ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value""",
                    (guild_id, key, value),
                )

    async def get_counter(self, guild_id: int, key: str) -> int:
        return await self._scalar(
            "SELECT value FROM guild_counters WHERE guild_id = ? AND key = ?", (guild_id, key)
        )

    async def increment_counter(self, guild_id: int, key: str, by: int = 1) -> None:
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO guild_counters (guild_id, key, value) VALUES (?, ?, ?)
                   ON CONFLICT (guild_id, key) DO UPDATE SET value = value + excluded.value""",
                (guild_id, key, by),
            )

    async def database_size(self) -> int:
        """Bytes used by the database file, for the statistics."""
        pages = await self._scalar("PRAGMA page_count")
        return pages * await self._scalar("PRAGMA page_size")

    async def backup(self, target: str | Path) -> None:
        """A consistent copy of the whole database, taken while it is in use."""
        destination = await aiosqlite.connect(str(target))
        try:
            await self._conn.backup(destination)
        finally:
            await destination.close()


def _article(row: Sequence) -> ArticleInfo:
    (
        id_,
        guild_id,
        title,
        source_url,
        canonical,
        fingerprint,
        note,
        poster_id,
        poster_name,
        message_url,
        posted_at,
        paragraph_count,
        site_name,
        author,
        published,
    ) = row
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
    )


async def _problems(db: aiosqlite.Connection, check: str) -> list[str]:
    """What an integrity PRAGMA reports, without its "ok" for a sound file."""
    async with db.execute(check) as cursor:
        rows = [row[0] async for row in cursor]
    return [] if rows == ["ok"] else rows


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _describe(error: sqlite3.OperationalError) -> str:
    message = str(error)
    if "full" in message:
        return "the disk is full; nothing was saved"
    if "locked" in message or "busy" in message:
        return "the database is busy; nothing was saved, try again"
    if "readonly" in message:
        return "the database is read-only; nothing was saved"
    return f"the database failed: {message}"
