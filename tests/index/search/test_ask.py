"""Answering a question: analysed once, ranked, filtered once, quoted from the store, and
never holding the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest
from rank_bm25 import BM25Okapi

from index.errors import ArticleNotFound, StoreError
from index.ingest.paste import fingerprint, parse_paste
from index.models import ArticleDraft, ArticleInfo, Provenance
from index.search import ask as ask_module
from index.search.analyzer import analyse, unique_terms
from index.search.ask import QUESTIONS_ANSWERED, Asker, question_terms, stricter
from index.search.bm25 import BM25Index, BM25Params
from index.search.guild_indexes import GuildIndexes
from index.store import Store, open_store
from index.store.background_writes import BackgroundWrites
from tests.conftest import SEED, SEED_URL
from tests.index.test_engine import ARTICLE_B

GUILD, OTHER_GUILD = 100, 200
TROOPS = "How many troops are stationed in Puerto Rico?"


@pytest.fixture
async def store(tmp_path, store_url) -> AsyncIterator[Store]:
    """A store holding the seed article (shared by "ann") and the harbour article."""
    opened = await open_store(store_url)
    seed = parse_paste(SEED.read_text(encoding="utf-8"))
    await opened.add_article(GUILD, seed, Provenance(poster_name="ann"))
    await opened.add_article(GUILD, parse_paste(ARTICLE_B), Provenance())
    yield opened
    await opened.close()


@pytest.fixture
async def writes(store) -> AsyncIterator[BackgroundWrites]:
    writes = BackgroundWrites(store)
    yield writes
    await writes.close()


def asker_over(store: Store, writes: BackgroundWrites, **options) -> Asker:
    options.setdefault("snippet_chars", 600)
    return Asker(GuildIndexes(store, BM25Params()), store, writes, **options)


@pytest.fixture
def asker(store, writes) -> Asker:
    return asker_over(store, writes)


async def article_titled(store: Store, start: str) -> ArticleInfo:
    return next(a for a in await store.list_articles(GUILD) if a.title.startswith(start))


async def test_answers_quote_the_paragraph_with_title_link_and_poster(asker, store):
    answer = await asker.ask(GUILD, TROOPS, limit=3)
    top = answer.passages[0]
    assert "as many as 10,000 troops" in top.text
    assert top.article.source_url == SEED_URL and top.article.poster_name == "ann"
    stored = {p.id: p.text for p in await store.article_paragraphs(GUILD, top.article.id)}
    assert top.text in stored[top.paragraph_id]  # word for word
    marked = {analyse(top.text[s:e])[0] for s, e in top.highlights}
    assert {"troop", "puerto", "rico"} <= marked <= set(answer.terms)
    assert [p.score for p in answer.passages] == sorted(
        (p.score for p in answer.passages), reverse=True
    )


async def test_nothing_relevant_gives_no_passages(asker):
    assert not (await asker.ask(GUILD, "What is the capital of Australia?", limit=3)).found
    stop_words_only = await asker.ask(GUILD, "what is the of and?", limit=3)
    assert not stop_words_only.found and stop_words_only.terms == ()


async def test_an_empty_guild_answers_without_error(asker):
    assert not (await asker.ask(OTHER_GUILD, "anything at all?", limit=3)).found


async def test_the_question_is_analysed_once(asker, monkeypatch):
    calls: list[tuple[str, str]] = []
    real = ask_module.analyse

    def counted(text: str, language: str = "en") -> list[str]:
        calls.append((text, language))
        return real(text, language)

    monkeypatch.setattr(ask_module, "analyse", counted)
    answer = await asker.ask(GUILD, "Maduro Maduro boats", limit=3)
    assert calls == [("Maduro Maduro boats", "en")]
    assert answer.terms == ("maduro", "boat")  # each term once


async def test_an_article_of_another_guild_is_not_found(asker, store):
    harbour = await article_titled(store, "Harbour")
    with pytest.raises(ArticleNotFound):
        await asker.ask(OTHER_GUILD, "boats", limit=3, article_id=harbour.id)


async def test_scope_and_paging(asker, store):
    harbour = await article_titled(store, "Harbour")
    scoped = await asker.ask(GUILD, "boats", limit=5, article_id=harbour.id)
    assert scoped.passages and {p.article.id for p in scoped.passages} == {harbour.id}
    assert scoped.article_id == harbour.id
    both = await asker.ask(GUILD, "boats", limit=10)
    assert len({p.article.id for p in both.passages}) == 2

    page_one = await asker.ask(GUILD, "Maduro", limit=2)
    page_two = await asker.ask(GUILD, "Maduro", limit=2, offset=2)
    assert len(page_two.passages) == 2
    assert not {p.paragraph_id for p in page_one.passages} & {
        p.paragraph_id for p in page_two.passages
    }


async def test_the_puerto_rico_question_quotes_only_real_candidates(asker):
    answer = await asker.ask(GUILD, TROOPS, limit=10)
    assert "as many as 10,000 troops" in answer.passages[0].text
    # Before the relevance rule: passages 2 and 3 matched only "many".
    assert len(answer.passages) == 1


async def test_pages_of_an_answer_are_slices_of_the_whole_answer(asker):
    question = "Who talked Trump out of military action in 2019?"
    whole = [p.paragraph_id for p in (await asker.ask(GUILD, question, limit=10)).passages]
    assert 1 < len(whole) < 10
    pages = []
    for offset in range(0, 12, 2):
        answer = await asker.ask(GUILD, question, limit=2, offset=offset)
        pages += [p.paragraph_id for p in answer.passages]
    assert pages == whole


@pytest.mark.parametrize(("engine_minimum", "guild_minimum"), [(None, 5.0), (5.0, None)])
async def test_min_score_leaves_out_low_passages_whoever_sets_it(
    store, writes, engine_minimum, guild_minimum
):
    question = "Who talked Trump out of military action in 2019?"
    everything = await asker_over(store, writes).ask(GUILD, question, limit=10)
    kept = await asker_over(store, writes, min_score=engine_minimum).ask(
        GUILD, question, limit=10, min_score=guild_minimum
    )
    scores = [p.score for p in everything.passages]
    assert min(scores) < 5.0 <= max(scores)  # the minimum falls inside the answer
    assert [p.score for p in kept.passages] == [s for s in scores if s >= 5.0]


async def test_the_stricter_minimum_wins(store, writes):
    lenient = asker_over(store, writes, min_score=0.1)
    assert not (await lenient.ask(GUILD, "Maduro", limit=10, min_score=1000.0)).found
    strict = asker_over(store, writes, min_score=1000.0)
    assert not (await strict.ask(GUILD, "Maduro", limit=10, min_score=0.1)).found
    assert (await lenient.ask(GUILD, "Maduro", limit=10, min_score=0.2)).found
    assert stricter(None, None) is None and stricter(1.0, None, 3.0) == 3.0


async def test_rank_equals_bm25okapi_on_the_tokenised_paragraphs(asker, store):
    ids, corpus = [], []
    for article in reversed(await store.list_articles(GUILD)):
        for paragraph in await store.article_paragraphs(GUILD, article.id):
            ids.append(paragraph.id)
            corpus.append(analyse(article.title) + analyse(paragraph.text))
    params = BM25Params()
    reference = BM25Okapi(corpus, k1=params.k1, b=params.b, epsilon=params.epsilon)
    question = "How many boats returned to the harbour after the strikes?"
    expected = reference.get_scores(unique_terms(analyse(question)))
    hits = await asker.rank(GUILD, question, k=len(ids))
    assert hits
    for hit in hits:
        assert hit.score == pytest.approx(expected[ids.index(hit.paragraph_id)], rel=1e-12)
    assert question_terms(question) == unique_terms(analyse(question))


async def test_rank_applies_the_engines_minimum_and_not_the_relevance_rule(store, writes):
    ranked = await asker_over(store, writes).rank(GUILD, TROOPS, k=3)
    assert len(ranked) == 3  # the relevance rule would keep one
    floor = ranked[1].score
    kept = await asker_over(store, writes, min_score=floor).rank(GUILD, TROOPS, k=3)
    assert [h.score for h in kept] == [h.score for h in ranked if h.score >= floor]


async def test_answered_questions_are_counted_once_and_in_the_background(asker, writes):
    await asker.ask(GUILD, "boat strikes", limit=3)
    await asker.ask(GUILD, "boat strikes", limit=3, offset=3)  # a page: not a new question
    await asker.ask(GUILD, "sourdough bread", limit=3)  # nothing found: not answered
    assert await writes.counter_total(GUILD, QUESTIONS_ANSWERED) == 1


async def test_a_failing_count_does_not_cost_the_answer(asker, store, monkeypatch):
    async def full_disk(*args, **kwargs):
        raise StoreError("the disk is full; nothing was saved")

    monkeypatch.setattr(store, "increment_counter", full_disk)
    assert (await asker.ask(GUILD, "boat strikes", limit=3)).found
    await asyncio.sleep(0.05)  # the background write runs, and fails
    assert (await asker.ask(GUILD, "boat strikes", limit=3)).found


async def test_a_question_does_not_hold_the_loop_while_a_change_holds_the_index(asker, monkeypatch):
    """While a change holds the index, ``try_search`` answers None at once; the search
    then waits in a worker thread, and the event loop keeps running."""
    await asker.ask(GUILD, "boat strikes", limit=3)  # the index is loaded
    release = threading.Event()
    searched_in: list[threading.Thread] = []
    search = BM25Index.search

    def held(index, *args, **kwargs):
        return None

    def waits_for_the_change(index, *args, **kwargs):
        searched_in.append(threading.current_thread())
        release.wait(10)
        return search(index, *args, **kwargs)

    monkeypatch.setattr(BM25Index, "try_search", held)
    monkeypatch.setattr(BM25Index, "search", waits_for_the_change)
    asking = asyncio.create_task(asker.ask(GUILD, "boat strikes", limit=3))
    await asyncio.sleep(0.1)  # the loop runs meanwhile
    assert not asking.done() and searched_in
    release.set()
    assert (await asyncio.wait_for(asking, timeout=30)).found
    assert threading.main_thread() not in searched_in


async def test_a_long_paragraph_is_trimmed_around_the_match_off_the_event_loop(
    tmp_path, monkeypatch
):
    filler = " ".join(f"Sentence number {i} talks about the weather in general." for i in range(40))
    long_filler = " ".join([filler] * 10)  # beyond what is quoted on the event loop
    store = await open_store(tmp_path / "long.sqlite3")
    writes = BackgroundWrites(store)
    try:
        paragraphs = (
            f"{filler} The volcano erupted at dawn on Sunday. {filler}",
            f"{long_filler} The glacier melted at noon on Monday. {long_filler}",
        )
        assert len(paragraphs[1]) > ask_module.SNIPPET_OFF_LOOP_CHARS > len(paragraphs[0])
        draft = ArticleDraft("Long read", paragraphs, fingerprint(paragraphs))
        await store.add_article(GUILD, draft, Provenance())
        quoted_in: list[threading.Thread] = []
        make_snippet = ask_module.make_snippet

        def spy(*args, **options):
            quoted_in.append(threading.current_thread())
            return make_snippet(*args, **options)

        monkeypatch.setattr(ask_module, "make_snippet", spy)
        asker = asker_over(store, writes, snippet_chars=300)
        for question, sentence, text in (
            ("When did the volcano erupt?", "The volcano erupted at dawn on Sunday.", 0),
            ("When did the glacier melt?", "The glacier melted at noon on Monday.", 1),
        ):
            passage = (await asker.ask(GUILD, question, limit=1)).passages[0]
            assert sentence in passage.text and len(passage.text) <= 300
            assert passage.trimmed_start and passage.trimmed_end
            assert passage.text in paragraphs[text]
        assert quoted_in[0] is threading.main_thread()
        assert quoted_in[1] is not threading.main_thread()
    finally:
        await writes.close()
        await store.close()
