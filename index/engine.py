"""The engine: ingest articles, answer questions, and the moderators' operations.

This is the only entry point callers need. Every operation takes the guild first. The
work itself is done by the parts this facade wires together over one store:

- ``search.guild_indexes``: each guild's index, built from the store when first used;
- ``search.ask``: answering a question; ``search.remembered``: questions kept for paging;
- ``ingest.pipeline``: what was shared, to a stored and indexed article;
- ``ingest.pending``: accepted work, written down until its poster saw the result;
- ``guild_config_cache``: each guild's settings, read once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from index.config import EngineConfig
from index.errors import ArticleNotFound, StoreError
from index.guild_config import GuildConfig
from index.guild_config_cache import GuildConfigs
from index.ingest.extract import Extractor
from index.ingest.fetch import Fetcher
from index.ingest.gate import Ticket
from index.ingest.pending import Origin, PendingWork, as_own_articles, when_reachable
from index.ingest.pipeline import AnnouncedFile, IngestPipeline, SharedFile, SharedMessage
from index.models import (
    LEGACY_LANGUAGE,
    Answer,
    ArticleDraft,
    ArticleInfo,
    Attachment,
    AuditEntry,
    GuildStats,
    GuildSummary,
    IngestOutcome,
    IngestResult,
    PendingIngest,
    Provenance,
    StoredParagraph,
)
from index.search import stories
from index.search.ask import QUESTIONS_ANSWERED, Asker
from index.search.bm25 import Hit
from index.search.bm25_kernels import compile_kernels
from index.search.change_follower import ChangeFollower
from index.search.guild_indexes import GuildIndexes, IndexMemory, keep_out_of_full_collections
from index.search.language_detection import settle_language
from index.search.remembered import RememberedQuestions
from index.search.snapshot import remove_leftovers
from index.store import Store
from index.store.background_writes import BackgroundWrites

__all__ = ["Engine", "EngineConfig"]

log = logging.getLogger(__name__)


class Engine:
    """The engine over an opened ``store`` (which it closes). Index snapshots are kept in
    ``snapshot_dir``; ``fetcher`` and ``extractor`` default to safe ones the engine owns."""

    def __init__(
        self,
        store: Store,
        config: EngineConfig | None = None,
        *,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
        snapshot_dir: Path | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self._store = store
        self._configs = GuildConfigs(store)
        self._indexes = GuildIndexes(
            store,
            self.config.bm25,
            title_in_paragraphs=self.config.title_in_paragraphs,
            snapshot_dir=snapshot_dir,
            memory_budget=self.config.index_memory_bytes,
        )
        # The ask path's own writes, kept off it: an answer never waits for the store's
        # writer, which an ingest may hold for as long as its transaction takes.
        self._writes = BackgroundWrites(store)
        self._asker = Asker(
            self._indexes,
            store,
            self._writes,
            snippet_chars=self.config.snippet_chars,
            min_score=self.config.min_score,
        )
        self._questions = RememberedQuestions(store, self._writes)
        self._pipeline = IngestPipeline(
            store, self._indexes, self._configs, self.config, fetcher=fetcher, extractor=extractor
        )
        self._pending = PendingWork(store)
        self._follower = ChangeFollower(store, self._indexes)
        self._filling: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        store: Store,
        config: EngineConfig | None = None,
        *,
        index_dir: Path | None = None,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
        follow_changes: bool = True,
    ) -> Engine:
        """An engine over ``store`` (opened; the engine closes it). Index snapshots are
        kept in ``index_dir``, a local cache checked against the store; None keeps none.
        ``follow_changes`` keeps the indexes in memory in step with changes other
        processes make (see ``search.change_follower``); a one-off command needs not."""
        # Compiled here, off the loop, and not by the first question (seconds when numba
        # has no cached copy yet, during which the bot could not answer anything).
        await asyncio.to_thread(compile_kernels)
        keep_out_of_full_collections()
        if index_dir is not None:
            for leftover in await asyncio.to_thread(remove_leftovers, index_dir):
                log.info("removed %s, left by a snapshot write that did not finish", leftover.name)
        engine = cls(store, config, fetcher=fetcher, extractor=extractor, snapshot_dir=index_dir)
        if follow_changes:
            await engine._follower.start()
            # Articles stored before facets existed (or copied in) get theirs meanwhile;
            # until then a filter does not find them.
            engine._filling = asyncio.create_task(engine._fill_facets_in_background())
        return engine

    async def close(self) -> None:
        try:
            if self._filling is not None:
                self._filling.cancel()
                await asyncio.gather(self._filling, return_exceptions=True)
            await self._follower.close()
            await self._writes.close()
            await self._indexes.close()
            await self._pipeline.close()
        finally:
            await self._store.close()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def store(self) -> Store:
        """The store the engine works on. Harnesses and tests use it to reach the store
        itself; callers go through the engine's methods."""
        return self._store

    # -- indexes ----------------------------------------------------------------------

    async def reindex(self, guild_id: int) -> int:
        """Rebuild the guild's index from the store; returns the number of paragraphs."""
        return await self._indexes.reindex(guild_id)

    async def settle_languages(self, guild_id: int) -> int:
        """Tell the language of each of the guild's articles stored before languages were
        kept (read as English until then), as an ingest would, and keep it; returns how
        many articles are now read in another language. Their index terms change: the
        guild's index is let go in every process (reindex to rebuild it at once)."""
        unknown = [
            article_id
            for article_id, language in (await self._store.article_languages(guild_id)).items()
            if language is None
        ]
        if not unknown:
            return 0
        guild = await self._configs.get(guild_id)
        found: dict[int, str] = {}
        # Those removed meanwhile are not among them.
        for article_id, article in (await self._store.articles_by_id(guild_id, unknown)).items():
            paragraphs = await self._store.article_paragraphs(guild_id, article_id)
            found[article_id] = await asyncio.to_thread(
                settle_language,
                (article.title, *(p.text for p in paragraphs)),
                declared=None,
                main=guild.language,
                expected=guild.languages,
            )
        await self._store.settle_article_languages(guild_id, found)
        return sum(1 for code in found.values() if code != LEGACY_LANGUAGE)

    async def save_snapshots(self) -> None:
        """Save the indexes that changed since they were loaded (done on close)."""
        await self._indexes.save_all()

    async def unload(self, guild_id: int) -> None:
        """Free a guild's index and settings from memory, saving the index first if it
        changed."""
        await self._indexes.unload(guild_id)
        self._configs.forget(guild_id)

    async def apply_changes(self) -> int:
        """Apply to the indexes in memory every change other processes committed so far
        (the engine does it by itself when opened with ``follow_changes``, within
        moments); returns how many change log entries were read."""
        return await self._follower.catch_up()

    def loaded_guilds(self) -> list[int]:
        """The guilds whose index is in memory, least recently used first."""
        return self._indexes.loaded()

    def index_memory(self) -> IndexMemory:
        """What the loaded indexes hold against the memory budget, with the loads and
        evictions so far (for operators and benchmarks)."""
        return self._indexes.memory()

    # -- ingest -----------------------------------------------------------------------

    def admit(self, guild_id: int) -> Ticket:
        """A place in the guild's ingest queue; raises ``IngestBusy`` when it is full."""
        return self._pipeline.admit(guild_id)

    def read_message(self, content: str, files: Sequence[AnnouncedFile] = ()) -> SharedMessage:
        """What a message shares: its links, its pasted article, its files (each with
        its kind, and refused before it is read when it is too large)."""
        return self._pipeline.read_message(content, files)

    async def ingest_shared(
        self,
        guild_id: int,
        shared: SharedMessage,
        read: Sequence[tuple[SharedFile, bytes]] = (),
        provenance: Provenance | None = None,
    ) -> list[IngestOutcome]:
        """Ingest what ``read_message`` found, with the files the caller read (``read``:
        each with its bytes). One outcome per source; none when nothing was shared."""
        return await self._pipeline.ingest_shared(guild_id, shared, read, provenance)

    async def ingest_accepted(
        self,
        guild_id: int,
        shared: SharedMessage,
        read: Sequence[tuple[SharedFile, bytes]] = (),
        provenance: Provenance | None = None,
    ) -> list[IngestOutcome]:
        """``ingest_shared`` for accepted work: made again while the store cannot be
        reached, until it can; and an article found already stored from this very message
        (``provenance.message_url``) counts as added, since an earlier attempt at the same
        work stored it (see ``index.ingest.pending``)."""
        message_url = provenance.message_url if provenance else None
        outcomes = await when_reachable(
            lambda: self._pipeline.ingest_shared(guild_id, shared, read, provenance),
            f"guild {guild_id}: the ingest of {message_url or 'a message'}",
        )
        return as_own_articles(outcomes, message_url)

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
        return await self._pipeline.ingest_message(guild_id, content, attachments, provenance)

    async def ingest_text(
        self, guild_id: int, text: str, provenance: Provenance | None = None
    ) -> IngestResult:
        """Ingest a pasted article (a message body or the text of an attachment)."""
        return await self._pipeline.ingest_text(guild_id, text, provenance)

    async def ingest_outcome(
        self, source: str, guild_id: int, text: str, provenance: Provenance | None = None
    ) -> IngestOutcome:
        """``ingest_text`` with a refusal reported in the outcome instead of raised."""
        return await self._pipeline.ingest_outcome(source, guild_id, text, provenance)

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
        return await self._pipeline.ingest_file(
            guild_id,
            filename,
            data,
            provenance,
            content_type=content_type,
            source_url=source_url,
            note=note,
        )

    async def ingest_url(
        self,
        guild_id: int,
        url: str,
        provenance: Provenance | None = None,
        *,
        note: str | None = None,
        fallback_text: str | None = None,
    ) -> IngestResult:
        """Fetch a link and ingest the article on it (not fetched when already stored).
        If that fails and ``fallback_text`` is given, that text is ingested under the link."""
        return await self._pipeline.ingest_url(
            guild_id, url, provenance, note=note, fallback_text=fallback_text
        )

    async def ingest_draft(
        self, guild_id: int, draft: ArticleDraft, provenance: Provenance | None = None
    ) -> IngestResult:
        """Store and index an article that is already parsed. Nothing is stored twice."""
        return await self._pipeline.ingest_draft(guild_id, draft, provenance)

    # -- accepted work ----------------------------------------------------------------

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
        return await self._pending.accept(
            guild_id, channel_id=channel_id, message_id=message_id, content=content
        )

    async def finish_ingest(self, guild_id: int, pending_id: int) -> None:
        """Cross out work whose poster was told the result (a failure is logged: the work
        is then found again at the next start)."""
        await self._pending.finish(guild_id, pending_id)

    async def retry_ingest(self, guild_id: int, pending_id: int) -> None:
        """Count one more start of unfinished work."""
        await self._pending.count_start(guild_id, pending_id)

    async def pending_ingests(
        self, guild_ids: Sequence[int], *, wait_for_store: bool = False
    ) -> list[PendingIngest]:
        """Accepted work of these guilds that was never finished (the process stopped).
        With ``wait_for_store``, a database that cannot be reached yet is waited for."""
        if wait_for_store:
            return await when_reachable(
                lambda: self._pending.unfinished(guild_ids), "reading unfinished ingests"
            )
        return await self._pending.unfinished(guild_ids)

    async def resume_ingest(self, work: PendingIngest, origin: Origin) -> None:
        """Do unfinished work again through ``origin``, or give it up once it has been
        tried enough (see ``index.ingest.pending``)."""
        await self._pending.resume(work, origin)

    # -- questions --------------------------------------------------------------------

    async def rank(
        self, guild_id: int, question: str, *, k: int, article_id: int | None = None
    ) -> list[Hit]:
        """The ``k`` best paragraphs for ``question``, best first, without their text."""
        guild = await self._configs.get(guild_id)
        return await self._asker.rank(
            guild_id,
            question,
            k=k,
            article_id=article_id,
            languages=guild.expected_languages(),
        )

    async def ask(
        self,
        guild_id: int,
        question: str,
        *,
        article_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
        channels: Mapping[str, int] | None = None,
    ) -> Answer:
        """Answer ``question`` with the best passages of the guild's articles.

        The question may hold search operators (``index.search.query``). ``article_id``
        limits the search to one article; ``offset`` skips the first passages, for
        paging through an answer; ``newest_first`` orders the passages by their
        articles' dates; ``channels`` maps the guild's channel names (lower case) to
        their ids, for ``in:#name``.
        """
        guild = await self._configs.get(guild_id)
        limit = max(1, min(limit or guild.results or self.config.results, self.config.max_results))
        return await self._asker.ask(
            guild_id,
            question,
            limit=limit,
            offset=offset,
            article_id=article_id,
            min_score=guild.min_score,
            newest_first=newest_first,
            channels=channels,
            languages=guild.expected_languages(),
        )

    async def sites(self, guild_id: int, prefix: str = "", limit: int = 25) -> list[str]:
        """The sites the guild's articles came from, starting with ``prefix``."""
        return await self._store.sites(guild_id, prefix.strip().lower().removeprefix("www."), limit)

    async def fill_missing_facets(self) -> int:
        """Work out the facets of every stored article that lacks them (stored before
        they existed, or copied from another store); returns how many were filled."""
        filled = 0
        while articles := await self._store.articles_missing_facets():
            for article in articles:
                paragraphs = await self._store.article_paragraphs(article.guild_id, article.id)
                facets = await asyncio.to_thread(
                    stories.facets_of_article, article, [p.text for p in paragraphs]
                )
                filled += await self._store.save_facets(article.guild_id, article.id, facets)
        return filled

    async def _fill_facets_in_background(self) -> None:
        try:
            filled = await self.fill_missing_facets()
        except StoreError as error:
            log.warning("article facets not filled in for now: %s", error)
            return
        if filled:
            log.info("filled in the facets of %d stored articles", filled)

    async def remember_question(
        self, guild_id: int, user_id: int | None, question: str, article_id: int | None = None
    ) -> int:
        """Keep a question so its answer can be paged later, even after a restart.

        Returns at once: the question is recallable from memory until the background
        writer has stored it."""
        return self._questions.remember(guild_id, user_id, question, article_id)

    async def recall_question(
        self, guild_id: int, question_id: int
    ) -> tuple[int | None, str, int | None] | None:
        return await self._questions.recall(guild_id, question_id)

    async def find_by_message(self, guild_id: int, message_id: int) -> ArticleInfo | None:
        return await self._store.find_by_message(guild_id, message_id)

    # -- articles ---------------------------------------------------------------------

    async def list_articles(
        self, guild_id: int, *, offset: int = 0, limit: int = 50
    ) -> list[ArticleInfo]:
        return await self._store.list_articles(guild_id, offset=offset, limit=limit)

    async def get_article(self, guild_id: int, article_id: int) -> ArticleInfo | None:
        return await self._store.get_article(guild_id, article_id)

    async def find_articles(self, guild_id: int, text: str, limit: int = 25) -> list[ArticleInfo]:
        """Articles whose title contains ``text``, newest first (for autocomplete)."""
        # No title holds a NUL, and PostgreSQL refuses one in any text.
        return await self._store.search_titles(guild_id, text.replace("\0", "").strip(), limit)

    async def article_paragraphs(self, guild_id: int, article_id: int) -> list[StoredParagraph]:
        return await self._store.article_paragraphs(guild_id, article_id)

    async def remove_article(self, guild_id: int, article_id: int) -> ArticleInfo:
        """Delete an article from the store and the index. Raises ``ArticleNotFound``."""
        async with self._indexes.changing(guild_id) as index:
            removed = await self._store.remove_article(guild_id, article_id)
            if removed is None:
                raise ArticleNotFound(guild_id, article_id)
            info, paragraphs = removed
            await index.remove_article(info, paragraphs)
        log.info("guild %s: removed article %d", guild_id, info.id)
        return info

    async def article_count(self, guild_id: int) -> int:
        """How many articles the guild has."""
        articles, _paragraphs, _last = await self._store.counts(guild_id)
        return articles

    async def stats(self, guild_id: int) -> GuildStats:
        """The guild's counts; its index's terms and size only if it is in memory (it is
        not loaded for this)."""
        articles, paragraphs, last = await self._store.counts(guild_id)
        answered = await self._writes.counter_total(guild_id, QUESTIONS_ANSWERED)
        index = self._indexes.in_memory(guild_id)
        vocabulary = index.vocabulary_size if index is not None else None
        held = self._indexes.held(guild_id)
        return GuildStats(articles, paragraphs, vocabulary, last, answered, held)

    async def guilds(self) -> list[GuildSummary]:
        """Every guild with articles in the store (for operators: nothing crosses guilds)."""
        return await self._store.guild_summaries()

    # -- guild settings, audit, export, purge, backup ---------------------------------

    async def guild_config(self, guild_id: int) -> GuildConfig:
        return await self._configs.get(guild_id)

    async def update_guild_config(self, guild_id: int, **changes: object) -> GuildConfig:
        return await self._configs.update(guild_id, **changes)

    async def get_setting(self, guild_id: int, key: str) -> str | None:
        return await self._store.get_setting(guild_id, key)

    async def set_setting(self, guild_id: int, key: str, value: str | None) -> None:
        await self._store.set_setting(guild_id, key, value)

    async def audit(
        self, guild_id: int, user_id: int | None, user_name: str | None, action: str, detail: str
    ) -> None:
        await self._store.add_audit(guild_id, user_id, user_name, action, detail)

    async def audit_entries(self, guild_id: int, limit: int = 50) -> list[AuditEntry]:
        return await self._store.audit_entries(guild_id, limit)

    async def export(self, guild_id: int) -> dict[str, object]:
        """All of a guild's articles with their paragraphs, as JSON-ready data."""
        articles = []
        offset = 0
        while batch := await self._store.list_articles(guild_id, offset=offset, limit=200):
            for info in batch:
                paragraphs = await self._store.article_paragraphs(guild_id, info.id)
                record = dataclasses.asdict(info)
                record["posted_at"] = info.posted_at.isoformat()
                record["paragraphs"] = [p.text for p in paragraphs]
                articles.append(record)
            offset += len(batch)
        return {"guild_id": guild_id, "articles": articles}

    async def purge(self, guild_id: int) -> int:
        """Delete everything of a guild: articles, index, settings. Returns the articles."""
        async with self._indexes.dropping(guild_id):
            # A count or question of this guild being written right now (on a store with
            # concurrent writers) lands before the purge, not after it.
            await self._writes.settle_guild(guild_id)
            count = await self._store.purge_guild(guild_id)
        self._configs.forget(guild_id)
        return count

    async def backup(self, target: str | Path) -> None:
        await self._store.backup(target)

    async def integrity_problems(self) -> list[str]:
        """What the store finds wrong with its data; empty when it is sound."""
        return await self._store.integrity_problems()
