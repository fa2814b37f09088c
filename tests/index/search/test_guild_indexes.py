"""Each guild's index in memory: built from the store, saved and loaded as snapshots,
changed in step with the store, and the one list of which guilds are loaded."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest

from index.ingest.paste import fingerprint
from index.models import ArticleDraft, ArticleInfo, Provenance
from index.search import guild_indexes
from index.search.bm25 import BM25Index, BM25Params
from index.search.guild_indexes import GuildIndexes
from index.search.snapshot import snapshot_path
from index.store import Store, open_store

GUILD, OTHER_GUILD = 5, 6
QUESTION = ["storm", "harbour", "boat"]


@pytest.fixture
async def store(tmp_path, store_url) -> AsyncIterator[Store]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()


def draft(number: int, paragraphs: int = 2) -> ArticleDraft:
    texts = tuple(
        f"Storm number {number} reached harbour {i}; boat {number * 100 + i} waited offshore."
        for i in range(paragraphs)
    )
    return ArticleDraft(f"Gale report {number}", texts, fingerprint(texts))


async def add(indexes: GuildIndexes, store: Store, guild: int, article: ArticleDraft) -> int:
    """Store and index an article the way the ingest pipeline does."""
    terms = indexes.paragraph_terms(article.title, article.paragraphs)
    async with indexes.changing(guild) as index:
        info, paragraphs = await store.add_article(guild, article, Provenance())
        await index.add_article(info.id, paragraphs, terms)
    return info.id


async def remove(indexes: GuildIndexes, store: Store, guild: int, article_id: int) -> ArticleInfo:
    async with indexes.changing(guild) as index:
        removed = await store.remove_article(guild, article_id)
        assert removed is not None
        info, paragraphs = removed
        await index.remove_article(info, paragraphs)
    return info


def ranked(index: BM25Index, terms: list[str] = QUESTION) -> list[tuple[int, float]]:
    return [(hit.paragraph_id, hit.score) for hit in index.search(terms, 50)]


def count_reads(monkeypatch, store: Store) -> list[int]:
    """Each guild whose paragraphs are read from the store, once per read."""
    reads: list[int] = []
    real = store.iter_paragraphs

    def counted(guild_id: int):
        reads.append(guild_id)
        return real(guild_id)

    monkeypatch.setattr(store, "iter_paragraphs", counted)
    return reads


async def test_an_index_is_built_from_the_store_once(store, monkeypatch):
    for number in range(3):
        await store.add_article(GUILD, draft(number), Provenance())
    indexes = GuildIndexes(store, BM25Params())
    reads = count_reads(monkeypatch, store)
    index = await indexes.index(GUILD)
    assert index.paragraph_count == 6
    assert await indexes.index(GUILD) is index
    assert reads == [GUILD]
    assert indexes.loaded() == [GUILD]


async def test_loaded_guilds_are_listed_least_recently_used_first(store):
    indexes = GuildIndexes(store, BM25Params())
    await indexes.index(GUILD)
    await indexes.index(OTHER_GUILD)
    assert indexes.loaded() == [GUILD, OTHER_GUILD]
    await indexes.index(GUILD)
    assert indexes.loaded() == [OTHER_GUILD, GUILD]
    await indexes.unload(OTHER_GUILD)
    assert indexes.loaded() == [GUILD]


async def test_changes_equal_a_rebuild_from_the_store(store):
    indexes = GuildIndexes(store, BM25Params())
    ids = [await add(indexes, store, GUILD, draft(number, number + 1)) for number in range(5)]
    await remove(indexes, store, GUILD, ids[1])
    await add(indexes, store, GUILD, draft(1, 2))
    live = await indexes.index(GUILD)
    assert await indexes.reindex(GUILD) == live.paragraph_count == 15
    rebuilt = await indexes.index(GUILD)
    assert rebuilt is not live
    assert rebuilt.signature() == live.signature()
    assert ranked(rebuilt) == ranked(live) and ranked(live)


async def test_a_rebuild_in_small_batches_equals_one_in_a_single_batch(store):
    """The store is read in batches of whole articles: an article never straddles two."""
    for number in range(6):
        await store.add_article(GUILD, draft(number, number + 1), Provenance())
    whole = await GuildIndexes(store, BM25Params()).index(GUILD)
    batched = await GuildIndexes(store, BM25Params(), rebuild_batch=3).index(GUILD)
    assert batched.signature() == whole.signature()
    assert batched.article_count == 6
    assert ranked(batched) == ranked(whole) and ranked(whole)


async def test_the_title_is_indexed_in_front_of_each_paragraph_unless_told_not_to(store):
    await store.add_article(GUILD, draft(1), Provenance())
    with_title = await GuildIndexes(store, BM25Params()).index(GUILD)
    without = await GuildIndexes(store, BM25Params(), title_in_paragraphs=False).index(GUILD)
    # Only the title, "Gale report 1", says "gale".
    assert len(with_title.search(["gale"], 10)) == 2
    assert without.search(["gale"], 10) == []


async def test_articles_are_indexed_and_unindexed_in_worker_threads(store, monkeypatch):
    threads: list[threading.Thread] = []
    for name in ("add_article", "remove_article"):
        original = getattr(BM25Index, name)

        def spy(index, *args, original=original, **kwargs):
            threads.append(threading.current_thread())
            return original(index, *args, **kwargs)

        monkeypatch.setattr(BM25Index, name, spy)
    indexes = GuildIndexes(store, BM25Params())
    article_id = await add(indexes, store, GUILD, draft(1))
    await remove(indexes, store, GUILD, article_id)
    assert len(threads) == 2 and threading.main_thread() not in threads
    assert (await indexes.index(GUILD)).paragraph_count == 0


async def test_removals_compact_the_index_off_the_event_loop(store, monkeypatch):
    """Once over half the slots are dead (in an index of some size), the guild's index is
    replaced by a compacted copy built in a worker thread; it ranks as a rebuild does."""
    built_in: list[threading.Thread] = []
    compacted = BM25Index.compacted

    def spy(index):
        built_in.append(threading.current_thread())
        return compacted(index)

    monkeypatch.setattr(BM25Index, "compacted", spy)
    indexes = GuildIndexes(store, BM25Params())
    ids = [await add(indexes, store, GUILD, draft(number, 100)) for number in range(11)]
    before = await indexes.index(GUILD)
    for article_id in ids[:6]:
        await remove(indexes, store, GUILD, article_id)
    after = await indexes.index(GUILD)
    assert built_in and threading.main_thread() not in built_in
    assert after is not before and not after.wants_compaction
    assert after.paragraph_count == 500
    answer = ranked(after)
    await indexes.reindex(GUILD)
    assert ranked(await indexes.index(GUILD)) == answer and answer


async def test_a_change_that_fails_drops_the_index_to_be_rebuilt(store, monkeypatch):
    indexes = GuildIndexes(store, BM25Params())
    await add(indexes, store, GUILD, draft(1))

    def broken(index, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(BM25Index, "add_article", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        await add(indexes, store, GUILD, draft(2))
    assert indexes.loaded() == []
    monkeypatch.undo()
    rebuilt = await indexes.index(GUILD)
    assert rebuilt.article_count == 2  # everything the store holds


async def test_an_unloaded_guild_is_saved_and_loaded_back_without_reading_the_store(
    store, tmp_path, monkeypatch
):
    folder = tmp_path / "index"
    indexes = GuildIndexes(store, BM25Params(), snapshot_dir=folder)
    for number in range(3):
        await add(indexes, store, GUILD, draft(number))
    before = ranked(await indexes.index(GUILD))
    await indexes.unload(GUILD)
    assert indexes.loaded() == [] and snapshot_path(folder, GUILD).exists()
    reads = count_reads(monkeypatch, store)
    again = GuildIndexes(store, BM25Params(), snapshot_dir=folder)
    assert ranked(await again.index(GUILD)) == before and before
    assert reads == []


async def test_save_all_saves_what_changed(store, tmp_path, monkeypatch):
    folder = tmp_path / "index"
    indexes = GuildIndexes(store, BM25Params(), snapshot_dir=folder)
    await add(indexes, store, GUILD, draft(1))
    await indexes.save_all()
    reads = count_reads(monkeypatch, store)
    loaded = await GuildIndexes(store, BM25Params(), snapshot_dir=folder).index(GUILD)
    assert loaded.paragraph_count == 2 and reads == []


async def test_a_snapshot_made_with_other_settings_is_not_used(store, tmp_path, monkeypatch):
    folder = tmp_path / "index"
    indexes = GuildIndexes(store, BM25Params(), snapshot_dir=folder)
    await add(indexes, store, GUILD, draft(1))
    await indexes.close()
    reads = count_reads(monkeypatch, store)
    other = GuildIndexes(store, BM25Params(k1=2.0), snapshot_dir=folder)
    assert (await other.index(GUILD)).paragraph_count == 2
    assert reads == [GUILD]


async def test_dropping_a_guild_removes_its_index_and_snapshot(store, tmp_path):
    folder = tmp_path / "index"
    indexes = GuildIndexes(store, BM25Params(), snapshot_dir=folder)
    await add(indexes, store, GUILD, draft(1))
    await add(indexes, store, OTHER_GUILD, draft(2))
    await indexes.save_all()
    async with indexes.dropping(GUILD):
        await store.purge_guild(GUILD)
    assert indexes.loaded() == [OTHER_GUILD]
    assert not snapshot_path(folder, GUILD).exists()
    assert snapshot_path(folder, OTHER_GUILD).exists()
    assert (await indexes.index(GUILD)).paragraph_count == 0


async def test_a_failed_drop_keeps_the_index(store, tmp_path):
    indexes = GuildIndexes(store, BM25Params(), snapshot_dir=tmp_path / "index")
    await add(indexes, store, GUILD, draft(1))
    with pytest.raises(RuntimeError):
        async with indexes.dropping(GUILD):
            raise RuntimeError("the store failed")
    assert indexes.loaded() == [GUILD]
    assert (await indexes.index(GUILD)).paragraph_count == 2


def test_the_compaction_threshold_is_what_the_compaction_test_crosses():
    """The compaction test adds 1,100 slots and kills 600: enough only if compaction
    starts below that size."""
    index = BM25Index()
    for article in range(11):
        index.add_article(article, [(article * 1000 + i, ["x"]) for i in range(100)])
    for article in range(6):
        index.remove_article(
            article, [(article * 1000 + i, ["x"]) for i in range(100)], compact=False
        )
    assert index.wants_compaction


# -- the memory budget --------------------------------------------------------------------

GUILDS = (11, 12, 13, 14)


async def fill(store: Store, guilds=GUILDS, articles: int = 3) -> None:
    """The same articles in each guild, written to the store only (no index loaded)."""
    for guild in guilds:
        for number in range(articles):
            await store.add_article(guild, draft(number, 6), Provenance())


async def largest_index(store: Store, guilds=GUILDS) -> int:
    """The bytes of the largest of the guilds' indexes."""
    indexes = GuildIndexes(store, BM25Params())
    for guild in guilds:
        await indexes.index(guild)
    return max(indexes.held(guild) for guild in guilds)


