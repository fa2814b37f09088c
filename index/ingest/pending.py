"""Accepted ingest work, written down in the store until its poster has seen the result.

A crash must not lose what someone shared without a word. So work is written down
(``accept``) before it starts, and crossed out (``finish``) only once the poster has been
told how it went. Whatever is still written down when the process starts again was cut
short by a crash, or its result could not be delivered, and ``resume`` deals with it:

- every start counts an attempt, also one that could not reach the poster, so each
  piece of work ends after a bounded number of starts;
- after ``MAX_ATTEMPTS`` starts it is given up (one that keeps crashing the process
  stops), and the poster is told so; it is crossed out once they were told;
- when the poster could not even be told that, at ``MAX_UNDELIVERED_NOTICES`` further
  starts, it is dropped with a line in the log, so that a notice that can never be
  delivered is not retried forever;
- work whose source was deleted is dropped.

Done again, an article that turns out to be stored already *from this very message*
is no duplicate of another: it is this work's own, stored just before the stop (between
storing it and crossing the work out). ``as_own_articles`` counts it as added.

Work in hand when the database server goes away is not given up either: ``when_reachable``
tries it again, waiting longer each time (up to ``UNAVAILABLE_WAITS[-1]``), until the
store can be reached, and it is finished then, without a restart.

The engine knows nothing of where work comes from: the caller gives ``resume`` an
``Origin`` that finds the source again, tells the poster, and does the work.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from index.errors import StoreError, StoreUnavailable
from index.models import IngestOutcome, PendingIngest
from index.store import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
"""Starts of one piece of work before it is given up."""
MAX_UNDELIVERED_NOTICES = 3
"""Further starts at which the poster could not be told that it was given up, before the
work is dropped (and logged) instead."""
UNAVAILABLE_WAITS = (0.5, 1.0, 2.0, 5.0, 10.0)
"""Seconds between attempts at work in hand while the store cannot be reached; the last
is repeated until it can."""

_Done = TypeVar("_Done")


class Located(enum.Enum):
    FOUND = "found"
    """The source can be read again and its poster reached."""
    GONE = "gone"
    """The source was deleted: there is nothing left to do."""
    UNREACHABLE = "unreachable"
    """The source cannot be reached now: the work is tried again at the next start."""


class Redone(enum.Enum):
    TOLD = "told"
    """Done, and the poster was told the result."""
    KEPT = "kept"
    """Not finished, or the poster could not be told: kept for the next start."""
    NOTHING = "nothing"
    """There was nothing left to do."""


class Origin(Protocol):
    """Where a piece of resumed work came from, as the caller reaches it."""

    async def locate(self) -> Located:
        """Find the source again (called once, before either of the others)."""
        ...

    async def tell_given_up(self) -> bool:
        """Tell the poster their work was given up; whether they were told."""
        ...

    async def redo(self, work: PendingIngest) -> Redone:
        """Do the work again (``work.attempts`` counts this start)."""
        ...


class PendingWork:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def accept(
        self,
        guild_id: int,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        content: str = "",
    ) -> int:
        """Write down work before it starts; returns its id. ``content`` is what to
        ingest when there is no message to read again (a link given to a command)."""
        return await self._store.add_pending_ingest(guild_id, channel_id, message_id, content)

    async def finish(self, guild_id: int, pending_id: int) -> None:
        """Cross out work whose poster has seen the result. A store that cannot is logged,
        not raised: the work is found again at the next start, and then its article is
        this work's own (see ``as_own_articles``)."""
        try:
            await self._store.remove_pending_ingest(guild_id, pending_id)
        except StoreError as error:
            log.error("could not cross out finished ingest %d: %s", pending_id, error)

    async def count_start(self, guild_id: int, pending_id: int) -> None:
        """Count one more start of unfinished work."""
        await self._store.retry_pending_ingest(guild_id, pending_id)

    async def unfinished(self, guild_ids: Sequence[int]) -> list[PendingIngest]:
        """Accepted work of these guilds that was never finished, oldest first."""
        return await self._store.pending_ingests(guild_ids)

    async def resume(self, work: PendingIngest, origin: Origin) -> None:
        """Do unfinished work again, or give it up once it has been tried enough."""
        if work.attempts >= MAX_ATTEMPTS + MAX_UNDELIVERED_NOTICES:
            log.warning(
                "ingest %d dropped: the poster could not be told it failed, at %d starts",
                work.id,
                MAX_UNDELIVERED_NOTICES,
            )
            await self.finish(work.guild_id, work.id)
            return
        located = await origin.locate()
        if located is Located.GONE:
            log.info("ingest %d: what it shared was deleted; dropped", work.id)
            await self.finish(work.guild_id, work.id)
            return
        if located is Located.UNREACHABLE:
            await self._counted(work)  # still written down; tried at the next start
            return
        if work.attempts >= MAX_ATTEMPTS:
            if await origin.tell_given_up():
                log.warning("ingest %d given up after %d attempts", work.id, work.attempts)
                await self.finish(work.guild_id, work.id)
            else:
                log.warning("ingest %d: could not tell the poster it was given up", work.id)
                await self._counted(work)
            return
        if not await self._counted(work):
            return
        redone = await origin.redo(dataclasses.replace(work, attempts=work.attempts + 1))
        if redone is Redone.KEPT:
            log.warning("ingest %d: not finished or not told; kept for the next start", work.id)
        else:
            if redone is Redone.NOTHING:
                log.info("ingest %d: nothing is left to ingest; dropped", work.id)
            await self.finish(work.guild_id, work.id)

    async def _counted(self, work: PendingIngest) -> bool:
        """Count a start of ``work``; False (and logged) when the store cannot."""
        try:
            await self.count_start(work.guild_id, work.id)
        except StoreError as error:
            log.error("ingest %d: could not count the attempt: %s", work.id, error)
            return False
        return True


def as_own_articles(
    outcomes: Sequence[IngestOutcome], message_url: str | None
) -> list[IngestOutcome]:
    """``outcomes`` of work done for the message at ``message_url``, with a duplicate
    of an article that this very message shared counted as added: it was stored by an
    earlier start of the same work, cut short before its poster was told."""
    if message_url is None:
        return list(outcomes)
    return [
        dataclasses.replace(o, result=dataclasses.replace(o.result, status="added"))
        if o.result is not None
        and o.result.status == "duplicate"
        and o.result.article.message_url == message_url
        else o
        for o in outcomes
    ]


async def when_reachable(attempt: Callable[[], Awaitable[_Done]], what: str) -> _Done:
    """``attempt()``, made again while the store cannot be reached (``StoreUnavailable``:
    the database server restarted, the network cut) until it can. Safe for ingest work:
    what an earlier attempt stored is found again, as a duplicate of its own."""
    for wait in itertools.chain(UNAVAILABLE_WAITS, itertools.repeat(UNAVAILABLE_WAITS[-1])):
        try:
            return await attempt()
        except StoreUnavailable as error:
            log.warning("%s waits for the database, trying again in %g s: %s", what, wait, error)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable: the waits never end")  # pragma: no cover
