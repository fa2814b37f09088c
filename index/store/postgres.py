"""The PostgreSQL store: one database shared by every process of a deployment, through a
pool of asyncpg connections. All its SQL lives here and in ``migrations/postgres/``.

It behaves as the SQLite store does (the contract suite holds both to it); how differs
where PostgreSQL does better:

- Writes lock rows, never tables: one guild's ingest or purge never holds up another
  guild's questions or writes, in this process or any other, except for the moment
  each write takes to commit its change log entry (see ``_log_change``).
- An article and its paragraphs are written by one statement. Duplicates (the same
  canonical URL or text in the guild) are caught by the unique indexes themselves, so two
  processes adding the same article at once store it once, and the other is told
  ``DuplicateArticle``; nothing is written for a duplicate.
- Ids come from identity sequences: never reused, even after a removal. Times are
  ``TIMESTAMPTZ``, kept to the second as the SQLite store keeps them.
- The server going away (a restart, a cut network) costs the operations in flight, which
  fail with ``StoreUnavailable``; the pool connects again by itself. A pooled connection
  found dead before anything was done on it (the server restarted while it sat idle) is
  replaced and the operation run again, so the first call after a restart works.
- The SQLite store checks a checksum on every row it reads; PostgreSQL guards its own
  pages. Both stores check that each article comes with exactly the paragraphs it lists,
  and both stop at damage: once found, every later call raises it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

import asyncpg

from index.errors import DuplicateArticle, StoreBusy, StoreDamaged, StoreError
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
from index.store import postgres_faults as faults
from index.store.change_log import (
    CHANGE_CHANNEL,
    READ_LIMIT,
    ChangeBatch,
    ChangeKind,
    removal_record,
    stored_change,
)
from index.store.columns import ARTICLES, DATA_TABLES, PARAGRAPHS, Columns, article_values
from index.store.damage import DamageFound, ParagraphOrder, check_whole
from index.store.facets import FACETS_BATCH, filter_query
from index.store.location import without_password
from index.store.postgres_backup import dump_database
from index.store.postgres_changes import ChangeListener
from index.store.postgres_schema import IDENTITY_SEQUENCES, migrate, schema_version

log = logging.getLogger(__name__)


class _OneLineReconnects(logging.Filter):
    """asyncpg's pool logs a whole traceback each time it fails to reconnect while the
    server is away (retrying for as long as that lasts); one line says as much."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({error or type(error).__name__})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("asyncpg.pool").addFilter(_OneLineReconnects())

MIN_CONNECTIONS = 1
MAX_CONNECTIONS = 10
CONNECT_TIMEOUT_SECONDS = 5.0
"""How long to wait for the server to accept a connection before calling it unreachable."""
COMMAND_TIMEOUT_SECONDS = 60.0
CLOSE_TIMEOUT_SECONDS = 10.0
SERVER_SETTINGS = {
    "application_name": "newsbot",
    # The store's queries are small and planned in microseconds; compiling one (the JIT
    # starts on large guilds' counts) would cost far more than it saves.
    "jit": "off",
}
CHANGE_LOG_LOCK = 0x6E657773636C67
"""The advisory lock a transaction holds from writing its change log entry until it
commits, so that entries are committed in the order of their numbers."""
STALLED_WRITER_SECONDS = 10
"""How long a transaction holding ``CHANGE_LOG_LOCK`` may sit idle before the server ends
it (a commit follows the entry at once; only a frozen or cut-off process waits)."""
PRUNE_LOCK = 0x6E65777370726E
"""The advisory lock of pruning the change log: one process at a time does it."""
_LOG_CHANGE = (
    "WITH entry AS ("
    " INSERT INTO index_changes (guild_id, kind, article_id, removed, made_at)"
    " VALUES ($1, $2, $3, $4, now()) RETURNING guild_id"
    f") SELECT pg_notify('{CHANGE_CHANNEL}', guild_id::text) FROM entry"
)
_FETCH_BATCH = 5000
_STARTS = 3
"""Connections tried when the pooled ones turn out dead as an operation starts."""
_CONFLICT_ATTEMPTS = 3
"""Runs of a transaction that lost a conflict (deadlock) with another, before giving up."""
_FAULTS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    DamageFound,
    OSError,
    TimeoutError,
    UnicodeError,
    OverflowError,
)
"""What using the database may raise for reasons outside the program: each becomes a
``StoreError`` with a plain message."""

_ARTICLE_COLUMNS = ", ".join(ARTICLES.names)
_QUALIFIED_ARTICLE_COLUMNS = ", ".join(f"articles.{name}" for name in ARTICLES.names)
_PARAGRAPH_COLUMNS = "id, article_id, position, text"