async def test_held_is_the_index_estimate_while_it_is_in_memory(store):
    await fill(store, [GUILD])
    indexes = GuildIndexes(store, BM25Params())
    assert indexes.held(GUILD) is None and indexes.memory().held_bytes == 0
    index = await indexes.index(GUILD)
    assert indexes.held(GUILD) == index.memory_bytes() > 0
    memory = indexes.memory()
    assert (memory.held_bytes, memory.guilds_held, memory.loads_from_store) == (
        indexes.held(GUILD),
        1,
        1,
    )
    assert memory.budget is None and memory.evictions == 0
    await indexes.unload(GUILD)
    assert indexes.held(GUILD) is None and indexes.memory().held_bytes == 0


async def test_a_budget_drops_the_least_recently_used_indexes_after_each_load(
    store, tmp_path, monkeypatch
):
    await fill(store)
    budget = int(2.5 * await largest_index(store))  # room for two
    indexes = GuildIndexes(store, BM25Params(), snapshot_dir=tmp_path / "i", memory_budget=budget)
    for guild in (11, 12, 13, 11, 14, 12):
        await indexes.index(guild)
        assert indexes.memory().held_bytes <= budget
        assert indexes.loaded()[-1] == guild
    assert indexes.loaded() == [14, 12]
    memory = indexes.memory()
    assert memory.evictions == 4 and memory.budget == budget
    # Every guild was built from the store once; 11 and 12 came back from their snapshots.
    assert (memory.loads_from_store, memory.loads_from_snapshot) == (4, 2)
    reads = count_reads(monkeypatch, store)
    reloaded = ranked(await indexes.index(13))
    assert reads == []  # from its snapshot
    assert reloaded == ranked(await GuildIndexes(store, BM25Params()).index(13)) and reloaded


