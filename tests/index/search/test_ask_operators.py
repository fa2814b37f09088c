"""Answers with search operators, near-duplicate paragraphs, dates and newer reports,
through the engine (every filter on both stores)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from index import Engine
from index.ingest.paste import fingerprint
from index.models import Answer, ArticleDraft, Provenance
from index.store import open_store

GUILD = 1_180_000_000_000_000_001
ANN, BOB = 10, 20
NEWS, SPORTS = 100, 200

BRIDGE = (
    "The harbour bridge will close to cars in March after engineers found corrosion in "
    "three of its steel supports, the city council said on Tuesday.",
    "Repairs to the bridge are expected to take eighteen months and cost the city about "
    "forty million dollars.",
)
BRIDGE_UPDATE = (
    "The harbour bridge closed to cars on Monday, a week earlier than planned, as the "
    "corrosion in its steel supports proved worse than engineers had found in March.",
    "Repairs to the bridge are expected to take eighteen months and cost the city about "
    "forty million dollars.",
    "Ferries will run every twenty minutes across the harbour while the bridge is closed, "
    "and buses will take the tunnel instead.",
)
FERRY = (
    "The new ferry to the island will carry cars as well as passengers from May, the "
    "operator said, ending years of waiting for drivers who cross the harbour.",
)


def draft(title: str, paragraphs: tuple[str, ...], url: str, published: str | None = None):
    return ArticleDraft(
        title=title,
        paragraphs=paragraphs,
        fingerprint=fingerprint(paragraphs),
        source_url=url,
        canonical_url=url,
        published=published,
    )


def shared(poster: int, name: str, channel: int, day: int) -> Provenance:
    return Provenance(
        poster_id=poster,
        poster_name=name,
        channel_id=channel,
        posted_at=datetime(2026, 1, day, 12, tzinfo=UTC),
    )


@pytest.fixture
async def engine(tmp_path, store_url) -> AsyncIterator[Engine]:
    async with await Engine.open(await open_store(store_url), follow_changes=False) as opened:
        await opened.update_guild_config(GUILD, skip_similar=False)
        for article, provenance in (
            (
                draft("Harbour bridge to close to cars", BRIDGE, "https://www.city.example/bridge"),
                shared(ANN, "Ann", NEWS, 5),
            ),
            (
                draft(
                    "Harbour bridge to close to cars",
                    BRIDGE_UPDATE,
                    "https://news.paper.example/bridge-update",
                    published="2026-01-12",
                ),
                shared(BOB, "Bob", SPORTS, 20),
            ),
            (
                draft("Island ferry to carry cars", FERRY, "https://paper.example/ferry"),
                shared(BOB, "Bob", NEWS, 8),
            ),
        ):
            assert (await opened.ingest_draft(GUILD, article, provenance)).added
        yield opened


def titles(answer: Answer) -> list[str]:
    return [p.article.title for p in answer.passages]


def urls(answer: Answer) -> list[str | None]:
    return [p.article.source_url for p in answer.passages]


async def test_a_phrase_keeps_only_paragraphs_holding_it(engine):
    answer = await engine.ask(GUILD, 'cars "harbour bridge closed"')
    assert answer.passages
    assert all("harbour bridge closed" in p.text.lower() for p in answer.passages)
    nothing = await engine.ask(GUILD, '"bridge harbour"')
    assert not nothing.passages


async def test_an_excluded_word_leaves_out_paragraphs_holding_it(engine):
    plain = await engine.ask(GUILD, "cars harbour")
    assert any("ferry" in p.text.lower() for p in plain.passages)
    answer = await engine.ask(GUILD, "cars harbour -ferry -ferries")
    assert answer.passages
    assert not any("ferr" in p.text.lower() for p in answer.passages)


async def test_site_member_channel_and_dates_filter_the_articles(engine):
    assert set(urls(await engine.ask(GUILD, "cars site:paper.example"))) == {
        "https://news.paper.example/bridge-update",
        "https://paper.example/ferry",
    }
    assert set(urls(await engine.ask(GUILD, "cars site:city.example"))) == {
        "https://www.city.example/bridge"
    }
    assert set(urls(await engine.ask(GUILD, f"cars from:<@{ANN}>"))) == {
        "https://www.city.example/bridge"
    }
    assert set(urls(await engine.ask(GUILD, "cars from:@bob"))) == {
        "https://news.paper.example/bridge-update",
        "https://paper.example/ferry",
    }
    assert set(urls(await engine.ask(GUILD, f"cars in:<#{SPORTS}>"))) == {
        "https://news.paper.example/bridge-update"
    }
    named = await engine.ask(GUILD, "cars in:#news", channels={"news": NEWS})
    assert set(urls(named)) == {"https://www.city.example/bridge", "https://paper.example/ferry"}
    # the update reports from its publication date (12 January), not when it was shared
    assert set(urls(await engine.ask(GUILD, "cars after:2026-01-10"))) == {
        "https://news.paper.example/bridge-update"
    }
    assert set(urls(await engine.ask(GUILD, "cars before:2026-01-08"))) == {
        "https://www.city.example/bridge"
    }
    assert set(urls(await engine.ask(GUILD, "cars after:2026-01-06 before:2026-01-10"))) == {
        "https://paper.example/ferry"
    }


async def test_a_filter_nothing_matches_says_so(engine):
    answer = await engine.ask(GUILD, "cars site:elsewhere.example")
    assert not answer.passages
    assert any("no article" in note for note in answer.notes)


async def test_an_unknown_channel_name_is_not_used_and_the_answer_says_so(engine):
    answer = await engine.ask(GUILD, "cars in:#nowhere", channels={"news": NEWS})
    assert answer.passages
    assert any("#nowhere" in note for note in answer.notes)


async def test_a_malformed_operator_is_read_as_words_and_noted(engine):
    answer = await engine.ask(GUILD, "ferry after:yesterday")
    assert answer.passages and answer.notes
    assert "after:yesterday" in " ".join(answer.notes)


async def test_a_paragraph_in_two_articles_is_quoted_once_with_also_in(engine):
    answer = await engine.ask(GUILD, "How long will repairs to the bridge take?", limit=5)
    repairs = [p for p in answer.passages if "eighteen months" in p.text]
    assert len(repairs) == 1
    (quoted,) = repairs
    assert [a.source_url for a in quoted.also_in] != []
    assert quoted.article.source_url not in [a.source_url for a in quoted.also_in]


async def test_newest_first_orders_by_the_date_each_article_reports_from(engine):
    answer = await engine.ask(GUILD, "cars", newest_first=True, limit=5)
    assert answer.newest_first
    dates = [p.article.reported_at for p in answer.passages]
    assert len(dates) >= 2 and dates == sorted(dates, reverse=True)


async def test_a_quote_from_an_older_report_points_to_the_newer_one(engine):
    answer = await engine.ask(GUILD, "corrosion found by engineers in steel supports", limit=5)
    by_url = {p.article.source_url: p for p in answer.passages}
    older = by_url["https://www.city.example/bridge"]
    assert older.newer is not None
    assert older.newer.source_url == "https://news.paper.example/bridge-update"
    assert by_url["https://news.paper.example/bridge-update"].newer is None


async def test_rank_uses_the_same_filters(engine):
    everything = await engine.rank(GUILD, "cars", k=10)
    filtered = await engine.rank(GUILD, f"cars from:<@{ANN}>", k=10)
    assert 0 < len(filtered) < len(everything)
    assert {hit.paragraph_id for hit in filtered} <= {hit.paragraph_id for hit in everything}


async def test_order_newest_in_the_question_orders_by_date(engine):
    answer = await engine.ask(GUILD, "cars order:newest", limit=5)
    assert answer.newest_first and not answer.notes
    dates = [p.article.reported_at for p in answer.passages]
    assert len(dates) >= 2 and dates == sorted(dates, reverse=True)
    odd = await engine.ask(GUILD, "cars order:oldest")
    assert not odd.newest_first and "order:oldest" in " ".join(odd.notes)