_FIND_DUPLICATE = (
    f"SELECT {_ARTICLE_COLUMNS} FROM articles "
    "WHERE guild_id = $1 AND (fingerprint = $2 OR canonical_url = $3) ORDER BY id LIMIT 1"
)
_ADD_ARTICLE = f"""
WITH article AS (
    INSERT INTO articles ({", ".join(ARTICLES.names[1:])})
    VALUES ({", ".join(f"${number}" for number in range(1, len(ARTICLES.names)))})
    ON CONFLICT DO NOTHING
    RETURNING {_ARTICLE_COLUMNS}
), drawn AS (
    SELECT nextval('paragraphs_id_seq') AS id
    FROM article, generate_series(1, cardinality(${len(ARTICLES.names)}::text[]))
), numbered AS (
    SELECT id, (row_number() OVER (ORDER BY id) - 1)::integer AS position FROM drawn
), stored AS (
    INSERT INTO paragraphs (id, guild_id, article_id, position, text)
    SELECT numbered.id, article.guild_id, article.id, numbered.position,
           (${len(ARTICLES.names)}::text[])[numbered.position + 1]
    FROM numbered, article
    RETURNING id
)
SELECT article.*, (SELECT array_agg(id ORDER BY id) FROM stored) AS paragraph_ids
FROM article
"""
"""Insert an article (unless the guild has it: then no row comes back) and its
paragraphs, numbered in the order of their positions."""

P = ParamSpec("P")
R = TypeVar("R")
Connection = asyncpg.Connection


def _guarded(
    method: Callable[Concatenate[PostgresStore, P], Awaitable[R]],
) -> Callable[Concatenate[PostgresStore, P], Awaitable[R]]:
    """Refuse to work once damage was found, and turn whatever the database raises into a
    ``StoreError``."""

    @functools.wraps(method)
    async def guarded(self: PostgresStore, *args: P.args, **kwargs: P.kwargs) -> R:
        self._refuse_if_damaged()
        try:
            return await method(self, *args, **kwargs)
        except _FAULTS as error:
            self._raise_as_store_error(error)

    return guarded


async def _keep_session(connection: Connection) -> None:
    """The pool's reset between uses: nothing, as the store sets no session state (an
    open transaction is still rolled back). Saves a round trip per operation."""


