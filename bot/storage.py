"""Opening the engine over the configured store, the same way for the bot, the console
and the command line: the store named by ``DATABASE_URL`` (or ``--db``), and the index
snapshots in the local cache folder that goes with it."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from index import Engine
from index.store import open_store


async def open_engine(
    settings: Settings,
    database: str | Path | None = None,
    *,
    create: bool = True,
    follow_changes: bool = True,
) -> Engine:
    """The engine over ``database`` (default: the configured store). ``create`` False
    refuses a missing SQLite file instead of making a new, empty one; ``follow_changes``
    False suits a one-off command, which holds no index for long."""
    location = settings.store_location(database)
    store = await open_store(location, create=create)
    try:
        return await Engine.open(
            store,
            settings.engine_config(),
            index_dir=settings.snapshot_dir(location),
            follow_changes=follow_changes,
        )
    except BaseException:
        await store.close()
        raise
