"""The engine in every language: each article's language settled at ingest and kept,
its words read in it, and questions read in the guild's languages."""

from __future__ import annotations

import pytest
from rank_bm25 import BM25Okapi

from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.search import ask as ask_module
from index.search.analyzer import analyse, unique_terms
from index.search.bm25 import BM25Params
from tests.support.engines import open_engine
from tests.support.languages import CHINESE, ENGLISH, GERMAN, SAMPLES, SPANISH

GUILD = 300


@pytest.fixture
async def engine(tmp_path, store_url):
    engine = await open_engine(store_url)
    yield engine
    await engine.close()


async def add_all(engine, guild_id: int = GUILD) -> dict[str, int]:
    """Every sample as a paste; the article ids by language."""
    ids = {}
    for sample in SAMPLES:
        result = await engine.ingest_text(guild_id, sample.paste)
        assert result.status == "added"
        ids[sample.language] = result.article.id
    return ids


async def test_each_paste_is_stored_in_the_language_it_is_written_in(engine):
    ids = await add_all(engine)
    for sample in SAMPLES:
        article = await engine.get_article(GUILD, ids[sample.language])
        assert article.language == sample.language


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.language for s in SAMPLES])
async def test_a_question_in_each_language_finds_its_answer_in_a_mixed_guild(engine, sample):
    ids = await add_all(engine)
    answer = await engine.ask(GUILD, sample.question)
    first = answer.passages[0]
    assert first.article.id == ids[sample.language]
    assert first.position == sample.answer_paragraph
    assert sample.answer_words in first.text


async def test_scores_are_bm25okapi_over_each_paragraph_read_in_its_own_language(engine):
    ids = await add_all(engine)
    language_of = {article_id: code for code, article_id in ids.items()}
    corpus, paragraph_ids, languages = [], [], []
    for article_id, code in sorted(language_of.items()):
        article = await engine.get_article(GUILD, article_id)
        for paragraph in await engine.article_paragraphs(GUILD, article_id):
            corpus.append(analyse(article.title, code) + analyse(paragraph.text, code))
            paragraph_ids.append(paragraph.id)
            languages.append(code)
    params = BM25Params()
    reference = BM25Okapi(corpus, k1=params.k1, b=params.b, epsilon=params.epsilon)
    for sample in (GERMAN, CHINESE, ENGLISH):
        hits = await engine.rank(GUILD, sample.question, k=len(corpus))
        assert hits
        for hit in hits:
            at = paragraph_ids.index(hit.paragraph_id)
            question = unique_terms(analyse(sample.question, languages[at]))
            assert hit.score == pytest.approx(reference.get_scores(question)[at], rel=1e-12)


async def test_a_declared_language_is_kept_and_a_short_text_takes_the_guilds(engine):
    await engine.update_guild_config(GUILD, language="fr")
    declared = ArticleDraft(
        title=GERMAN.title,
        paragraphs=GERMAN.paragraphs,
        fingerprint=fingerprint(GERMAN.paragraphs),
        language="de-DE",
    )
    assert (await engine.ingest_draft(GUILD, declared)).article.language == "de"
    short = ("Tout va bien.",)
    draft = ArticleDraft(title="Court", paragraphs=short, fingerprint=fingerprint(short))
    assert (await engine.ingest_draft(GUILD, draft)).article.language == "fr"


async def test_a_page_declaring_the_wrong_language_is_read_in_the_one_it_is_written_in(engine):
    wrong = ArticleDraft(
        title=SPANISH.title,
        paragraphs=SPANISH.paragraphs,
        fingerprint=fingerprint(SPANISH.paragraphs),
        language="en",  # a site template's <html lang="en"> on a Spanish page
    )
    assert (await engine.ingest_draft(GUILD, wrong)).article.language == "es"


async def test_languages_survive_a_restart_and_a_rebuild(tmp_path, store_url):
    engine = await open_engine(store_url)
    ids = await add_all(engine)
    before = await engine.ask(GUILD, GERMAN.question)
    await engine.close()
    engine = await open_engine(store_url)
    try:
        after = await engine.ask(GUILD, GERMAN.question)
        assert [p.paragraph_id for p in after.passages] == [p.paragraph_id for p in before.passages]
        await engine.reindex(GUILD)
        rebuilt = await engine.ask(GUILD, GERMAN.question)
        assert rebuilt.passages[0].article.id == ids["de"]
        assert [p.score for p in rebuilt.passages] == [p.score for p in before.passages]
    finally:
        await engine.close()


async def test_removing_an_article_takes_out_the_terms_of_its_language(engine):
    ids = await add_all(engine)
    await engine.remove_article(GUILD, ids["de"])
    answer = await engine.ask(GUILD, GERMAN.question)
    assert all(p.article.id != ids["de"] for p in answer.passages)
    again = await engine.ingest_text(GUILD, GERMAN.paste)
    assert (await engine.ask(GUILD, GERMAN.question)).passages[0].article.id == again.article.id


async def test_articles_stored_before_languages_were_kept_are_read_in_theirs_once_settled(
    store_url,
):
    """A German article stored as every article was before languages were kept (no
    language: read as English) is read in German once its language is settled, even by a
    process that only restarts (its snapshot, made before, is not used)."""
    legacy, fresh = GUILD, GUILD + 1
    engine = await open_engine(store_url)
    try:
        for sample in (ENGLISH, GERMAN):
            draft = ArticleDraft(sample.title, sample.paragraphs, fingerprint(sample.paragraphs))
            await engine.store.add_article(legacy, draft, Provenance())
            assert (await engine.ingest_text(fresh, sample.paste)).status == "added"
        read_as_english = await engine.ask(legacy, GERMAN.question)
        assert await engine.settle_languages(legacy) == 1  # the English one stays English
        assert sorted((await engine.store.article_languages(legacy)).values()) == ["de", "en"]
        assert await engine.settle_languages(legacy) == 0
    finally:
        await engine.close()

    engine = await open_engine(store_url)  # the snapshot saved before is out of date
    try:
        settled = await engine.ask(legacy, GERMAN.question)
        expected = await engine.ask(fresh, GERMAN.question)
        assert [p.score for p in settled.passages] == [p.score for p in expected.passages]
        assert [p.score for p in settled.passages] != [p.score for p in read_as_english.passages]
        assert settled.passages[0].text == expected.passages[0].text
    finally:
        await engine.close()


async def test_the_language_a_question_is_written_in_reaches_the_reordering(engine, monkeypatch):
    told: list[str | None] = []
    real = ask_module.reorder_in_languages

    def spy(candidates, readings, question="", written_in=None):
        told.append(written_in)
        return real(candidates, readings, question, written_in)

    monkeypatch.setattr(ask_module, "reorder_in_languages", spy)
    await engine.ingest_text(GUILD, ENGLISH.paste)
    await engine.ask(GUILD, SPANISH.question)
    assert told == [None]  # one language in the guild: nothing to tell apart

    await add_all(engine, GUILD + 1)
    for sample in (SPANISH, GERMAN, CHINESE):
        told.clear()
        await engine.ask(GUILD + 1, sample.question)
        assert told == [sample.language]