class PostgresStore:
    """``Store`` over one PostgreSQL database, named by a ``postgresql://`` URL."""

    def __init__(
        self,
        url: str,
        *,
        min_connections: int = MIN_CONNECTIONS,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.url = url
        self.min_connections = min_connections
        self.max_connections = max_connections
        self._pool: asyncpg.Pool | None = None
        self._damage: StoreDamaged | None = None
        self._listener = ChangeListener(url, connect_options={"timeout": CONNECT_TIMEOUT_SECONDS})

    @property
    def location(self) -> str:
        return without_password(self.url)

    # -- lifecycle --------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, and bring the schema up to date (once, however many processes start)."""
        if self._pool is not None:
            return
        try:
            pool = await asyncpg.create_pool(
                self.url,
                min_size=self.min_connections,
                max_size=self.max_connections,
                timeout=CONNECT_TIMEOUT_SECONDS,
                command_timeout=COMMAND_TIMEOUT_SECONDS,
                reset=_keep_session,
                server_settings=SERVER_SETTINGS,
            )
        except asyncpg.ClientConfigurationError as error:
            raise StoreError(f"the database URL {self.location} cannot be used: {error}") from None
        except ValueError:
            # Its text may quote any part of the URL, the password included.
            raise StoreError(
                f"the database URL {self.location} cannot be read: write it as "
                "postgresql://user:password@host:port/database"
            ) from None
        except _FAULTS as error:
            self._raise_as_store_error(error)
        try:
            async with pool.acquire() as connection:
                await migrate(connection, self.location)
        except BaseException as error:
            await _close_pool(pool)
            if isinstance(error, _FAULTS):
                self._raise_as_store_error(error)
            raise
        self._pool = pool

    async def close(self) -> None:
        await self._listener.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            await _close_pool(pool)

    @property
    def damaged(self) -> bool:
        """Whether damage was found: the store then refuses every read and write."""
        return self._damage is not None

    def report_damage(self, detail: str) -> StoreDamaged:
        failure = faults.damaged(self.location, detail)
        self._damage = self._damage or failure
        return failure

    def _refuse_if_damaged(self) -> None:
        if self._damage is not None:
            raise StoreDamaged(str(self._damage))

    def _raise_as_store_error(self, error: BaseException) -> NoReturn:
        failure = faults.store_error(error, self.location)
        if isinstance(failure, StoreDamaged) and self._damage is None:
            self._damage = failure
        if failure is error:
            raise error
        raise failure from error

    def _open_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError("the store is not open")
        return self._pool

    # -- running statements -----------------------------------------------------------

    async def _read(self, work: Callable[[Connection], Awaitable[R]]) -> R:
        """``work`` on a pooled connection; run again on another when the connection
        turns out dead (reading twice changes nothing)."""
        pool = self._open_pool()
        for start in range(1, _STARTS + 1):
            async with pool.acquire() as connection:
                try:
                    return await work(connection)
                except Exception as error:
                    if start == _STARTS or not faults.connection_lost(error):
                        raise
        raise AssertionError("unreachable")

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        return await self._read(lambda connection: connection.fetch(sql, *args))

    async def _fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        return await self._read(lambda connection: connection.fetchrow(sql, *args))

    async def _fetchval(self, sql: str, *args: object) -> Any:
        return await self._read(lambda connection: connection.fetchval(sql, *args))

    @asynccontextmanager
    async def _transaction(
        self, *, isolation: str | None = None, readonly: bool = False
    ) -> AsyncIterator[Connection]:
        """A pooled connection inside a new transaction, committed when the block ends
        without an error and rolled back otherwise. A connection found dead as the
        transaction begins (so nothing was done on it) is replaced by another."""
        pool = self._open_pool()
        for start in range(1, _STARTS + 1):
            connection = await pool.acquire()
            try:
                transaction = connection.transaction(isolation=isolation, readonly=readonly)
                try:
                    await transaction.start()
                except Exception as error:
                    if start < _STARTS and faults.connection_lost(error):
                        continue
                    raise
                try:
                    yield connection
                except BaseException:
                    with contextlib.suppress(Exception):
                        await transaction.rollback()
                    raise
                await transaction.commit()
                return
            finally:
                await pool.release(connection)

    async def _write(self, work: Callable[[Connection], Awaitable[R]]) -> R:
        """``work`` in a transaction of its own, run again when it lost a conflict with
        another transaction (``StoreBusy`` when that keeps happening)."""
        for attempt in range(1, _CONFLICT_ATTEMPTS + 1):
            try:
                async with self._transaction() as connection:
                    return await work(connection)
            except asyncpg.PostgresError as error:
                if attempt == _CONFLICT_ATTEMPTS or not faults.conflicted(error):
                    raise
            await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)
        raise AssertionError("unreachable")

    async def _execute(self, sql: str, *args: object) -> str:
        """One statement that changes rows, in a transaction of its own."""
        return await self._write(lambda connection: connection.execute(sql, *args))

    # -- articles ---------------------------------------------------------------------

    @_guarded
    async def add_article(
        self, guild_id: int, draft: ArticleDraft, provenance: Provenance
    ) -> tuple[ArticleInfo, list[StoredParagraph]]:
        arguments = (
            *article_values(guild_id, draft, provenance, _to_the_second),
            list(draft.paragraphs),
        )

        async def add(connection: Connection) -> asyncpg.Record | ArticleInfo | None:
            """The stored article's row; the article the guild has already; or None when
            another transaction stored the same article while this one was writing."""
            duplicates = await connection.fetch(
                _FIND_DUPLICATE, guild_id, draft.fingerprint, draft.canonical_url
            )
            if duplicates:
                return _article(duplicates[0])
            stored = await connection.fetchrow(_ADD_ARTICLE, *arguments)
            if stored is not None:
                await _log_change(connection, guild_id, "added", stored["id"])
            return stored

        # Looked for first, so that a duplicate (a common sight: an article shared twice)
        # takes no number from the sequences: members see articles numbered 1, 2, 3, as on
        # SQLite. Only a race or a failed write leaves a gap.
        for _ in range(_CONFLICT_ATTEMPTS):
            stored = await self._write(add)
            if isinstance(stored, ArticleInfo):
                raise DuplicateArticle(stored)
            if stored is not None:
                article = _article(stored)
                ids = stored["paragraph_ids"] or []
                paragraphs = [
                    StoredParagraph(paragraph_id, article.id, position, text)
                    for position, (paragraph_id, text) in enumerate(
                        zip(ids, draft.paragraphs, strict=True)
                    )
                ]
                return article, paragraphs
            # Refused by the unique indexes: the next round finds what was stored.
        raise StoreBusy("the article was being added and removed at once; try again")

    @_guarded
    async def find_duplicate(
        self, guild_id: int, canonical_url: str | None, fingerprint: str | None
    ) -> ArticleInfo | None:
        rows = await self._fetch(_FIND_DUPLICATE, guild_id, fingerprint, canonical_url)
        return _article(rows[0]) if rows else None

    async def _articles(self, where: str, *args: object) -> list[ArticleInfo]:
        rows = await self._fetch(f"SELECT {_ARTICLE_COLUMNS} FROM articles {where}", *args)
        return [_article(row) for row in rows]

    @_guarded
    async def get_article(self, guild_id: int, article_id: int) -> ArticleInfo | None:
        rows = await self._articles("WHERE guild_id = $1 AND id = $2", guild_id, article_id)
        return rows[0] if rows else None

    @_guarded
    async def list_articles(
        self, guild_id: int, *, offset: int = 0, limit: int = 50
    ) -> list[ArticleInfo]:
        return await self._articles(
            "WHERE guild_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3", guild_id, limit, offset
        )

    @_guarded
    async def search_titles(self, guild_id: int, text: str, limit: int = 25) -> list[ArticleInfo]:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return await self._articles(
            "WHERE guild_id = $1 AND title ILIKE $2 ESCAPE '\\' ORDER BY id DESC LIMIT $3",
            guild_id,
            pattern,
            limit,
        )

    @_guarded
    async def articles_by_id(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, ArticleInfo]:
        if not article_ids:
            return {}
        rows = await self._articles(
            "WHERE guild_id = $1 AND id = ANY($2::bigint[])", guild_id, sorted(set(article_ids))
        )
        return {row.id: row for row in rows}

    # -- article facets ---------------------------------------------------------------

    @_guarded
    async def save_facets(self, guild_id: int, article_id: int, facets: ArticleFacets) -> bool:
        """Keep ``facets`` for the article (replacing any); False when it is not stored."""

        async def save(connection: Connection) -> bool:
            found = await connection.fetchval(
                "SELECT id FROM articles WHERE guild_id = $1 AND id = $2 FOR KEY SHARE",
                guild_id,
                article_id,
            )
            if found is None:
                return False
            await connection.execute(
                "INSERT INTO article_facets (article_id, guild_id, site, reported_at, signature) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (article_id) DO UPDATE SET "
                "site = excluded.site, reported_at = excluded.reported_at, "
                "signature = excluded.signature",
                article_id,
                guild_id,
                facets.site,
                facets.reported_at,
                facets.signature,
            )
            await connection.execute("DELETE FROM article_bands WHERE article_id = $1", article_id)
            await connection.execute(
                "INSERT INTO article_bands (guild_id, band_key, article_id) "
                "SELECT $1, key, $3 FROM unnest($2::bigint[]) AS key ON CONFLICT DO NOTHING",
                guild_id,
                sorted(set(facets.band_keys)),
                article_id,
            )
            return True

        return await self._write(save)

    @_guarded
    async def articles_missing_facets(self, limit: int = FACETS_BATCH) -> list[ArticleInfo]:
        return await self._articles(
            "WHERE NOT EXISTS (SELECT 1 FROM article_facets f WHERE f.article_id = articles.id) "
            "ORDER BY id LIMIT $1",
            limit,
        )

    @_guarded
    async def filter_articles(self, guild_id: int, wanted: ArticleFilter) -> set[int]:
        sql, params = filter_query(guild_id, wanted, lambda n: f"${n}", lambda moment: moment)
        return {row["id"] for row in await self._fetch(sql, *params)}

    @_guarded
    async def facets_of(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, ArticleFacets]:
        if not article_ids:
            return {}
        rows = await self._fetch(
            "SELECT f.article_id, f.site, f.reported_at, f.signature, "
            "array(SELECT b.band_key FROM article_bands b WHERE b.article_id = f.article_id) "
            "AS keys FROM article_facets f WHERE f.guild_id = $1 "
            "AND f.article_id = ANY($2::bigint[])",
            guild_id,
            sorted(set(article_ids)),
        )
        return {
            row["article_id"]: ArticleFacets(
                row["site"], row["reported_at"], row["signature"], tuple(row["keys"])
            )
            for row in rows
        }

    @_guarded
    async def articles_sharing(
        self, guild_id: int, band_keys: Sequence[int], limit: int = 50
    ) -> list[tuple[ArticleInfo, bytes | None]]:
        if not band_keys:
            return []
        rows = await self._fetch(
            f"SELECT {_QUALIFIED_ARTICLE_COLUMNS}, f.signature AS facet_signature FROM articles "
            "LEFT JOIN article_facets f ON f.article_id = articles.id "
            "WHERE articles.guild_id = $1 AND articles.id IN (SELECT DISTINCT article_id "
            "FROM article_bands WHERE guild_id = $1 AND band_key = ANY($2::bigint[])) "
            "ORDER BY articles.id DESC LIMIT $3",
            guild_id,
            sorted(set(band_keys)),
            limit,
        )
        return [(_article(row), row["facet_signature"]) for row in rows]

    @_guarded
    async def sites(self, guild_id: int, prefix: str = "", limit: int = 25) -> list[str]:
        low = prefix.lower()
        rows = await self._fetch(
            "SELECT DISTINCT site FROM article_facets WHERE guild_id = $1 AND site IS NOT NULL "
            "AND starts_with(site, $2) ORDER BY site LIMIT $3",
            guild_id,
            low,
            limit,
        )
        return [row["site"] for row in rows]

    @_guarded
    async def article_languages(self, guild_id: int) -> dict[int, str | None]:
        rows = await self._fetch("SELECT id, language FROM articles WHERE guild_id = $1", guild_id)
        return {row["id"]: row["language"] for row in rows}

    @_guarded
    async def settle_article_languages(self, guild_id: int, languages: Mapping[int, str]) -> int:
        if not languages:
            return 0
        ids = list(languages)
        codes = [languages[article_id] for article_id in ids]

        async def settle(connection: Connection) -> int:
            status = await connection.execute(
                "UPDATE articles AS a SET language = given.language "
                "FROM unnest($2::bigint[], $3::text[]) AS given(id, language) "
                "WHERE a.guild_id = $1 AND a.id = given.id AND a.language IS NULL",
                guild_id,
                ids,
                codes,
            )
            settled = int(status.split()[-1])
            if settled:
                await _log_change(connection, guild_id, "replaced")
            return settled

        return await self._write(settle)

    @_guarded
    async def find_by_message(self, guild_id: int, message_id: int) -> ArticleInfo | None:
        rows = await self._articles(
            "WHERE guild_id = $1 AND message_id = $2 ORDER BY id LIMIT 1", guild_id, message_id
        )
        return rows[0] if rows else None

    @_guarded
    async def remove_article(
        self, guild_id: int, article_id: int
    ) -> tuple[ArticleInfo, list[StoredParagraph]] | None:
        async def remove(
            connection: Connection,
        ) -> tuple[ArticleInfo, list[StoredParagraph]] | None:
            removed = await connection.fetch(
                f"DELETE FROM paragraphs WHERE guild_id = $1 AND article_id = $2 "
                f"RETURNING {_PARAGRAPH_COLUMNS}",
                guild_id,
                article_id,
            )
            row = await connection.fetchrow(
                f"DELETE FROM articles WHERE guild_id = $1 AND id = $2 "
                f"RETURNING {_ARTICLE_COLUMNS}",
                guild_id,
                article_id,
            )
            if row is None:
                if removed:
                    raise DamageFound(f"paragraphs of article {article_id} have no article")
                return None
            article = _article(row)
            paragraphs = sorted(map(_paragraph, removed), key=lambda p: p.position)
            check_whole(article.id, article.paragraph_count, paragraphs)
            record = removal_record(article.title, paragraphs, article.language)
            await _log_change(connection, guild_id, "removed", article.id, record)
            return article, paragraphs

        return await self._write(remove)

    @_guarded
    async def article_paragraphs(self, guild_id: int, article_id: int) -> list[StoredParagraph]:
        rows = await self._fetch(
            "SELECT a.paragraph_count, p.id, p.position, p.text FROM articles AS a "
            "LEFT JOIN paragraphs AS p ON p.article_id = a.id AND p.guild_id = a.guild_id "
            "WHERE a.guild_id = $1 AND a.id = $2 ORDER BY p.position",
            guild_id,
            article_id,
        )
        if not rows:
            return []
        paragraphs = [
            StoredParagraph(row["id"], article_id, row["position"], row["text"])
            for row in rows
            if row["id"] is not None
        ]
        check_whole(article_id, rows[0]["paragraph_count"], paragraphs)
        return paragraphs

    @_guarded
    async def paragraphs(
        self, guild_id: int, paragraph_ids: Sequence[int]
    ) -> dict[int, StoredParagraph]:
        if not paragraph_ids:
            return {}
        rows = await self._fetch(
            f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs "
            "WHERE guild_id = $1 AND id = ANY($2::bigint[])",
            guild_id,
            sorted(set(paragraph_ids)),
        )
        return {row["id"]: _paragraph(row) for row in rows}

    async def iter_paragraphs(self, guild_id: int) -> AsyncIterator[tuple[StoredParagraph, str]]:
        """Every paragraph of the guild with its article's title, by article and position,
        read in one transaction (one consistent picture, however long the reading takes);
        each article must come with exactly the paragraphs it lists, or that is damage."""
        self._refuse_if_damaged()
        try:
            async with self._transaction(isolation="repeatable_read", readonly=True) as db:
                articles = {
                    row["id"]: (row["title"], row["paragraph_count"])
                    for row in await db.fetch(
                        "SELECT id, title, paragraph_count FROM articles WHERE guild_id = $1",
                        guild_id,
                    )
                }
                order = ParagraphOrder(articles)
                cursor = db.cursor(
                    f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs WHERE guild_id = $1 "
                    "ORDER BY article_id, position",
                    guild_id,
                    prefetch=_FETCH_BATCH,
                )
                async for row in cursor:
                    paragraph = _paragraph(row)
                    yield paragraph, order.title_of(paragraph)
                order.finish()
        except _FAULTS as error:
            self._raise_as_store_error(error)

    @_guarded
    async def paragraph_signature(self, guild_id: int) -> tuple[int, int, int]:
        row = await self._fetchrow(
            "SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0) FROM paragraphs "
            "WHERE guild_id = $1",
            guild_id,
        )
        assert row is not None
        count, largest, total = row
        return count, largest, int(total)

    @_guarded
    async def counts(self, guild_id: int) -> tuple[int, int, datetime | None]:
        summaries = await self._summaries("WHERE guild_id = $1", guild_id)
        if not summaries:
            return 0, 0, None
        (summary,) = summaries
        return summary.articles, summary.paragraphs, summary.last_ingest

    @_guarded
    async def guild_summaries(self) -> list[GuildSummary]:
        return await self._summaries("")

    async def _summaries(self, where: str, *args: object) -> list[GuildSummary]:
        rows = await self._fetch(
            "SELECT guild_id, count(*), sum(paragraph_count), max(created_at) FROM articles "
            f"{where} GROUP BY guild_id ORDER BY guild_id",
            *args,
        )
        return [
            GuildSummary(guild_id, articles, int(paragraphs), last)
            for guild_id, articles, paragraphs, last in rows
        ]

    # -- settings, counters, questions, audit -----------------------------------------

    @_guarded
    async def get_setting(self, guild_id: int, key: str) -> str | None:
        return await self._fetchval(
            "SELECT value FROM guild_settings WHERE guild_id = $1 AND key = $2", guild_id, key
        )

    @_guarded
    async def set_setting(self, guild_id: int, key: str, value: str | None) -> None:
        if value is None:
            await self._execute(
                "DELETE FROM guild_settings WHERE guild_id = $1 AND key = $2", guild_id, key
            )
            return
        await self._execute(
            "INSERT INTO guild_settings (guild_id, key, value) VALUES ($1, $2, $3) "
            "ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value",
            guild_id,
            key,
            value,
        )

    @_guarded
    async def get_counter(self, guild_id: int, key: str) -> int:
        value = await self._fetchval(
            "SELECT value FROM guild_counters WHERE guild_id = $1 AND key = $2", guild_id, key
        )
        return value or 0

    @_guarded
    async def increment_counter(self, guild_id: int, key: str, by: int = 1) -> None:
        await self._execute(
            "INSERT INTO guild_counters (guild_id, key, value) VALUES ($1, $2, $3) "
            "ON CONFLICT (guild_id, key) DO UPDATE SET value = guild_counters.value + $3",
            guild_id,
            key,
            by,
        )

    @_guarded
    async def add_question(
        self,
        guild_id: int,
        question_id: int,
        user_id: int | None,
        question: str,
        article_id: int | None,
    ) -> None:
        await self._execute(
            "INSERT INTO questions (id, guild_id, user_id, question, article_id, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            question_id,
            guild_id,
            user_id,
            question,
            article_id,
            _to_the_second(utc_now()),
        )

    @_guarded
    async def get_question(
        self, guild_id: int, question_id: int
    ) -> tuple[int | None, str, int | None] | None:
        row = await self._fetchrow(
            "SELECT user_id, question, article_id FROM questions WHERE guild_id = $1 AND id = $2",
            guild_id,
            question_id,
        )
        return None if row is None else (row["user_id"], row["question"], row["article_id"])

    @_guarded
    async def add_audit(
        self, guild_id: int, user_id: int | None, user_name: str | None, action: str, detail: str
    ) -> None:
        await self._execute(
            "INSERT INTO audit_log (guild_id, user_id, user_name, action, detail, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            guild_id,
            user_id,
            user_name,
            action,
            detail,
            _to_the_second(utc_now()),
        )

    @_guarded
    async def audit_entries(self, guild_id: int, limit: int = 50) -> list[AuditEntry]:
        rows = await self._fetch(
            "SELECT user_id, user_name, action, detail, created_at FROM audit_log "
            "WHERE guild_id = $1 ORDER BY id DESC LIMIT $2",
            guild_id,
            limit,
        )
        return [AuditEntry(*row) for row in rows]

    @_guarded
    async def purge_guild(self, guild_id: int) -> int:
        """Delete every article, setting, counter, question and pending work of the guild
        (its audit log stays); returns how many articles there were."""

        async def purge(connection: Connection) -> int:
            await connection.execute("DELETE FROM paragraphs WHERE guild_id = $1", guild_id)
            status = await connection.execute("DELETE FROM articles WHERE guild_id = $1", guild_id)
            for table in ("guild_settings", "guild_counters", "questions", "pending_ingests"):
                await connection.execute(f"DELETE FROM {table} WHERE guild_id = $1", guild_id)
            await _log_change(connection, guild_id, "purged")
            return int(status.split()[-1])

        return await self._write(purge)

    # -- pending ingests --------------------------------------------------------------

    @_guarded
    async def add_pending_ingest(
        self, guild_id: int, channel_id: int | None, message_id: int | None, content: str
    ) -> int:
        return await self._write(
            lambda connection: connection.fetchval(
                "INSERT INTO pending_ingests "
                "(guild_id, channel_id, message_id, content, attempts, accepted_at) "
                "VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
                guild_id,
                channel_id,
                message_id,
                content,
                _to_the_second(utc_now()),
            )
        )

    @_guarded
    async def retry_pending_ingest(self, guild_id: int, pending_id: int) -> None:
        await self._execute(
            "UPDATE pending_ingests SET attempts = attempts + 1 WHERE guild_id = $1 AND id = $2",
            guild_id,
            pending_id,
        )

    @_guarded
    async def remove_pending_ingest(self, guild_id: int, pending_id: int) -> None:
        await self._execute(
            "DELETE FROM pending_ingests WHERE guild_id = $1 AND id = $2", guild_id, pending_id
        )

    @_guarded
    async def pending_ingests(self, guild_ids: Sequence[int]) -> list[PendingIngest]:
        if not guild_ids:
            return []
        rows = await self._fetch(
            "SELECT id, guild_id, channel_id, message_id, content, attempts, accepted_at "
            "FROM pending_ingests WHERE guild_id = ANY($1::bigint[]) ORDER BY id",
            list(guild_ids),
        )
        return [PendingIngest(*row) for row in rows]

    # -- whole stores -----------------------------------------------------------------

    @_guarded
    async def is_empty(self) -> bool:
        anything = " OR ".join(f"EXISTS (SELECT 1 FROM {columns.table})" for columns in DATA_TABLES)
        return not await self._fetchval(f"SELECT {anything}")

    async def copy_rows(self, columns: Columns) -> AsyncIterator[list[tuple[object, ...]]]:
        """Every row of one table in batches, by its key, read in one transaction."""
        _check_known(columns)
        self._refuse_if_damaged()
        key = "id" if columns.has_id else 'guild_id, key COLLATE "C"'
        sql = f"SELECT {', '.join(columns.names)} FROM {columns.table} ORDER BY {key}"
        try:
            async with self._transaction(isolation="repeatable_read", readonly=True) as db:
                batch: list[tuple[object, ...]] = []
                async for row in db.cursor(sql, prefetch=_FETCH_BATCH):
                    batch.append(tuple(row))
                    if len(batch) == _FETCH_BATCH:
                        yield batch
                        batch = []
                if batch:
                    yield batch
        except _FAULTS as error:
            self._raise_as_store_error(error)

    @_guarded
    async def load_rows(self, columns: Columns, rows: Sequence[tuple[object, ...]]) -> None:
        """Rows as another store's ``copy_rows`` read them, ids included, in one
        transaction; the table's sequence is moved past the largest id."""
        _check_known(columns)
        if not rows:
            return
        moments = [name in columns.timestamps for name in columns.names]
        records = []
        for row in rows:
            if len(row) != len(columns.names):
                raise StoreError(
                    f"a row for {columns.table} has {len(row)} values, not {len(columns.names)}"
                )
            records.append(
                tuple(
                    _aware(value) if is_moment else value
                    for value, is_moment in zip(row, moments, strict=True)
                )
            )
        sequence = IDENTITY_SEQUENCES.get(columns.table)

        async def load(connection: Connection) -> None:
            await connection.copy_records_to_table(
                columns.table, records=records, columns=list(columns.names)
            )
            if sequence is not None:
                await connection.execute(
                    f"SELECT setval('{sequence}', loaded.largest) "
                    f"FROM (SELECT max(id) AS largest FROM {columns.table}) AS loaded, "
                    f"{sequence} AS drawn "
                    "WHERE NOT drawn.is_called OR loaded.largest > drawn.last_value"
                )
            if columns == PARAGRAPHS:
                guild_column = PARAGRAPHS.names.index("guild_id")
                for guild_id in sorted({int(row[guild_column]) for row in records}):
                    await _log_change(connection, guild_id, "replaced")

        await self._write(load)

    # -- the change log ---------------------------------------------------------------

    @_guarded
    async def latest_change(self) -> int:
        """The number of the last change log entry committed (0 before the first)."""
        return await self._fetchval(
            "SELECT greatest(coalesce(max(id), 0), "
            "coalesce((SELECT through FROM index_changes_pruned), 0)) FROM index_changes"
        )

    @_guarded
    async def changes_since(self, after: int, limit: int = READ_LIMIT) -> ChangeBatch:
        """The change log entries numbered above ``after``, oldest first."""
        rows = await self._fetch(
            "SELECT id, guild_id, kind, article_id, removed FROM index_changes "
            "WHERE id > $1 ORDER BY id LIMIT $2",
            after,
            limit,
        )
        # Read after the entries: a prune in between makes the batch look incomplete,
        # never the other way round.
        through = await self._fetchval("SELECT coalesce(max(through), 0) FROM index_changes_pruned")
        changes = [stored_change(*row) for row in rows]
        return ChangeBatch(changes, pruned_through=through, after=after)

    async def wait_for_changes(self, timeout: float) -> None:
        """Return when a change was committed by any process since the last return (or
        changes may have been missed while the listening connection was away), or after
        ``timeout`` seconds."""
        await self._listener.wait(timeout)

    @_guarded
    async def prune_changes(self, older_than: timedelta) -> int:
        """Delete the change log entries written more than ``older_than`` ago; returns
        how many. Processes pruning at once take turns: one deletes, the others find
        nothing left or skip."""

        async def prune(connection: Connection) -> int:
            if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", PRUNE_LOCK):
                return 0
            through = await connection.fetchval(
                "SELECT max(id) FROM index_changes WHERE made_at < now() - $1::interval",
                older_than,
            )
            if through is None:
                return 0
            status = await connection.execute("DELETE FROM index_changes WHERE id <= $1", through)
            await connection.execute(
                "INSERT INTO index_changes_pruned (id, through) VALUES (1, $1) "
                "ON CONFLICT (id) DO UPDATE "
                "SET through = greatest(index_changes_pruned.through, EXCLUDED.through)",
                through,
            )
            return int(status.split()[-1])

        return await self._write(prune)

    async def integrity_problems(self) -> list[str]:
        """What is wrong with the stored data: the schema version, and articles whose
        paragraphs are not the ones they list (PostgreSQL checks its own pages and its
        constraints). Empty when the data is sound."""
        try:
            version = await self._fetchval(
                "SELECT coalesce(max(version), 0) FROM schema_migrations"
            )
            problems = []
            if version != schema_version():
                problems.append(
                    f"the schema is version {version}, this version of the bot writes "
                    f"{schema_version()}"
                )
            unlisted = await self._fetch(
                "SELECT a.id FROM articles AS a LEFT JOIN ("
                "    SELECT article_id, count(*) AS held, min(position) AS first,"
                "           max(position) AS last"
                "    FROM paragraphs GROUP BY article_id"
                ") AS p ON p.article_id = a.id "
                "WHERE coalesce(p.held, 0) <> a.paragraph_count "
                "   OR (p.held > 0 AND (p.first <> 0 OR p.last <> p.held - 1)) "
                "ORDER BY a.id LIMIT 10"
            )
            problems += [
                f"article {row['id']} does not have the paragraphs it lists" for row in unlisted
            ]
            strays = await self._fetch(
                "SELECT p.id FROM paragraphs AS p JOIN articles AS a ON a.id = p.article_id "
                "WHERE p.guild_id <> a.guild_id ORDER BY p.id LIMIT 10"
            )
            problems += [
                f"paragraph {row['id']} is not in the guild of its article" for row in strays
            ]
            return problems
        except _FAULTS as error:
            return [str(faults.store_error(error, self.location))]

    async def backup(self, target: str | Path) -> None:
        """A consistent copy of the whole database at ``target``, a new file: a dump in
        ``pg_dump``'s custom format (see ``postgres_backup``)."""
        self._refuse_if_damaged()
        await dump_database(self.url, self.location, Path(target))


