from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import aiosqlite
import pytest

from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.store import (
    DuplicateArticle,
    SQLiteStore,
    StoreDamaged,
    StoreError,
    StoreMissing,
    StoreReadOnly,
)
from index.store import sqlite as sqlite_store
from index.store.sqlite_schema import CHECKSUMS_SINCE, MIGRATIONS, SCHEMA_LOG, SCHEMA_VERSION


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
    with pytest.raises(StoreError, match=r"is damaged \(it is not an SQLite database"):
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


# -- checksums, schema, damage met after open -------------------------------------------


def _raw(path) -> sqlite3.Connection:
    """A plain connection that writes past the store, as damage on disk would."""
    return sqlite3.connect(path, isolation_level=None)


async def _sound_store_file(path, articles: int = 2) -> None:
    store = SQLiteStore(path)
    await store.open()
    for number in range(articles):
        await store.add_article(
            1, draft(f"Story {number}", f"First {number}.", f"Second {number}."), Provenance()
        )
    await store.add_article(2, draft("Other guild", "Its own words."), Provenance())
    await store.set_setting(1, "config.results", "2")
    await store.increment_counter(1, "questions_answered", 3)
    await store.add_audit(1, 9, "mod", "purge", "0")
    await store.add_question(1, 77, 9, "what happened?", None)
    await store.add_pending_ingest(1, 11, 111, "text")
    await store.close()


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE paragraphs SET text = 'Secpnd 1.' WHERE text = 'Second 1.'",
        "UPDATE articles SET paragraph_count = 7 WHERE title = 'Story 0'",
        "UPDATE articles SET title = 42 WHERE title = 'Story 1'",
        "UPDATE guild_settings SET value = '9'",
        "UPDATE guild_counters SET value = 4",
        "UPDATE questions SET question = 'what happenet?'",
        "UPDATE audit_log SET user_name = 'nod'",
        "UPDATE pending_ingests SET attempts = 2",
        "UPDATE paragraphs SET guild_id = 2 WHERE text = 'First 0.'",
    ],
)
async def test_a_changed_value_is_refused_at_open_and_the_file_is_not_written(tmp_path, change):
    path = tmp_path / "bot.sqlite3"
    await _sound_store_file(path)
    with closing(_raw(path)) as raw:
        raw.execute(change)
    before = path.read_bytes()
    with pytest.raises(StoreDamaged, match=r"is damaged \(.*Restoring a backup"):
        await SQLiteStore(path).open()
    assert path.read_bytes() == before


async def test_damage_met_after_open_is_refused_and_nothing_is_written_after_it(
    tmp_path, monkeypatch
):
    """Files too large to read whole at open are checked row by row as they are read."""
    monkeypatch.setattr(sqlite_store, "ROWS_CHECKED_AT_OPEN", 0)
    path = tmp_path / "bot.sqlite3"
    await _sound_store_file(path)
    store = SQLiteStore(path)
    await store.open()
    try:
        info = (await store.list_articles(1))[-1]
        assert (await store.counts(1))[:2] == (2, 4)
        with closing(_raw(path)) as raw:
            raw.execute("UPDATE paragraphs SET text = 'Changed.' WHERE text = 'First 0.'")
        with pytest.raises(StoreDamaged, match="paragraphs does not match its checksum") as met:
            await store.article_paragraphs(1, info.id)
        assert store.damaged
        with closing(_raw(path)) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = path.read_bytes()
        for later in (
            store.add_article(1, draft("New", "New words."), Provenance()),
            store.set_setting(1, "seeded", "1"),
            store.increment_counter(1, "questions_answered"),
            store.list_articles(1),
            store.get_article(2, 1),
        ):
            with pytest.raises(StoreDamaged) as refused:
                await later
            assert str(refused.value) == str(met.value)
        with pytest.raises(StoreDamaged):
            [row async for row in store.iter_paragraphs(2)]
    finally:
        await store.close()
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("UPDATE paragraphs SET text = 'Changed.' WHERE text = 'First 0.'", "checksum"),
        ("DELETE FROM paragraphs WHERE text = 'Second 1.'", "does not have the paragraphs"),
    ],
)
async def test_a_guild_is_never_indexed_from_damaged_rows(tmp_path, monkeypatch, change, problem):
    monkeypatch.setattr(sqlite_store, "ROWS_CHECKED_AT_OPEN", 0)
    path = tmp_path / "bot.sqlite3"
    await _sound_store_file(path)
    with closing(_raw(path)) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute(change)
    store = SQLiteStore(path)
    await store.open()
    try:
        assert [title async for _, title in store.iter_paragraphs(2)] == ["Other guild"]
        with pytest.raises(StoreDamaged, match=problem):
            [row async for row in store.iter_paragraphs(1)]
    finally:
        await store.close()


async def test_paragraphs_come_by_article_and_position_with_their_titles(store):
    first, _ = await store.add_article(4, draft("One", "a.", "b.", "c."), Provenance())
    second, _ = await store.add_article(4, draft("Two", "d."), Provenance())
    rows = [
        (p.article_id, p.position, p.text, title) async for p, title in store.iter_paragraphs(4)
    ]
    assert rows == [
        (first.id, 0, "a.", "One"),
        (first.id, 1, "b.", "One"),
        (first.id, 2, "c.", "One"),
        (second.id, 0, "d.", "Two"),
    ]