async def test_an_index_that_changed_is_saved_before_it_is_dropped(store, tmp_path, monkeypatch):
    await fill(store)
    folder = tmp_path / "index"
    budget = int(2.5 * await largest_index(store))
    indexes = GuildIndexes(store, BM25Params(), snapshot_dir=folder, memory_budget=budget)
    await add(indexes, store, 11, draft(7))
    expected = ranked(await indexes.index(11))
    await indexes.index(12)
    await indexes.index(13)
    assert 11 not in indexes.loaded()
    reads = count_reads(monkeypatch, store)
    assert ranked(await indexes.index(11)) == expected and expected
    assert reads == []  # its snapshot held the change


async def test_one_guild_larger_than_the_budget_is_held_alone(store):
    await fill(store, [11, 12])
    budget = await largest_index(store, [11, 12]) // 2
    indexes = GuildIndexes(store, BM25Params(), memory_budget=budget)
    await indexes.index(11)
    assert indexes.loaded() == [11] and indexes.memory().held_bytes > budget
    await indexes.index(12)
    assert indexes.loaded() == [12] and indexes.memory().evictions == 1


async def test_an_index_whose_lock_is_held_is_not_dropped(store):
    await fill(store)
    budget = int(2.5 * await largest_index(store))
    indexes = GuildIndexes(store, BM25Params(), memory_budget=budget)
    await indexes.index(11)
    async with indexes.changing(11):
        for guild in (12, 13, 14):
            await indexes.index(guild)
        assert indexes.loaded() == [11, 14]  # 11 in use: 12 and 13 went instead
    await indexes.index(12)
    assert indexes.loaded() == [14, 12]
    assert indexes.memory().held_bytes <= budget


