from __future__ import annotations

import asyncio
import threading

import pytest
from rank_bm25 import BM25Okapi

from index import EngineConfig, IngestRefused, Provenance
from index.errors import ArticleNotFound
from index.ingest.paste import fingerprint
from index.models import ArticleDraft
from index.search.analyzer import analyse, unique_terms
from tests.conftest import SEED_URL
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
async def engine(tmp_path):
    engine = await open_engine(tmp_path / "bot.sqlite3")
    yield engine
    await engine.close()


async def test_seed_file_is_ingested_as_its_poster_meant(engine, seed_bytes):
    result = await engine.ingest_file(
        GUILD, "message.txt", seed_bytes, Provenance(poster_name="ann")
    )
    article = result.article
    assert result.added
    assert article.title == "Scoop: Trump ready to talk with Maduro over Venezuela drug strikes"
    assert article.source_url == SEED_URL
    assert article.note == "New update my fellas. War stuff"
    assert article.poster_name == "ann"
    paragraphs = await engine.article_paragraphs(GUILD, article.id)
    assert paragraphs[-1].text.endswith("into this country")
    assert not any("fellas" in p.text for p in paragraphs)
    # The remark is not indexed: asking about it finds nothing.
    assert not (await engine.ask(GUILD, "fellas")).found


async def test_second_post_of_the_same_article_is_reported(engine, seed_bytes):
    first = await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    again = await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    # Same text with the link glued on the last line and another remark: same fingerprint.
    glued = seed_bytes.decode().replace("country\nhttps", "countryhttps").replace("War stuff", "!")
    third = await engine.ingest_text(GUILD, glued)
    assert (again.status, third.status) == ("duplicate", "duplicate")
    assert again.article.id == third.article.id == first.article.id
    assert (await engine.stats(GUILD)).articles == 1


async def test_answers_quote_the_paragraph_with_title_link_and_poster(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes, Provenance(poster_name="ann"))
    answer = await engine.ask(GUILD, "How many troops are stationed in Puerto Rico?")
    top = answer.passages[0]
    assert "as many as 10,000 troops" in top.text
    assert top.article.source_url == SEED_URL and top.article.poster_name == "ann"
    stored = {p.id: p.text for p in await engine.article_paragraphs(GUILD, top.article.id)}
    assert top.text in stored[top.paragraph_id]  # word for word
    marked = {analyse(top.text[s:e])[0] for s, e in top.highlights}
    assert {"troop", "puerto", "rico"} <= marked <= set(answer.terms)
    assert [p.score for p in answer.passages] == sorted(
        (p.score for p in answer.passages), reverse=True
    )


