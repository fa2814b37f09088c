"""The numbered .sql migrations of each store, as the stores read them."""

from __future__ import annotations

import pytest

from index.store.migration_files import Migration, migrations
from index.store.sqlite_schema import (
    ARTICLES,
    CHANGES,
    CHANGES_PRUNED,
    CHECKSUMS_SINCE,
    MIGRATIONS,
    SCHEMA_LOG,
    TABLES,
    Table,
)

BORN_WITH_CHECKSUMS = (SCHEMA_LOG, CHANGES, CHANGES_PRUNED)
"""Tables made by that migration or later, whose rows always had a checksum."""
ADDED_LATER = {"articles": ("language",)}
"""Columns added by a later migration, which fills in the checksums again itself."""


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
    wanted = [
        " ".join(_as_at_that_version(t).fill_checksums().split())
        for t in TABLES
        if t not in BORN_WITH_CHECKSUMS
    ]
    assert [s.replace("( ", "(").replace(" )", ")") for s in filled] == wanted


def test_the_language_migration_refills_only_the_checksums_that_held():
    """Migration 7 adds articles.language to the checksum: rows whose checksum held get a
    new one over every column, a damaged row keeps its old one (still found damaged)."""
    statements = [" ".join(s.split()) for s in MIGRATIONS[6]]
    update = next(s for s in statements if s.startswith("UPDATE articles"))
    columns = ", ".join(ARTICLES.columns)
    older = ", ".join(c for c in ARTICLES.columns if c != "language")
    assert f"newsbot_row_checksum( {columns} ) WHERE" in update
    assert update.endswith(f"newsbot_row_checksum( {older} )")


def _as_at_that_version(table: Table) -> Table:
    later = ADDED_LATER.get(table.name, ())
    return Table(table.name, tuple(c for c in table.columns if c not in later))
