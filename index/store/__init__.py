"""Where articles live. The engine talks to a ``Store``; ``open_store`` picks one by URL:
a SQLite file (the embedded default) or a PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from index.errors import (
    DuplicateArticle,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
    StoreUnavailable,
)
from index.store.base import Store
from index.store.location import StoreLocation, parse_location, without_password
from index.store.sqlite import SQLiteStore


def store_for(location: str | Path | StoreLocation, *, create: bool = True) -> Store:
    """The store ``location`` names, not yet opened. ``create`` False refuses to make a
    missing SQLite file (a mistyped path should not become a new, empty database)."""
    if not isinstance(location, StoreLocation):
        location = parse_location(location)
    if location.kind == "postgresql":
        # Imported here: asyncpg is only loaded by deployments that use PostgreSQL.
        from index.store.postgres import PostgresStore

        assert location.url is not None
        return PostgresStore(location.url)
    assert location.path is not None
    return SQLiteStore(location.path, create=create)


async def open_store(location: str | Path | StoreLocation, *, create: bool = True) -> Store:
    """The store ``location`` names, opened (migrated to the current schema)."""
    store = store_for(location, create=create)
    await store.open()
    return store


__all__ = [
    "DuplicateArticle",
    "SQLiteStore",
    "Store",
    "StoreBusy",
    "StoreDamaged",
    "StoreError",
    "StoreFull",
    "StoreLocation",
    "StoreMissing",
    "StoreReadOnly",
    "StoreUnavailable",
    "open_store",
    "parse_location",
    "store_for",
    "without_password",
]
