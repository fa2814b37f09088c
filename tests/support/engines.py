"""Engines over a database named by path or URL, as the bot opens them, for tests."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index import Engine, EngineConfig
from index.store import open_store, parse_location


def index_dir_beside(database: str | Path) -> Path:
    """Where snapshots go for ``database``: beside a SQLite file; for a PostgreSQL
    database (a fresh one per test), a folder named after it in the temporary folder."""
    location = parse_location(database)
    if location.path is not None:
        return location.path.with_name(location.path.name + ".index")
    name = urlsplit(location.url or "").path.strip("/") or "postgres"
    return Path(tempfile.gettempdir()) / "newsbot-test-indexes" / name


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
