"""Checks of a database file before it is served: a damaged file is refused before
anything is read from it as if it were sound, or written to it.

In order, cheapest first: the file's header, its schema version and shape (compared
with what the migrations produce), SQLite's ``PRAGMA integrity_check`` (every page,
every index against its table), foreign keys, and every row against its checksum with
the articles' paragraph counts. ``python -m index.store.check_bench`` measures them.

On a 2-core machine with the file in the page cache, ``integrity_check`` took 0.21 s at
100,000 paragraphs (54 MB) and 1.4-1.7 s at a million (539 MB), one to two times
``quick_check`` (0.07-0.10 s and 0.8-1.8 s): affordable at every start, and it is the
check that compares each index with its table, which ``quick_check`` skips. (With the
page cache dropped, ``quick_check`` took 14 s at a million: reading the file from disk,
which any check of the whole file pays once.) Reading every row for its checksum costs
more, 0.8 s and 7-8 s, so the store does it at open only for files up to
``ROWS_CHECKED_AT_OPEN`` (about 2 s at the limit); the rows of larger files are checked
each time they are read, so damage is never served, but it may be met later, after some
writes.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from index.store.checksums import row_checksum
from index.store.damage import DamageFound
from index.store.sqlite_schema import (
    CHECKSUMS_SINCE,
    SCHEMA_LOG,
    SCHEMA_VERSION,
    TABLES,
    Structure,
    expected_structure,
    structure_of,
)

MAGIC = b"SQLite format 3\x00"
ROWS_CHECKED_AT_OPEN = 128 * 1024 * 1024
"""Files up to this size (about 240,000 paragraphs) have every row checked at open."""
_BATCH = 2000
_PROBLEMS_SHOWN = 3


class ForeignDatabase(Exception):
    """A sound SQLite file that is not a newsbot database (or is a newer one)."""


def check_header(path: Path) -> None:
    """The parts of the 100-byte header SQLite trusts without checking."""
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(MAGIC):
        raise DamageFound("it is not an SQLite database, or its first page is damaged")
    write_version, read_version = header[18], header[19]
    if (write_version, read_version) not in ((1, 1), (2, 2)):
        raise DamageFound("its header is damaged (journal mode)")
    if int.from_bytes(header[56:60], "big") not in (0, 1):  # 0: not set yet, read as UTF-8
        raise DamageFound("its header is damaged (text encoding)")


def inspect(connection: sqlite3.Connection, *, rows: bool = True) -> int:
    """Check a database; returns its schema version. Raises ``DamageFound`` for damage
    and ``ForeignDatabase`` for a sound file this version cannot use. ``rows`` also
    compares every row with its checksum (files from before checksums have none)."""
    with one_picture(connection):
        version = schema_version(connection)
        problems = integrity_problems(connection, rows=rows and version >= CHECKSUMS_SINCE)
    if problems:
        raise DamageFound("; ".join(problems[:_PROBLEMS_SHOWN]))
    return version


@contextlib.contextmanager
def one_picture(connection: sqlite3.Connection) -> Iterator[None]:
    """Run the checks in one read transaction: what another process commits meanwhile
    is not half seen. ``connection`` must be in autocommit mode."""
    connection.execute("BEGIN")
    try:
        yield
    finally:
        if connection.in_transaction:  # SQLite ends it itself after some errors
            connection.execute("ROLLBACK")


def schema_version(connection: sqlite3.Connection) -> int:
    """``PRAGMA user_version``, once the database's shape and its schema log (which keeps
    the version a second time) have been found to agree with it."""
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    shape = structure_of(connection)
    logged = _logged_version(connection, shape)
    if 0 <= version <= SCHEMA_VERSION and shape == expected_structure(version):
        if logged is not None and logged != version:
            raise DamageFound(f"its schema version number is wrong: {version} for {logged}")
        return version
    if version > SCHEMA_VERSION and (logged is None or logged == version):
        raise ForeignDatabase(
            f"it was written by a newer version (schema {version}, this version knows "
            f"{SCHEMA_VERSION}): use that version, or restore a backup taken before it"
        )
    if version < 0 or _version_of(shape) is not None:
        raise DamageFound(f"its schema version number is wrong: {version}")
    if version == 0:
        raise ForeignDatabase("it is an SQLite database of another program, not newsbot's")
    raise DamageFound("its tables are not the ones this version wrote")


def _logged_version(connection: sqlite3.Connection, shape: Structure) -> int | None:
    """The last version the schema log records; None for a database without one."""
    if not any(row[:2] == ("table", SCHEMA_LOG.name) for row in shape[0][1:]):
        return None
    try:
        rows = connection.execute(f"SELECT {SCHEMA_LOG.select} FROM {SCHEMA_LOG.name}").fetchall()
    except sqlite3.OperationalError:  # not the log this version writes: the shape tells
        return None
    for *values, checksum in rows:
        if row_checksum(values) != checksum:
            raise DamageFound("a row of schema_log does not match its checksum")
    return max((row[0] for row in rows), default=None)


def _version_of(shape: Structure) -> int | None:
    for version in range(1, SCHEMA_VERSION + 1):
        if shape == expected_structure(version):
            return version
    return None


def integrity_problems(connection: sqlite3.Connection, *, rows: bool = True) -> list[str]:
    """What is wrong with the database, in SQLite's words or ours; empty when sound.
    ``rows`` also reads every row to compare it with its checksum."""
    found = [row[0] for row in connection.execute("PRAGMA integrity_check(10)")]
    if found != ["ok"]:
        return found
    orphans = connection.execute("PRAGMA foreign_key_check").fetchmany(_PROBLEMS_SHOWN)
    if orphans:
        return [f"row {rowid} of {table} refers to a missing row" for table, rowid, *_ in orphans]
    return row_problems(connection) if rows else []


def row_problems(connection: sqlite3.Connection) -> list[str]:
    problems = []
    for table in TABLES:
        cursor = connection.execute(f"SELECT {table.select} FROM {table.name}")
        while batch := cursor.fetchmany(_BATCH):
            for *values, checksum in batch:
                if row_checksum(values) != checksum:
                    problems.append(f"a row of {table.name} does not match its checksum")
                    break
            else:
                continue
            break
    miscounted = connection.execute(
        """SELECT a.id FROM articles AS a
           LEFT JOIN (SELECT article_id, count(*) AS n, min(guild_id) AS low,
                             max(guild_id) AS high
                      FROM paragraphs GROUP BY article_id) AS p ON p.article_id = a.id
           WHERE a.paragraph_count != coalesce(p.n, 0)
              OR (p.n IS NOT NULL AND (p.low != a.guild_id OR p.high != a.guild_id))
           LIMIT 1"""
    ).fetchone()
    if miscounted is not None:
        problems.append(f"article {miscounted[0]} does not have the paragraphs it lists")
    return problems
