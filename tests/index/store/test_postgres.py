"""What only the PostgreSQL store has: migrations shared by processes that start at once,
a server that goes away and comes back, its errors in plain words, rows locked rather than
tables, and backups made with ``pg_dump``. What both stores do alike is in
``test_contract.py``.

The tests that take the server away stop and restart the session's throwaway server
(``tests/support/postgres.py``); they cannot run against a server named by
``NEWSBOT_TEST_POSTGRES_URL`` and fail saying so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from asyncpg import exceptions as pg

from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.store import (
    DuplicateArticle,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
    StoreUnavailable,
    open_store,
    postgres_schema,
)
from index.store import postgres_faults as faults
from index.store.postgres import PostgresStore
from index.store.postgres_schema import Migration, migrations, schema_version
from tests.support.postgres import embedded_binaries, free_port

pytestmark = pytest.mark.postgresql

GUILD = 1_180_000_000_000_000_001
OTHER_GUILD = 1_180_000_000_000_000_002
PASSWORD = "s3cret-pass"


def draft(title: str, *paragraphs: str, url: str | None = None) -> ArticleDraft:
    return ArticleDraft(
        title=title,
        paragraphs=paragraphs,
        fingerprint=fingerprint(paragraphs),
        source_url=url,
        canonical_url=url,
    )


def with_password(url: str) -> str:
    """``url`` with a password, which messages must never show. The throwaway server
    trusts local connections, so it accepts and ignores one; a server named by the
    setting keeps its own."""
    parts = urlsplit(url)
    if parts.password:
        return url
    netloc = f"{parts.username}:{PASSWORD}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def password_of(url: str) -> str:
    password = urlsplit(url).password
    assert password
    return password


async def raw_connection(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url, timeout=10)


@pytest.fixture
def database_url(new_store_url) -> str:
    """A fresh, empty PostgreSQL database on the session's server."""
    return new_store_url("postgresql")


@pytest.fixture
async def store(database_url) -> AsyncIterator[PostgresStore]:
    opened = PostgresStore(with_password(database_url))
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


# -- migrations -------------------------------------------------------------------------


async def applied_migrations(url: str) -> list[tuple[int, str]]:
    connection = await raw_connection(url)
    try:
        rows = await connection.fetch("SELECT version, name FROM schema_migrations ORDER BY 1")
    finally:
        await connection.close()
    return [tuple(row) for row in rows]


async def test_stores_opening_at_once_migrate_the_database_exactly_once(database_url):
    stores = [PostgresStore(database_url) for _ in range(6)]
    try:
        await asyncio.gather(*(store.open() for store in stores))
        assert await applied_migrations(database_url) == [
            (migration.version, migration.name) for migration in migrations()
        ]
        info, _ = await stores[0].add_article(GUILD, draft("Shared", "Words."), Provenance())
        assert [await store.get_article(GUILD, info.id) for store in stores] == [info] * 6
    finally:
        await asyncio.gather(*(store.close() for store in stores))
    reopened = await open_store(database_url)
    await reopened.close()
    assert len(await applied_migrations(database_url)) == schema_version()


async def test_a_database_of_a_newer_schema_is_refused(database_url):
    await (await open_store(database_url)).close()
    connection = await raw_connection(database_url)
    try:
        await connection.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, '999_future.sql')",
            schema_version() + 1,
        )
    finally:
        await connection.close()
    store = PostgresStore(with_password(database_url))
    with pytest.raises(StoreError, match="newer version of the bot") as refused:
        await store.open()
    assert not isinstance(refused.value, StoreUnavailable)
    assert password_of(store.url) not in str(refused.value)
    assert f"schema {schema_version() + 1}" in str(refused.value)
    with pytest.raises(StoreError, match="not open"):
        await store.list_articles(GUILD)


async def test_a_database_holding_another_programs_tables_is_refused(database_url):
    connection = await raw_connection(database_url)
    try:
        await connection.execute("CREATE TABLE articles (headline TEXT)")
        with pytest.raises(StoreError, match=r"tables this bot did not make there \(articles\)"):
            await open_store(database_url)
        assert await connection.fetchval("SELECT to_regclass('schema_migrations')") is None
    finally:
        await connection.close()


