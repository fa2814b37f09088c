"""The engine as its callers use it: guild first, over one store, each part wired in."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass

import pytest

from index import EngineConfig, Provenance
from index.errors import ArticleNotFound, StoreError
from index.ingest.paste import fingerprint
from index.ingest.pending import Located, Redone
from index.models import ArticleDraft, PendingIngest
from index.store import open_store, parse_location
from tests.support.engines import open_engine

GUILD, OTHER_GUILD = 100, 200
ARTICLE_B = (
    "Harbour reopens after storm\n"
    "The city harbour reopened on Tuesday after a storm closed it for three days, the port "
    "authority said.\n"
    "Fishing boats returned to the docks as cranes resumed unloading grain from two ships.\n"
    "Officials said repairs to the sea wall will cost about four million dollars.\n"
    "https://news.example.org/harbour-reopensGood news for the fishermen"
)


@pytest.fixture
async def engine(tmp_path, store_url):
    engine = await open_engine(store_url)
    yield engine
    await engine.close()


async def test_guilds_are_isolated(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    assert not (await engine.ask(OTHER_GUILD, "boat strikes killed")).found
    assert await engine.list_articles(OTHER_GUILD) == []
    mine = (await engine.list_articles(GUILD))[0]
    with pytest.raises(ArticleNotFound):
        await engine.remove_article(OTHER_GUILD, mine.id)
    with pytest.raises(ArticleNotFound):
        await engine.ask(OTHER_GUILD, "boat", article_id=mine.id)
    assert (await engine.ask(GUILD, "boat strikes killed")).found


async def test_a_removed_article_is_no_longer_quoted(engine, seed_bytes):
    seed = (await engine.ingest_file(GUILD, "message.txt", seed_bytes)).article
    harbour = (await engine.ingest_text(GUILD, ARTICLE_B)).article
    assert {p.article.id for p in (await engine.ask(GUILD, "boats", limit=10)).passages} == {
        seed.id,
        harbour.id,
    }
    removed = await engine.remove_article(GUILD, harbour.id)
    assert removed.id == harbour.id
    assert {p.article.id for p in (await engine.ask(GUILD, "boats", limit=10)).passages} == {
        seed.id
    }
    assert await engine.get_article(GUILD, harbour.id) is None
    assert await engine.article_count(GUILD) == 1
    with pytest.raises(ArticleNotFound):
        await engine.remove_article(GUILD, harbour.id)


async def test_restart_loses_nothing(tmp_path, seed_bytes, store_url):
    path = store_url
    async with await open_engine(path) as engine:
        await engine.ingest_file(GUILD, "message.txt", seed_bytes)
        await engine.ingest_text(GUILD, ARTICLE_B)
        before = await engine.ask(GUILD, "harbour storm boats", limit=5)
    async with await open_engine(path) as engine:
        after = await engine.ask(GUILD, "harbour storm boats", limit=5)
        assert (await engine.stats(GUILD)).articles == 2
    assert [(p.paragraph_id, p.score) for p in after.passages] == [
        (p.paragraph_id, p.score) for p in before.passages
    ]


async def test_stats_count_answered_questions(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    await engine.ask(GUILD, "boat strikes")
    await engine.ask(GUILD, "sourdough bread")
    stats = await engine.stats(GUILD)
    assert (stats.articles, stats.paragraphs, stats.questions_answered) == (1, 27, 1)
    assert stats.vocabulary > 100 and stats.last_ingest is not None


# -- the ask path never waits for an ingest -----------------------------------------------


async def test_questions_in_another_guild_never_wait_for_an_ingest_write(tmp_path, seed_bytes):
    """While guild A's article waits to be written (another connection holds the SQLite
    file's write lock, as a long ingest transaction would), a question in guild B is
    answered, remembered, recalled and paged. Were any of that to need a write, it would
    wait for the lock and then fail as busy. (PostgreSQL locks rows, not the database:
    ``test_postgres.py::test_a_guild_s_unfinished_writes_hold_up_no_other_guild``.)"""
    path = tmp_path / "bot.sqlite3"
    question = "How many troops are stationed in Puerto Rico?"
    engine = await open_engine(path)
    writer = sqlite3.connect(path, isolation_level=None)
    held, release = asyncio.Event(), asyncio.Event()
    try:
        await engine.ingest_file(OTHER_GUILD, "message.txt", seed_bytes)
        real_add = engine.store.add_article

        async def add_when_released(*args, **kwargs):
            held.set()
            await release.wait()
            return await real_add(*args, **kwargs)

        engine.store.add_article = add_when_released  # type: ignore[method-assign]
        writer.execute("BEGIN IMMEDIATE")
        ingest = asyncio.create_task(engine.ingest_text(GUILD, ARTICLE_B))
        await asyncio.wait_for(held.wait(), timeout=30)

        async def ask_and_page() -> tuple:
            answer = await engine.ask(OTHER_GUILD, question)
            question_id = await engine.remember_question(OTHER_GUILD, 7, question)
            recalled = await engine.recall_question(OTHER_GUILD, question_id)
            more = await engine.ask(OTHER_GUILD, recalled[1], offset=1)
            return answer, question_id, recalled, more

        answer, question_id, recalled, more = await asyncio.wait_for(ask_and_page(), timeout=30)
        assert "as many as 10,000 troops" in answer.passages[0].text
        assert recalled == (7, question, None)
        assert not more.found  # the answer's only real candidate was on the first page
        assert not ingest.done()  # the ingest was waiting all along

        writer.execute("ROLLBACK")
        release.set()
        assert (await asyncio.wait_for(ingest, timeout=30)).added
        # The count waited in memory: counted once, written or not yet.
        assert (await asyncio.wait_for(engine.stats(OTHER_GUILD), 30)).questions_answered == 1
        assert (await engine.ask(GUILD, "harbour storm")).found
    finally:
        release.set()  # so that a failure ends the test instead of hanging it
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()
        await engine.close()
    async with await open_engine(path) as reopened:
        assert await reopened.recall_question(OTHER_GUILD, question_id) == (7, question, None)
        assert await reopened.recall_question(GUILD, question_id) is None  # guild B's own
        assert (await reopened.stats(OTHER_GUILD)).questions_answered == 1


async def test_remembered_questions_and_counts_survive_a_restart(tmp_path, seed_bytes, store_url):
    path = store_url
    async with await open_engine(path) as engine:
        await engine.ingest_file(GUILD, "message.txt", seed_bytes)
        for _ in range(3):
            await engine.ask(GUILD, "boat strikes")
        first = await engine.remember_question(GUILD, 5, "boat strikes", None)
        second = await engine.remember_question(GUILD, None, "Maduro", 1)
        assert second > first
        assert await engine.recall_question(GUILD, first) == (5, "boat strikes", None)
        assert await engine.recall_question(OTHER_GUILD, first) is None
        assert (await engine.stats(GUILD)).questions_answered == 3
    async with await open_engine(path) as engine:
        assert await engine.recall_question(GUILD, first) == (5, "boat strikes", None)
        assert await engine.recall_question(GUILD, second) == (None, "Maduro", 1)
        assert (await engine.stats(GUILD)).questions_answered == 3
        await engine.ask(GUILD, "boat strikes")
        assert (await engine.stats(GUILD)).questions_answered == 4


async def test_a_failed_question_write_is_kept_and_saved_later(
    tmp_path, seed_bytes, caplog, store_url
):
    from index.store import StoreError

    path = store_url
    async with await open_engine(path) as engine:
        real_add_question = engine.store.add_question
        failures = []

        async def busy_once(*args, **kwargs):
            if not failures:
                failures.append(args)
                raise StoreError("the database is busy; nothing was saved, try again")
            return await real_add_question(*args, **kwargs)

        engine.store.add_question = busy_once
        question_id = await engine.remember_question(GUILD, 3, "boat strikes")
        await asyncio.sleep(0.1)  # the background write runs, and fails
        assert failures
        assert "could not save question" in caplog.text
        assert await engine.recall_question(GUILD, question_id) == (3, "boat strikes", None)
    async with await open_engine(path) as engine:  # written when the engine closed
        assert await engine.recall_question(GUILD, question_id) == (3, "boat strikes", None)


async def test_purge_drops_questions_and_counts_not_yet_written(tmp_path, seed_bytes, store_url):
    path = store_url
    async with await open_engine(path) as engine:
        await engine.ingest_file(GUILD, "message.txt", seed_bytes)
        await engine.ask(GUILD, "boat strikes")
        question_id = await engine.remember_question(GUILD, 1, "boat strikes")
        await engine.purge(GUILD)
        assert await engine.recall_question(GUILD, question_id) is None
        assert (await engine.stats(GUILD)).questions_answered == 0
    async with await open_engine(path) as reopened:  # closing wrote what was waiting
        assert await reopened.recall_question(GUILD, question_id) is None
        assert (await reopened.stats(GUILD)).questions_answered == 0


async def test_a_count_being_written_during_a_purge_does_not_outlive_it(
    tmp_path, seed_bytes, monkeypatch, store_url
):
    """The count of answered questions is written in the background; one on its way to
    the store when the guild is purged lands before the purge, not after it."""
    path = store_url
    async with await open_engine(path) as engine:
        await engine.ingest_file(GUILD, "message.txt", seed_bytes)
        real = engine.store.increment_counter
        writing = asyncio.Event()

        async def slow_write(*args, **kwargs):
            writing.set()
            await asyncio.sleep(0.2)  # still on its way when the purge starts
            return await real(*args, **kwargs)

        monkeypatch.setattr(engine.store, "increment_counter", slow_write)
        await engine.ask(GUILD, "boat strikes")
        await asyncio.wait_for(writing.wait(), timeout=30)
        assert await engine.purge(GUILD) == 1
    store = await open_store(path, create=False)  # every write has landed: the engine closed
    try:
        assert await store.is_empty()
    finally:
        await store.close()


# -- the largest article ------------------------------------------------------------------


def _draft(paragraphs: list[str]) -> ArticleDraft:
    return ArticleDraft("A long report", tuple(paragraphs), fingerprint(paragraphs))


async def test_an_article_at_the_paragraph_limit_is_searchable_and_removable(engine):
    limit = engine.config.max_paragraphs
    paragraphs = [f"Paragraph {i} tells of harbour number {i}." for i in range(limit)]
    paragraphs[limit // 2] = "The lighthouse keeper counted forty ships at dawn."
    result = await engine.ingest_draft(GUILD, _draft(paragraphs))
    assert result.added and result.article.paragraph_count == limit
    answer = await engine.ask(GUILD, "What did the lighthouse keeper count?")
    assert answer.passages[0].text == paragraphs[limit // 2]
    assert (await engine.stats(GUILD)).paragraphs == limit
    await engine.remove_article(GUILD, result.article.id)
    assert not (await engine.ask(GUILD, "lighthouse keeper")).found
    assert (await engine.stats(GUILD)).paragraphs == 0


# -- accepted work --------------------------------------------------------------------------

MESSAGE_URL = "https://discord.com/channels/100/11/12"


@dataclass(frozen=True)
class SharedFile:
    filename: str
    size: int
    content_type: str | None = None


async def test_an_article_stored_before_a_crash_counts_as_added_when_the_work_resumes(
    engine, seed_bytes
):
    """The stop came after the article was stored and before its work was crossed out:
    done again, the message's own article is "added", not a duplicate of another."""
    provenance = Provenance(channel_id=11, message_id=12, message_url=MESSAGE_URL)
    work_id = await engine.accept_ingest(GUILD, channel_id=11, message_id=12)
    shared = engine.read_message("", [SharedFile("message.txt", len(seed_bytes))])
    read = [(shared.files[0], seed_bytes)]
    (first,) = await engine.ingest_accepted(GUILD, shared, read, provenance)
    assert first.result.added  # ... and then the process stopped

    class Message:
        """The message as the bot would find it again."""

        def __init__(self) -> None:
            self.outcomes: list = []

        async def locate(self) -> Located:
            return Located.FOUND

        async def tell_given_up(self) -> bool:
            raise AssertionError("the work was not tried enough to be given up")

        async def redo(self, work: PendingIngest) -> Redone:
            self.outcomes = await engine.ingest_accepted(GUILD, shared, read, provenance)
            return Redone.TOLD

    (work,) = await engine.pending_ingests([GUILD])
    assert work.id == work_id
    message = Message()
    await engine.resume_ingest(work, message)
    (again,) = message.outcomes
    assert again.result.added and again.result.article.id == first.result.article.id
    assert await engine.pending_ingests([GUILD]) == []
    # Outside accepted work the same message is reported as already indexed.
    (shared_again,) = await engine.ingest_shared(GUILD, shared, read, provenance)
    assert shared_again.result.status == "duplicate"
    assert await engine.article_count(GUILD) == 1


