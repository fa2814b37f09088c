"""Copying a whole database between stores (``copy-store``): every row arrives as it was,
the copy answers every question as the source does, a target holding data is refused,
and a copy that fails or does not match says so (and leaves no new file behind)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from index import ArticleDraft, Engine, Provenance, StoreError, StoreUnavailable
from index.ingest.paste import fingerprint
from index.store import Store, open_store
from index.store.columns import DATA_TABLES, PARAGRAPHS, Columns
from index.store.copy import copy_store, copy_to
from tests.conftest import SEED, NewStoreUrl
from tests.support.engines import open_engine

SEED_GUILD, STORY_GUILD = 5, 1234567890123456789

COPIES = [
    pytest.param("sqlite", "sqlite", id="sqlite-to-sqlite"),
    pytest.param("sqlite", "postgresql", id="sqlite-to-postgresql", marks=pytest.mark.postgresql),
    pytest.param("postgresql", "sqlite", id="postgresql-to-sqlite", marks=pytest.mark.postgresql),
    pytest.param(
        "postgresql", "postgresql", id="postgresql-to-postgresql", marks=pytest.mark.postgresql
    ),
]


def story(number: int) -> ArticleDraft:
    paragraphs = (
        f"Story {number}: the harbour committee met on day {number} to plan the new quay.",
        f"The ferry timetable for season {number} keeps the early boat to the islands.",
    )
    return ArticleDraft(f"Story {number}", paragraphs, fingerprint(paragraphs))


async def fill(url: str) -> None:
    """Something in every table: two guilds' articles (one removed, so ids have a gap),
    settings, counters, the audit log, remembered questions and unfinished work."""
    async with await open_engine(url, snapshots=False) as engine:
        shared = Provenance(
            poster_id=11,
            poster_name="Ada",
            channel_id=22,
            message_id=33,
            message_url="https://discord.com/channels/5/22/33",
            posted_at=datetime(2025, 11, 24, 9, 30, 15, tzinfo=UTC),
        )
        assert (await engine.ingest_file(SEED_GUILD, SEED.name, SEED.read_bytes(), shared)).added
        for number in range(4):
            assert (await engine.ingest_draft(STORY_GUILD, story(number))).added
        await engine.remove_article(STORY_GUILD, 3)
        await engine.set_setting(SEED_GUILD, "seeded", "1")
        await engine.update_guild_config(SEED_GUILD, results=2)
        await engine.audit(SEED_GUILD, 7, "Moderator", "remove", "article #9")
        await engine.remember_question(SEED_GUILD, 7, "Who talked Trump out of it?", 1)
        assert (await engine.ask(SEED_GUILD, "boat strikes killed")).found  # a counter
        await engine.accept_ingest(
            STORY_GUILD, channel_id=1, message_id=2, content="https://example.org/story"
        )


async def rows_of(store: Store, columns: Columns) -> list[tuple[object, ...]]:
    """The table's rows, sorted, with times to the second in UTC (what stores keep)."""
    rows = []
    async for batch in store.copy_rows(columns):
        for row in batch:
            rows.append(
                tuple(
                    value.astimezone(UTC).replace(microsecond=0)
                    if isinstance(value, datetime)
                    else value
                    for value in row
                )
            )
    return sorted(rows, key=repr)


async def answers(engine: Engine, guild: int, questions: list[str]) -> list[list[tuple]]:
    found = []
    for question in questions:
        answer = await engine.ask(guild, question, limit=5)
        found.append(
            [
                (
                    p.article.id,
                    p.article.title,
                    p.article.source_url,
                    p.paragraph_id,
                    p.text,
                    p.highlights,
                    round(p.score, 9),
                )
                for p in answer.passages
            ]
        )
    return found


