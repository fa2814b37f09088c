"""The change log, on every store: each add, removal, purge and copied-in batch of
paragraphs writes one entry in its own transaction, entries come back in order from any
store opened on the same database, and pruning is reported to readers that fall behind.
Through the ``Store`` interface only, like the contract suite."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from index.store import DuplicateArticle, open_store
from index.store.columns import ARTICLES, PARAGRAPHS
from tests.index.store.test_contract import GUILD, OTHER_GUILD, draft, shared_by

FUTURE = timedelta(seconds=-60)
"""``older_than`` that takes in every entry written so far."""


async def test_every_change_to_paragraphs_writes_one_entry_in_order(store):
    start = await store.latest_change()
    assert (await store.changes_since(start)).changes == []
    first, _ = await store.add_article(GUILD, draft("First", "one", "two"), shared_by())
    second, paragraphs = await store.add_article(
        GUILD, draft("Second", "three", "four", "five"), shared_by()
    )
    other, _ = await store.add_article(OTHER_GUILD, draft("Other", "six"), shared_by())
    with pytest.raises(DuplicateArticle):  # nothing written: no entry
        await store.add_article(GUILD, draft("First", "one", "two"), shared_by())
    assert await store.remove_article(GUILD, second.id) is not None
    assert await store.remove_article(GUILD, second.id) is None  # nothing removed: no entry
    await store.purge_guild(OTHER_GUILD)

    batch = await store.changes_since(start)
    assert batch.complete
    seen = [(c.guild_id, c.kind, c.article_id) for c in batch.changes]
    assert seen == [
        (GUILD, "added", first.id),
        (GUILD, "added", second.id),
        (OTHER_GUILD, "added", other.id),
        (GUILD, "removed", second.id),
        (OTHER_GUILD, "purged", None),
    ]
    ids = [c.id for c in batch.changes]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert await store.latest_change() == ids[-1]
    removal = batch.changes[3].removed
    assert removal is not None
    assert removal.title == "Second"
    assert removal.paragraphs == tuple(paragraphs)
    assert all(c.removed is None for i, c in enumerate(batch.changes) if i != 3)
    # Read from where a reader stopped, and in pieces.
    assert [c.id for c in (await store.changes_since(ids[1])).changes] == ids[2:]
    assert [c.id for c in (await store.changes_since(start, limit=2)).changes] == ids[:2]


async def test_another_store_on_the_same_database_reads_the_same_entries(store, store_url):
    start = await store.latest_change()
    article, _ = await store.add_article(GUILD, draft("Shared", "text here"), shared_by())
    other = await open_store(store_url)
    try:
        assert await other.latest_change() == await store.latest_change()
        changes = (await other.changes_since(start)).changes
        assert [(c.kind, c.article_id) for c in changes] == [("added", article.id)]
    finally:
        await other.close()


async def test_pruning_tells_readers_that_fell_behind(store):
    start = await store.latest_change()
    for number in range(3):
        await store.add_article(GUILD, draft(f"Story {number}", f"text {number}"), shared_by())
    caught_up = await store.latest_change()
    assert await store.prune_changes(timedelta(hours=1)) == 0  # nothing that old
    assert (await store.changes_since(start)).complete

    assert await store.prune_changes(FUTURE) == 3
    behind = await store.changes_since(start)
    assert not behind.complete
    assert behind.changes == []
    assert (await store.changes_since(caught_up)).complete
    # Numbers go on from where they were, pruned or not.
    await store.add_article(GUILD, draft("After", "later text"), shared_by())
    after = await store.changes_since(caught_up)
    assert after.complete
    assert [c.id for c in after.changes] == [await store.latest_change()]
    assert after.changes[0].id > caught_up


async def test_copied_paragraphs_write_one_entry_per_guild(store, new_store_url):
    source = await open_store(new_store_url("sqlite"))
    try:
        await source.add_article(GUILD, draft("A", "one", "two"), shared_by())
        await source.add_article(OTHER_GUILD, draft("B", "three"), shared_by())
        start = await store.latest_change()
        for columns in (ARTICLES, PARAGRAPHS):
            async for rows in source.copy_rows(columns):
                await store.load_rows(columns, rows)
    finally:
        await source.close()
    changes = (await store.changes_since(start)).changes
    assert sorted((c.guild_id, c.kind) for c in changes) == sorted(
        [(GUILD, "replaced"), (OTHER_GUILD, "replaced")]
    )


async def test_a_change_by_another_store_ends_the_wait_for_changes(store, store_url):
    other = await open_store(store_url)
    try:
        await store.wait_for_changes(timeout=5)  # starts listening where a store listens
        waiting = asyncio.create_task(store.wait_for_changes(timeout=600))
        await asyncio.sleep(0.2)
        await other.add_article(GUILD, draft("News", "fresh text"), shared_by())
        # Far below the wait's own timeout: only a sign of the change can end it in time.
        await asyncio.wait_for(waiting, 60)
    finally:
        await other.close()
