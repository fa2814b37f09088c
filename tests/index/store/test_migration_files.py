"""The numbered .sql migrations of each store, as the stores read them."""

from __future__ import annotations

import pytest

from index.store.migration_files import Migration, migrations
from index.store.sqlite_schema import (
    CHANGES,
    CHANGES_PRUNED,
    CHECKSUMS_SINCE,
    MIGRATIONS,
    SCHEMA_LOG,
    TABLES,
)

BORN_WITH_CHECKSUMS = (SCHEMA_LOG, CHANGES, CHANGES_PRUNED)
"""Tables made by that migration or later, whose rows always had a checksum."""


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_each_store_has_migrations_numbered_from_one(store):
    found = migrations(store)
    assert [migration.version for migration in found] == list(range(1, len(found) + 1))
    assert all(migration.statements for migration in found)


def test_statements_are_split_at_their_ends_not_at_semicolons_inside_them():
    sql = (
        "-- a comment; with a semicolon\n\n"
        "CREATE TABLE t (\n    note TEXT DEFAULT 'a; b'\n);\n\n"
        "INSERT INTO t VALUES ('x;');\n"
    )
    assert Migration(1, "001_t.sql", sql).statements == (
        "CREATE TABLE t (\n    note TEXT DEFAULT 'a; b'\n)",
        "INSERT INTO t VALUES ('x;')",
    )


def test_a_file_that_ends_inside_a_statement_is_refused():
    with pytest.raises(RuntimeError, match="ends inside a statement"):
        _ = Migration(1, "001_t.sql", "CREATE TABLE t (id INTEGER").statements


def test_the_sqlite_checksum_migration_covers_every_column_of_every_table():
    """The file spells out each table's columns; they must be the columns the store
    checks, or old rows would fail their checksums after the upgrade."""
    statements = MIGRATIONS[CHECKSUMS_SINCE - 1]
    filled = [" ".join(s.split()) for s in statements if s.startswith("UPDATE")]
    wanted = [" ".join(t.fill_checksums().split()) for t in TABLES if t not in BORN_WITH_CHECKSUMS]
    assert [s.replace("( ", "(").replace(" )", ")") for s in filled] == wanted
