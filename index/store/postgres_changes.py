"""Hearing of change log entries the moment they are committed, through PostgreSQL's
``LISTEN``.

Every transaction that writes a change log entry also notifies ``CHANGE_CHANNEL``; the
notification is delivered when it commits. One connection of its own (a pooled one would
stop listening when returned) listens. Notifications sent while it is not connected (the
server restarting, the network cut) are lost for good, so each time it connects it
reports a change once, and the reader catches up from the log itself, which keeps every
entry. A connection that silently stopped answering is found by a ping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from index.store.change_log import CHANGE_CHANNEL

log = logging.getLogger(__name__)

PING_SECONDS = 2.0
"""How often a quiet listening connection is checked, and how long a check may take."""
RECONNECT_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Waits between attempts to connect again; the last one repeats."""


class ChangeListener:
    """Listens on ``CHANGE_CHANNEL`` from the first ``wait`` until ``close``."""

    def __init__(self, url: str, *, connect_options: dict[str, Any] | None = None) -> None:
        self._url = url
        self._connect_options = connect_options or {}
        self._heard = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.connections = 0
        """How many times the listener has connected (a reconnection counts)."""

    async def wait(self, timeout: float) -> None:
        """Return when a change was announced (or the listener connected again, when
        changes may have been missed) since the last return, or after ``timeout``."""
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._listen(), name="change-listener")
            self._task.add_done_callback(self._ended)
        await _set_within(self._heard, timeout)
        self._heard.clear()

    async def close(self) -> None:
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen(self) -> None:
        failures = 0
        while True:
            if failures:
                await asyncio.sleep(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS)) - 1])
            try:
                connection = await asyncpg.connect(self._url, **self._connect_options)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                if failures == 0:
                    log.info("cannot listen for changes yet (%s); trying again", error or "")
                failures += 1
                continue
            try:
                listened = await self._hold(connection)
            finally:
                connection.terminate()
            failures = 0 if listened else failures + 1

    async def _hold(self, connection: asyncpg.Connection) -> bool:
        """Listen on ``connection`` until it is lost; False if it could not listen."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANGE_CHANNEL, self._on_notification)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.info("the database refused to announce changes (%s); trying again", error)
            return False
        self.connections += 1
        if self.connections > 1:
            log.info("listening for changes again; catching up on what was missed")
        self._heard.set()  # whatever was announced while not listening
        while not lost.is_set():
            if await _set_within(lost, PING_SECONDS):
                return True
            try:
                await asyncio.wait_for(connection.fetchval("SELECT 1"), PING_SECONDS)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.info("the connection listening for changes was lost")
                return True
        return True

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A listener that failed in a way nobody foresaw is started again, said once."""
        if task is not self._task or task.cancelled():
            return
        log.error("listening for changes stopped (%s); starting again", task.exception())
        self._task = None
        self._heard.set()

    def _on_notification(self, *_details: object) -> None:
        self._heard.set()


async def _set_within(event: asyncio.Event, timeout: float) -> bool:
    """Whether ``event`` is set within ``timeout`` seconds. (Not ``asyncio.wait_for``,
    which on Python 3.11 could leave a cancelled caller waiting for good.)"""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout)
    finally:
        waiter.cancel()
    return event.is_set()
