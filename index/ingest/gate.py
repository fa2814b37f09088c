"""How much ingest work runs at once, and how much may wait.

Each guild may have ``per_guild`` ingests admitted (running or waiting); past that the
caller is told to wait instead of queueing without end. At most ``running`` ingests
run at once over all guilds, and at most ``running_per_guild`` of one guild, so a
flood in one server leaves room for the others. Questions never pass through here.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from index.errors import IngestBusy


@dataclass(frozen=True, slots=True)
class GateLimits:
    per_guild: int = 20
    running: int = 4
    running_per_guild: int = 2


class IngestGate:
    def __init__(self, limits: GateLimits | None = None) -> None:
        self.limits = limits or GateLimits()
        self._admitted: Counter[int] = Counter()
        self._running = asyncio.Semaphore(self.limits.running)
        self._running_in: dict[int, asyncio.Semaphore] = {}

    def admitted(self, guild_id: int) -> int:
        return self._admitted[guild_id]

    def admit(self, guild_id: int) -> Ticket:
        """A place in the guild's queue, or ``IngestBusy`` when there is none."""
        if self._admitted[guild_id] >= self.limits.per_guild:
            raise IngestBusy(self._admitted[guild_id])
        self._admitted[guild_id] += 1
        return Ticket(self, guild_id)

    def _release(self, guild_id: int) -> None:
        self._admitted[guild_id] -= 1
        if self._admitted[guild_id] <= 0:
            del self._admitted[guild_id]
            self._running_in.pop(guild_id, None)

    def _guild_semaphore(self, guild_id: int) -> asyncio.Semaphore:
        semaphore = self._running_in.get(guild_id)
        if semaphore is None:
            semaphore = self._running_in[guild_id] = asyncio.Semaphore(
                self.limits.running_per_guild
            )
        return semaphore


class Ticket:
    """An admitted ingest: ``async with ticket.turn():`` waits for its turn to run.
    Use the ticket itself as a context manager so that its place is always given back."""

    def __init__(self, gate: IngestGate, guild_id: int) -> None:
        self._gate = gate
        self.guild_id = guild_id
        self._done = False

    def release(self) -> None:
        if not self._done:
            self._done = True
            self._gate._release(self.guild_id)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._gate._guild_semaphore(self.guild_id), self._gate._running:
            yield