async def test_a_failed_migration_leaves_nothing_behind(database_url, monkeypatch):
    broken = Migration(len(migrations()) + 1, "999_broken.sql", "CREATE TABLE x (); SELECT 1/0")
    monkeypatch.setattr(postgres_schema, "migrations", lambda: (*migrations(), broken))
    with pytest.raises(StoreError, match="division by zero"):
        await open_store(database_url)
    connection = await raw_connection(database_url)
    try:
        created = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
    finally:
        await connection.close()
    assert created == 0


# -- numbering --------------------------------------------------------------------------


async def test_a_refused_duplicate_takes_no_number(store):
    """Members see article numbers: sharing an article twice must not skip one (a
    sequence hands out a number even to an insert that is then refused)."""
    first, first_paragraphs = await store.add_article(
        GUILD, draft("A", "x.", "y.", url="https://x.com/a"), Provenance()
    )
    for again in (draft("A", "x.", "y."), draft("A2", "New.", url="https://x.com/a")):
        with pytest.raises(DuplicateArticle):
            await store.add_article(GUILD, again, Provenance())
    second, second_paragraphs = await store.add_article(GUILD, draft("B", "z."), Provenance())
    assert second.id == first.id + 1
    assert second_paragraphs[0].id == first_paragraphs[-1].id + 1


# -- the server going away --------------------------------------------------------------


async def fill_the_pool(store: PostgresStore) -> None:
    """Several connections open in the pool, as after a busy moment."""
    await asyncio.gather(*(store.counts(GUILD) for _ in range(8)))


async def test_while_the_server_is_down_calls_fail_as_unavailable_and_work_once_it_is_back(
    postgres_server, store
):
    info, _ = await store.add_article(GUILD, draft("Before", "Kept words."), Provenance())
    await fill_the_pool(store)
    postgres_server.stop()
    try:
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: store.get_article(GUILD, info.id),
            lambda: store.add_article(GUILD, draft("During", "Lost words."), Provenance()),
            lambda: store.set_setting(GUILD, "seeded", "1"),
            lambda: store.add_pending_ingest(GUILD, None, None, "https://example.org/a"),
            lambda: anext(aiter(store.iter_paragraphs(GUILD))),
        ]
        for call in calls:
            with pytest.raises(StoreUnavailable) as failed:
                await call()
            message = str(failed.value)
            assert "cannot be reached right now" in message
            assert "try again shortly" in message
            assert urlsplit(store.url).hostname in message
            assert password_of(store.url) not in message
    finally:
        postgres_server.start()
    assert await store.get_article(GUILD, info.id) == info
    after, _ = await store.add_article(GUILD, draft("After", "New words."), Provenance())
    assert [a.title for a in await store.list_articles(GUILD)] == ["After", "Before"]
    assert after.id > info.id


@pytest.mark.parametrize("first_call", ["read", "write", "ingest", "rebuild", "purge"])
async def test_the_first_call_after_a_restart_works(postgres_server, store, first_call):
    info, paragraphs = await store.add_article(GUILD, draft("A", "x.", "y."), Provenance())
    await fill_the_pool(store)
    # The event loop is held while the server restarts, as in a busy process: the pooled
    # connections are dead, and the store has not heard of it yet.
    postgres_server.restart()
    if first_call == "read":
        assert await store.paragraphs(GUILD, [p.id for p in paragraphs]) == {
            p.id: p for p in paragraphs
        }
    elif first_call == "write":
        await store.increment_counter(GUILD, "questions_answered", 2)
        assert await store.get_counter(GUILD, "questions_answered") == 2
    elif first_call == "ingest":
        added, _ = await store.add_article(GUILD, draft("B", "z."), Provenance())
        assert await store.get_article(GUILD, added.id) == added
    elif first_call == "rebuild":
        assert [p async for p, _ in store.iter_paragraphs(GUILD)] == paragraphs
    else:
        assert await store.purge_guild(GUILD) == 1
        assert await store.get_article(GUILD, info.id) is None


