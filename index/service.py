"""The engine: ingest articles, answer questions, and the moderators' operations.

This is the only entry point callers need. Every operation takes the guild first, and
each guild has its own index, built from the store the first time the guild is used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from index.analyzer import analyse, unique_terms
from index.bm25 import BM25Index, BM25Params, Hit
from index.errors import ArticleNotFound, IngestRefused
from index.models import (
    Answer,
    ArticleDraft,
    ArticleInfo,
    GuildStats,
    IngestResult,
    Passage,
    Provenance,
    StoredParagraph,
)
from index.paste import MIN_WORDS, parse_paste
from index.snippets import make_snippet
from index.store import DuplicateArticle, SQLiteStore, Store
from index.textio import decode_text

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
MAX_QUESTION_CHARS = 2000
QUESTIONS_ANSWERED = "questions_answered"


@dataclass(frozen=True, slots=True)
class EngineConfig:
    bm25: BM25Params = field(default_factory=BM25Params)
    results: int = 3
    """Passages per answer unless the caller asks for another number."""
    max_results: int = 10
    min_score: float | None = None
    """Passages scoring below this are left out; None keeps every candidate."""
    max_text_bytes: int = 2_000_000
    snippet_chars: int = 600
    min_words: int = MIN_WORDS
    title_in_paragraphs: bool = True
    """Index each paragraph with its article's title in front, a cheap title field:
    a question naming the story finds its paragraphs. Measured on SQuAD (see README)."""


class Engine:
    def __init__(self, store: Store, config: EngineConfig | None = None) -> None:
        self.store = store
        self.config = config or EngineConfig()
        self._indexes: dict[int, BM25Index] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    @classmethod
    async def open(cls, database: str | Path, config: EngineConfig | None = None) -> Engine:
        store = SQLiteStore(database)
        await store.open()
        return cls(store, config)

    async def close(self) -> None:
        await self.store.close()
        self._indexes.clear()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- indexes ----------------------------------------------------------------------

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def _index(self, guild_id: int) -> BM25Index:
        index = self._indexes.get(guild_id)
        if index is not None:
            return index
        async with self._lock(guild_id):
            index = self._indexes.get(guild_id)
            if index is None:
                index = await self._build_index(guild_id)
                self._indexes[guild_id] = index
        return index

    def _terms(self, title: str, paragraphs: Sequence[str]) -> list[list[str]]:
        """The tokenised paragraphs as the index holds them; BM25Okapi scores exactly these."""
        title_terms = analyse(title) if self.config.title_in_paragraphs else []
        return [title_terms + analyse(text) for text in paragraphs]

    async def _build_index(self, guild_id: int) -> BM25Index:
        rows = [row async for row in self.store.iter_paragraphs(guild_id)]
        index = await asyncio.to_thread(self._index_from_rows, rows)
        log.info("guild %s: indexed %d paragraphs", guild_id, index.paragraph_count)
        return index

    def _index_from_rows(self, rows: list[tuple[StoredParagraph, str]]) -> BM25Index:
        index = BM25Index(self.config.bm25)
        by_article: dict[int, tuple[str, list[StoredParagraph]]] = {}
        for paragraph, title in rows:
            by_article.setdefault(paragraph.article_id, (title, []))[1].append(paragraph)
        for article_id, (title, paragraphs) in by_article.items():
            terms = self._terms(title, [p.text for p in paragraphs])
            index.add_article(article_id, zip((p.id for p in paragraphs), terms, strict=True))
        return index

    async def reindex(self, guild_id: int) -> int:
        """Rebuild the guild's index from the store; returns the number of paragraphs."""
        async with self._lock(guild_id):
            index = await self._build_index(guild_id)
            self._indexes[guild_id] = index
        return index.paragraph_count

    # -- ingest -----------------------------------------------------------------------

    async def ingest_text(
        self, guild_id: int, text: str, provenance: Provenance | None = None
    ) -> IngestResult:
        """Ingest a pasted article (a message body or the text of an attachment)."""
        draft = await asyncio.to_thread(parse_paste, text, min_words=self.config.min_words)
        return await self.ingest_draft(guild_id, draft, provenance)

    async def ingest_file(
        self, guild_id: int, filename: str, data: bytes, provenance: Provenance | None = None
    ) -> IngestResult:
        """Ingest an uploaded text file such as Discord's ``message.txt``."""
        suffix = PurePath(filename).suffix.lower()
        if suffix not in TEXT_SUFFIXES:
            raise IngestRefused(
                f"{_shown_name(filename)} is not a text file (.txt or .md files can be read)"
            )
        text = decode_text(data, max_bytes=self.config.max_text_bytes)
        return await self.ingest_text(guild_id, text, provenance)

    async def ingest_draft(
        self, guild_id: int, draft: ArticleDraft, provenance: Provenance | None = None
    ) -> IngestResult:
        """Store and index an article that is already parsed. Nothing is stored twice."""
        if not draft.paragraphs:
            raise IngestRefused("there is no article text in it")
        existing = await self.store.find_duplicate(guild_id, draft.canonical_url, draft.fingerprint)
        if existing is not None:
            return IngestResult("duplicate", existing)
        terms = await asyncio.to_thread(self._terms, draft.title, draft.paragraphs)
        index = await self._index(guild_id)
        async with self._lock(guild_id):
            try:
                info, paragraphs = await self.store.add_article(
                    guild_id, draft, provenance or Provenance()
                )
            except DuplicateArticle as duplicate:
                return IngestResult("duplicate", duplicate.existing)
            index = self._indexes.get(guild_id, index)
            index.add_article(info.id, ((p.id, t) for p, t in zip(paragraphs, terms, strict=True)))
        log.info("guild %s: added article %d (%d paragraphs)", guild_id, info.id, len(paragraphs))
        return IngestResult("added", info)

    # -- questions --------------------------------------------------------------------

    async def rank(
        self, guild_id: int, question: str, *, k: int, article_id: int | None = None
    ) -> list[Hit]:
        """The ``k`` best paragraphs for ``question``, best first, without their text."""
        index = await self._index(guild_id)
        hits = index.search(analyse(question[:MAX_QUESTION_CHARS]), k, article_id)
        if self.config.min_score is not None:
            hits = [hit for hit in hits if hit.score >= self.config.min_score]
        return hits

    async def ask(
        self,
        guild_id: int,
        question: str,
        *,
        article_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Answer:
        """Answer ``question`` with the best passages of the guild's articles.

        ``article_id`` limits the search to one article; ``offset`` skips the first
        passages, for paging through an answer.
        """
        limit = max(1, min(limit or self.config.results, self.config.max_results))
        terms = unique_terms(analyse(question[:MAX_QUESTION_CHARS]))
        if article_id is not None and await self.store.get_article(guild_id, article_id) is None:
            raise ArticleNotFound(guild_id, article_id)
        hits = (await self.rank(guild_id, question, k=offset + limit, article_id=article_id))[
            offset:
        ]
        passages = await self._passages(guild_id, hits, terms)
        if passages and offset == 0:
            await self.store.increment_counter(guild_id, QUESTIONS_ANSWERED)
        return Answer(question, tuple(passages), tuple(terms), article_id)

    async def _passages(
        self, guild_id: int, hits: Sequence[Hit], terms: list[str]
    ) -> list[Passage]:
        if not hits:
            return []
        index = await self._index(guild_id)
        paragraphs = await self.store.paragraphs(guild_id, [hit.paragraph_id for hit in hits])
        articles = await self.store.articles_by_id(guild_id, [hit.article_id for hit in hits])
        weights = {term: index.idf(term) for term in terms}
        passages = []
        for hit in hits:
            paragraph = paragraphs.get(hit.paragraph_id)
            article = articles.get(hit.article_id)
            if paragraph is None or article is None:  # removed since the search
                continue
            snippet = make_snippet(paragraph.text, terms, weights, self.config.snippet_chars)
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

    # -- moderators -------------------------------------------------------------------

    async def list_articles(
        self, guild_id: int, *, offset: int = 0, limit: int = 50
    ) -> list[ArticleInfo]:
        return await self.store.list_articles(guild_id, offset=offset, limit=limit)

    async def get_article(self, guild_id: int, article_id: int) -> ArticleInfo | None:
        return await self.store.get_article(guild_id, article_id)

    async def find_articles(self, guild_id: int, text: str, limit: int = 25) -> list[ArticleInfo]:
        """Articles whose title contains ``text``, newest first (for autocomplete)."""
        return await self.store.search_titles(guild_id, text.strip(), limit)

    async def article_paragraphs(self, guild_id: int, article_id: int) -> list[StoredParagraph]:
        return await self.store.article_paragraphs(guild_id, article_id)

    async def remove_article(self, guild_id: int, article_id: int) -> ArticleInfo:
        """Delete an article from the store and the index. Raises ``ArticleNotFound``."""
        index = await self._index(guild_id)
        async with self._lock(guild_id):
            removed = await self.store.remove_article(guild_id, article_id)
            if removed is None:
                raise ArticleNotFound(guild_id, article_id)
            info, paragraphs = removed
            index = self._indexes.get(guild_id, index)
            terms = await asyncio.to_thread(self._terms, info.title, [p.text for p in paragraphs])
            index.remove_article(
                info.id, ((p.id, t) for p, t in zip(paragraphs, terms, strict=True))
            )
        log.info("guild %s: removed article %d", guild_id, info.id)
        return info

    async def stats(self, guild_id: int) -> GuildStats:
        index = await self._index(guild_id)
        articles, paragraphs, last = await self.store.counts(guild_id)
        answered = await self.store.get_counter(guild_id, QUESTIONS_ANSWERED)
        return GuildStats(articles, paragraphs, index.vocabulary_size, last, answered)

    async def get_setting(self, guild_id: int, key: str) -> str | None:
        return await self.store.get_setting(guild_id, key)

    async def set_setting(self, guild_id: int, key: str, value: str | None) -> None:
        await self.store.set_setting(guild_id, key, value)

    async def backup(self, target: str | Path) -> None:
        await self.store.backup(target)


def _shown_name(filename: str) -> str:
    name = PurePath(filename).name or "that file"
    return name if len(name) <= 80 else name[:77] + "..."
