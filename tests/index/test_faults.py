"""Faults of the machine during an ingest: a full disk and a locked database. The ingest
fails with a plain reason, nothing is half-written, and questions are still answered."""

from __future__ import annotations

import sqlite3

import pytest

from index import Engine
from index.store import StoreError
from tests.index.test_service import ARTICLE_B, GUILD


@pytest.fixture
async def engine(tmp_path):
    engine = await Engine.open(tmp_path / "bot.sqlite3")
    yield engine
    await engine.close()


async def counts(engine: Engine) -> tuple[int, int, int]:
    stats = await engine.stats(GUILD)
    return stats.articles, stats.paragraphs, (await engine._index(GUILD)).paragraph_count


async def test_a_full_disk_fails_the_ingest_and_questions_are_still_answered(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    before = await counts(engine)
    writer = engine.store._writer
    async with writer.execute("PRAGMA page_count") as cursor:
        (pages,) = await cursor.fetchone()
    # SQLite's own way to make the file full: it may not grow past its current size.
    await writer.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="disk is full"):
        await engine.ingest_text(GUILD, ARTICLE_B * 40)
    assert await counts(engine) == before
    assert (await engine.ask(GUILD, "boat strikes")).found

    await writer.execute("PRAGMA max_page_count = 1073741823")
    assert (await engine.ingest_text(GUILD, ARTICLE_B)).added


async def test_a_locked_database_fails_the_ingest_and_questions_are_still_answered(
    engine, seed_bytes, tmp_path
):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    before = await counts(engine)
    await engine.store._writer.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StoreError, match="busy"):
            await engine.ingest_text(GUILD, ARTICLE_B)
        assert (await engine.ask(GUILD, "boat strikes")).found
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await counts(engine) == before
    assert (await engine.ingest_text(GUILD, ARTICLE_B)).added
