"""From what someone shared to a stored, searchable article: sources, drafts, duplicates,
the store, the index.

A message is read once (``read_message``): its links, its pasted article, and each of
its files with its kind (text, HTML or neither) decided once, and a file larger than
``EngineConfig.max_text_bytes`` marked as refused before anyone downloads it. Each
source then becomes a draft (fetched and extracted, parsed from a paste or a file),
a draft the guild already holds is reported as a duplicate, and a new one is stored and
indexed together, under the guild's index lock (``GuildIndexes.changing``): an article
that could not be indexed is taken out of the store again, since stored but not
searchable would be worse than not stored.

Ingest work is admitted through ``IngestGate`` (a bounded queue per guild); the work's
bookkeeping across crashes is ``pending``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

from index.config import EngineConfig
from index.errors import DuplicateArticle, IngestRefused, StoreError
from index.guild_config_cache import GuildConfigs
from index.ingest.article_shape import check_shape
from index.ingest.extract import Extractor, decode_html
from index.ingest.fetch import Fetcher
from index.ingest.gate import IngestGate, Ticket
from index.ingest.paste import parse_paste
from index.ingest.sources import FileKind, MessageSources, file_kind, message_sources, same_site
from index.ingest.textio import decode_text, looks_binary
from index.ingest.urls import canonical_url
from index.models import (
    ArticleDraft,
    ArticleFacets,
    ArticleInfo,
    Attachment,
    IngestOutcome,
    IngestResult,
    Provenance,
    utc_now,
)
from index.search import stories
from index.search.guild_indexes import GuildIndexes
from index.search.language_detection import settle_language
from index.store import Store

log = logging.getLogger(__name__)


class AnnouncedFile(Protocol):
    """A file as a message announces it, before it is read (a Discord attachment is one)."""

    @property
    def filename(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def content_type(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SharedFile:
    """A file that came with a message."""

    filename: str
    size: int
    content_type: str | None
    kind: FileKind
    refusal: str | None = None
    """Why it is not read (it is too large), in words for the poster; None to read it."""

    @property
    def readable(self) -> bool:
        """A text or HTML file: maybe an article. Other files (pictures...) are not."""
        return self.kind != "other"


@dataclass(frozen=True, slots=True)
class SharedMessage:
    """What a message shares, read once."""

    sources: MessageSources
    files: tuple[SharedFile, ...]
    """Every file of the message, in its order."""

    @property
    def shares_something(self) -> bool:
        """A link, a pasted article, or a text or HTML file."""
        return bool(
            any(file.readable for file in self.files)
            or self.sources.links
            or self.sources.pasted_article
        )


class IngestPipeline:
    """Ingests into ``store`` and ``indexes``. ``fetcher`` and ``extractor`` default to
    safe ones the pipeline makes when first needed, and closes."""

    def __init__(
        self,
        store: Store,
        indexes: GuildIndexes,
        configs: GuildConfigs,
        config: EngineConfig,
        *,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
    ) -> None:
        self._store = store
        self._indexes = indexes
        self._configs = configs
        self._config = config
        self._fetcher = fetcher
        self._extractor = extractor
        self._owns_fetcher = fetcher is None
        self._owns_extractor = extractor is None
        self._gate = IngestGate(config.ingest_limits)

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

    async def close(self) -> None:
        if self._owns_fetcher and self._fetcher is not None:
            await self._fetcher.close()
        if self._owns_extractor and self._extractor is not None:
            self._extractor.close()

    def admit(self, guild_id: int) -> Ticket:
        """A place in the guild's ingest queue; raises ``IngestBusy`` when it is full."""
        return self._gate.admit(guild_id)

    # -- reading a message ------------------------------------------------------------

    def read_message(self, content: str, files: Sequence[AnnouncedFile] = ()) -> SharedMessage:
        """What a message with ``content`` and ``files`` shares (CPU work of a few
        milliseconds at most: a message is at most a few thousand characters)."""
        return SharedMessage(
            message_sources(content, min_words=self._config.min_words),
            tuple(self._shared_file(f.filename, f.size, f.content_type) for f in files),
        )

    def _shared_file(self, filename: str, size: int, content_type: str | None) -> SharedFile:
        kind = file_kind(filename, content_type)
        refusal = None
        if kind != "other" and size > self._config.max_text_bytes:
            refusal = f"the file is larger than {self._megabytes()}"
        return SharedFile(filename, size, content_type, kind, refusal)

    def _megabytes(self) -> str:
        return f"{self._config.max_text_bytes / 1_000_000:g} MB"

    # -- ingesting --------------------------------------------------------------------

    async def ingest_message(
        self,
        guild_id: int,
        content: str,
        attachments: Sequence[Attachment] = (),
        provenance: Provenance | None = None,
    ) -> list[IngestOutcome]:
        """Ingest everything a message shares: links, a pasted article, attached files."""
        files = [self._shared_file(a.filename, len(a.data), a.content_type) for a in attachments]
        shared = SharedMessage(
            message_sources(content, min_words=self._config.min_words), tuple(files)
        )
        read = [(file, a.data) for file, a in zip(files, attachments, strict=True)]
        return await self.ingest_shared(guild_id, shared, read, provenance)

    async def ingest_shared(
        self,
        guild_id: int,
        shared: SharedMessage,
        read: Sequence[tuple[SharedFile, bytes]] = (),
        provenance: Provenance | None = None,
    ) -> list[IngestOutcome]:
        """Ingest a message read by ``read_message``, with the files the caller read
        (``read``, each with its bytes; files left out were reported by the caller).

        A message with one link and the article's text (pasted, or as ``message.txt``) is
        one article: the link is fetched, and the text is used only if that fails.
        Returns one outcome per source; an empty list means there was nothing to ingest.
        """
        sources = shared.sources
        single_link = sources.links[0] if len(sources.links) == 1 else None
        texts: list[tuple[SharedFile, bytes]] = []
        outcomes: list[IngestOutcome] = []
        for file, data in read:
            if file.kind == "text" and sources.links:
                texts.append((file, data))
            else:
                outcomes.append(
                    await self._outcome(
                        file.filename,
                        self._ingest_file(
                            guild_id, file, data, provenance, single_link, sources.remark
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
        if single_link is not None and len(texts) == 1:
            text_file, data = texts.pop()
            try:
                fallback = await asyncio.to_thread(
                    decode_text, data, max_bytes=self._config.max_text_bytes
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
        for file, data in texts:  # text files beside several links stand on their own
            outcomes.append(
                await self._outcome(
                    file.filename, self._ingest_file(guild_id, file, data, provenance)
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
        file = self._shared_file(filename, len(data), content_type)
        return await self._ingest_file(guild_id, file, data, provenance, source_url, note)

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
        refusal = (await self._configs.get(guild_id)).domain_refusal(url)
        if refusal:
            raise IngestRefused(refusal)
        existing = await self._store.find_duplicate(guild_id, early, None)
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

    async def ingest_draft(
        self, guild_id: int, draft: ArticleDraft, provenance: Provenance | None = None
    ) -> IngestResult:
        """Store and index an article that is already parsed. Nothing is stored twice."""
        if not draft.paragraphs:
            raise IngestRefused("there is no article text in it")
        await asyncio.to_thread(check_shape, draft.paragraphs, self._config.max_paragraphs)
        existing = await self._store.find_duplicate(
            guild_id, draft.canonical_url, draft.fingerprint
        )
        if existing is not None:
            return IngestResult("duplicate", existing)
        facets = await asyncio.to_thread(
            stories.article_facets,
            draft.title,
            draft.canonical_url or draft.source_url,
            utc_now(),  # replaced by the stored article's date once it is stored
            draft.paragraphs,
        )
        config = await self._configs.get(guild_id)
        if config.skip_similar:
            similar = await stories.same_article(self._store, guild_id, facets)
            if similar is not None:
                same = similar.fingerprint == draft.fingerprint  # stored meanwhile
                return IngestResult("duplicate" if same else "similar", similar)
        language = await asyncio.to_thread(
            settle_language,
            (draft.title, *draft.paragraphs),
            declared=draft.language,
            main=config.language,
            expected=config.languages,
        )
        draft = dataclasses.replace(draft, language=language)
        terms = await asyncio.to_thread(
            self._indexes.paragraph_terms, draft.title, draft.paragraphs, language
        )
        async with self._indexes.changing(guild_id) as index:
            try:
                info, paragraphs = await self._store.add_article(
                    guild_id, draft, provenance or Provenance()
                )
            except DuplicateArticle as duplicate:
                return IngestResult("duplicate", duplicate.existing)
            try:
                await index.add_article(info.id, paragraphs, terms, language)
            except Exception as error:
                log.exception("guild %s: could not index article %d", guild_id, info.id)
                await self._store.remove_article(guild_id, info.id)
                raise IngestRefused(
                    "it could not be indexed (an internal error was logged)"
                ) from error
        await self._save_facets(guild_id, info, facets)
        log.info("guild %s: added article %d (%d paragraphs)", guild_id, info.id, len(paragraphs))
        return IngestResult("added", info)

    async def _save_facets(self, guild_id: int, info: ArticleInfo, facets: ArticleFacets) -> None:
        """Keep the new article's facets. The article is stored and indexed already, and
        facets are derived: when this write fails, the engine fills them in later."""
        facets = dataclasses.replace(facets, reported_at=info.reported_at)
        try:
            await self._store.save_facets(guild_id, info.id, facets)
        except StoreError as error:
            log.warning(
                "guild %s: article %d kept without its facets for now: %s", guild_id, info.id, error
            )

    # -- drafts -----------------------------------------------------------------------

    async def _ingest_file(
        self,
        guild_id: int,
        file: SharedFile,
        data: bytes,
        provenance: Provenance | None,
        source_url: str | None = None,
        note: str | None = None,
    ) -> IngestResult:
        draft = _with_origin(await self._draft_from_file(file, data), source_url, note)
        return await self.ingest_draft(guild_id, draft, provenance)

    async def _draft_from_file(self, file: SharedFile, data: bytes) -> ArticleDraft:
        name = _shown_name(file.filename)
        if not file.readable:
            raise IngestRefused(
                f"{name} is not a file the bot can read (.txt, .md and .html files can be read)"
            )
        if len(data) > self._config.max_text_bytes:
            raise IngestRefused(f"{name} is larger than {self._megabytes()}")
        # Decoding and checking 2 MB take a tenth of a second or more: off the event loop.
        if file.kind == "html":
            html = await asyncio.to_thread(_decode_page, name, data)
            article = await self.extractor.extract(html, None)
            return article.to_draft()
        return await asyncio.to_thread(self._parse_file, data)

    def _parse_file(self, data: bytes) -> ArticleDraft:
        text = decode_text(data, max_bytes=self._config.max_text_bytes)
        return self._parse_paste(text)

    def _parse_paste(self, text: str) -> ArticleDraft:
        """``parse_paste`` with the engine's limits (run in a worker thread)."""
        return parse_paste(
            text, min_words=self._config.min_words, max_paragraphs=self._config.max_paragraphs
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

    @staticmethod
    async def _outcome(source: str, ingest: Awaitable[IngestResult]) -> IngestOutcome:
        try:
            return IngestOutcome(source, result=await ingest)
        except IngestRefused as refused:
            return IngestOutcome(source, error=refused.reason)


def _with_origin(draft: ArticleDraft, source_url: str | None, note: str | None) -> ArticleDraft:
    """Fill in a source link and the poster's note where the article has none."""
    changes: dict[str, str] = {}
    if source_url and not draft.source_url:
        changes.update(source_url=source_url, canonical_url=canonical_url(source_url))
    if note and not draft.note:
        changes["note"] = note
    return dataclasses.replace(draft, **changes) if changes else draft


def _decode_page(name: str, data: bytes) -> str:
    if not data.strip():
        raise IngestRefused(f"{name} is empty")
    html = decode_html(data)
    if looks_binary(html):  # an archive or an image given an .html name
        raise IngestRefused(f"{name} does not look like a web page")
    return html


def _shown_name(filename: str) -> str:
    name = PurePath(filename).name or "that file"
    return name if len(name) <= 80 else name[:77] + "..."
