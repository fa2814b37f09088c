"""Loading the articles shipped in ``seeds/`` the first time a guild is used locally."""

from __future__ import annotations

import logging
from pathlib import Path

from index import Engine, IngestRefused, IngestResult, Provenance
from index.errors import StoreReadOnly

log = logging.getLogger(__name__)
SEEDED_KEY = "seeded"


async def ingest_seeds_once(engine: Engine, guild_id: int, seeds_dir: Path) -> list[IngestResult]:
    """Ingest every seed file unless this guild was seeded before.

    Seeding happens once: an article removed later is not brought back by a restart. A
    read-only database is used as it is: the seeds are left out, questions still work.
    """
    if await engine.get_setting(guild_id, SEEDED_KEY) is not None:
        return []
    results = []
    try:
        for path in sorted(seeds_dir.glob("*.txt")) if seeds_dir.is_dir() else []:
            try:
                data = path.read_bytes()
                results.append(
                    await engine.ingest_file(
                        guild_id, path.name, data, Provenance(poster_name="seed")
                    )
                )
            except OSError as error:
                log.warning("seed %s could not be read: %s", path.name, error.strerror or error)
            except IngestRefused as refused:
                log.warning("seed %s was not ingested: %s", path.name, refused.reason)
        await engine.set_setting(guild_id, SEEDED_KEY, "1")
    except StoreReadOnly as error:
        log.warning("the seed articles were not loaded: %s", error)
    return results
