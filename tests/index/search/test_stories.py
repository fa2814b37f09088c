"""Same article, same story: near-identical re-shares at ingest, newer reports in answers,
and the facets that make both (and filters) possible, through the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from index import Engine
from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.search.stories import headline_key, same_article, site_of
from index.store import Store, open_store

GUILD = 1_180_000_000_000_000_001
OTHER_GUILD = 1_180_000_000_000_000_002

WIRE = (
    "The city council voted on Tuesday to close the old harbour bridge to cars from March, "
    "after engineers found corrosion in three of its steel supports during a routine check.",
    "Repairs are expected to take at least eighteen months and cost the city about forty "
    "million dollars, according to a report presented to the council by the transport office.",
    "Cyclists and pedestrians will still be able to cross on a temporary walkway built along "
    "the eastern side of the bridge while the work goes on, the mayor told reporters.",
    "Shop owners near the bridge said they feared losing customers during the closure and "
    "asked the council for help with rents, which the council agreed to discuss next month.",
)
REPUBLISHED = (
    "By Staff Reporter",
    *WIRE[:3],
    WIRE[3].replace("next month", "in the coming weeks"),
)
UNRELATED = (
    "The national football team won its third match in a row on Saturday, beating the "
    "visitors two goals to one in front of a home crowd of more than sixty thousand people.",
    "The coach praised the young defenders, who kept the opposing strikers away from the "
    "goal for most of the second half despite playing with ten men after a red card.",
)


def draft(
    title: str, paragraphs: tuple[str, ...], url: str | None = None, **fields
) -> ArticleDraft:
    return ArticleDraft(
        title=title,
        paragraphs=paragraphs,
        fingerprint=fingerprint(paragraphs),
        source_url=url,
        canonical_url=url,
        **fields,
    )


@pytest.fixture
async def engine(tmp_path, store_url) -> AsyncIterator[Engine]:
    async with await Engine.open(await open_store(store_url), follow_changes=False) as opened:
        yield opened


def store_of(engine: Engine) -> Store:
    return engine.store


def test_headline_keys_ignore_case_and_punctuation_and_skip_short_headlines():
    assert headline_key("Bridge to close for repairs") == headline_key(
        "BRIDGE to close, for repairs!"
    )
    assert headline_key("Bridge to close for repairs") != headline_key(
        "Bridge to open after repairs"
    )
    assert headline_key("Live updates") is None
    key = headline_key("Bridge to close for repairs")
    assert key is not None and -(2**63) <= key < 2**63


def test_the_site_is_the_host_without_www():
    assert site_of("https://www.Example.com/news/1") == "example.com"
    assert site_of("https://news.example.com/x") == "news.example.com"
    assert site_of(None) is None


async def test_a_near_identical_reshare_is_reported_as_the_article_already_indexed(engine):
    first = await engine.ingest_draft(
        GUILD, draft("Harbour bridge to close", WIRE, "https://a.example/1")
    )
    again = await engine.ingest_draft(
        GUILD, draft("Old bridge shut to cars", REPUBLISHED, "https://b.example/2")
    )
    assert first.status == "added"
    assert again.status == "similar" and again.article.id == first.article.id
    assert await engine.article_count(GUILD) == 1
    other = await engine.ingest_draft(GUILD, draft("Football", UNRELATED, "https://a.example/3"))
    assert other.status == "added"


async def test_a_guild_can_choose_to_keep_near_identical_reshares(engine):
    await engine.ingest_draft(GUILD, draft("Harbour bridge to close", WIRE))
    await engine.update_guild_config(GUILD, skip_similar=False)
    again = await engine.ingest_draft(GUILD, draft("Old bridge shut to cars", REPUBLISHED))
    assert again.status == "added"
    assert await engine.article_count(GUILD) == 2


async def test_near_identical_articles_of_another_guild_do_not_count(engine):
    await engine.ingest_draft(OTHER_GUILD, draft("Harbour bridge to close", WIRE))
    mine = await engine.ingest_draft(GUILD, draft("Old bridge shut to cars", REPUBLISHED))
    assert mine.status == "added"


async def test_an_ingested_article_gets_its_site_and_date(engine):
    shared = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    result = await engine.ingest_draft(
        GUILD,
        draft("Harbour bridge to close", WIRE, "https://www.a.example/1", published="2025-12-30"),
        Provenance(posted_at=shared),
    )
    facets = await store_of(engine).facets_of(GUILD, [result.article.id])
    assert facets[result.article.id].site == "a.example"
    assert facets[result.article.id].reported_at == datetime(2025, 12, 30, tzinfo=UTC)
    assert result.article.reported_at == datetime(2025, 12, 30, tzinfo=UTC)
    assert facets[result.article.id].band_keys  # signature bands and the headline's key
    assert await same_article(store_of(engine), GUILD, facets[result.article.id]) == result.article


async def test_articles_stored_without_facets_get_them_filled_in(engine):
    store = store_of(engine)
    info, _ = await store.add_article(
        GUILD, draft("Harbour bridge to close", WIRE, "https://a.example/1"), Provenance()
    )
    assert await store.articles_missing_facets() == [info]
    assert await engine.fill_missing_facets() == 1
    assert await store.articles_missing_facets() == []
    assert (await store.facets_of(GUILD, [info.id]))[info.id].site == "a.example"
    # and the re-share check finds it now
    again = await engine.ingest_draft(GUILD, draft("Old bridge shut to cars", REPUBLISHED))
    assert again.status == "similar"
    assert await engine.fill_missing_facets() == 0