async def test_ids_are_never_reused(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    try:
        first, paragraphs = await store.add_article(1, draft("A", "x.", "y."), Provenance())
        await store.remove_article(1, first.id)
        second, again = await store.add_article(1, draft("B", "z."), Provenance())
        assert second.id > first.id and again[0].id > paragraphs[-1].id
        assert (await store.get_article(1, second.id)).title == "B"
        pending = await store.add_pending_ingest(1, None, None, "a")
        await store.remove_pending_ingest(1, pending)
        assert await store.add_pending_ingest(1, None, None, "b") > pending
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("version", "extra", "message"),
    [
        (2, None, "schema version number is wrong"),
        (3, None, "schema version number is wrong"),
        (-1, None, "schema version number is wrong"),
        (SCHEMA_VERSION + 1, None, "schema version number is wrong"),
        (SCHEMA_VERSION + 1, "newer", "newer version"),
    ],
)
async def test_a_wrong_schema_version_is_damage_and_a_newer_one_is_not(
    tmp_path, version, extra, message
):
    path = tmp_path / "bot.sqlite3"
    await _sound_store_file(path)
    with closing(_raw(path)) as raw:
        if extra == "newer":  # what a newer version's migration writes
            raw.execute("CREATE TABLE feeds (id INTEGER PRIMARY KEY)")
            raw.execute(SCHEMA_LOG.insert, SCHEMA_LOG.row((version, "2030-01-01T00:00:00+00:00")))
        raw.execute(f"PRAGMA user_version = {version}")
    with pytest.raises(StoreError, match=message) as refused:
        await SQLiteStore(path).open()
    assert isinstance(refused.value, StoreDamaged) == (extra is None)


async def test_a_changed_schema_is_refused(tmp_path):
    path = tmp_path / "bot.sqlite3"
    await _sound_store_file(path)
    with closing(_raw(path)) as raw:
        raw.execute("PRAGMA writable_schema = ON")
        raw.execute(
            "UPDATE sqlite_schema SET sql = replace(sql, 'text TEXT NOT NULL', 'text TEXT') "
            "WHERE name = 'paragraphs'"
        )
    with pytest.raises(StoreDamaged, match="tables are not the ones"):
        await SQLiteStore(path).open()


async def test_another_programs_database_is_refused_as_such(tmp_path):
    path = tmp_path / "other.sqlite3"
    with closing(_raw(path)) as raw:
        raw.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreError, match="another program") as refused:
        await SQLiteStore(path).open()
    assert not isinstance(refused.value, StoreDamaged)


async def test_a_database_of_the_schema_before_checksums_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite3"
    with closing(_raw(path)) as raw:  # what the version before checksums wrote
        raw.execute("PRAGMA journal_mode = WAL")
        for migration in MIGRATIONS[: CHECKSUMS_SINCE - 1]:
            for statement in migration:
                raw.execute(statement)
        raw.execute(f"PRAGMA user_version = {CHECKSUMS_SINCE - 1}")
        raw.execute(
            "INSERT INTO articles (guild_id, title, fingerprint, posted_at, created_at, "
            "paragraph_count) VALUES (5, 'Old', 'f', '2025-01-02T03:04:05+00:00', "
            "'2025-01-02T03:04:05+00:00', 2)"
        )
        raw.executemany(
            "INSERT INTO paragraphs (guild_id, article_id, position, text) VALUES (5, 1, ?, ?)",
            [(0, "Kept as it was."), (1, "Ünïcode — too.")],
        )
        raw.execute("INSERT INTO guild_counters VALUES (5, 'questions_answered', 4)")
    store = SQLiteStore(path)
    await store.open()
    try:
        assert await store.integrity_problems() == []
        assert [(p.text, title) async for p, title in store.iter_paragraphs(5)] == [
            ("Kept as it was.", "Old"),
            ("Ünïcode — too.", "Old"),
        ]
        assert await store.get_counter(5, "questions_answered") == 4
        added, _ = await store.add_article(5, draft("New", "New words."), Provenance())
        assert added.id == 2
    finally:
        await store.close()
    with closing(_raw(path)) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_guild_summaries_count_each_guild_with_articles(store):
    assert await store.guild_summaries() == []
    await store.add_article(30, draft("A", "x.", "y."), Provenance())
    await store.add_article(4, draft("B", "z."), Provenance())
    await store.add_article(30, draft("C", "w."), Provenance())
    await store.set_setting(99, "seeded", "1")  # settings alone are not articles
    summaries = await store.guild_summaries()
    assert [(s.guild_id, s.articles, s.paragraphs) for s in summaries] == [(4, 1, 1), (30, 2, 3)]
    assert all(s.last_ingest is not None for s in summaries)
    assert await store.counts(30) == (2, 3, summaries[1].last_ingest)


# -- missing, read-only, unusable paths -------------------------------------------------


