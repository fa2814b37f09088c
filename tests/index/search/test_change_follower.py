"""An engine follows the changes other processes make to its guilds, on every store: an
article added or removed elsewhere is answered (or no longer answered) by the index in
memory, which then equals one rebuilt from the store, with no rebuild made; a purge lets
the index go; guilds without an index in memory are left alone."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from index import Provenance
from index.search.guild_indexes import GuildIndexes
from index.store.change_log import RemovedArticle, StoredChange, removal_record, stored_change
from tests.support.engines import open_engine

GUILD = 1_180_000_000_000_000_001
QUIET_GUILD = 1_180_000_000_000_000_002
CLI = Provenance(poster_name="cli")


def article(number: int, word: str) -> str:
    return (
        f"Dispatch {number} about the harbour\n\n"
        f"The harbour authority said the {word} ferry would sail again on Monday morning.\n\n"
        f"Officials in the port city expect the {word} crossing to stay busy all winter."
    )


@pytest.fixture
async def owner(store_url, tmp_path):
    """The engine holding the indexes, as a bot process opens it."""
    engine = await open_engine(store_url, index_dir=tmp_path / "owner-index")
    yield engine
    await engine.close()


@pytest.fixture
async def other(store_url, tmp_path):
    """Another process writing the same store, as the command line does."""
    engine = await open_engine(store_url, index_dir=tmp_path / "cli-index", follow_changes=False)
    yield engine
    await engine.close()


async def found(engine, question: str) -> list[int]:
    """The articles of the best passages, best first, each once."""
    hits = await engine.rank(GUILD, question, k=5)
    return list(dict.fromkeys(hit.article_id for hit in hits))


async def test_an_article_added_elsewhere_is_applied_without_a_rebuild(owner, other, monkeypatch):
    await owner.ingest_text(GUILD, article(1, "blue"))
    assert GUILD in owner.loaded_guilds()
    builds = []
    original = GuildIndexes._build
    monkeypatch.setattr(
        GuildIndexes, "_build", lambda self, *a, **k: builds.append(a) or original(self, *a, **k)
    )
    added = await other.ingest_text(GUILD, article(2, "zebra"), CLI)
    await owner.apply_changes()
    assert (await found(owner, "zebra ferry"))[0] == added.article.id
    assert len(builds) == 1  # the writer's own index, to add to it; none by the owner
    applied = await owner.rank(GUILD, "zebra ferry harbour", k=10)
    await owner.reindex(GUILD)
    assert await owner.rank(GUILD, "zebra ferry harbour", k=10) == applied


async def test_an_article_removed_elsewhere_stops_being_answered(owner, other):
    kept = await owner.ingest_text(GUILD, article(1, "blue"))
    gone = await owner.ingest_text(GUILD, article(2, "zebra"))
    assert (await found(owner, "zebra"))[0] == gone.article.id
    await other.remove_article(GUILD, gone.article.id)
    await owner.apply_changes()
    assert await found(owner, "zebra") == []
    assert await found(owner, "blue ferry") == [kept.article.id]
    applied = await owner.rank(GUILD, "ferry harbour winter", k=10)
    await owner.reindex(GUILD)
    assert await owner.rank(GUILD, "ferry harbour winter", k=10) == applied


async def test_the_follower_applies_changes_by_itself(owner, other):
    await owner.ingest_text(GUILD, article(1, "blue"))
    await owner.rank(GUILD, "ferry", k=1)
    added = await other.ingest_text(GUILD, article(2, "zebra"), CLI)
    deadline = time.monotonic() + 30
    while not await found(owner, "zebra") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await found(owner, "zebra") == [added.article.id]
    await other.remove_article(GUILD, added.article.id)
    deadline = time.monotonic() + 30
    while await found(owner, "zebra") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await found(owner, "zebra") == []


async def test_own_changes_and_changes_applied_twice_change_nothing(owner, other):
    await owner.ingest_text(GUILD, article(1, "blue"))
    await owner.rank(GUILD, "ferry", k=1)
    await owner.apply_changes()
    before = await owner.rank(GUILD, "blue ferry harbour", k=10)
    await owner.apply_changes()
    assert await owner.rank(GUILD, "blue ferry harbour", k=10) == before
    added = await other.ingest_text(GUILD, article(2, "zebra"), CLI)
    await other.remove_article(GUILD, added.article.id)
    await owner.apply_changes()  # added then removed: nothing left to add
    await owner.apply_changes()
    assert await owner.rank(GUILD, "blue ferry harbour", k=10) == before


async def test_guilds_without_an_index_in_memory_are_left_alone(owner, other):
    await other.ingest_text(QUIET_GUILD, article(1, "blue"), CLI)
    await owner.apply_changes()
    assert QUIET_GUILD not in owner.loaded_guilds()
    assert [h.article_id for h in await owner.rank(QUIET_GUILD, "blue", k=5)] != []


async def test_a_purge_elsewhere_lets_the_index_go(owner, other):
    await owner.ingest_text(GUILD, article(1, "blue"))
    await owner.rank(GUILD, "blue", k=1)
    assert GUILD in owner.loaded_guilds()
    await other.purge(GUILD)
    await owner.apply_changes()
    assert GUILD not in owner.loaded_guilds()
    assert await found(owner, "blue") == []


async def test_changes_pruned_before_they_were_read_let_every_index_go_once(store_url, tmp_path):
    owner = await open_engine(store_url, index_dir=tmp_path / "owner", follow_changes=False)
    other = await open_engine(store_url, index_dir=tmp_path / "cli", follow_changes=False)
    try:
        await owner.ingest_text(GUILD, article(1, "blue"))
        await owner.apply_changes()
        await owner.rank(GUILD, "blue", k=1)
        added = await other.ingest_text(GUILD, article(2, "zebra"), CLI)
        assert await other.store.prune_changes(timedelta(seconds=-60)) > 0
        await owner.apply_changes()  # missed the add: lets the index go
        assert owner.loaded_guilds() == []
        assert await found(owner, "zebra") == [added.article.id]  # loaded from the store
        await owner.apply_changes()  # and goes on after the pruned entries
        assert owner.loaded_guilds() == [GUILD]
    finally:
        await owner.close()
        await other.close()


def test_an_entry_that_cannot_be_read_reloads_its_guild():
    assert stored_change(5, GUILD, "renamed", 3, None).kind == "replaced"
    assert stored_change(6, GUILD, "removed", 3, "{not json").kind == "replaced"
    assert stored_change(7, GUILD, "removed", 3, None) == StoredChange(7, GUILD, "replaced", None)
    readable = stored_change(8, GUILD, "removed", 3, removal_record("T", []))
    assert (readable.kind, readable.removed) == ("removed", RemovedArticle("T", ()))
