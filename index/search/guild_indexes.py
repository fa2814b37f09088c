"""Each guild's search index, in memory: built from the store, saved as snapshots, and
kept in step with the store while articles come and go.

This is the one place that knows which guilds have an index loaded (``loaded`` lists
them, least recently used first) and what each weighs (``held``). An index is built the
first time its guild is used: from its snapshot in the index folder when that still
matches the store (``store.paragraph_signature``), else from the store, in batches of
whole articles. The store stays the source of truth: a snapshot is only a cache, and an
index that could not be changed is dropped and built again from the store when the
guild is next used.

With a memory budget, a process can serve more guilds than it can hold: after an index
is loaded or grows, the least recently used idle indexes (their guild's lock not held:
no change, load or save under way) are saved if they changed and dropped, until what is
held fits the budget. The guild just used is never dropped, so one guild larger than the
whole budget is held alone. A dropped guild is loaded again by its next use, from its
snapshot or the store; a question already running on a dropped index keeps it until it
ends. What an index holds is its ``BM25Index.memory_bytes`` estimate, made when it is
loaded and again whenever it has grown by ``REWEIGH_GROWTH`` since; in between, the last
estimate is scaled by the index's slots (a walk over every term takes milliseconds per
hundred thousand of them, too much to repeat for every article added).

Every change to a guild's paragraphs goes through ``changing`` (or ``dropping``), which
holds the guild's lock: the store write and the index change made inside it happen with
no other change, rebuild or snapshot of that guild in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from index.models import LEGACY_LANGUAGE, ArticleInfo, StoredParagraph
from index.search import analyzer, languages
from index.search.analyzer import analyse
from index.search.bm25 import BM25Index, BM25Params, IndexInconsistent
from index.search.snapshot import load_snapshot, save_snapshot, snapshot_path
from index.store import Store

log = logging.getLogger(__name__)

REBUILD_BATCH = 5000
"""Paragraphs analysed at a time when an index is built from the store."""
REWEIGH_GROWTH = 1 / 16
"""An index is weighed again once its slots grew by this part since it was last weighed."""
GIVE_BACK_AFTER = 64 * 1024**2
"""Bytes of dropped indexes after which freed memory is handed back to the system."""


@dataclass(frozen=True, slots=True)
class IndexMemory:
    """What the loaded indexes hold, against the budget, and how they came and went."""

    budget: int | None
    """Bytes; None: no budget, nothing is dropped to make room."""
    held_bytes: int
    """The loaded indexes' estimated bytes (see ``BM25Index.memory_bytes``)."""
    guilds_held: int
    loads_from_snapshot: int
    loads_from_store: int
    """Builds from the store: no current snapshot, or a rebuild (``reindex``)."""
    evictions: int
    """Indexes dropped to keep within the budget."""


@dataclass(frozen=True, slots=True)
class _Weight:
    """An index's bytes as last estimated, and its slots then."""

    bytes: int
    slots: int

    def at(self, slots: int) -> int:
        """The bytes scaled to ``slots`` (never below the estimate)."""
        return self.bytes * slots // self.slots if slots > self.slots else self.bytes