def _check_known(columns: Columns) -> None:
    """Refuse a table this store does not keep (its name goes into SQL)."""
    if columns not in DATA_TABLES:
        raise ValueError(f"{columns.table} with these columns is not a table of the store")


def _article(row: asyncpg.Record) -> ArticleInfo:
    return ArticleInfo(
        id=row["id"],
        guild_id=row["guild_id"],
        title=row["title"],
        source_url=row["source_url"],
        canonical_url=row["canonical_url"],
        fingerprint=row["fingerprint"],
        note=row["note"],
        poster_id=row["poster_id"],
        poster_name=row["poster_name"],
        message_url=row["message_url"],
        posted_at=row["posted_at"],
        paragraph_count=row["paragraph_count"],
        site_name=row["site_name"],
        author=row["author"],
        published=row["published"],
        language=row["language"],
    )


def _paragraph(row: asyncpg.Record) -> StoredParagraph:
    return StoredParagraph(row["id"], row["article_id"], row["position"], row["text"])


def _aware(moment: datetime) -> datetime:
    """A moment without a zone is taken as UTC, as the stores write every moment."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _to_the_second(moment: datetime) -> datetime:
    """``moment`` in UTC to the second, as the SQLite store keeps it too."""
    return _aware(moment).astimezone(UTC).replace(microsecond=0)


async def _log_change(
    connection: Connection,
    guild_id: int,
    kind: ChangeKind,
    article_id: int | None = None,
    removed: str | None = None,
) -> None:
    """Write a change log entry: the last thing a transaction does before it commits
    (the lock it takes first is held until then). Every writer of the deployment waits
    for that lock, so a writer that stalls while holding it (its process frozen, its
    network cut) is cut off by the server after ``STALLED_WRITER_SECONDS``."""
    await connection.execute(
        "SELECT set_config('idle_in_transaction_session_timeout', $2, true), "
        "pg_advisory_xact_lock($1)",
        CHANGE_LOG_LOCK,
        f"{STALLED_WRITER_SECONDS}s",
    )
    await connection.fetchval(_LOG_CHANGE, guild_id, kind, article_id, removed)


async def _close_pool(pool: asyncpg.Pool) -> None:
    """Close the pool's connections politely, or cut them when that takes too long (a
    server that went away, a connection still held)."""
    try:
        await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT_SECONDS)
    except (TimeoutError, *_FAULTS):
        pool.terminate()
