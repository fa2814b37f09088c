"""Questions kept so that their answers can be paged later (More), even after a restart.

A question is given its id here and answered at once; its record is written by the
background writer, and recalled from memory until then, so remembering never waits for
the store's writer.
"""

from __future__ import annotations

import time

from index.store import Store
from index.store.background_writes import BackgroundWrites


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


class RememberedQuestions:
    def __init__(self, store: Store, writes: BackgroundWrites) -> None:
        self._store = store
        self._writes = writes
        self._ids = QuestionIds()

    def remember(
        self, guild_id: int, user_id: int | None, question: str, article_id: int | None
    ) -> int:
        """Keep a question; returns its id at once."""
        question_id = self._ids.next()
        self._writes.remember(guild_id, question_id, user_id, question, article_id)
        return question_id

    async def recall(
        self, guild_id: int, question_id: int
    ) -> tuple[int | None, str, int | None] | None:
        """(asker, question, article) of a question this guild remembered, or None."""
        waiting = self._writes.recall(guild_id, question_id)
        if waiting is not None:
            return waiting
        return await self._store.get_question(guild_id, question_id)