async def test_an_unreachable_server_at_open_is_named_without_the_password():
    port = free_port()
    store = PostgresStore(f"postgresql://newsbot:{PASSWORD}@127.0.0.1:{port}/newsbot")
    with pytest.raises(StoreUnavailable) as failed:
        await store.open()
    message = str(failed.value)
    assert f"127.0.0.1:{port}" in message
    assert "cannot be reached right now" in message and "try again shortly" in message
    assert PASSWORD not in message


async def test_a_missing_database_is_named(postgres_server):
    url = with_password(postgres_server.url("pgstore_no_such_database"))
    with pytest.raises(StoreMissing, match="no database pgstore_no_such_database") as failed:
        await open_store(url)
    assert password_of(url) not in str(failed.value)


LOCATION = "postgresql://bot:***@db.example:5432/news"


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (
            pg.InvalidPasswordError('password authentication failed for user "bot"'),
            StoreError,
            "db.example:5432 refused the password of the user bot",
        ),
        (
            pg.InvalidAuthorizationSpecificationError('role "bot" does not exist'),
            StoreError,
            'refused the connection to postgresql://bot:***@db.example:5432/news (role "bot"',
        ),
        (
            pg.InvalidCatalogNameError('database "news" does not exist'),
            StoreMissing,
            "no database news on the server at db.example:5432",
        ),
        (ConnectionRefusedError(111, "Connect call failed"), StoreUnavailable, "refused"),
        (ConnectionResetError(104, "Connection reset by peer"), StoreUnavailable, "lost"),
        (
            pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
            StoreUnavailable,
            "lost",
        ),
        (
            pg.CannotConnectNowError("the database system is starting up"),
            StoreUnavailable,
            "starting up",
        ),
        (
            pg.AdminShutdownError("terminating connection due to administrator command"),
            StoreUnavailable,
            "stopped or restarted",
        ),
        (asyncpg.InterfaceError("connection is closed"), StoreUnavailable, "lost"),
        (TimeoutError(), StoreUnavailable, "did not answer in time"),
        (pg.DiskFullError("could not extend file"), StoreFull, "disk is full"),
        (
            pg.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"),
            StoreReadOnly,
            "accepts no changes",
        ),
        (pg.DeadlockDetectedError("deadlock detected"), StoreBusy, "try again"),
        (pg.SerializationError("could not serialize access"), StoreBusy, "try again"),
        (pg.QueryCanceledError("canceling statement due to statement timeout"), StoreBusy, "busy"),
        (pg.DataCorruptedError("invalid page in block 4"), StoreDamaged, "invalid page"),
        (
            pg.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00'),
            StoreError,
            "a character the database cannot store",
        ),
        (
            pg.DataError("invalid input for query argument $1: 2**70 (value out of int64 range)"),
            StoreError,
            "too large",
        ),
    ],
)
def test_each_error_gets_its_plain_message(error, kind, words):
    failure = faults.store_error(error, LOCATION)
    assert type(failure) is kind
    assert words in str(failure)
    if kind is StoreUnavailable:
        assert "db.example:5432" in str(failure) and "try again shortly" in str(failure)
    assert type(error).__name__ not in str(failure)


# -- rows, not tables -------------------------------------------------------------------


