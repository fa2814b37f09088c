"""The engine: ingest articles, answer questions, and the moderators' operations.

This is the only entry point callers need. Every operation takes the guild first, and
each guild has its own index, built from the store the first time the guild is used.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TypeVar

from index.errors import ArticleNotFound, DuplicateArticle, IngestRefused
from index.guild_config import GuildConfig
from index.ingest.article_shape import MAX_PARAGRAPHS, check_shape
from index.ingest.extract import Extractor, decode_html
from index.ingest.fetch import Fetcher
from index.ingest.gate import GateLimits, IngestGate, Ticket
from index.ingest.paste import MIN_WORDS, parse_paste
from index.ingest.sources import file_kind, message_sources, same_site
from index.ingest.textio import decode_text, looks_binary
from index.ingest.urls import canonical_url
from index.models import (
    Answer,
    ArticleDraft,
    ArticleInfo,
    Attachment,
    AuditEntry,
    GuildStats,
    GuildSummary,
    IngestOutcome,
    IngestResult,
    Passage,
    PendingIngest,
    Provenance,
    StoredParagraph,
)
from index.search import analyzer
from index.search.analyzer import analyse, unique_terms
from index.search.bm25 import BM25Index, BM25Params, Hit, IndexInconsistent
from index.search.bm25_kernels import compile_kernels
from index.search.relevance import real_candidates
from index.search.snapshot import load_snapshot, remove_leftovers, save_snapshot, snapshot_path
from index.search.snippets import make_snippet
from index.store import Store
from index.store.background_writes import BackgroundWrites

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
_REBUILD_BATCH = 5000  # paragraphs analysed at a time when an index is built from the store
_SNIPPET_OFF_LOOP_CHARS = 20_000
"""Quoting a paragraph longer than this takes milliseconds: done off the event loop."""
QUESTIONS_ANSWERED = "questions_answered"
_Found = TypeVar("_Found")


@dataclass(frozen=True, slots=True)
class EngineConfig:
    bm25: BM25Params = field(default_factory=BM25Params)
    results: int = 3
    """Passages per answer unless the caller asks for another number."""
    max_results: int = 10
    min_score: float | None = None
    """Passages scoring below this are left out; None keeps every candidate."""
    max_text_bytes: int = 2_000_000
    max_paragraphs: int = MAX_PARAGRAPHS
    """Drafts with more paragraphs are refused (see ``article_shape``)."""
    snippet_chars: int = 600
    min_words: int = MIN_WORDS
    title_in_paragraphs: bool = True
    """Index each paragraph with its article's title in front, a cheap title field:
    a question naming the story finds its paragraphs. Measured on SQuAD (see README)."""
    ingest_limits: GateLimits = field(default_factory=GateLimits)


class Engine:
    """The engine. ``fetcher`` and ``extractor`` default to safe ones the engine owns."""

    def __init__(
        self,
        store: Store,
        config: EngineConfig | None = None,
        *,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
        snapshot_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.snapshot_dir = snapshot_dir
        self._dirty: set[int] = set()
        self.config = config or EngineConfig()
        self._indexes: dict[int, BM25Index] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._configs: dict[int, GuildConfig] = {}
        self._fetcher = fetcher
        self._extractor = extractor
        self._owns_fetcher = fetcher is None
        self._owns_extractor = extractor is None
        self.gate = IngestGate(self.config.ingest_limits)
        self._question_ids = QuestionIds()
        # The ask path's own writes, kept off it: an answer never waits for the store's
        # writer, which an ingest may hold for as long as its transaction takes.
        self._writes = BackgroundWrites(store)

    @classmethod
    async def open(
        cls,
        store: Store,
        config: EngineConfig | None = None,
        *,
        index_dir: Path | None = None,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
    ) -> Engine:
        """An engine over ``store`` (opened; the engine closes it). Index snapshots are
        kept in ``index_dir``, a local cache checked against the store; None keeps none."""
        # Compiled here, off the loop, and not by the first question (seconds when numba
        # has no cached copy yet, during which the bot could not answer anything).
        await asyncio.to_thread(compile_kernels)
        _keep_out_of_full_collections()
        if index_dir is not None:
            for leftover in await asyncio.to_thread(remove_leftovers, index_dir):
                log.info("removed %s, left by a snapshot write that did not finish", leftover.name)
        return cls(store, config, fetcher=fetcher, extractor=extractor, snapshot_dir=index_dir)

    async def close(self) -> None:
        await self._writes.close()
        await self.save_snapshots()
        if self._owns_fetcher and self._fetcher is not None:
            await self._fetcher.close()
        if self._owns_extractor and self._extractor is not None:
            self._extractor.close()
        await self.store.close()
        self._indexes.clear()

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = Fetcher()
        return self._fetcher

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = Extractor()
        return self._extractor

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
                _keep_out_of_full_collections()
        return index

    def _terms(self, title: str, paragraphs: Sequence[str]) -> list[list[str]]:
        """The tokenised paragraphs as the index holds them; BM25Okapi scores exactly these."""
        title_terms = analyse(title) if self.config.title_in_paragraphs else []
        return [title_terms + analyse(text) for text in paragraphs]

    def _snapshot_settings(self) -> dict[str, object]:
        params = self.config.bm25
        return {
            "k1": params.k1,
            "b": params.b,
            "epsilon": params.epsilon,
            "title_in_paragraphs": self.config.title_in_paragraphs,
            "analyser": analyzer.VERSION,
        }

    async def _build_index(self, guild_id: int, *, use_snapshot: bool = True) -> BM25Index:
        """The guild's index from its snapshot when that is current, else from the store.
        Called with the guild's lock held."""
        if self.snapshot_dir is not None and use_snapshot:
            signature = await self.store.paragraph_signature(guild_id)
            path = snapshot_path(self.snapshot_dir, guild_id)
            index = await asyncio.to_thread(
                load_snapshot, path, self.config.bm25, self._snapshot_settings(), signature
            )
            if index is not None:
                log.info("guild %s: loaded %d paragraphs", guild_id, index.paragraph_count)
                return index
        index = BM25Index(self.config.bm25)
        # In batches of whole articles, so a large guild's text is never all in memory
        # at once (a million paragraphs are more than a gigabyte as Python strings).
        batch: list[tuple[StoredParagraph, str]] = []
        try:
            async for row in self.store.iter_paragraphs(guild_id):
                if len(batch) >= _REBUILD_BATCH and row[0].article_id != batch[-1][0].article_id:
                    await asyncio.to_thread(self._add_rows, index, batch)
                    batch = []
                batch.append(row)
            await asyncio.to_thread(self._add_rows, index, batch)
        except IndexInconsistent as error:
            # The store checks that its rows fit together; should any still not, they are
            # damaged, and are never served as if sound.
            raise self.store.report_damage(
                f"guild {guild_id}'s paragraphs do not fit together: {error}"
            ) from error
        log.info("guild %s: indexed %d paragraphs", guild_id, index.paragraph_count)
        await self._save_snapshot(guild_id, index)
        return index

    async def _save_snapshot(self, guild_id: int, index: BM25Index) -> None:
        if self.snapshot_dir is None:
            return
        path = snapshot_path(self.snapshot_dir, guild_id)
        try:
            await asyncio.to_thread(save_snapshot, path, index, self._snapshot_settings())
        except OSError as error:  # a snapshot only saves time; the store has everything
            log.warning("guild %s: could not save the index snapshot: %s", guild_id, error)
        else:
            self._dirty.discard(guild_id)

    async def save_snapshots(self) -> None:
        """Save the indexes that changed since they were loaded (done on close)."""
        for guild_id in sorted(self._dirty):
            index = self._indexes.get(guild_id)
            if index is None:
                continue
            async with self._lock(guild_id):
                await self._save_snapshot(guild_id, index)

    def _add_rows(self, index: BM25Index, rows: list[tuple[StoredParagraph, str]]) -> None:
        """Add the articles of ``rows`` (whole articles, from ``iter_paragraphs``)."""
        by_article: dict[int, tuple[str, list[StoredParagraph]]] = {}
        for paragraph, title in rows:
            by_article.setdefault(paragraph.article_id, (title, []))[1].append(paragraph)
        for article_id, (title, paragraphs) in by_article.items():
            terms = self._terms(title, [p.text for p in paragraphs])
            index.add_article(article_id, zip((p.id for p in paragraphs), terms, strict=True))

    async def reindex(self, guild_id: int) -> int:
        """Rebuild the guild's index from the store; returns the number of paragraphs."""
        async with self._lock(guild_id):
            index = await self._build_index(guild_id, use_snapshot=False)
            self._indexes[guild_id] = index
        return index.paragraph_count

    # -- accepted work ----------------------------------------------------------------

    def admit(self, guild_id: int) -> Ticket:
        """A place in the guild's ingest queue; raises ``IngestBusy`` when it is full."""
        return self.gate.admit(guild_id)

    async def accept_ingest(
        self,
        guild_id: int,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        content: str = "",
    ) -> int:
        """Write down work before starting it, so that a crash cannot lose it silently.
        ``finish_ingest`` crosses it out; ``pending_ingests`` finds what was not."""
        return await self.store.add_pending_ingest(guild_id, channel_id, message_id, content)

    async def finish_ingest(self, guild_id: int, pending_id: int) -> None:
        await self.store.remove_pending_ingest(guild_id, pending_id)

    async def retry_ingest(self, guild_id: int, pending_id: int) -> None:
        await self.store.retry_pending_ingest(guild_id, pending_id)

    async def pending_ingests(self, guild_ids: Sequence[int]) -> list[PendingIngest]:
        """Accepted work of these guilds that was never finished (the process stopped)."""
        return await self.store.pending_ingests(guild_ids)

    async def integrity_problems(self) -> list[str]:
        """What the store finds wrong with its file; empty when it is sound."""
        return await self.store.integrity_problems()

    # -- ingest -----------------------------------------------------------------------

    async def ingest_text(
        self, guild_id: int, text: str, provenance: Provenance | None = None
    ) -> IngestResult:
        """Ingest a pasted article (a message body or the text of an attachment)."""
        draft = await asyncio.to_thread(self._parse_paste, text)
        return await self.ingest_draft(guild_id, draft, provenance)

    async def ingest_file(
        self,
        guild_id: int,
        filename: str,
        data: bytes,
        provenance: Provenance | None = None,
        *,
        content_type: str | None = None,
        source_url: str | None = None,
        note: str | None = None,
    ) -> IngestResult:
        """Ingest an uploaded file: text (such as Discord's ``message.txt``) or HTML.

        ``source_url`` and ``note`` fill in what the file itself does not say.
        """
        draft = await self._draft_from_file(filename, data, content_type)
        draft = _with_origin(draft, source_url, note)
        return await self.ingest_draft(guild_id, draft, provenance)

    async def _draft_from_file(
        self, filename: str, data: bytes, content_type: str | None
    ) -> ArticleDraft:
        kind = file_kind(filename, content_type)
        if kind == "other":
            raise IngestRefused(
                f"{_shown_name(filename)} is not a file the bot can read "
                "(.txt, .md and .html files can be read)"
            )
        if len(data) > self.config.max_text_bytes:
            limit = self.config.max_text_bytes / 1_000_000
            raise IngestRefused(f"{_shown_name(filename)} is larger than {limit:g} MB")
        # Decoding and checking 2 MB take a tenth of a second or more: off the event loop.
        if kind == "html":
            html = await asyncio.to_thread(_decode_page, filename, data)
            article = await self.extractor.extract(html, None)
            return article.to_draft()
        return await asyncio.to_thread(self._parse_file, data)

    def _parse_file(self, data: bytes) -> ArticleDraft:
        text = decode_text(data, max_bytes=self.config.max_text_bytes)
        return self._parse_paste(text)

    async def ingest_url(
        self,
        guild_id: int,
        url: str,
        provenance: Provenance | None = None,
        *,
        note: str | None = None,
        fallback_text: str | None = None,
    ) -> IngestResult:
        """Fetch a link and ingest the article on it.

        A link already stored (tracking parameters and such aside) is not fetched again.
        If the page cannot be fetched or read and ``fallback_text`` (the article's text,
        sent along with the link) is given, that text is ingested under the link.
        """
        try:
            early = canonical_url(url)
        except ValueError:
            raise IngestRefused("that is not a valid link") from None
        refusal = (await self.guild_config(guild_id)).domain_refusal(url)
        if refusal:
            raise IngestRefused(refusal)
        existing = await self.store.find_duplicate(guild_id, early, None)
        if existing is not None:
            return IngestResult("duplicate", existing)
        try:
            draft = await self._draft_from_web(url)
        except IngestRefused as refused:
            if fallback_text is None:
                raise
            log.info("guild %s: %s: %s; using the text sent with it", guild_id, url, refused)
            try:
                draft = await asyncio.to_thread(self._parse_paste, fallback_text)
            except IngestRefused:
                raise refused from None
            draft = dataclasses.replace(draft, source_url=url, canonical_url=early)
        return await self.ingest_draft(guild_id, _with_origin(draft, None, note), provenance)

    def _parse_paste(self, text: str) -> ArticleDraft:
        """``parse_paste`` with this engine's limits (run in a worker thread)."""
        return parse_paste(
            text, min_words=self.config.min_words, max_paragraphs=self.config.max_paragraphs
        )

    async def _draft_from_web(self, url: str) -> ArticleDraft:
        page = await self.fetcher.fetch(url)
        text = await asyncio.to_thread(decode_html, page.body, page.charset)
        if page.is_html:
            article = await self.extractor.extract(text, page.url)
            declared = article.canonical_url
            source = declared if same_site(declared, page.url) else page.url
            draft = article.to_draft()
        else:
            draft = await asyncio.to_thread(self._parse_paste, text)
            source = page.url
        return dataclasses.replace(draft, source_url=source, canonical_url=canonical_url(source))

    async def ingest_message(
        self,
        guild_id: int,
        content: str,
        attachments: Sequence[Attachment] = (),
        provenance: Provenance | None = None,
    ) -> list[IngestOutcome]:
        """Ingest everything a message shares: links, a pasted article, attached files.

        A message with one link and the article's text (pasted, or as ``message.txt``) is
        one article: the link is fetched, and the text is used only if that fails.
        Returns one outcome per source; an empty list means there was nothing to ingest.
        """
        sources = message_sources(content, min_words=self.config.min_words)
        texts: list[Attachment] = []
        outcomes: list[IngestOutcome] = []
        for attachment in attachments:
            if file_kind(attachment.filename, attachment.content_type) == "text" and sources.links:
                texts.append(attachment)
            else:
                outcomes.append(
                    await self._outcome(
                        attachment.filename,
                        self.ingest_file(
                            guild_id,
                            attachment.filename,
                            attachment.data,
                            provenance,
                            content_type=attachment.content_type,
                            source_url=sources.links[0] if len(sources.links) == 1 else None,
                            note=sources.remark,
                        ),
                    )
                )
        if sources.pasted_article is not None:
            outcomes.insert(
                0,
                await self._outcome(
                    "message", self.ingest_text(guild_id, sources.pasted_article, provenance)
                ),
            )
        fallback = sources.article_text  # a one-line article ending in its link
        if len(sources.links) == 1 and len(texts) == 1:
            text_file = texts.pop()
            try:
                fallback = await asyncio.to_thread(
                    decode_text, text_file.data, max_bytes=self.config.max_text_bytes
                )
            except IngestRefused as refused:
                outcomes.append(IngestOutcome(text_file.filename, error=refused.reason))
        for url in sources.links:
            outcomes.append(
                await self._outcome(
                    url,
                    self.ingest_url(
                        guild_id, url, provenance, note=sources.remark, fallback_text=fallback
                    ),
                )
            )
        for attachment in texts:  # text files beside several links stand on their own
            outcomes.append(
                await self._outcome(
                    attachment.filename,
                    self.ingest_file(guild_id, attachment.filename, attachment.data, provenance),
                )
            )
        if sources.extra_links:
            outcomes.append(
                IngestOutcome(
                    f"{sources.extra_links} more link(s)",
                    error=f"only the first {len(sources.links)} links of a message are read",
                )
            )
        return outcomes

    async def ingest_outcome(
        self, source: str, guild_id: int, text: str, provenance: Provenance | None = None
    ) -> IngestOutcome:
        """``ingest_text`` with a refusal reported in the outcome instead of raised."""
        return await self._outcome(source, self.ingest_text(guild_id, text, provenance))

    @staticmethod
    async def _outcome(source: str, ingest: Awaitable[IngestResult]) -> IngestOutcome:
        try:
            return IngestOutcome(source, result=await ingest)
        except IngestRefused as refused:
            return IngestOutcome(source, error=refused.reason)

    async def ingest_draft(
        self, guild_id: int, draft: ArticleDraft, provenance: Provenance | None = None
    ) -> IngestResult:
        """Store and index an article that is already parsed. Nothing is stored twice."""
        if not draft.paragraphs:
            raise IngestRefused("there is no article text in it")
        await asyncio.to_thread(check_shape, draft.paragraphs, self.config.max_paragraphs)
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
            try:
                # In a worker thread: a long article takes a while, and questions (asked
                # with try_search) must not stall the loop waiting for it.
                await asyncio.to_thread(
                    index.add_article,
                    info.id,
                    [(p.id, t) for p, t in zip(paragraphs, terms, strict=True)],
                )
            except Exception as error:
                # Stored but not searchable would be worse than not stored: it could not
                # be posted again (a duplicate) nor found. Take it out of the store, and
                # let the index be rebuilt from the store in case it was half changed.
                log.exception("guild %s: could not index article %d", guild_id, info.id)
                self._indexes.pop(guild_id, None)
                await self.store.remove_article(guild_id, info.id)
                raise IngestRefused(
                    "it could not be indexed (an internal error was logged)"
                ) from error
            self._dirty.add(guild_id)
        log.info("guild %s: added article %d (%d paragraphs)", guild_id, info.id, len(paragraphs))
        return IngestResult("added", info)

    # -- questions --------------------------------------------------------------------

    async def rank(
        self, guild_id: int, question: str, *, k: int, article_id: int | None = None
    ) -> list[Hit]:
        """The ``k`` best paragraphs for ``question``, best first, without their text."""
        index = await self._index(guild_id)
        terms = analyse(question[:MAX_QUESTION_CHARS])
        hits = await _without_waiting(index.try_search, index.search, terms, k, article_id)
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
        guild = await self.guild_config(guild_id)
        limit = max(1, min(limit or guild.results or self.config.results, self.config.max_results))
        terms = unique_terms(analyse(question[:MAX_QUESTION_CHARS]))
        if article_id is not None and await self.store.get_article(guild_id, article_id) is None:
            raise ArticleNotFound(guild_id, article_id)
        hits = await self.candidates(guild_id, question, k=offset + limit, article_id=article_id)
        min_score = guild.min_score
        hits = [h for h in hits[offset:] if min_score is None or h.score >= min_score]
        passages = await self._passages(guild_id, hits, terms)
        if passages and offset == 0:
            # Counted in memory and written in the background (never waits for the store).
            self._writes.count(guild_id, QUESTIONS_ANSWERED)
        return Answer(question, tuple(passages), tuple(terms), article_id)

    async def candidates(
        self, guild_id: int, question: str, *, k: int, article_id: int | None = None
    ) -> list[Hit]:
        """``rank``'s hits that are worth showing (see ``relevance``): the first, and the
        next ones close enough to it. Always the first ones of the ranking, so paging
        through them gives the same passages as one longer answer."""
        return real_candidates(await self.rank(guild_id, question, k=k, article_id=article_id))

    async def _passages(
        self, guild_id: int, hits: Sequence[Hit], terms: list[str]
    ) -> list[Passage]:
        if not hits:
            return []
        index = await self._index(guild_id)
        paragraphs = await self.store.paragraphs(guild_id, [hit.paragraph_id for hit in hits])
        articles = await self.store.articles_by_id(guild_id, [hit.article_id for hit in hits])
        weights = await _without_waiting(index.try_idfs, index.idfs, terms)
        passages = []
        for hit in hits:
            paragraph = paragraphs.get(hit.paragraph_id)
            article = articles.get(hit.article_id)
            if paragraph is None or article is None:  # removed since the search
                continue
            choose = (paragraph.text, terms, weights, self.config.snippet_chars)
            if len(paragraph.text) > _SNIPPET_OFF_LOOP_CHARS:
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
            try:
                await asyncio.to_thread(
                    index.remove_article,
                    info.id,
                    [(p.id, t) for p, t in zip(paragraphs, terms, strict=True)],
                    compact=False,
                )
            except Exception:
                # The store no longer holds it: an index that disagrees is rebuilt from
                # the store when the guild is next used.
                log.exception("guild %s: could not unindex article %d", guild_id, info.id)
                self._indexes.pop(guild_id, None)
                return info
            if index.wants_compaction:
                # Seconds at a million paragraphs: built off the loop while questions go
                # to the current index, which nothing changes meanwhile (the lock is held).
                self._indexes[guild_id] = await asyncio.to_thread(index.compacted)
            self._dirty.add(guild_id)
        log.info("guild %s: removed article %d", guild_id, info.id)
        return info

    async def stats(self, guild_id: int) -> GuildStats:
        index = await self._index(guild_id)
        articles, paragraphs, last = await self.store.counts(guild_id)
        answered = await self._writes.counter_total(guild_id, QUESTIONS_ANSWERED)
        return GuildStats(articles, paragraphs, index.vocabulary_size, last, answered)

    async def guilds(self) -> list[GuildSummary]:
        """Every guild with articles in the store (for operators: nothing crosses guilds)."""
        return await self.store.guild_summaries()

    async def get_setting(self, guild_id: int, key: str) -> str | None:
        return await self.store.get_setting(guild_id, key)

    async def set_setting(self, guild_id: int, key: str, value: str | None) -> None:
        await self.store.set_setting(guild_id, key, value)

    async def backup(self, target: str | Path) -> None:
        await self.store.backup(target)

    async def remember_question(
        self, guild_id: int, user_id: int | None, question: str, article_id: int | None = None
    ) -> int:
        """Keep a question so its answer can be paged later, even after a restart.

        Returns at once: the question is recallable from memory until the background
        writer has stored it."""
        question_id = self._question_ids.next()
        self._writes.remember(guild_id, question_id, user_id, question, article_id)
        return question_id

    async def recall_question(
        self, guild_id: int, question_id: int
    ) -> tuple[int | None, str, int | None] | None:
        waiting = self._writes.recall(guild_id, question_id)
        if waiting is not None:
            return waiting
        return await self.store.get_question(guild_id, question_id)

    async def find_by_message(self, guild_id: int, message_id: int) -> ArticleInfo | None:
        return await self.store.find_by_message(guild_id, message_id)

    # -- guild settings, audit, export, purge -----------------------------------------

    async def guild_config(self, guild_id: int) -> GuildConfig:
        config = self._configs.get(guild_id)
        if config is None:
            items = {}
            for key in GuildConfig.__dataclass_fields__:
                value = await self.store.get_setting(guild_id, f"config.{key}")
                if value is not None:
                    items[key] = value
            config = self._configs[guild_id] = GuildConfig.from_items(items)
        return config

    async def update_guild_config(self, guild_id: int, **changes: object) -> GuildConfig:
        config = (await self.guild_config(guild_id)).with_changes(**changes)
        for key, value in config.to_items().items():
            if key in changes:
                await self.store.set_setting(guild_id, f"config.{key}", value)
        self._configs[guild_id] = config
        return config

    async def audit(
        self, guild_id: int, user_id: int | None, user_name: str | None, action: str, detail: str
    ) -> None:
        await self.store.add_audit(guild_id, user_id, user_name, action, detail)

    async def audit_entries(self, guild_id: int, limit: int = 50) -> list[AuditEntry]:
        return await self.store.audit_entries(guild_id, limit)

    async def export(self, guild_id: int) -> dict[str, object]:
        """All of a guild's articles with their paragraphs, as JSON-ready data."""
        articles = []
        offset = 0
        while batch := await self.store.list_articles(guild_id, offset=offset, limit=200):
            for info in batch:
                paragraphs = await self.store.article_paragraphs(guild_id, info.id)
                record = dataclasses.asdict(info)
                record["posted_at"] = info.posted_at.isoformat()
                record["paragraphs"] = [p.text for p in paragraphs]
                articles.append(record)
            offset += len(batch)
        return {"guild_id": guild_id, "articles": articles}

    async def purge(self, guild_id: int) -> int:
        """Delete everything of a guild: articles, index, settings. Returns the articles."""
        async with self._lock(guild_id):
            self._writes.forget_guild(guild_id)
            count = await self.store.purge_guild(guild_id)
            self._indexes.pop(guild_id, None)
            self._dirty.discard(guild_id)
            if self.snapshot_dir is not None:
                snapshot_path(self.snapshot_dir, guild_id).unlink(missing_ok=True)
            self._configs.pop(guild_id, None)
        return count

    async def unload(self, guild_id: int) -> None:
        """Free a guild's index from memory, saving it first if it changed."""
        if guild_id in self._dirty and guild_id in self._indexes:
            async with self._lock(guild_id):
                await self._save_snapshot(guild_id, self._indexes[guild_id])
        self._indexes.pop(guild_id, None)
        self._configs.pop(guild_id, None)


