"""Articles that tell the same story: a near-identical re-share, and a newer report.

Each stored article keeps a MinHash signature of its words and the signature's LSH band
keys (``near_duplicates``), plus one key for its headline. Two articles are compared
only when they share a key, which the store finds by equality through an index, so
neither question costs a pass over the guild's articles:

- at ingest, an article whose words are nearly those of one already stored
  (``ARTICLE_THRESHOLD``) is "already indexed, as article #12", unless the guild turned
  that off;
- in an answer, a quoted article has a newer one on the same story when a later article
  shares its headline or reaches ``STORY_THRESHOLD`` with it: an update, a follow-up
  from another outlet. The answer then says "as of" the quoted date, with the newer one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

import regex

from index.guild_config import normalise_domain
from index.models import ArticleFacets, ArticleInfo
from index.search import near_duplicates
from index.store import Store

STORY_THRESHOLD = 0.5
"""Estimated Jaccard similarity of two articles' shingles above which they report the
same story (an updated or re-written version): below ``ARTICLE_THRESHOLD``, which only
near-identical copies reach."""

_SHARING_READ = 200
"""Articles sharing a key with an answer's articles that are read, newest first."""
_HEADLINE_WORD = regex.compile(r"[\p{L}\p{N}]+")
_MIN_HEADLINE_WORDS = 4
"""Headlines shorter than this ("Live updates", "Opinion") name no particular story."""


def headline_key(title: str) -> int | None:
    """A key equal for headlines with the same words (case and punctuation aside), as a
    signed 64-bit number like the band keys; None for a headline too short to tell."""
    words = _HEADLINE_WORD.findall(title.casefold())
    if len(words) < _MIN_HEADLINE_WORDS:
        return None
    digest = hashlib.blake2b(" ".join(words).encode(), digest_size=8, person=b"headline").digest()
    return int.from_bytes(digest, "little", signed=True)


def site_of(url: str | None) -> str | None:
    """The host an article came from, lower-case and without "www."."""
    if not url:
        return None
    return normalise_domain(url) or None


def article_facets(
    title: str, url: str | None, reported_at: datetime, paragraphs: Sequence[str]
) -> ArticleFacets:
    """What filters and comparisons need of an article. CPU work: off the event loop."""
    signature = near_duplicates.article_signature(paragraphs)
    keys = list(near_duplicates.band_keys(signature))
    headline = headline_key(title)
    if headline is not None:
        keys.append(headline)
    return ArticleFacets(
        site=site_of(url),
        reported_at=reported_at,
        signature=near_duplicates.signature_bytes(signature),
        band_keys=tuple(keys),
    )


def facets_of_article(article: ArticleInfo, paragraphs: Sequence[str]) -> ArticleFacets:
    """``article_facets`` of a stored article."""
    url = article.canonical_url or article.source_url
    return article_facets(article.title, url, article.reported_at, paragraphs)


async def same_article(store: Store, guild_id: int, facets: ArticleFacets) -> ArticleInfo | None:
    """The guild's stored article with nearly the same words as the one ``facets`` is
    of (the most similar), or None."""
    if facets.signature is None:
        return None
    mine = near_duplicates.signature_from_bytes(facets.signature)
    best: tuple[float, ArticleInfo] | None = None
    for article, stored in await store.articles_sharing(guild_id, facets.band_keys):
        if stored is None:
            continue
        similarity = near_duplicates.similarity(mine, near_duplicates.signature_from_bytes(stored))
        if similarity >= near_duplicates.ARTICLE_THRESHOLD and (
            best is None or similarity > best[0]
        ):
            best = (similarity, article)
    return best[1] if best else None


async def newer_reports(
    store: Store, guild_id: int, articles: Sequence[ArticleInfo]
) -> dict[int, ArticleInfo]:
    """For each of ``articles`` that has one, the newest later article of the guild on
    the same story (the same headline, or ``STORY_THRESHOLD`` alike). Two reads of the
    store for all of them: their facets, and the articles sharing any of their keys."""
    facets = await store.facets_of(guild_id, [article.id for article in articles])
    keys = {key for own in facets.values() for key in own.band_keys}
    if not keys:
        return {}
    sharing = await store.articles_sharing(guild_id, sorted(keys), limit=_SHARING_READ)
    newest_first = sorted(sharing, key=lambda found: found[0].reported_at, reverse=True)
    newer: dict[int, ArticleInfo] = {}
    for article in articles:
        own = facets.get(article.id)
        if own is None:
            continue
        headline = headline_key(article.title)
        mine = _signature(own.signature)
        for other, signature in newest_first:
            if other.reported_at <= article.reported_at:
                break
            if other.id != article.id and _same_story(headline, mine, other, signature):
                newer[article.id] = other
                break
    return newer


def _signature(data: bytes | None) -> near_duplicates.Signature | None:
    """A stored signature, or None when there is none or it is of another version
    (an article whose signature was made otherwise is not compared until refilled)."""
    if data is None:
        return None
    try:
        return near_duplicates.signature_from_bytes(data)
    except ValueError:
        return None


def _same_story(
    headline: int | None,
    mine: near_duplicates.Signature | None,
    other: ArticleInfo,
    signature: bytes | None,
) -> bool:
    if headline is not None and headline_key(other.title) == headline:
        return True
    theirs = _signature(signature)
    if mine is None or theirs is None:
        return False
    return near_duplicates.similarity(mine, theirs) >= STORY_THRESHOLD
