"""Where articles live. The engine talks to a ``Store``; SQLite is the default behind it."""

from index.store.base import (
    DuplicateArticle,
    Store,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
)
from index.store.sqlite import SQLiteStore

__all__ = [
    "DuplicateArticle",
    "SQLiteStore",
    "Store",
    "StoreBusy",
    "StoreDamaged",
    "StoreError",
    "StoreFull",
    "StoreMissing",
    "StoreReadOnly",
]