class QuestionIds:
    """Ids for remembered questions, chosen here rather than by the store so that a
    question can be answered before its record is written: milliseconds since the epoch
    and a counter, like Discord's snowflakes, so they keep growing across restarts."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = time.time_ns() // 1_000_000 << 16
        self._last = max(candidate, self._last + 1)
        return self._last


async def _without_waiting(
    try_read: Callable[..., _Found | None], read: Callable[..., _Found], *args: object
) -> _Found:
    """``try_read`` on the event loop, or ``read`` in a worker thread when the index is
    held by a change (which runs in a thread): the loop never waits for the index."""
    found = try_read(*args)
    if found is None:
        found = await asyncio.to_thread(read, *args)
    return found


def _with_origin(draft: ArticleDraft, source_url: str | None, note: str | None) -> ArticleDraft:
    """Fill in a source link and the poster's note where the article has none."""
    changes: dict[str, str] = {}
    if source_url and not draft.source_url:
        changes.update(source_url=source_url, canonical_url=canonical_url(source_url))
    if note and not draft.note:
        changes["note"] = note
    return dataclasses.replace(draft, **changes) if changes else draft


def _decode_page(filename: str, data: bytes) -> str:
    if not data.strip():
        raise IngestRefused(f"{_shown_name(filename)} is empty")
    html = decode_html(data)
    if looks_binary(html):  # an archive or an image given an .html name
        raise IngestRefused(f"{_shown_name(filename)} does not look like a web page")
    return html


def _shown_name(filename: str) -> str:
    name = PurePath(filename).name or "that file"
    return name if len(name) <= 80 else name[:77] + "..."


def _keep_out_of_full_collections() -> None:
    """Move every object alive now out of reach of Python's full garbage collections.

    Imported modules (numba's compiler above all) and a loaded index are hundreds of
    thousands of objects that live as long as the process; a full collection walked
    them all on the event loop, a pause of 50 ms and more. Frozen objects are still
    freed as usual when nothing refers to them any more.
    """
    gc.freeze()
