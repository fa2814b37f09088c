"""The SQLite schema: its numbered migrations, the columns of each table, and the shape a
database of each schema version must have.

``PRAGMA user_version`` records how many migrations a file has had. The shape (tables,
columns, indexes, foreign keys, as SQLite itself reads them from the file) is compared
with the shape the migrations produce, so a damaged schema or version number is noticed
at open rather than by a query that fails, or quietly reads another column, later.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from index.store import columns, migration_files
from index.store.checksums import row_checksum, sql_row_checksum

CHECKSUM_FUNCTION = "newsbot_row_checksum"
"""The SQL name of ``row_checksum``, registered on connections that fill in checksums."""


@dataclass(frozen=True)
class Table:
    """A table whose rows carry a checksum of ``columns`` (in this order)."""

    name: str
    columns: tuple[str, ...]

    @property
    def select(self) -> str:
        """The column list of a SELECT that reads whole rows with their checksum."""
        return ", ".join((*self.columns, "checksum"))

    @property
    def insert(self) -> str:
        marks = ", ".join("?" * (len(self.columns) + 1))
        return f"INSERT INTO {self.name} ({self.select}) VALUES ({marks})"

    def row(self, values: tuple[object, ...]) -> tuple[object, ...]:
        """``values`` (one per column) with their checksum, ready for ``insert``."""
        if len(values) != len(self.columns):
            raise ValueError(f"{self.name} has {len(self.columns)} columns, not {len(values)}")
        return (*values, row_checksum(values))

    def fill_checksums(self) -> str:
        """SQL that computes the checksum of every row (a migration does it once)."""
        return f"UPDATE {self.name} SET checksum = {CHECKSUM_FUNCTION}({', '.join(self.columns)})"


ARTICLES = Table(columns.ARTICLES.table, columns.ARTICLES.names)
PARAGRAPHS = Table(columns.PARAGRAPHS.table, columns.PARAGRAPHS.names)
SETTINGS = Table(columns.SETTINGS.table, columns.SETTINGS.names)
COUNTERS = Table(columns.COUNTERS.table, columns.COUNTERS.names)
AUDIT = Table(columns.AUDIT.table, columns.AUDIT.names)
QUESTIONS = Table(columns.QUESTIONS.table, columns.QUESTIONS.names)
PENDING = Table(columns.PENDING.table, columns.PENDING.names)
SCHEMA_LOG = Table("schema_log", ("version", "applied_at"))
"""One row per migration from ``CHECKSUMS_SINCE`` on: the schema version is kept twice,
so a damaged ``user_version`` is told apart from a database of a newer version."""
CHANGES = Table("index_changes", ("id", "guild_id", "kind", "article_id", "removed", "made_at"))
"""The change log (``index.store.change_log``)."""
CHANGES_PRUNED = Table("index_changes_pruned", ("id", "through"))
"""One row: the change log was pruned up to ``through``."""
TABLES = (
    ARTICLES,
    PARAGRAPHS,
    SETTINGS,
    COUNTERS,
    AUDIT,
    QUESTIONS,
    PENDING,
    SCHEMA_LOG,
    CHANGES,
    CHANGES_PRUNED,
)

CHECKSUMS_SINCE = 4
"""The first schema version whose rows carry checksums."""

MIGRATIONS: tuple[tuple[str, ...], ...] = tuple(
    migration.statements for migration in migration_files.migrations("sqlite")
)
"""The statements of each migration (``migrations/sqlite/NNN_*.sql``); each upgrades the
schema by one version, and ``PRAGMA user_version`` records how far."""
SCHEMA_VERSION = len(MIGRATIONS)

Structure = tuple[tuple[object, ...], ...]


def prepare(connection: sqlite3.Connection) -> None:
    """Make ``CHECKSUM_FUNCTION`` available to the statements of ``connection``."""
    connection.create_function(CHECKSUM_FUNCTION, -1, sql_row_checksum, deterministic=True)


def migrate(connection: sqlite3.Connection, version: int) -> None:
    """Upgrade a database of schema ``version`` to ``SCHEMA_VERSION``, one transaction per
    step. ``connection`` must be in autocommit mode (``isolation_level=None``)."""
    prepare(connection)
    for number in range(version, SCHEMA_VERSION):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number]:
                connection.execute(statement)
            if number + 1 >= CHECKSUMS_SINCE:
                applied = datetime.now(UTC).isoformat(timespec="seconds")
                connection.execute(SCHEMA_LOG.insert, SCHEMA_LOG.row((number + 1, applied)))
            connection.execute(f"PRAGMA user_version = {number + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


def structure_of(connection: sqlite3.Connection) -> Structure:
    """The shape of the database as SQLite reads it: every table's columns, indexes and
    foreign keys, and every index's columns. Independent of how SQLite spells the stored
    CREATE statements, which differs between its versions after an ALTER TABLE."""
    objects = connection.execute(
        "SELECT type, name, tbl_name FROM sqlite_schema ORDER BY type, name"
    ).fetchall()
    shape: list[tuple[object, ...]] = [("objects", *objects)]
    for kind, name, _ in objects:
        if kind == "table":
            shape.append(("columns", name, *_pragma(connection, "table_xinfo", name)))
            shape.append(("indexes", name, *_pragma(connection, "index_list", name)))
            shape.append(("foreign keys", name, *_pragma(connection, "foreign_key_list", name)))
        elif kind == "index":
            shape.append(("index columns", name, *_pragma(connection, "index_xinfo", name)))
    return tuple(shape)


def _pragma(connection: sqlite3.Connection, pragma: str, name: str) -> list[tuple[object, ...]]:
    return sorted(
        connection.execute(f"SELECT * FROM pragma_{pragma}(?)", (name,)).fetchall(), key=repr
    )


@functools.cache
def expected_structure(version: int) -> Structure:
    """The shape of a database after the first ``version`` migrations."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        prepare(connection)
        for number in range(version):
            for statement in MIGRATIONS[number]:
                connection.execute(statement)
        return structure_of(connection)
    finally:
        connection.close()
