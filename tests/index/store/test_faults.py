"""Faults of the machine and of the file: a full disk or a locked database fails one
ingest with a plain reason, nothing is half-written, and questions are still answered; a
damaged file is refused with one message, and never served or written to."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import Engine
from index.store import StoreDamaged, StoreError, StoreFull
from tests.conftest import SEED
from tests.index.test_engine import ARTICLE_B, GUILD, OTHER_GUILD
from tests.support.engines import open_engine


@pytest.fixture
async def engine(tmp_path):
    engine = await open_engine(tmp_path / "bot.sqlite3")
    yield engine
    await engine.close()


async def counts(engine: Engine) -> tuple[object, ...]:
    """What the guild holds, in the store and in its index (the vocabulary and the
    ranking come from the index)."""
    stats = await engine.stats(GUILD)
    ranking = [(h.paragraph_id, h.score) for h in await engine.rank(GUILD, "harbour boats", k=50)]
    return stats.articles, stats.paragraphs, stats.vocabulary, ranking


async def test_a_full_disk_fails_the_ingest_and_questions_are_still_answered(
    engine, seed_bytes, monkeypatch
):
    """The store refuses the article (its transaction wrote nothing: see the store's
    tests, and the command line's on a really full disk); the index is left as it was."""
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    before = await counts(engine)

    async def disk_full(*args, **kwargs):
        raise StoreFull("the disk is full; nothing was saved")

    monkeypatch.setattr(engine.store, "add_article", disk_full)
    with pytest.raises(StoreError, match="disk is full"):
        await engine.ingest_text(GUILD, ARTICLE_B)
    assert await counts(engine) == before
    assert (await engine.ask(GUILD, "boat strikes")).found

    monkeypatch.undo()
    assert (await engine.ingest_text(GUILD, ARTICLE_B)).added
    assert await counts(engine) != before


async def test_a_locked_database_fails_the_ingest_and_questions_are_still_answered(
    engine, seed_bytes, tmp_path
):
    """Another process holds the write lock for longer than the store waits for it."""
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    before = await counts(engine)
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


# -- a damaged file ---------------------------------------------------------------------

ARTICLE_C = (
    "Bridge closed for repairs\n"
    "The old river bridge will close for six weeks of repairs starting on Monday, the "
    "council said.\n"
    "Buses will take a detour through the northern district while crews replace the deck.\n"
    "https://news.example.org/bridge-closed"
)
QUESTIONS = ("boat strikes Maduro", "harbour storm grain", "troops Puerto Rico", "bridge detour")


async def _fill(path: Path) -> None:
    """A small database with something in every table, in two guilds."""
    async with await open_engine(path, snapshots=False) as engine:
        await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
        await engine.ingest_text(GUILD, ARTICLE_B)
        await engine.ingest_text(OTHER_GUILD, ARTICLE_C)
        await engine.update_guild_config(GUILD, results=2)
        await engine.audit(GUILD, 7, "mod", "config", "results=2")
        await engine.remember_question(GUILD, 7, "Who talked Trump out of it?")
        await engine.accept_ingest(OTHER_GUILD, channel_id=3, message_id=4, content="later")
        await engine.ask(GUILD, "storm")


async def _observe(path: Path, snapshots: bool) -> list[object]:
    """What an engine over ``path`` answers and lists: equal for equal databases."""
    async with await open_engine(path, snapshots=snapshots, create=False) as engine:
        # Statistics first: questions asked below are counted in the background.
        seen: list[object] = [await engine.stats(guild) for guild in (GUILD, OTHER_GUILD)]
        for guild in (GUILD, OTHER_GUILD):
            for question in QUESTIONS:
                answer = await engine.ask(guild, question)
                seen.append([(p.article, p.paragraph_id, p.text, p.score) for p in answer.passages])
            articles = await engine.list_articles(guild)
            seen.append(articles)
            scoped = await engine.ask(guild, "the", article_id=articles[-1].id)
            seen.append([(p.paragraph_id, p.text) for p in scoped.passages])
            seen.append(await engine.export(guild))
            seen.append(await engine.audit_entries(guild))
            seen.append(await engine.guild_config(guild))
        seen.append(await engine.guilds())
        seen.append(await engine.pending_ingests([GUILD, OTHER_GUILD]))
        return seen


@dataclass(frozen=True)
class SoundFile:
    data: bytes = field(repr=False)
    snapshots: Path
    answers: tuple[list[object], list[object]] = field(repr=False)


@pytest.fixture(scope="module")
def sound_file(tmp_path_factory) -> SoundFile:
    folder = tmp_path_factory.mktemp("sound")
    path = folder / "bot.sqlite3"

    async def build() -> SoundFile:
        await _fill(path)
        with closing(sqlite3.connect(path)) as raw:  # everything in the file, as after a stop
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        data = path.read_bytes()
        answers = []
        for snapshots in (False, True):
            copy = folder / f"copy-{snapshots}" / "bot.sqlite3"
            copy.parent.mkdir()
            copy.write_bytes(data)
            answers.append(await _observe(copy, snapshots))
        return SoundFile(data, folder / "copy-True" / "bot.sqlite3.index", tuple(answers))

    return asyncio.run(build())


def _serve_damaged(sound: SoundFile, position: int, value: int) -> None:
    """Flip the byte at ``position`` to ``value``, then use the file through an engine,
    with and without index snapshots (made from the sound file)."""
    damaged = bytearray(sound.data)
    damaged[position] = value
    for snapshots, expected in zip((False, True), sound.answers, strict=True):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bot.sqlite3"
            path.write_bytes(damaged)
            if snapshots:
                shutil.copytree(sound.snapshots, Path(folder) / "bot.sqlite3.index")
            try:
                seen = asyncio.run(_observe(path, snapshots))
            except StoreDamaged as error:
                assert "Restore it from a backup: see 'Restoring a backup'" in str(error)
                assert path.read_bytes() == damaged, "a damaged file was written to"
            else:
                assert seen == expected, f"byte {position} changed the answers"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_byte_is_refused_or_changes_nothing(sound_file, data):
    """Whatever byte of the file is damaged, answers are either exactly the sound file's
    or a "damaged" refusal; no other error, and the damaged file is not written to."""
    position = data.draw(st.integers(0, len(sound_file.data) - 1), label="position")
    value = data.draw(
        st.integers(0, 255).filter(lambda v: v != sound_file.data[position]), label="value"
    )
    _serve_damaged(sound_file, position, value)


def test_damage_to_the_header_is_refused_or_changes_nothing(sound_file):
    for position in range(100):
        _serve_damaged(sound_file, position, sound_file.data[position] ^ 0xFF)