class GuildIndexes:
    """The loaded indexes, by guild. ``snapshot_dir`` None keeps no snapshots;
    ``memory_budget`` (bytes) None keeps every index loaded once used."""

    def __init__(
        self,
        store: Store,
        params: BM25Params,
        *,
        title_in_paragraphs: bool = True,
        snapshot_dir: Path | None = None,
        rebuild_batch: int = REBUILD_BATCH,
        memory_budget: int | None = None,
    ) -> None:
        if memory_budget is not None and memory_budget < 0:
            raise ValueError("the index memory budget cannot be negative")
        self._store = store
        self.params = params
        self.title_in_paragraphs = title_in_paragraphs
        self.snapshot_dir = snapshot_dir
        self.memory_budget = memory_budget
        self._rebuild_batch = rebuild_batch
        self._loaded: OrderedDict[int, BM25Index] = OrderedDict()
        self._weights: dict[int, _Weight] = {}
        """Of the loaded guilds: their index's last estimate."""
        self._languages: dict[int, Counter[str]] = {}
        """Of the loaded guilds: how many of their indexed articles are in each language."""
        self._locks: dict[int, asyncio.Lock] = {}
        self._changed: set[int] = set()
        """Guilds whose index changed since its snapshot was saved."""
        self._loads_from_snapshot = 0
        self._loads_from_store = 0
        self._evictions = 0
        self._dropped_bytes = 0
        """Estimated bytes of indexes dropped since freed memory was last given back."""

    def paragraph_terms(
        self, title: str, paragraphs: Sequence[str], language: str = LEGACY_LANGUAGE
    ) -> list[list[str]]:
        """The paragraphs' terms as the index holds them (BM25Okapi scores exactly these):
        each with its article's title in front when ``title_in_paragraphs``, read in the
        article's ``language``. CPU work: callers on the event loop run it in a worker
        thread."""
        title_terms = analyse(title, language) if self.title_in_paragraphs else []
        return [title_terms + analyse(text, language) for text in paragraphs]

    def languages_of(self, guild_id: int) -> list[str]:
        """The languages of the guild's indexed articles, the most articles first (empty
        when its index is not in memory)."""
        return [code for code, _count in self._languages.get(guild_id, Counter()).most_common()]

    def loaded(self) -> list[int]:
        """The guilds whose index is in memory, least recently used first."""
        return list(self._loaded)

    def held(self, guild_id: int) -> int | None:
        """The estimated bytes of the guild's index if it is in memory, else None."""
        weight = self._weights.get(guild_id)
        index = self._loaded.get(guild_id)
        return None if weight is None or index is None else weight.at(index.slot_count)

    def _held_bytes(self) -> int:
        return sum(self.held(guild_id) or 0 for guild_id in self._loaded)

    def in_memory(self, guild_id: int) -> BM25Index | None:
        """The guild's index if it is in memory, without loading it or counting a use."""
        return self._loaded.get(guild_id)

    def memory(self) -> IndexMemory:
        """What the loaded indexes hold and how many loads and evictions there were."""
        return IndexMemory(
            budget=self.memory_budget,
            held_bytes=self._held_bytes(),
            guilds_held=len(self._loaded),
            loads_from_snapshot=self._loads_from_snapshot,
            loads_from_store=self._loads_from_store,
            evictions=self._evictions,
        )

    async def index(self, guild_id: int) -> BM25Index:
        """The guild's index, loaded or built first if it is not in memory."""
        index = self._loaded.get(guild_id)
        if index is not None:
            self._loaded.move_to_end(guild_id)
            return index
        async with self._lock(guild_id):
            index = self._loaded.get(guild_id)
            if index is None:
                index = await self._load(guild_id)
        await self._keep_within_budget(guild_id)
        return index

    @asynccontextmanager
    async def changing(self, guild_id: int) -> AsyncIterator[IndexChange]:
        """Hold the guild's index for a change to its paragraphs (see ``IndexChange``)."""
        await self.index(guild_id)  # loaded first: loading takes the lock too
        async with self._lock(guild_id):
            # A rebuild may have replaced it meanwhile, and the budget, an unload or a
            # failed change may have dropped it: the change goes to the one now in use.
            index = self._loaded.get(guild_id)
            if index is None:
                index = await self._load(guild_id)
                await self._keep_within_budget(guild_id)
            yield IndexChange(self, guild_id, index)

    @asynccontextmanager
    async def changing_loaded(self, guild_id: int) -> AsyncIterator[IndexChange | None]:
        """``changing`` for an index only if it is in memory (None otherwise): a change
        made by another process needs no index loaded for it, since one loaded later is
        read from the store, which has the change already."""
        async with self._lock(guild_id):
            index = self._loaded.get(guild_id)
            yield None if index is None else IndexChange(self, guild_id, index)

    @asynccontextmanager
    async def dropping(self, guild_id: int) -> AsyncIterator[None]:
        """Hold the guild while all its stored paragraphs are deleted; when that succeeds,
        its index goes too, from memory and from the index folder."""
        async with self._lock(guild_id):
            yield
            self._forget(guild_id)
            if self.snapshot_dir is not None:
                snapshot_path(self.snapshot_dir, guild_id).unlink(missing_ok=True)

    async def reindex(self, guild_id: int) -> int:
        """Rebuild the guild's index from the store alone; returns its paragraphs."""
        async with self._lock(guild_id):
            index = await self._load(guild_id, use_snapshot=False)
        await self._keep_within_budget(guild_id)
        return index.paragraph_count

    async def unload(self, guild_id: int) -> None:
        """Free a guild's index from memory, saving its snapshot first if it changed."""
        index = self._loaded.get(guild_id)
        if index is not None and guild_id in self._changed:
            async with self._lock(guild_id):
                await self._save(guild_id, index)
        self._dropped_bytes += self.held(guild_id) or 0
        self._forget(guild_id)
        del index
        await self._give_back_freed_memory()

    async def save_all(self) -> None:
        """Save the snapshots of the indexes that changed since they were loaded."""
        for guild_id in sorted(self._changed):
            index = self._loaded.get(guild_id)
            if index is None:
                continue
            async with self._lock(guild_id):
                await self._save(guild_id, index)

    async def close(self) -> None:
        """Save what changed, then let every index go."""
        await self.save_all()
        self._loaded.clear()
        self._weights.clear()
        self._languages.clear()

    # -- inside ---------------------------------------------------------------------------

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    def _forget(self, guild_id: int) -> None:
        self._loaded.pop(guild_id, None)
        self._weights.pop(guild_id, None)
        self._languages.pop(guild_id, None)
        self._changed.discard(guild_id)

    async def _load(self, guild_id: int, *, use_snapshot: bool = True) -> BM25Index:
        """Build the guild's index (``_build``), weigh it, and hold it as the most recently
        used. Called with the guild's lock held."""
        index = await self._build(guild_id, use_snapshot=use_snapshot)
        weight = await _weigh(index)
        self._loaded[guild_id] = index
        self._loaded.move_to_end(guild_id)
        self._weights[guild_id] = weight
        keep_out_of_full_collections()
        return index

    async def _resized(self, guild_id: int, index: BM25Index) -> None:
        """After a change to a loaded index: weighed again when it grew by
        ``REWEIGH_GROWTH`` or shrank (a compaction) since it was last weighed; then room
        is made if it grew past the budget."""
        weight = self._weights.get(guild_id)
        if weight is None or self._loaded.get(guild_id) is not index:
            return  # dropped meanwhile (a failed change): the next use loads it again
        slots = index.slot_count
        if slots < weight.slots or slots > weight.slots * (1 + REWEIGH_GROWTH):
            self._weights[guild_id] = await _weigh(index)
        await self._keep_within_budget(guild_id)

    async def _keep_within_budget(self, just_used: int) -> None:
        """Drop the least recently used idle indexes, never ``just_used``, until what is
        held fits the budget (or nothing else can go)."""
        if self.memory_budget is None:
            return
        while self._held_bytes() > self.memory_budget:
            idle = (g for g in self._loaded if g != just_used and not self._lock(g).locked())
            victim = next(idle, None)
            if victim is None:
                break  # the guild just used, alone or beside indexes in use
            await self._evict(victim)
        await self._give_back_freed_memory()

    async def _evict(self, guild_id: int) -> None:
        """Save the guild's index if it changed since its snapshot, then drop it."""
        async with self._lock(guild_id):
            index = self._loaded.get(guild_id)
            if index is None:
                return
            if guild_id in self._changed:
                await self._save(guild_id, index)
            self._dropped_bytes += self.held(guild_id) or 0
            self._forget(guild_id)
            self._evictions += 1
        log.info("guild %s: index dropped from memory to keep within the budget", guild_id)

    async def _give_back_freed_memory(self) -> None:
        """Once ``GIVE_BACK_AFTER`` bytes of indexes were dropped, hand the freed memory
        back to the system (``give_back_freed_memory``, in a worker thread: it walks the
        heap, tens of milliseconds)."""
        if self._dropped_bytes >= GIVE_BACK_AFTER:
            self._dropped_bytes = 0
            await asyncio.to_thread(give_back_freed_memory)

    def _snapshot_settings(self, guild_id: int) -> dict[str, object]:
        """Whatever decides the terms and scores: a snapshot made with others is not used.
        Besides the analyser, the number of the guild's articles read in each language:
        an article stored before languages were kept changes language without changing
        its paragraphs (``Engine.settle_languages``), and only moves from English."""
        counts = self._languages.get(guild_id, Counter())
        return {
            "k1": self.params.k1,
            "b": self.params.b,
            "epsilon": self.params.epsilon,
            "title_in_paragraphs": self.title_in_paragraphs,
            "analyser": analyzer.VERSION,
            "languages": languages.settings_version(),
            "article_languages": {code: counts[code] for code in sorted(counts) if counts[code]},
        }

    async def _build(self, guild_id: int, *, use_snapshot: bool = True) -> BM25Index:
        """The guild's index from its snapshot when that is current, else from the store.
        Called with the guild's lock held."""
        by_article = {
            article_id: language or LEGACY_LANGUAGE
            for article_id, language in (await self._store.article_languages(guild_id)).items()
        }
        self._languages[guild_id] = Counter(by_article.values())
        if self.snapshot_dir is not None and use_snapshot:
            signature = await self._store.paragraph_signature(guild_id)
            index = await asyncio.to_thread(
                load_snapshot,
                snapshot_path(self.snapshot_dir, guild_id),
                self.params,
                self._snapshot_settings(guild_id),
                signature,
            )
            if index is not None:
                log.info("guild %s: loaded %d paragraphs", guild_id, index.paragraph_count)
                self._loads_from_snapshot += 1
                return index
        index = BM25Index(self.params)
        # In batches of whole articles, so a large guild's text is never all in memory
        # at once (a million paragraphs are more than a gigabyte as Python strings).
        batch: list[tuple[StoredParagraph, str]] = []
        try:
            # Closed at once however the loop ends: the rows hold a connection (and on
            # PostgreSQL a transaction) until their generator is closed.
            async with contextlib.aclosing(self._store.iter_paragraphs(guild_id)) as rows:
                async for row in rows:
                    full = len(batch) >= self._rebuild_batch
                    if full and row[0].article_id != batch[-1][0].article_id:
                        await self._add_batch(guild_id, index, batch, by_article)
                        batch = []
                    batch.append(row)
            await self._add_batch(guild_id, index, batch, by_article)
        except IndexInconsistent as error:
            # The store checks that its rows fit together; should any still not, they are
            # damaged, and are never served as if sound.
            raise self._store.report_damage(
                f"guild {guild_id}'s paragraphs do not fit together: {error}"
            ) from error
        log.info("guild %s: indexed %d paragraphs", guild_id, index.paragraph_count)
        self._loads_from_store += 1
        await self._save(guild_id, index)
        return index

    async def _add_batch(
        self,
        guild_id: int,
        index: BM25Index,
        rows: list[tuple[StoredParagraph, str]],
        by_article: dict[int, str],
    ) -> None:
        """Add the articles of ``rows`` in their languages (``by_article``, completed from
        the store for an article stored since it was read)."""
        missing = list({p.article_id for p, _title in rows if p.article_id not in by_article})
        if missing:
            for article in (await self._store.articles_by_id(guild_id, missing)).values():
                by_article[article.id] = article.analysis_language
                self._languages[guild_id][article.analysis_language] += 1
        await asyncio.to_thread(self._add_rows, index, rows, by_article)

    def _add_rows(
        self, index: BM25Index, rows: list[tuple[StoredParagraph, str]], by_article: dict[int, str]
    ) -> None:
        """Add the articles of ``rows`` (whole articles, from ``iter_paragraphs``)."""
        grouped: dict[int, tuple[str, list[StoredParagraph]]] = {}
        for paragraph, title in rows:
            grouped.setdefault(paragraph.article_id, (title, []))[1].append(paragraph)
        for article_id, (title, paragraphs) in grouped.items():
            language = by_article.get(article_id, LEGACY_LANGUAGE)
            terms = self.paragraph_terms(title, [p.text for p in paragraphs], language)
            index.add_article(article_id, _with_ids(paragraphs, terms))

    async def _save(self, guild_id: int, index: BM25Index) -> None:
        if self.snapshot_dir is None:
            return
        path = snapshot_path(self.snapshot_dir, guild_id)
        try:
            await asyncio.to_thread(save_snapshot, path, index, self._snapshot_settings(guild_id))
        except OSError as error:  # a snapshot only saves time; the store has everything
            log.warning("guild %s: could not save the index snapshot: %s", guild_id, error)
        else:
            self._changed.discard(guild_id)