async def test_a_question_on_a_dropped_index_still_finishes(store):
    await fill(store)
    budget = int(1.5 * await largest_index(store))
    indexes = GuildIndexes(store, BM25Params(), memory_budget=budget)
    index = await indexes.index(11)
    expected = ranked(index)
    await indexes.index(12)
    assert 11 not in indexes.loaded()
    assert ranked(index) == expected and expected  # the caller's reference still answers


async def test_a_growing_index_makes_room_by_dropping_others(store):
    await fill(store)
    budget = int(2.5 * await largest_index(store))
    indexes = GuildIndexes(store, BM25Params(), memory_budget=budget)
    await indexes.index(11)
    await indexes.index(12)
    number = 100
    while indexes.loaded() != [12]:
        await add(indexes, store, 12, draft(number, 20))
        number += 1
        assert indexes.loaded()[-1] == 12
    assert indexes.memory().evictions == 1 and indexes.held(12) > budget - indexes.held(12)


async def test_changes_made_while_dropped_reach_the_index_when_it_is_loaded_again(store, tmp_path):
    """Through ``changing`` (this process) the index is loaded for the change; a change
    written to the store by another process makes the snapshot stale: rebuilt."""
    await fill(store)
    budget = int(1.5 * await largest_index(store))
    indexes = GuildIndexes(store, BM25Params(), snapshot_dir=tmp_path / "i", memory_budget=budget)
    await indexes.index(11)
    await indexes.index(12)
    assert indexes.loaded() == [12]
    await add(indexes, store, 11, draft(20))
    assert indexes.loaded() == [11]
    await store.add_article(12, draft(21), Provenance())  # 12 is not in memory
    from_store = indexes.memory().loads_from_store
    for guild in (11, 12):
        reference = await GuildIndexes(store, BM25Params()).index(guild)
        again = await indexes.index(guild)
        assert again.signature() == reference.signature()
        assert ranked(again) == ranked(reference) and ranked(reference)
    assert indexes.memory().loads_from_store == from_store + 1  # 12, its snapshot stale


async def test_a_negative_budget_is_refused(store):
    with pytest.raises(ValueError, match="cannot be negative"):
        GuildIndexes(store, BM25Params(), memory_budget=-1)


async def test_freed_memory_is_given_back_once_enough_indexes_were_dropped(store, monkeypatch):
    await fill(store)
    largest = await largest_index(store)
    given_back: list[int] = []
    monkeypatch.setattr(guild_indexes, "give_back_freed_memory", lambda: given_back.append(1))
    monkeypatch.setattr(guild_indexes, "GIVE_BACK_AFTER", int(1.5 * largest))
    indexes = GuildIndexes(store, BM25Params(), memory_budget=int(1.5 * largest))
    await indexes.index(11)
    await indexes.index(12)  # 11 dropped: not enough yet
    assert indexes.memory().evictions == 1 and given_back == []
    await indexes.index(13)  # 12 dropped too
    assert indexes.memory().evictions == 2 and given_back == [1]
    await indexes.unload(13)
    assert given_back == [1]
    await indexes.index(14)
    await indexes.unload(14)  # two more dropped since
    assert given_back == [1, 1]
