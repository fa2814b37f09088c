"""Article facets in every store: kept beside an article, gone with it, and the lookups
that filters and near-duplicate checks make (the ``store`` fixture runs each test on
SQLite and on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from index.models import ArticleFacets, ArticleFilter, ArticleInfo, Provenance
from index.store.columns import ARTICLES
from tests.index.store.test_contract import (
    CHANNEL,
    GUILD,
    OTHER_GUILD,
    POSTER,
    all_rows,
    draft,
)

DAY = datetime(2025, 11, 1, tzinfo=UTC)


def facets(
    site: str | None, days: int, *keys: int, signature: bytes | None = b"sig"
) -> ArticleFacets:
    return ArticleFacets(site, DAY + timedelta(days=days), signature, keys)


async def add(
    store, guild_id: int, title: str, *, poster=POSTER, name="ann", channel=CHANNEL
) -> ArticleInfo:
    shared = Provenance(poster_id=poster, poster_name=name, channel_id=channel, posted_at=DAY)
    info, _ = await store.add_article(guild_id, draft(title, f"Text of {title}."), shared)
    return info


async def test_facets_are_kept_replaced_and_go_with_their_article(store):
    article = await add(store, GUILD, "One")
    assert await store.articles_missing_facets() == [article]
    assert await store.save_facets(GUILD, article.id, facets("example.com", 2, 11, 12))
    assert await store.articles_missing_facets() == []
    kept = await store.facets_of(GUILD, [article.id])
    assert kept[article.id].site == "example.com"
    assert kept[article.id].reported_at == DAY + timedelta(days=2)
    assert kept[article.id].signature == b"sig"
    assert sorted(kept[article.id].band_keys) == [11, 12]

    assert await store.save_facets(GUILD, article.id, facets("other.org", 3, 13))
    kept = await store.facets_of(GUILD, [article.id])
    assert (kept[article.id].site, kept[article.id].band_keys) == ("other.org", (13,))

    await store.remove_article(GUILD, article.id)
    assert await store.facets_of(GUILD, [article.id]) == {}
    assert await store.articles_sharing(GUILD, [13]) == []


async def test_facets_of_a_missing_or_foreign_article_are_not_saved(store):
    article = await add(store, GUILD, "One")
    assert not await store.save_facets(OTHER_GUILD, article.id, facets(None, 0))
    assert not await store.save_facets(GUILD, article.id + 1000, facets(None, 0))
    assert await store.facets_of(GUILD, [article.id]) == {}
    assert await store.facets_of(OTHER_GUILD, [article.id]) == {}


async def test_band_keys_find_articles_of_the_guild_only_newest_first(store):
    first = await add(store, GUILD, "First")
    second = await add(store, GUILD, "Second")
    foreign = await add(store, OTHER_GUILD, "Foreign")
    await store.save_facets(GUILD, first.id, facets(None, 0, 1, 2, signature=b"one"))
    await store.save_facets(GUILD, second.id, facets(None, 0, 2, 3, signature=None))
    await store.save_facets(OTHER_GUILD, foreign.id, facets(None, 0, 1, 2, 3))
    found = await store.articles_sharing(GUILD, [2, 3, 99])
    assert [(article.id, signature) for article, signature in found] == [
        (second.id, None),
        (first.id, b"one"),
    ]
    assert [a.id for a, _ in await store.articles_sharing(GUILD, [1])] == [first.id]
    assert await store.articles_sharing(GUILD, []) == []


async def test_filters_keep_the_articles_asked_for(store):
    ann = await add(store, GUILD, "Ann's", poster=10, name="Ann", channel=100)
    bob = await add(store, GUILD, "Bob's", poster=20, name="Bob", channel=200)
    paste = await add(store, GUILD, "A paste", poster=None, name=None, channel=None)
    foreign = await add(store, OTHER_GUILD, "Foreign", poster=10, name="Ann", channel=100)
    await store.save_facets(GUILD, ann.id, facets("example.com", 1))
    await store.save_facets(GUILD, bob.id, facets("news.example.com", 5))
    await store.save_facets(GUILD, paste.id, facets(None, 10))
    await store.save_facets(OTHER_GUILD, foreign.id, facets("example.com", 1))

    async def kept(**wanted) -> set[int]:
        return await store.filter_articles(GUILD, ArticleFilter(**wanted))

    assert await kept(sites=("example.com",)) == {ann.id, bob.id}  # subdomains too
    assert await kept(sites=("news.example.com",)) == {bob.id}
    assert await kept(sites=("ample.com",)) == set()  # whole labels only
    assert await kept(sites=("%",)) == set()  # LIKE's wildcards are plain text
    assert await kept(poster_ids=(20,)) == {bob.id}
    assert await kept(poster_names=("ANN",)) == {ann.id}
    assert await kept(poster_names=("ann", "bob")) == {ann.id, bob.id}
    assert await kept(channel_ids=(100,)) == {ann.id}
    assert await kept(after=DAY + timedelta(days=5)) == {bob.id, paste.id}
    assert await kept(before=DAY + timedelta(days=5)) == {ann.id}
    assert await kept(sites=("example.com",), poster_ids=(10,)) == {ann.id}
    assert await kept(sites=("example.com",), after=DAY + timedelta(days=2)) == {bob.id}


async def test_sites_are_listed_by_prefix_without_repeats(store):
    for number, site in enumerate(("apnews.com", "apnews.com", "bbc.co.uk", "reuters.com")):
        article = await add(store, GUILD, f"Story {number}")
        await store.save_facets(GUILD, article.id, facets(site, number))
    paste = await add(store, GUILD, "Paste")
    await store.save_facets(GUILD, paste.id, facets(None, 0))
    assert await store.sites(GUILD) == ["apnews.com", "bbc.co.uk", "reuters.com"]
    assert await store.sites(GUILD, "B") == ["bbc.co.uk"]
    assert await store.sites(GUILD, "x") == []
    assert await store.sites(OTHER_GUILD) == []


async def test_facets_are_not_part_of_the_copied_data(store):
    """Derived data: a copy carries the articles, and the copy fills facets in again."""
    article = await add(store, GUILD, "One")
    await store.save_facets(GUILD, article.id, facets("example.com", 0))
    rows = await all_rows(store, ARTICLES)
    assert [row[0] for row in rows] == [article.id]