@pytest.mark.parametrize(("source_kind", "target_kind"), COPIES)
async def test_a_copy_holds_every_row_and_answers_alike(
    new_store_url: NewStoreUrl, seed_questions, source_kind, target_kind
):
    source_url, target_url = new_store_url(source_kind), new_store_url(target_kind)
    await fill(source_url)
    copied_tables: list[tuple[str, int]] = []

    source = await open_store(source_url, create=False)
    try:
        report = await copy_to(
            source, target_url, progress=lambda table, rows: copied_tables.append((table, rows))
        )
        source_guilds = await source.guild_summaries()
    finally:
        await source.close()

    assert [(g.guild_id, g.articles, g.paragraphs) for g in report.guilds] == [
        (SEED_GUILD, 1, 27),
        (STORY_GUILD, 3, 6),
    ]
    assert report.guilds == tuple(source_guilds)
    assert copied_tables == list(report.rows)
    assert [table for table, _ in report.rows] == [columns.table for columns in DATA_TABLES]
    assert all(rows > 0 for _, rows in report.rows), report.rows

    source, target = await open_store(source_url), await open_store(target_url)
    try:
        assert [(g.guild_id, g.articles, g.paragraphs) for g in await target.guild_summaries()] == [
            (g.guild_id, g.articles, g.paragraphs) for g in source_guilds
        ]
        for columns in DATA_TABLES:
            assert await rows_of(target, columns) == await rows_of(source, columns), columns.table
    finally:
        await source.close()
        await target.close()

    questions = [question for question, _expected in seed_questions]
    async with await open_engine(source_url, snapshots=False) as original:
        expected = await answers(original, SEED_GUILD, questions)
        expected_stories = await answers(original, STORY_GUILD, ["ferry timetable islands"])
        exported = await original.export(SEED_GUILD)
    async with await open_engine(target_url, snapshots=False) as copy:
        assert await answers(copy, SEED_GUILD, questions) == expected
        assert await answers(copy, STORY_GUILD, ["ferry timetable islands"]) == expected_stories
        assert await copy.export(SEED_GUILD) == exported
        assert (await copy.guild_config(SEED_GUILD)).results == 2
        assert [p.content for p in await copy.pending_ingests([STORY_GUILD])] == [
            "https://example.org/story"
        ]
        # The copy carries on: new articles get new ids, past every copied one.
        added = await copy.ingest_draft(STORY_GUILD, story(10))
        assert added.added and added.article.id > 5
    assert sum(1 for answer in expected if answer) > len(questions) // 2  # real answers


async def test_a_target_that_holds_data_is_refused_and_left_alone(new_store_url: NewStoreUrl):
    source_url, target_url = new_store_url("sqlite"), new_store_url("sqlite")
    await fill(source_url)
    async with await open_engine(target_url, snapshots=False) as engine:
        await engine.set_setting(42, "seeded", "1")  # a setting is data too
    source, target = await open_store(source_url), await open_store(target_url)
    try:
        with pytest.raises(StoreError) as refused:
            await copy_store(source, target)
        assert str(refused.value) == (
            f"{target.location} already holds data; copy-store only copies into an empty "
            "database (nothing was copied)"
        )
        assert await target.guild_summaries() == []
        assert await target.get_setting(42, "seeded") == "1"
    finally:
        await source.close()
        await target.close()


@pytest.mark.postgresql
async def test_a_postgresql_target_that_holds_data_is_refused(new_store_url: NewStoreUrl):
    source_url, target_url = new_store_url("sqlite"), new_store_url("postgresql")
    await fill(source_url)
    async with await open_engine(target_url, snapshots=False) as engine:
        assert (await engine.ingest_draft(8, story(1))).added
    source = await open_store(source_url)
    try:
        with pytest.raises(StoreError, match="already holds data"):
            await copy_to(source, target_url)
    finally:
        await source.close()
    target = await open_store(target_url)
    try:
        assert [(g.guild_id, g.articles) for g in await target.guild_summaries()] == [(8, 1)]
    finally:
        await target.close()


class FailingSource:
    """A store that fails part way through reading one table."""

    def __init__(self, store: Store, failing_table: str) -> None:
        self._store = store
        self._failing_table = failing_table

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def copy_rows(self, columns: Columns):
        async for batch in self._store.copy_rows(columns):
            yield batch
        if columns.table == self._failing_table:
            raise StoreError("the database server went away")


async def test_a_failed_copy_into_a_new_file_leaves_nothing(new_store_url: NewStoreUrl, tmp_path):
    source_url = new_store_url("sqlite")
    await fill(source_url)
    target = tmp_path / "moved" / "newsbot.sqlite3"
    source = await open_store(source_url)
    try:
        with pytest.raises(StoreError) as failed:
            await copy_to(FailingSource(source, PARAGRAPHS.table), target)  # type: ignore[arg-type]
    finally:
        await source.close()
    assert str(failed.value).startswith("the database server went away.")
    assert str(failed.value).endswith(f"Nothing was written to {target}")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


