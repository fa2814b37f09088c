from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from index.models import ArticleDraft, Provenance
from index.paste import fingerprint
from index.store import DuplicateArticle, SQLiteStore, StoreError
from index.store.sqlite import SCHEMA_VERSION


def draft(title: str, *paragraphs: str, url: str | None = None) -> ArticleDraft:
    return ArticleDraft(
        title=title,
        paragraphs=paragraphs,
        fingerprint=fingerprint(paragraphs),
        source_url=url,
        canonical_url=url,
    )


@pytest.fixture
async def store(tmp_path):
    store = SQLiteStore(tmp_path / "data" / "bot.sqlite3")
    await store.open()
    yield store
    await store.close()


async def test_open_sets_up_wal_foreign_keys_and_schema(tmp_path, store):
    assert (tmp_path / "data" / "bot.sqlite3").exists()
    with sqlite3.connect(store.path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    async with store._writer.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1


async def test_add_get_list_and_remove(store):
    when = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)
    info, paragraphs = await store.add_article(
        7,
        draft("Title", "First.", "Second.", url="https://x.com/a"),
        Provenance(poster_id=5, poster_name="ann", posted_at=when, message_url="https://m/1"),
    )
    assert [p.text for p in paragraphs] == ["First.", "Second."]
    assert [p.position for p in paragraphs] == [0, 1]
    assert info.paragraph_count == 2 and info.poster_name == "ann" and info.posted_at == when
    assert await store.get_article(7, info.id) == info
    assert await store.list_articles(7) == [info]
    assert await store.counts(7) == (1, 2, (await store.counts(7))[2])

    removed = await store.remove_article(7, info.id)
    assert removed is not None and removed[0].id == info.id
    assert [p.id for p in removed[1]] == [p.id for p in paragraphs]
    assert await store.get_article(7, info.id) is None
    assert await store.paragraphs(7, [p.id for p in paragraphs]) == {}
    assert await store.remove_article(7, info.id) is None


async def test_duplicates_are_refused_and_nothing_is_written(store):
    first, _ = await store.add_article(1, draft("A", "Same words here."), Provenance())
    with pytest.raises(DuplicateArticle) as same_text:
        await store.add_article(1, draft("B", "same  words, here!"), Provenance())
    assert same_text.value.existing.id == first.id

    await store.add_article(1, draft("C", "Other words.", url="https://x.com/c"), Provenance())
    with pytest.raises(DuplicateArticle):
        await store.add_article(1, draft("D", "New words.", url="https://x.com/c"), Provenance())
    assert (await store.counts(1))[:2] == (2, 2)


async def test_guilds_never_see_each_other(store):
    info, paragraphs = await store.add_article(1, draft("Mine", "Guild one text."), Provenance())
    assert await store.get_article(2, info.id) is None
    assert await store.list_articles(2) == []
    assert await store.paragraphs(2, [p.id for p in paragraphs]) == {}
    assert await store.articles_by_id(2, [info.id]) == {}
    assert await store.remove_article(2, info.id) is None
    assert [row async for row in store.iter_paragraphs(2)] == []
    assert await store.search_titles(2, "Mine") == []
    # The same text may be stored by another guild: duplicates are per guild.
    other, _ = await store.add_article(2, draft("Mine", "Guild one text."), Provenance())
    assert other.id != info.id


async def test_failed_ingest_leaves_nothing_half_written(store):
    bad = ArticleDraft(title="T", paragraphs=("fine", object()), fingerprint="f")  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - any driver error; what matters is the rollback
        await store.add_article(1, bad, Provenance())
    assert await store.counts(1) == (0, 0, None)
    async with store._conn.execute("SELECT count(*) FROM paragraphs") as cursor:
        assert (await cursor.fetchone())[0] == 0