async def test_a_guild_s_unfinished_writes_hold_up_no_other_guild(store, database_url):
    theirs, their_paragraphs = await store.add_article(
        OTHER_GUILD, draft("Theirs", "Their words.", "More of them."), Provenance()
    )
    mine, _ = await store.add_article(GUILD, draft("Mine", "My words."), Provenance())
    await store.increment_counter(GUILD, "questions_answered")
    writer = await raw_connection(database_url)
    transaction = writer.transaction()
    await transaction.start()
    try:
        # A purge and an ingest of GUILD, in flight in another process and not committed.
        await writer.execute("DELETE FROM paragraphs WHERE guild_id = $1", GUILD)
        await writer.execute("DELETE FROM articles WHERE guild_id = $1", GUILD)
        await writer.execute("UPDATE guild_counters SET value = 0 WHERE guild_id = $1", GUILD)
        await writer.execute(
            "INSERT INTO articles (guild_id, title, fingerprint, posted_at, created_at, "
            "paragraph_count) VALUES ($1, 'Half', 'half', now(), now(), 0)",
            GUILD,
        )

        async def other_guild_meanwhile() -> list[object]:
            added, _ = await store.add_article(
                OTHER_GUILD, draft("New", "New words."), Provenance()
            )
            await store.increment_counter(OTHER_GUILD, "questions_answered")
            await store.add_question(OTHER_GUILD, 1_400_000_000_000_000_001, None, "why?", None)
            return [
                await store.paragraphs(OTHER_GUILD, [p.id for p in their_paragraphs]),
                [p async for p, _ in store.iter_paragraphs(OTHER_GUILD)],
                await store.list_articles(OTHER_GUILD),
                added,
            ]

        # Generous bound: only there so that a store that waits fails instead of hanging.
        found = await asyncio.wait_for(other_guild_meanwhile(), timeout=60)
        assert found[0] == {p.id: p for p in their_paragraphs}
        assert [p.text for p in found[1]] == ["Their words.", "More of them.", "New words."]
        assert found[2] == [found[3], theirs]
        # What GUILD wrote is not seen before it is committed.
        assert await store.get_article(GUILD, mine.id) == mine
        assert await store.get_counter(GUILD, "questions_answered") == 1
    finally:
        await transaction.rollback()
        await writer.close()


async def test_a_read_only_database_answers_and_refuses_changes_in_words(store, database_url):
    info, paragraphs = await store.add_article(GUILD, draft("Kept", "a.", "b."), Provenance())
    connection = await raw_connection(database_url)
    try:
        database = urlsplit(database_url).path.lstrip("/")
        await connection.execute(
            f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'
        )
    finally:
        await connection.close()
    reader = await open_store(database_url)  # new sessions take the setting
    try:
        assert await reader.get_article(GUILD, info.id) == info
        assert [p async for p, _ in reader.iter_paragraphs(GUILD)] == paragraphs
        for change in (
            lambda: reader.add_article(GUILD, draft("New", "c."), Provenance()),
            lambda: reader.increment_counter(GUILD, "questions_answered"),
            lambda: reader.remove_article(GUILD, info.id),
        ):
            with pytest.raises(StoreReadOnly, match="accepts no changes"):
                await change()
        assert await reader.list_articles(GUILD) == [info]
    finally:
        await reader.close()


# -- damage -----------------------------------------------------------------------------


async def test_paragraphs_missing_from_an_article_are_damage_and_stop_the_store(
    store, database_url
):
    info, paragraphs = await store.add_article(GUILD, draft("A", "x.", "y.", "z."), Provenance())
    assert await store.integrity_problems() == []
    connection = await raw_connection(database_url)
    try:
        await connection.execute("DELETE FROM paragraphs WHERE id = $1", paragraphs[1].id)
    finally:
        await connection.close()
    assert await store.integrity_problems() == [
        f"article {info.id} does not have the paragraphs it lists"
    ]
    with pytest.raises(StoreDamaged, match=f"paragraph {paragraphs[2].id} is out of place"):
        [row async for row in store.iter_paragraphs(GUILD)]
    with pytest.raises(StoreDamaged, match="pg_restore"):
        await store.list_articles(OTHER_GUILD)


# -- backups ----------------------------------------------------------------------------