# -- what the engine holds ------------------------------------------------------------------


async def test_the_engine_works_on_the_store_it_is_given_and_closes_it(tmp_path, seed_bytes):
    from index import Engine

    store = await open_store(tmp_path / "given.sqlite3")
    async with await Engine.open(store) as engine:
        assert engine.store is store
        await engine.ingest_file(GUILD, "message.txt", seed_bytes)
        articles, paragraphs, _last = await store.counts(GUILD)
        assert (articles, paragraphs) == (1, 27)
    with pytest.raises(StoreError, match="not open"):
        await store.counts(GUILD)


async def test_an_unloaded_guild_is_built_again_when_next_used(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    await engine.ask(OTHER_GUILD, "anything")
    assert engine.loaded_guilds() == [GUILD, OTHER_GUILD]
    await engine.unload(GUILD)
    assert engine.loaded_guilds() == [OTHER_GUILD]
    assert (await engine.ask(GUILD, "boat strikes")).found
    assert engine.loaded_guilds() == [OTHER_GUILD, GUILD]


async def test_a_question_holding_a_nul_is_remembered_on_every_store(seed_bytes, store_url):
    """PostgreSQL refuses a NUL in any text; the question is kept without it rather than
    retried for ever, and autocomplete with one finds titles as without it."""
    async with await open_engine(store_url) as engine:
        await engine.ingest_file(GUILD, "message.txt", seed_bytes)
        question_id = await engine.remember_question(GUILD, 7, "troops\0 in Puerto Rico?")
        found = await engine.find_articles(GUILD, "Mad\0uro")
        assert [article.title for article in found] == [
            "Scoop: Trump ready to talk with Maduro over Venezuela drug strikes"
        ]
    async with await open_engine(store_url) as reopened:
        recalled = await reopened.recall_question(GUILD, question_id)
        assert recalled == (7, "troops in Puerto Rico?", None)


# -- the index memory budget ---------------------------------------------------------------

BUDGET_GUILDS = (301, 302, 303, 304)
BUDGET_QUESTIONS = ("storm harbour", "grain ships", "sea wall repairs", "fishing boats crane")


def budget_article(guild: int, number: int) -> ArticleDraft:
    """A guild's own article: words shared by every guild, and its own."""
    texts = tuple(
        f"The storm closed harbour {guild} for {number + i} days; fishing boats waited while "
        f"cranes unloaded grain ships {guild * 10 + i}. Repairs to sea wall {number} will cost "
        f"{guild + number * i} dollars, said officer {guild}-{number}."
        for i in range(8)
    )
    return ArticleDraft(f"Harbour {guild} report {number}", texts, fingerprint(texts))


async def ranked_everywhere(engine) -> list[object]:
    """Every guild's ranking and answer to every question, asked guild after guild."""
    seen: list[object] = []
    for question in BUDGET_QUESTIONS:
        for guild in BUDGET_GUILDS:
            seen.append(await engine.rank(guild, question, k=10))
            answer = await engine.ask(guild, question, limit=5)
            seen.append([(p.paragraph_id, p.text, p.highlights, p.score) for p in answer.passages])
    return seen


async def test_answers_with_a_memory_budget_equal_answers_without_one(
    tmp_path, store_url, new_store_url
):
    """The same articles in two stores: one engine holds every index, the other a budget
    of about one and a half; their rankings and answers are the same throughout, also after
    changes made while an index was dropped (by this engine, or by another process, which
    leaves the snapshot stale: the index is then rebuilt from the store)."""
    reference_url = new_store_url(parse_location(store_url).kind)
    async with await open_engine(reference_url) as reference:
        for guild in BUDGET_GUILDS:
            for number in range(3):
                await reference.ingest_draft(guild, budget_article(guild, number))
        largest = max([(await reference.stats(guild)).index_bytes for guild in BUDGET_GUILDS])
        budget = int(1.5 * largest)
        async with await open_engine(
            store_url, EngineConfig(index_memory_bytes=budget), index_dir=tmp_path / "index"
        ) as engine:
            for guild in BUDGET_GUILDS:
                for number in range(3):
                    await engine.ingest_draft(guild, budget_article(guild, number))
                assert engine.index_memory().held_bytes <= budget
            for guild in BUDGET_GUILDS:
                await engine.rank(guild, "storm", k=1)
                memory = engine.index_memory()
                assert memory.held_bytes <= budget and engine.loaded_guilds() == [guild]
            assert await ranked_everywhere(engine) == await ranked_everywhere(reference)
            assert engine.index_memory().evictions > 10

            # While 301 and 302 are out of memory: this engine adds to 301, another
            # process to 302 and removes from 303.
            assert engine.loaded_guilds() == [304]
            await engine.ingest_draft(301, budget_article(301, 10))
            await reference.ingest_draft(301, budget_article(301, 10))
            from_store = engine.index_memory().loads_from_store
            async with await open_engine(store_url, snapshots=False) as other:
                await other.ingest_draft(302, budget_article(302, 11))
                await other.remove_article(303, (await other.list_articles(303))[-1].id)
            await reference.ingest_draft(302, budget_article(302, 11))
            await reference.remove_article(303, (await reference.list_articles(303))[-1].id)
            assert await ranked_everywhere(engine) == await ranked_everywhere(reference)
            assert engine.index_memory().loads_from_store == from_store + 2  # 302 and 303


async def test_statistics_never_load_the_index(tmp_path, store_url, seed_bytes):
    async with await open_engine(store_url) as engine:
        await engine.ingest_file(GUILD, "message.txt", seed_bytes)
        stats = await engine.stats(GUILD)
        assert stats.index_in_memory and stats.index_bytes > 100_000
        assert stats.vocabulary > 100
    async with await open_engine(store_url) as restarted:
        stats = await restarted.stats(GUILD)
        assert not stats.index_in_memory and stats.index_bytes is None
        assert stats.vocabulary is None and stats.paragraphs == 27
        assert restarted.loaded_guilds() == []
        await restarted.ask(GUILD, "boat strikes")
        stats = await restarted.stats(GUILD)
        assert stats.index_bytes == restarted.index_memory().held_bytes > 100_000
