"""Answering a question: its terms, the best paragraphs, and the passages quoted from them.

The question is analysed once; the guild's index ranks its paragraphs; the relevance
rule (``relevance``) keeps the first and those close enough to it; passages scoring
below the minimum are left out, in one step, by the stricter of the engine's and the
guild's ``min_score``; the kept paragraphs are read from the store and each is cut to the
part around the matched words (off the event loop for a long paragraph). All three
filters keep a leading run of the ranking, so the order they run in does not change
the answer, and a page of a longer answer (``offset``) is a slice of the same list.

Nothing here waits for the store's writer: the only write an answer makes (the count of
answered questions) is noted in memory and written in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar

from index.errors import ArticleNotFound
from index.models import Answer, Passage
from index.search.analyzer import analyse, unique_terms
from index.search.bm25 import BM25Index, Hit
from index.search.guild_indexes import GuildIndexes
from index.search.relevance import real_candidates
from index.search.snippets import make_snippet
from index.store import Store
from index.store.background_writes import BackgroundWrites

MAX_QUESTION_CHARS = 2000
"""Characters of a question that are read; the rest is ignored."""
SNIPPET_OFF_LOOP_CHARS = 20_000
"""Quoting a paragraph longer than this takes milliseconds: done off the event loop."""
QUESTIONS_ANSWERED = "questions_answered"
"""The guild counter of questions that were given at least one passage."""

_Found = TypeVar("_Found")


def question_terms(question: str) -> list[str]:
    """The distinct terms of a question, in order (the ranking counts each once)."""
    return unique_terms(analyse(question[:MAX_QUESTION_CHARS]))


def stricter(*minimums: float | None) -> float | None:
    """The highest of the minimum scores that are set; None when none is."""
    given = [minimum for minimum in minimums if minimum is not None]
    return max(given) if given else None


class Asker:
    """Questions over ``indexes`` and ``store``. ``min_score`` applies to every guild;
    ``snippet_chars`` is the most a quoted passage holds."""

    def __init__(
        self,
        indexes: GuildIndexes,
        store: Store,
        writes: BackgroundWrites,
        *,
        snippet_chars: int,
        min_score: float | None = None,
    ) -> None:
        self._indexes = indexes
        self._store = store
        self._writes = writes
        self._snippet_chars = snippet_chars
        self._min_score = min_score

    async def rank(
        self, guild_id: int, question: str, *, k: int, article_id: int | None = None
    ) -> list[Hit]:
        """The ``k`` best paragraphs for ``question``, best first, without their text
        (the relevance rule not applied: for measuring the ranking itself)."""
        index = await self._indexes.index(guild_id)
        hits = await _search(index, question_terms(question), k, article_id)
        return _at_least(hits, self._min_score)

    async def ask(
        self,
        guild_id: int,
        question: str,
        *,
        limit: int,
        offset: int = 0,
        article_id: int | None = None,
        min_score: float | None = None,
    ) -> Answer:
        """Up to ``limit`` passages after the first ``offset`` of the answer to
        ``question``; ``min_score`` is the guild's own minimum, if it has one.
        Raises ``ArticleNotFound`` when ``article_id`` is not one of the guild's."""
        terms = question_terms(question)
        if article_id is not None and await self._store.get_article(guild_id, article_id) is None:
            raise ArticleNotFound(guild_id, article_id)
        index = await self._indexes.index(guild_id)
        hits = real_candidates(await _search(index, terms, offset + limit, article_id))
        hits = _at_least(hits[offset:], stricter(self._min_score, min_score))
        passages = await self._passages(guild_id, index, hits, terms)
        if passages and offset == 0:
            # Counted in memory and written in the background (never waits for the store).
            self._writes.count(guild_id, QUESTIONS_ANSWERED)
        return Answer(question, tuple(passages), tuple(terms), article_id)

    async def _passages(
        self, guild_id: int, index: BM25Index, hits: Sequence[Hit], terms: list[str]
    ) -> list[Passage]:
        if not hits:
            return []
        paragraphs = await self._store.paragraphs(guild_id, [hit.paragraph_id for hit in hits])
        articles = await self._store.articles_by_id(guild_id, [hit.article_id for hit in hits])
        weights = await _without_waiting(index.try_idfs, index.idfs, terms)
        passages = []
        for hit in hits:
            paragraph = paragraphs.get(hit.paragraph_id)
            article = articles.get(hit.article_id)
            if paragraph is None or article is None:  # removed since the search
                continue
            choose = (paragraph.text, terms, weights, self._snippet_chars)
            if len(paragraph.text) > SNIPPET_OFF_LOOP_CHARS:
                snippet = await asyncio.to_thread(make_snippet, *choose)
            else:
                snippet = make_snippet(*choose)
            passages.append(
                Passage(
                    article=article,
                    paragraph_id=paragraph.id,
                    position=paragraph.position,
                    text=snippet.text,
                    highlights=snippet.highlights,
                    score=hit.score,
                    trimmed_start=snippet.trimmed_start,
                    trimmed_end=snippet.trimmed_end,
                )
            )
        return passages


async def _search(index: BM25Index, terms: list[str], k: int, article_id: int | None) -> list[Hit]:
    return await _without_waiting(index.try_search, index.search, terms, k, article_id)


def _at_least(hits: list[Hit], min_score: float | None) -> list[Hit]:
    if min_score is None:
        return hits
    return [hit for hit in hits if hit.score >= min_score]


async def _without_waiting(
    try_read: Callable[..., _Found | None], read: Callable[..., _Found], *args: object
) -> _Found:
    """``try_read`` on the event loop, or ``read`` in a worker thread when the index is
    held by a change (which runs in a thread): the loop never waits for the index."""
    found = try_read(*args)
    if found is None:
        found = await asyncio.to_thread(read, *args)
    return found