def use_programs_from(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def test_a_backup_is_a_dump_that_restores_the_database(
    store, new_store_url, tmp_path, monkeypatch
):
    use_programs_from(monkeypatch, embedded_binaries())
    info, paragraphs = await store.add_article(GUILD, draft("Saved", "a.", "b."), Provenance())
    await store.set_setting(GUILD, "seeded", "1")
    target = tmp_path / "backups" / "news.dump"

    await store.backup(target)

    assert target.read_bytes().startswith(b"PGDMP")
    assert files_in(target.parent) == ["news.dump"]
    restored_url = new_store_url("postgresql")
    subprocess.run(
        [
            str(embedded_binaries() / "pg_restore"),
            "--no-owner",
            f"--dbname={restored_url}",
            str(target),
        ],
        check=True,
        capture_output=True,
    )
    restored = await open_store(restored_url)
    try:
        assert await restored.get_article(GUILD, info.id) == info
        assert await restored.article_paragraphs(GUILD, info.id) == paragraphs
        assert await restored.get_setting(GUILD, "seeded") == "1"
        later, _ = await restored.add_article(GUILD, draft("Later", "c."), Provenance())
        assert later.id > info.id
    finally:
        await restored.close()


async def test_a_backup_never_replaces_a_file(store, tmp_path, monkeypatch):
    use_programs_from(monkeypatch, embedded_binaries())
    target = tmp_path / "news.dump"
    target.write_bytes(b"an older backup")
    with pytest.raises(StoreError, match="exists already"):
        await store.backup(target)
    assert target.read_bytes() == b"an older backup"
    assert files_in(tmp_path) == ["news.dump"]


async def test_without_pg_dump_a_backup_says_to_use_it(store, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    with pytest.raises(StoreError, match="pg_dump") as refused:
        await store.backup(tmp_path / "news.dump")
    assert store.location in str(refused.value)
    assert password_of(store.url) not in str(refused.value)
    assert files_in(tmp_path) == []


FAILING_PG_DUMP = """#!/bin/sh
# Writes part of a dump, says why it stopped, and fails; notes how it was called.
printf '%s\\n' "$@" > "$NOTES/arguments"
printf '%s' "$PGPASSWORD" > "$NOTES/password"
for argument in "$@"; do
    case "$argument" in --file=*) printf 'PGDMP partial' > "${argument#--file=}" ;; esac
done
printf '%s\n' "$SAID" >&2
exit 1
"""


@pytest.mark.parametrize(
    ("said", "words"),
    [
        ("pg_dump: error: connection to server lost", "connection to server lost"),
        (
            "pg_dump: error: aborting because of server version mismatch\n"
            "pg_dump: detail: server version: 18.6; pg_dump version: 15.18",
            "server version: 18.6; pg_dump version: 15.18. Put a pg_dump of the server's "
            "version (or a newer one) first on the PATH",
        ),
    ],
)
async def test_a_failed_dump_leaves_no_file_and_says_why(store, tmp_path, monkeypatch, said, words):
    programs, notes, backups = tmp_path / "bin", tmp_path / "notes", tmp_path / "backups"
    for folder in (programs, notes, backups):
        folder.mkdir()
    fake = programs / "pg_dump"
    fake.write_text(FAILING_PG_DUMP)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    use_programs_from(monkeypatch, programs)
    monkeypatch.setenv("NOTES", str(notes))
    monkeypatch.setenv("SAID", said)

    with pytest.raises(StoreError) as failed:
        await store.backup(backups / "news.dump")

    assert words in str(failed.value)
    assert "pg_dump could not back up" in str(failed.value)
    assert files_in(backups) == []
    arguments = (notes / "arguments").read_text()
    assert "--format=custom" in arguments
    assert password_of(store.url) not in arguments  # every user sees command lines
    assert (notes / "password").read_text() == password_of(store.url)


def test_the_pools_reconnect_failures_are_logged_in_one_line(caplog):
    import index.store.postgres  # noqa: F401  (installs the filter)

    pool_log = logging.getLogger("asyncpg.pool")
    try:
        raise ConnectionRefusedError(111, "Connect call failed")
    except OSError:
        pool_log.warning("Failed to restore the pool connection floor; retrying", exc_info=True)
    (record,) = [r for r in caplog.records if r.name == "asyncpg.pool"]
    assert record.exc_info is None
    assert "Connect call failed" in record.getMessage()
    assert "Traceback" not in caplog.text