@pytest.mark.postgresql
async def test_a_failed_copy_into_postgresql_says_what_is_left(new_store_url: NewStoreUrl):
    source_url, target_url = new_store_url("sqlite"), new_store_url("postgresql")
    await fill(source_url)
    source = await open_store(source_url)
    try:
        with pytest.raises(StoreError) as failed:
            await copy_to(FailingSource(source, PARAGRAPHS.table), target_url)  # type: ignore[arg-type]
    finally:
        await source.close()
    target = await open_store(target_url)
    try:
        assert (
            f"The copy did not finish, and {target.location} holds part of the data: empty it"
            in str(failed.value)
        )
        assert not await target.is_empty()
    finally:
        await target.close()


class ChangingSource:
    """A store that gains an article once its tables were read: a bot still running."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def copy_rows(self, columns: Columns):
        async for batch in self._store.copy_rows(columns):
            yield batch
        if columns is DATA_TABLES[-1]:
            await self._store.add_article(STORY_GUILD, story(20), Provenance())


async def test_a_source_that_changes_during_the_copy_fails_the_check(
    new_store_url: NewStoreUrl, tmp_path
):
    source_url = new_store_url("sqlite")
    await fill(source_url)
    target = tmp_path / "copy.sqlite3"
    source = await open_store(source_url)
    try:
        with pytest.raises(StoreError) as failed:
            await copy_to(ChangingSource(source), target)  # type: ignore[arg-type]
    finally:
        await source.close()
    assert str(failed.value).startswith(
        f"guild {STORY_GUILD} differs after the copy: 4 articles and 8 paragraphs in "
        f"{source_url}, 3 articles and 6 paragraphs in "
    )
    assert "Was the bot still running?" in str(failed.value)
    assert not target.exists()


class LossyTarget:
    """A store that writes one row fewer than it is given, or changes a paragraph."""

    def __init__(self, store: Store, *, change: bool) -> None:
        self._store = store
        self._change = change

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def load_rows(self, columns: Columns, rows):
        if columns.table == PARAGRAPHS.table:
            if self._change:
                first = list(rows[0])
                first[-1] = first[-1] + " (changed)"
                rows = [tuple(first), *rows[1:]]
            else:
                rows = rows[:-1]
        await self._store.load_rows(columns, rows)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (False, "is not complete: its paragraphs table holds 32 rows, 33 were copied"),
        (True, "differs from the source: rows of its paragraphs table were not written"),
    ],
)
async def test_a_copy_that_does_not_match_is_reported(new_store_url: NewStoreUrl, change, message):
    source_url, target_url = new_store_url("sqlite"), new_store_url("sqlite")
    await fill(source_url)
    source, target = await open_store(source_url), await open_store(target_url)
    try:
        with pytest.raises(StoreError) as failed:
            await copy_store(source, LossyTarget(target, change=change))  # type: ignore[arg-type]
        assert message in str(failed.value)
        assert "The copy did not finish" in str(failed.value)
    finally:
        await source.close()
        await target.close()


async def test_the_report_names_the_new_file_not_its_temporary_name(
    new_store_url: NewStoreUrl, tmp_path
):
    source_url = new_store_url("sqlite")
    await fill(source_url)
    target = tmp_path / "named.sqlite3"
    source = await open_store(source_url)
    try:
        report = await copy_to(source, f"sqlite:///{target}")
    finally:
        await source.close()
    assert report.target == str(target)
    assert report.source == source_url
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("named", "."))) == [
        "named.sqlite3"
    ]


async def test_a_target_that_fails_before_anything_is_written_is_said_untouched(tmp_path):
    source = await open_store(tmp_path / "source.sqlite3")
    target = await open_store(tmp_path / "target.sqlite3")

    async def unreachable() -> bool:
        raise StoreUnavailable("the database db cannot be reached right now; try again shortly")

    target.is_empty = unreachable  # type: ignore[method-assign]
    try:
        with pytest.raises(StoreError) as failed:
            await copy_store(source, target)
    finally:
        await source.close()
        await target.close()
    assert "cannot be reached" in str(failed.value)
    assert "Nothing was copied" in str(failed.value)
    assert "holds part of the data" not in str(failed.value)