class IndexChange:
    """A guild's index while its lock is held (from ``GuildIndexes.changing``).

    Index changes run in a worker thread: a long article takes a while, and questions
    (asked with ``try_search``) must not stall the event loop waiting for them. A change
    that fails leaves the index dropped, to be built again from the store.
    """

    def __init__(self, indexes: GuildIndexes, guild_id: int, index: BM25Index) -> None:
        self._indexes = indexes
        self._guild_id = guild_id
        self._index = index

    async def add_article(
        self,
        article_id: int,
        paragraphs: Sequence[StoredParagraph],
        terms: Sequence[list[str]],
        language: str = LEGACY_LANGUAGE,
    ) -> None:
        """Index a stored article whose paragraphs' terms are ``terms``, read in
        ``language``. On failure the index is dropped and the error raised: the caller
        takes the article out of the store again, so that nothing is stored that cannot
        be found."""
        try:
            await asyncio.to_thread(
                self._index.add_article, article_id, _with_ids(paragraphs, terms)
            )
        except Exception:
            self._indexes._forget(self._guild_id)
            raise
        self._indexes._changed.add(self._guild_id)
        self._count_language(language, +1)
        await self._indexes._resized(self._guild_id, self._index)

    def _count_language(self, language: str, change: int) -> None:
        counts = self._indexes._languages.get(self._guild_id)
        if counts is not None:
            counts[language] += change
            if counts[language] <= 0:
                del counts[language]

    def holds(self, article_id: int) -> bool:
        """Whether the index has the article (a change made elsewhere may be applied
        already, or never was: the store's change log is read by every process)."""
        return article_id in self._index

    async def remove_article(
        self, article: ArticleInfo, paragraphs: Sequence[StoredParagraph]
    ) -> None:
        """Unindex an article already deleted from the store, compacting the index when
        enough of it is dead. A failure is logged: the store no longer holds the article,
        and the index, dropped, is built again from the store when next used."""
        await self.remove_paragraphs(
            article.id, article.title, paragraphs, article.analysis_language
        )

    async def remove_paragraphs(
        self,
        article_id: int,
        title: str,
        paragraphs: Sequence[StoredParagraph],
        language: str = LEGACY_LANGUAGE,
    ) -> None:
        """``remove_article`` given only what the index needs: the article's id, its
        title, its paragraphs as they were stored and its language. An article the index
        does not hold (added by another process, not yet applied here) needs nothing."""
        if not self.holds(article_id):
            return
        terms = await asyncio.to_thread(
            self._indexes.paragraph_terms, title, [p.text for p in paragraphs], language
        )
        index = self._index
        try:
            await asyncio.to_thread(
                index.remove_article, article_id, _with_ids(paragraphs, terms), compact=False
            )
        except Exception:
            log.exception("guild %s: could not unindex article %d", self._guild_id, article_id)
            self._indexes._forget(self._guild_id)
            return
        self._count_language(language, -1)
        if index.wants_compaction:
            # Seconds at a million paragraphs: built off the loop while questions go to
            # the current index, which nothing changes meanwhile (the lock is held).
            self._index = await asyncio.to_thread(index.compacted)
            self._indexes._loaded[self._guild_id] = self._index
        self._indexes._changed.add(self._guild_id)
        await self._indexes._resized(self._guild_id, self._index)