async def test_a_missing_database_is_not_created_unless_asked(tmp_path):
    path = tmp_path / "no" / "such" / "bot.sqlite3"
    for options in ({"create": False}, {"read_only": True}):
        with pytest.raises(StoreMissing, match=f"there is no database at {path}"):
            await SQLiteStore(path, **options).open()
    assert not (tmp_path / "no").exists()
    path.parent.mkdir(parents=True)
    path.touch()  # an empty file is no database either
    with pytest.raises(StoreMissing):
        await SQLiteStore(path, create=False).open()
    assert path.read_bytes() == b""


async def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(StoreError, match=r"cannot open the database .*: it is a folder"):
        await SQLiteStore(tmp_path).open()


async def test_a_read_only_store_answers_and_refuses_every_change(tmp_path):
    path = tmp_path / "bot.sqlite3"
    await _sound_store_file(path)
    before = path.read_bytes()
    store = SQLiteStore(path, read_only=True)
    await store.open()
    try:
        assert [a.title for a in await store.list_articles(1)] == ["Story 1", "Story 0"]
        assert len([row async for row in store.iter_paragraphs(1)]) == 4
        assert await store.get_question(1, 77) == (9, "what happened?", None)
        for change in (
            store.add_article(1, draft("New", "New words."), Provenance()),
            store.set_setting(1, "seeded", "1"),
            store.increment_counter(1, "questions_answered"),
            store.purge_guild(1),
            store.add_pending_ingest(1, None, None, ""),
        ):
            with pytest.raises(StoreReadOnly, match=r"\(or its folder\) is read-only"):
                await change
        assert not store.damaged
        assert await store.integrity_problems() == []
    finally:
        await store.close()
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
async def test_a_read_only_file_is_opened_read_only(tmp_path):
    path = tmp_path / "bot.sqlite3"
    await _sound_store_file(path)
    path.chmod(0o444)
    store = SQLiteStore(path)
    await store.open()
    try:
        assert store.read_only
        assert len(await store.list_articles(1)) == 2
        with pytest.raises(StoreReadOnly):
            await store.set_setting(1, "seeded", "1")
    finally:
        await store.close()


# -- backups ----------------------------------------------------------------------------


async def test_a_backup_makes_its_folder_and_never_replaces_a_file(tmp_path, store):
    await store.add_article(1, draft("Backed up", "Text."), Provenance())
    target = tmp_path / "backups" / "daily" / "copy.sqlite3"
    await store.backup(target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]
    before = target.read_bytes()
    with pytest.raises(StoreError, match="exists already"):
        await store.backup(target)
    assert target.read_bytes() == before


@pytest.mark.parametrize("failure", ["full disk", "stopped"])
async def test_a_backup_that_fails_midway_leaves_nothing_behind(
    tmp_path, store, monkeypatch, failure
):
    for number in range(40):
        words = " ".join(f"word{number}x{i}" for i in range(300))
        await store.add_article(1, draft(f"Article {number}", words), Provenance())
    copied_pages = []
    real_backup = aiosqlite.Connection.backup

    async def backup_failing_midway(self, target, **options):
        def progress(status, remaining, total):
            copied_pages.append(total - remaining)
            if failure == "stopped":
                raise KeyboardInterrupt
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise error

        await real_backup(self, target, pages=5, progress=progress)

    monkeypatch.setattr(aiosqlite.Connection, "backup", backup_failing_midway)
    folder = tmp_path / "backups"
    expected = KeyboardInterrupt if failure == "stopped" else StoreError
    with pytest.raises(expected) as raised:
        await store.backup(folder / "copy.sqlite3")
    assert copied_pages and copied_pages[0] == 5  # part of it had been written
    if failure == "full disk":
        assert "the disk is full" in str(raised.value)
    assert list(folder.iterdir()) == []
    assert not store.damaged


async def test_damage_found_by_a_caller_stops_the_store_too(store):
    await store.add_article(1, draft("A", "x."), Provenance())
    error = store.report_damage("guild 1's paragraphs do not fit together")
    assert isinstance(error, StoreDamaged) and store.damaged
    assert "is damaged (guild 1's paragraphs do not fit together)" in str(error)
    with pytest.raises(StoreDamaged, match="do not fit together"):
        await store.list_articles(1)


async def test_an_article_missing_a_paragraph_is_never_shown_or_exported(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_store, "ROWS_CHECKED_AT_OPEN", 0)
    path = tmp_path / "bot.sqlite3"
    await _sound_store_file(path)
    with closing(_raw(path)) as raw:
        raw.execute("DELETE FROM paragraphs WHERE text = 'Second 1.'")
    store = SQLiteStore(path)
    await store.open()
    try:
        whole, damaged = sorted(a.id for a in await store.list_articles(1))
        assert [p.text for p in await store.article_paragraphs(1, whole)] == [
            "First 0.",
            "Second 0.",
        ]
        with pytest.raises(StoreDamaged, match=f"article {damaged} does not have the paragraphs"):
            await store.article_paragraphs(1, damaged)
    finally:
        await store.close()
