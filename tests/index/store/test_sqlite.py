"""What only the SQLite store has: a file it creates, checks and migrates, damage on disk,
read-only files and folders, and backups to a new file.

What every store does (articles, duplicates, guild isolation, settings…) is in the
contract suite (``test_contract.py``), which runs on SQLite too. Tests here look inside
the file with a ``sqlite3`` connection of their own, never through the store's.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing

import aiosqlite
import pytest

from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.store import (
    SQLiteStore,
    StoreDamaged,
    StoreError,
    StoreMissing,
    StoreReadOnly,
    open_store,
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


def _raw(path) -> sqlite3.Connection:
    """A plain connection to the file, past the store: to look inside it, or to write to
    it as damage on disk would."""
    return sqlite3.connect(path, isolation_level=None)


@pytest.fixture
async def file_store(tmp_path):
    store = SQLiteStore(tmp_path / "data" / "bot.sqlite3")
    await store.open()
    yield store
    await store.close()


# -- the file ---------------------------------------------------------------------------


async def test_open_creates_the_file_and_its_folder_in_wal_mode_with_the_schema(tmp_path):
    path = tmp_path / "data" / "bot.sqlite3"
    store = await open_store(f"sqlite:///{path}")
    try:
        assert isinstance(store, SQLiteStore) and path.is_file()
        with closing(_raw(path)) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        await store.close()


async def test_removing_an_article_removes_its_paragraphs_from_the_file(file_store):
    """The paragraphs go by the foreign key's cascade: foreign keys are enforced."""
    info, _ = await file_store.add_article(1, draft("Gone", "a.", "b."), Provenance())
    kept, _ = await file_store.add_article(1, draft("Kept", "c."), Provenance())
    await file_store.remove_article(1, info.id)
    with closing(_raw(file_store.path)) as raw:
        rows = raw.execute("SELECT article_id, text FROM paragraphs").fetchall()
    assert rows == [(kept.id, "c.")]


async def test_a_failed_ingest_writes_nothing_to_the_file(file_store):
    bad = ArticleDraft(title="T", paragraphs=("fine", object()), fingerprint="f")  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - what matters is that nothing is written
        await file_store.add_article(1, bad, Provenance())
    with closing(_raw(file_store.path)) as raw:
        for table in ("articles", "paragraphs"):
            assert raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


async def test_data_survives_closing_and_opening_the_file_again(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    info, _ = await store.add_article(3, draft("Kept", "It stays."), Provenance())
    await store.set_setting(3, "seeded", "1")
    await store.close()

    store = SQLiteStore(path)
    await store.open()
    try:
        assert (await store.get_article(3, info.id)).title == "Kept"
        assert await store.get_setting(3, "seeded") == "1"
    finally:
        await store.close()


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with closing(_raw(path)) as raw:
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
    with closing(_raw(path)) as raw:  # fold the WAL into the file, as a clean stop does
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


async def test_a_sound_file_reports_no_problems_after_it_is_opened_again(tmp_path):
    path = tmp_path / "bot.sqlite3"
    await _store_with_articles(path, count=3)
    store = SQLiteStore(path)
    await store.open()
    try:
        assert await store.integrity_problems() == []
    finally:
        await store.close()


# -- checksums, schema, damage met after open -------------------------------------------


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


async def test_damage_found_by_a_caller_is_worded_with_the_file_and_kept(file_store):
    error = file_store.report_damage("guild 1's paragraphs do not fit together")
    assert file_store.damaged
    assert f"{file_store.path} is damaged (guild 1's paragraphs do not fit together)" in str(error)


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


async def test_a_backup_is_a_consistent_copy_that_opens_as_a_store(tmp_path, file_store):
    await file_store.add_article(1, draft("Backed up", "Text."), Provenance())
    target = tmp_path / "copy.sqlite3"
    await file_store.backup(target)
    copy = SQLiteStore(target)
    await copy.open()
    try:
        assert [a.title for a in await copy.list_articles(1)] == ["Backed up"]
        assert await copy.integrity_problems() == []
    finally:
        await copy.close()


async def test_a_backup_makes_its_folder_and_never_replaces_a_file(tmp_path, file_store):
    await file_store.add_article(1, draft("Backed up", "Text."), Provenance())
    target = tmp_path / "backups" / "daily" / "copy.sqlite3"
    await file_store.backup(target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]
    before = target.read_bytes()
    with pytest.raises(StoreError, match="exists already"):
        await file_store.backup(target)
    assert target.read_bytes() == before


@pytest.mark.parametrize("failure", ["full disk", "stopped"])
async def test_a_backup_that_fails_midway_leaves_nothing_behind(
    tmp_path, file_store, monkeypatch, failure
):
    for number in range(40):
        words = " ".join(f"word{number}x{i}" for i in range(300))
        await file_store.add_article(1, draft(f"Article {number}", words), Provenance())
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
        await file_store.backup(folder / "copy.sqlite3")
    assert copied_pages and copied_pages[0] == 5  # part of it had been written
    if failure == "full disk":
        assert "the disk is full" in str(raised.value)
    assert list(folder.iterdir()) == []
    assert not file_store.damaged