async def test_nothing_relevant_gives_no_passages(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    assert not (await engine.ask(GUILD, "What is the capital of Australia?")).found
    stop_words_only = await engine.ask(GUILD, "what is the of and?")
    assert not stop_words_only.found and stop_words_only.terms == ()


async def test_empty_guild_answers_without_error(engine):
    answer = await engine.ask(GUILD, "anything at all?")
    assert not answer.found
    assert (await engine.stats(GUILD)).articles == 0


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


async def test_scope_paging_and_removal(engine, seed_bytes):
    seed = (await engine.ingest_file(GUILD, "message.txt", seed_bytes)).article
    harbour = (await engine.ingest_text(GUILD, ARTICLE_B)).article
    assert harbour.source_url == "https://news.example.org/harbour-reopens"
    assert harbour.note == "Good news for the fishermen"

    scoped = await engine.ask(GUILD, "boats", article_id=harbour.id, limit=5)
    assert scoped.passages and {p.article.id for p in scoped.passages} == {harbour.id}
    both = await engine.ask(GUILD, "boats", limit=10)
    assert {p.article.id for p in both.passages} == {seed.id, harbour.id}

    page_one = await engine.ask(GUILD, "Maduro", limit=2)
    page_two = await engine.ask(GUILD, "Maduro", limit=2, offset=2)
    assert len(page_two.passages) == 2
    assert not {p.paragraph_id for p in page_one.passages} & {
        p.paragraph_id for p in page_two.passages
    }

    removed = await engine.remove_article(GUILD, harbour.id)
    assert removed.id == harbour.id
    assert {p.article.id for p in (await engine.ask(GUILD, "boats", limit=10)).passages} == {
        seed.id
    }
    with pytest.raises(ArticleNotFound):
        await engine.remove_article(GUILD, harbour.id)


async def test_restart_loses_nothing(tmp_path, seed_bytes):
    path = tmp_path / "bot.sqlite3"
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


async def test_incremental_index_equals_a_rebuild(engine, seed_bytes):
    seed = (await engine.ingest_file(GUILD, "message.txt", seed_bytes)).article
    await engine.ingest_text(GUILD, ARTICLE_B)
    await engine.remove_article(GUILD, seed.id)
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    question = "storm boats Maduro strikes harbour"
    incremental = [(h.paragraph_id, h.score) for h in await engine.rank(GUILD, question, k=50)]
    await engine.reindex(GUILD)
    rebuilt = [(h.paragraph_id, h.score) for h in await engine.rank(GUILD, question, k=50)]
    assert incremental == rebuilt and incremental


async def test_engine_scores_equal_bm25okapi_on_its_tokenised_paragraphs(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    await engine.ingest_text(GUILD, ARTICLE_B)
    ids, corpus = [], []
    for article in reversed(await engine.list_articles(GUILD)):
        for paragraph in await engine.article_paragraphs(GUILD, article.id):
            ids.append(paragraph.id)
            corpus.append(analyse(article.title) + analyse(paragraph.text))
    params = engine.config.bm25
    reference = BM25Okapi(corpus, k1=params.k1, b=params.b, epsilon=params.epsilon)
    question = "How many boats returned to the harbour after the strikes?"
    expected = reference.get_scores(unique_terms(analyse(question)))
    hits = await engine.rank(GUILD, question, k=len(ids))
    assert hits
    for hit in hits:
        assert hit.score == pytest.approx(expected[ids.index(hit.paragraph_id)], rel=1e-12)


async def test_long_paragraph_is_trimmed_to_the_matching_sentences(tmp_path):
    filler = " ".join(f"Sentence number {i} talks about the weather in general." for i in range(40))
    text = f"Long read\n{filler} The volcano erupted at dawn on Sunday. {filler}\nSecond paragraph."
    async with await open_engine(tmp_path / "b.sqlite3", EngineConfig(snippet_chars=300)) as engine:
        await engine.ingest_text(GUILD, text)
        passage = (await engine.ask(GUILD, "When did the volcano erupt?")).passages[0]
    assert "The volcano erupted at dawn on Sunday." in passage.text
    assert len(passage.text) <= 300
    assert passage.trimmed_start and passage.trimmed_end
    assert passage.text in text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("report.pdf", b"%PDF-1.7", "not a file the bot can read"),
        ("message.txt", b"", "empty"),
        ("message.txt", b"   \n  ", "empty"),
        ("message.txt", bytes(range(256)) * 20, "does not look like text"),
        ("message.txt", b"word " * 600_000, "larger than"),
        ("message.txt", b"Just a short remark.", "too short"),
    ],
)
async def test_bad_files_are_refused_and_nothing_is_stored(engine, name, data, reason):
    with pytest.raises(IngestRefused, match=reason):
        await engine.ingest_file(GUILD, name, data)
    assert (await engine.stats(GUILD)).articles == 0


