"""Engines over a database named by path or URL, as the bot opens them, for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index import Engine, EngineConfig
from index.store import open_store, parse_location


def index_dir_beside(database: str | Path) -> Path | None:
    """Where snapshots go for ``database``: beside a SQLite file; None for PostgreSQL
    (tests that want snapshots there pass a folder)."""
    location = parse_location(database)
    if location.path is None:
        return None
    return location.path.with_name(location.path.name + ".index")


async def open_engine(
    database: str | Path,
    config: EngineConfig | None = None,
    *,
    snapshots: bool = True,
    create: bool = True,
    index_dir: Path | None = None,
    **options: Any,
) -> Engine:
    store = await open_store(database, create=create)
    if index_dir is None and snapshots:
        index_dir = index_dir_beside(database)
    return await Engine.open(store, config, index_dir=index_dir if snapshots else None, **options)
