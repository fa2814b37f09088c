"""The PostgreSQL schema: numbered migrations, ``migrations/postgres/NNN_name.sql``, run
when a store opens, and recorded in the ``schema_migrations`` table.

Several processes may start at once against one database (bot processes on several
machines, the command line beside them). Each reads the schema version first; one that
finds migrations to run takes a transaction-scoped advisory lock, reads the version again
and runs what is missing, recording each migration, all in that one transaction. The
others wait for the lock, then find nothing left to do: each migration runs exactly once,
and a failed one leaves nothing behind. A database whose schema is newer than this code
knows is refused rather than used: its tables may mean something else by then.
"""

from __future__ import annotations

import asyncpg

from index.errors import StoreError
from index.store import migration_files
from index.store.columns import DATA_TABLES
from index.store.migration_files import Migration

VERSION_TABLE = "schema_migrations"
MIGRATION_LOCK = 0x6E657773626F74
"""The advisory lock a process holds while it migrates ("newsbot" in ASCII)."""
IDENTITY_SEQUENCES = {
    "articles": "articles_id_seq",
    "paragraphs": "paragraphs_id_seq",
    "audit_log": "audit_log_id_seq",
    "pending_ingests": "pending_ingests_id_seq",
}
"""The sequence that numbers each table whose ids the store gives out (questions are
numbered by the caller), as named by the migrations."""


def migrations() -> tuple[Migration, ...]:
    """Every PostgreSQL migration, in order."""
    return migration_files.migrations("postgres")


def schema_version() -> int:
    """The schema version this code writes and reads."""
    return len(migrations())


async def migrate(connection: asyncpg.Connection, location: str) -> None:
    """Bring the database ``connection`` is on up to ``schema_version()``; safe when other
    processes do the same at the same moment. ``location`` names it in messages."""
    latest = schema_version()
    if await _applied_version(connection, location) == latest:
        return
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        version = await _applied_version(connection, location)
        if version == 0:
            await connection.execute(
                f"""CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )"""
            )
        for migration in migrations()[version:]:
            await connection.execute(migration.sql)
            await connection.execute(
                f"INSERT INTO {VERSION_TABLE} (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )


async def _applied_version(connection: asyncpg.Connection, location: str) -> int:
    """How many migrations the database has had; a ``StoreError`` for a database this code
    must not use (a newer schema, or tables of another program)."""
    if VERSION_TABLE not in await _existing_tables(connection, [VERSION_TABLE]):
        taken = await _existing_tables(connection, [columns.table for columns in DATA_TABLES])
        if taken:
            raise StoreError(
                f"the database {location} already has tables this bot did not make there "
                f"({', '.join(sorted(taken))}): give the bot a database of its own"
            )
        return 0
    version = await connection.fetchval(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}")
    if version > schema_version():
        raise StoreError(
            f"the database {location} was set up by a newer version of the bot (schema "
            f"{version}; this version knows schema {schema_version()} at most): run the newer "
            "version, or restore a backup made for this one"
        )
    return version


async def _existing_tables(connection: asyncpg.Connection, names: list[str]) -> set[str]:
    """Which of ``names`` are tables in the schema the store's tables go to. Read from the
    catalog as of now: ``to_regclass`` may answer from a cache that predates the
    migration another process committed while this one waited for the lock."""
    rows = await connection.fetch(
        "SELECT tablename FROM pg_catalog.pg_tables "
        "WHERE schemaname = current_schema() AND tablename = ANY($1::text[])",
        names,
    )
    return {row["tablename"] for row in rows}