async def test_stats_count_answered_questions(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    await engine.ask(GUILD, "boat strikes")
    await engine.ask(GUILD, "sourdough bread")
    stats = await engine.stats(GUILD)
    assert (stats.articles, stats.paragraphs, stats.questions_answered) == (1, 27, 1)
    assert stats.vocabulary > 100 and stats.last_ingest is not None


async def test_a_failing_statistic_does_not_cost_the_answer(engine, seed_bytes, monkeypatch):
    from index.store import StoreError

    await engine.ingest_file(GUILD, "message.txt", seed_bytes)

    async def full_disk(*args, **kwargs):
        raise StoreError("the disk is full; nothing was saved")

    monkeypatch.setattr(engine.store, "increment_counter", full_disk)
    assert (await engine.ask(GUILD, "boat strikes")).found


async def test_removals_compact_the_index_off_the_event_loop(engine, monkeypatch):
    """Once over half the slots are dead, the guild's index is replaced by a compacted
    copy built in a worker thread; answers stay the same as a rebuild from the store."""
    import threading

    from index.ingest.paste import fingerprint
    from index.models import ArticleDraft
    from index.search import bm25

    monkeypatch.setattr(bm25, "_COMPACT_MIN_SLOTS", 4)
    built_in: list[threading.Thread] = []
    compacted = bm25.BM25Index.compacted

    def spy(index):
        built_in.append(threading.current_thread())
        return compacted(index)

    monkeypatch.setattr(bm25.BM25Index, "compacted", spy)
    ids = []
    for number in range(8):
        paragraphs = tuple(
            f"Harbour {number} storm report {i}: boats waited near pier {number * 3 + i}."
            for i in range(2)
        )
        draft = ArticleDraft(f"Harbour {number}", paragraphs, fingerprint(paragraphs))
        ids.append((await engine.ingest_draft(GUILD, draft)).article.id)
    before = await engine._index(GUILD)
    for article_id in ids[:5]:
        await engine.remove_article(GUILD, article_id)
    after = await engine._index(GUILD)
    assert built_in and threading.main_thread() not in built_in
    assert after is not before and len(after._doc_len) == after.paragraph_count == 6
    answer = [(h.paragraph_id, h.score) for h in await engine.rank(GUILD, "harbour storm", k=10)]
    await engine.reindex(GUILD)
    assert [
        (h.paragraph_id, h.score) for h in await engine.rank(GUILD, "harbour storm", k=10)
    ] == answer


# -- the ask path never waits for an ingest -----------------------------------------------


async def test_questions_in_another_guild_never_wait_for_an_ingest_write(tmp_path, seed_bytes):
    """While guild A's article is being written (the store's write transaction held
    open), a question in guild B is answered, remembered, recalled and paged. Were any
    of that to need the store's writer, it would wait for the release: a deadlock,
    caught by the timeout."""
    path = tmp_path / "bot.sqlite3"
    question = "How many troops are stationed in Puerto Rico?"
    engine = await open_engine(path)
    held, release = asyncio.Event(), asyncio.Event()
    try:
        await engine.ingest_file(OTHER_GUILD, "message.txt", seed_bytes)
        store = engine.store
        real_add = store.add_article

        async def add_held_open(*args, **kwargs):
            async with store._transaction():
                held.set()
                await release.wait()
            return await real_add(*args, **kwargs)

        store.add_article = add_held_open
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
        assert not ingest.done()  # the write was still held all along

        release.set()
        assert (await asyncio.wait_for(ingest, timeout=30)).added
        # The count waited in memory and is written now: counted once.
        assert (await asyncio.wait_for(engine.stats(OTHER_GUILD), 30)).questions_answered == 1
        assert (await engine.ask(GUILD, "harbour storm")).found
    finally:
        release.set()  # so that a failure ends the test instead of hanging it
        await engine.close()
    async with await open_engine(path) as reopened:
        assert await reopened.recall_question(OTHER_GUILD, question_id) == (7, question, None)
        assert await reopened.recall_question(GUILD, question_id) is None  # guild B's own
        assert (await reopened.stats(OTHER_GUILD)).questions_answered == 1


async def test_remembered_questions_and_counts_survive_a_restart(tmp_path, seed_bytes):
    path = tmp_path / "bot.sqlite3"
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


async def test_a_failed_question_write_is_kept_and_saved_later(tmp_path, seed_bytes, caplog):
    from index.store import StoreError

    path = tmp_path / "bot.sqlite3"
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


async def test_purge_drops_questions_and_counts_not_yet_written(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    await engine.ask(GUILD, "boat strikes")
    question_id = await engine.remember_question(GUILD, 1, "boat strikes")
    await engine.purge(GUILD)
    await engine._writes.write_waiting()
    assert await engine.recall_question(GUILD, question_id) is None
    assert (await engine.stats(GUILD)).questions_answered == 0


# -- index changes off the event loop -----------------------------------------------------


async def test_a_question_does_not_hold_the_loop_while_a_change_holds_the_index(engine, seed_bytes):
    """Changes to an index run in a worker thread holding its lock; a question arriving
    meanwhile waits in a thread of its own, and the event loop keeps running."""
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    index = await engine._index(GUILD)
    release = threading.Event()
    released_by_timeout = []

    def hold_then_release() -> None:
        if not release.wait(10):
            released_by_timeout.append(True)
        index._lock.release()

    index._lock.acquire()
    holder = threading.Thread(target=hold_then_release)
    holder.start()
    asking = asyncio.create_task(engine.ask(GUILD, "boat strikes"))
    await asyncio.sleep(0.1)
    assert not released_by_timeout  # the loop ran while the index was held
    assert not asking.done()
    release.set()
    assert (await asyncio.wait_for(asking, timeout=30)).found
    holder.join()


async def test_articles_are_indexed_and_unindexed_in_worker_threads(engine, monkeypatch):
    from index.search import bm25

    threads: list[threading.Thread] = []
    for name in ("add_article", "remove_article"):
        original = getattr(bm25.BM25Index, name)

        def spy(index, *args, original=original, **kwargs):
            threads.append(threading.current_thread())
            return original(index, *args, **kwargs)

        monkeypatch.setattr(bm25.BM25Index, name, spy)
    article = (await engine.ingest_text(GUILD, ARTICLE_B)).article
    await engine.remove_article(GUILD, article.id)
    assert len(threads) == 2 and threading.main_thread() not in threads
    assert not (await engine.ask(GUILD, "harbour")).found


# -- the largest article ------------------------------------------------------------------


def _draft(paragraphs: list[str]) -> ArticleDraft:
    return ArticleDraft("A long report", tuple(paragraphs), fingerprint(paragraphs))


async def test_an_article_over_the_paragraph_limit_is_refused_with_the_reason(engine):
    limit = engine.config.max_paragraphs
    paragraphs = [f"Paragraph {i} tells of harbour number {i}." for i in range(limit + 1)]
    with pytest.raises(IngestRefused) as refused:
        await engine.ingest_draft(GUILD, _draft(paragraphs))
    assert refused.value.reason == (
        f"it has {limit + 1:,} paragraphs; the most an article may have is {limit:,}: "
        "that does not look like one article"
    )
    one_word_lines = "\n".join(f"w{i}" for i in range(60_000)).encode()
    with pytest.raises(IngestRefused, match="the most an article may have is"):
        await engine.ingest_file(GUILD, "message.txt", one_word_lines)
    assert (await engine.stats(GUILD)).articles == 0


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


async def test_a_word_list_is_refused_as_not_an_article(engine):
    lines = "\n".join(["Shopping list"] + [f"item{i}" for i in range(300)])
    with pytest.raises(IngestRefused, match="only a word or two: that looks like a list"):
        await engine.ingest_text(GUILD, lines)
    assert (await engine.stats(GUILD)).articles == 0


# -- only real candidates are quoted --------------------------------------------------------


async def test_puerto_rico_question_quotes_only_real_candidates(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    answer = await engine.ask(GUILD, "How many troops are stationed in Puerto Rico?", limit=10)
    assert "as many as 10,000 troops" in answer.passages[0].text
    # Before: passages 2 and 3 matched only "many" (the diplomats' and the legacy quotes).
    assert len(answer.passages) == 1
    assert not any("many things" in p.text or "many words" in p.text for p in answer.passages)


async def test_pages_of_an_answer_are_slices_of_the_whole_answer(engine, seed_bytes):
    await engine.ingest_file(GUILD, "message.txt", seed_bytes)
    await engine.ingest_text(GUILD, ARTICLE_B)
    question = "Who talked Trump out of military action in 2019?"
    whole = [p.paragraph_id for p in (await engine.ask(GUILD, question, limit=10)).passages]
    assert 1 < len(whole) < 10
    pages = []
    for offset in range(0, 12, 2):
        pages += [
            p.paragraph_id
            for p in (await engine.ask(GUILD, question, limit=2, offset=offset)).passages
        ]
    assert pages == whole
