"""Keeping the indexes this process holds in step with changes made by any process.

A guild's articles can be written by a process that does not hold its index: the command
line while the bot runs, another bot process, a copy between stores. Every such change is
in the store's change log (``index.store.change_log``); this follower reads the entries
after the last one it applied and applies each to the index in memory, if any:

- ``added``: an index without the article gets it, read from the store (if the store no
  longer has it, it was removed since, and there is nothing to do);
- ``removed``: an index with the article loses it, given the paragraphs the entry carries;
- ``purged``, ``replaced``: the guild's index (and its snapshot) is let go, to be loaded
  from the store when next used.

Applying an entry twice, or one this process already applied as it made the change,
changes nothing, so the order in which processes see entries never matters. An index
that is not in memory needs nothing: it is loaded from the store, which has the change.

The position starts at the last entry committed when the engine opened, before any index
was loaded: an index loaded later holds every change before its load and is given the
ones after. If that position could not be read (the database was away), the follower
starts from the oldest entry kept, which is as safe, only longer to read. When entries
after the position were pruned before they were read, every index is let go, to be
loaded from the store, and the follower goes on after the pruned ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from index.errors import StoreError
from index.models import LEGACY_LANGUAGE
from index.search.guild_indexes import GuildIndexes
from index.store import Store
from index.store.change_log import KEEP_CHANGES, StoredChange

log = logging.getLogger(__name__)

CATCH_UP_SECONDS = 5.0
"""The longest wait between two reads of the change log when no change is announced (on
PostgreSQL a notification ends the wait at once; SQLite is polled far more often)."""
PRUNE_EVERY_SECONDS = 600.0
"""How often old entries are pruned (by whichever process gets to it first)."""


class ChangeFollower:
    """Applies the store's change log to ``indexes`` from ``start`` until ``close``."""

    def __init__(self, store: Store, indexes: GuildIndexes) -> None:
        self._store = store
        self._indexes = indexes
        self._position = 0
        self._task: asyncio.Task[None] | None = None
        self._catching_up = asyncio.Lock()
        self._closing = False
        self._failing = False
        self._last_prune = time.monotonic()
        self.applied = 0
        """Entries that changed an index in memory."""

    @property
    def position(self) -> int:
        """The number of the last entry read (or skipped as already held)."""
        return self._position

    async def start(self) -> None:
        """Note where the change log is, then follow it in the background."""
        try:
            self._position = await self._store.latest_change()
        except StoreError as error:
            log.warning(
                "cannot read the change log yet (%s); following it from its oldest entry", error
            )
        self._task = asyncio.create_task(self._follow(), name="change-follower")

    async def close(self) -> None:
        """Stop between two entries: an entry half applied would leave an index changing
        in a worker thread while it is saved."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            async with self._catching_up:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def catch_up(self) -> int:
        """Apply every entry committed so far; returns how many were read."""
        read = 0
        async with self._catching_up:
            while not self._closing:
                batch = await self._store.changes_since(self._position)
                if not batch.complete:
                    await self._let_go_of_all("changes were pruned before they were read")
                    self._position = max(self._position, batch.pruned_through)
                for change in batch.changes:
                    if self._closing:
                        break
                    await self._apply(change)
                    self._position = change.id
                    read += 1
                if not batch.changes:
                    break
        return read

    async def _follow(self) -> None:
        while True:
            await self._store.wait_for_changes(CATCH_UP_SECONDS)
            try:
                await self.catch_up()
                await self._prune_now_and_then()
            except Exception as error:
                # Said once, then quiet until it works again; never given up.
                if not self._failing:
                    if isinstance(error, StoreError):
                        log.warning("cannot follow the change log for now: %s", error)
                    else:
                        log.exception("following the change log failed; trying again")
                self._failing = True
                await asyncio.sleep(1.0)
                continue
            if self._failing:
                log.info("following the change log again")
                self._failing = False

    async def _apply(self, change: StoredChange) -> None:
        guild_id, article_id = change.guild_id, change.article_id
        whole_guild = change.kind in ("purged", "replaced") or article_id is None
        if whole_guild or (change.kind == "removed" and change.removed is None):
            async with self._indexes.dropping(guild_id):
                pass
            return
        async with self._indexes.changing_loaded(guild_id) as index:
            if index is None:
                return
            if change.kind == "added" and not index.holds(article_id):
                paragraphs = await self._store.article_paragraphs(guild_id, article_id)
                article = await self._store.get_article(guild_id, article_id)
                if not paragraphs or article is None:
                    return  # removed again since
                language = article.analysis_language
                terms = await asyncio.to_thread(
                    self._indexes.paragraph_terms,
                    article.title,
                    [p.text for p in paragraphs],
                    language,
                )
                await index.add_article(article_id, paragraphs, terms, language)
            elif change.kind == "removed" and change.removed and index.holds(article_id):
                removed = change.removed
                await index.remove_paragraphs(
                    article_id,
                    removed.title,
                    removed.paragraphs,
                    removed.language or LEGACY_LANGUAGE,
                )
            else:
                return
        self.applied += 1
        log.info("guild %s: applied %s article %s", guild_id, change.kind, article_id)

    async def _let_go_of_all(self, why: str) -> None:
        loaded = self._indexes.loaded()
        if loaded:
            log.warning("letting %d index(es) go, to be loaded again: %s", len(loaded), why)
        for guild_id in loaded:
            async with self._indexes.dropping(guild_id):
                pass

    async def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_EVERY_SECONDS:
            return
        self._last_prune = time.monotonic()
        pruned = await self._store.prune_changes(KEEP_CHANGES)
        if pruned:
            log.info("pruned %d change log entries older than %s", pruned, KEEP_CHANGES)