async def test_data_survives_reopen(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    info, _ = await store.add_article(3, draft("Kept", "It stays."), Provenance())
    await store.set_setting(3, "seeded", "1")
    await store.increment_counter(3, "questions", 2)
    await store.close()

    store = SQLiteStore(path)
    await store.open()
    try:
        assert (await store.get_article(3, info.id)).title == "Kept"
        assert [(p.text, title) async for p, title in store.iter_paragraphs(3)] == [
            ("It stays.", "Kept")
        ]
        assert await store.get_setting(3, "seeded") == "1"
        assert await store.get_counter(3, "questions") == 2
    finally:
        await store.close()


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer version"):
        await SQLiteStore(path).open()


async def test_damaged_file_is_reported(tmp_path):
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="damaged or not a database"):
        await SQLiteStore(path).open()


async def _store_with_articles(path, count: int = 60) -> None:
    store = SQLiteStore(path)
    await store.open()
    for number in range(count):
        words = " ".join(f"word{number}x{i}" for i in range(200))
        await store.add_article(1, draft(f"Article {number}", words, words + " end"), Provenance())
    await store.close()
    with sqlite3.connect(path) as raw:  # fold the WAL into the file, as a clean stop does
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.mark.parametrize("damage", ["overwritten pages", "truncated"])
async def test_a_file_damaged_inside_is_refused_at_open(tmp_path, damage):
    """Damage past the header opens fine in SQLite; the store must still refuse it."""
    path = tmp_path / "bot.sqlite3"
    await _store_with_articles(path)
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        for at in range(8 * page, 12 * page, 7):
            data[at] = (data[at] * 31 + 7) % 256
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        await SQLiteStore(path).open()


async def test_a_sound_file_reports_no_problems(tmp_path):
    path = tmp_path / "bot.sqlite3"
    await _store_with_articles(path, count=3)
    store = SQLiteStore(path)
    await store.open()
    try:
        assert await store.integrity_problems() == []
    finally:
        await store.close()


async def test_pending_ingests_are_kept_per_guild_until_crossed_out(store):
    first = await store.add_pending_ingest(1, 11, 111, "")
    await store.add_pending_ingest(2, 21, 211, "https://example.org/a")
    await store.retry_pending_ingest(1, first)
    await store.retry_pending_ingest(2, first)  # another guild's id: not touched
    pending = await store.pending_ingests([1])
    assert [(p.id, p.channel_id, p.message_id, p.attempts) for p in pending] == [
        (first, 11, 111, 2)
    ]
    assert [p.content for p in await store.pending_ingests([2])] == ["https://example.org/a"]
    await store.remove_pending_ingest(2, first)  # wrong guild: nothing happens
    assert len(await store.pending_ingests([1, 2])) == 2
    await store.remove_pending_ingest(1, first)
    assert [p.guild_id for p in await store.pending_ingests([1, 2])] == [2]
    await store.purge_guild(2)
    assert await store.pending_ingests([1, 2]) == []


async def test_settings_counters_and_title_search(store):
    await store.set_setting(1, "results", "5")
    await store.set_setting(1, "results", "4")
    assert await store.get_setting(1, "results") == "4"
    await store.set_setting(1, "results", None)
    assert await store.get_setting(1, "results") is None

    await store.add_article(1, draft("100% sure_thing", "One."), Provenance())
    await store.add_article(1, draft("1000 surething", "Two."), Provenance())
    assert [a.title for a in await store.search_titles(1, "100%")] == ["100% sure_thing"]
    assert [a.title for a in await store.search_titles(1, "e_t")] == ["100% sure_thing"]


async def test_backup_is_a_consistent_copy(tmp_path, store):
    await store.add_article(1, draft("Backed up", "Text."), Provenance())
    target = tmp_path / "copy.sqlite3"
    await store.backup(target)
    copy = SQLiteStore(target)
    await copy.open()
    try:
        assert [a.title for a in await copy.list_articles(1)] == ["Backed up"]
    finally:
        await copy.close()