async def _weigh(index: BM25Index) -> _Weight:
    """The index's estimated bytes, worked out in a worker thread (it walks every term)."""
    return _Weight(await asyncio.to_thread(index.memory_bytes), max(1, index.slot_count))


def _with_ids(
    paragraphs: Iterable[StoredParagraph], terms: Iterable[list[str]]
) -> list[tuple[int, list[str]]]:
    return [(p.id, t) for p, t in zip(paragraphs, terms, strict=True)]


def _malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim`` (glibc), or None where it has none."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def give_back_freed_memory() -> None:
    """Return the free pages of the C heap to the system.

    An index is hundreds of thousands of allocations. Freed, they stay in glibc's heap,
    reused by later allocations but still counted in the process's resident size, and
    a heap that held a large index once stays that large. Measured with a 1M-paragraph
    guild (520 MiB) dropped for a 50 MiB one, again and again: 1.3 GiB resident without
    this, 0.3 GiB with it. Elsewhere (no ``malloc_trim``) this does nothing.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def keep_out_of_full_collections() -> None:
    """Move every object alive now out of reach of Python's full garbage collections.

    Imported modules (numba's compiler above all) and a loaded index are hundreds of
    thousands of objects that live as long as the process; a full collection walked
    them all on the event loop, a pause of 50 ms and more. Frozen objects are still
    freed as usual when nothing refers to them any more.
    """
    gc.freeze()
