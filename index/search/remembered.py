"""Questions kept so that their answers can be paged later (More), even after a restart.

A question is given its id here and answered at once; its record is written by the
background writer, and recalled from memory until then, so remembering never waits for
the store's writer.
"""

from __future__ import annotations

import secrets
import time

from index.store import Store
from index.store.background_writes import BackgroundWrites


class QuestionIds:
    """Ids for remembered questions, chosen here rather than by the store so that a
    question can be answered before its record is written. Laid out like Discord's
    snowflakes, so they keep growing across restarts and never meet another process's:
    milliseconds since ``EPOCH_MS`` (41 bits), a tag chosen at random for this process
    (10 bits; several bot processes share one database) and a sequence within the
    millisecond (12 bits)."""

    EPOCH_MS = 1_735_689_600_000  # 2025-01-01 UTC: 41 bits of milliseconds last 69 years
    TAG_BITS = 10
    SEQUENCE_BITS = 12

    def __init__(self, tag: int | None = None) -> None:
        self.tag = secrets.randbelow(1 << self.TAG_BITS) if tag is None else tag
        if not 0 <= self.tag < 1 << self.TAG_BITS:
            raise ValueError(f"a tag fits in {self.TAG_BITS} bits")
        self._millisecond = 0
        self._sequence = 0

    def next(self) -> int:
        now = time.time_ns() // 1_000_000 - self.EPOCH_MS
        if now > self._millisecond:
            self._millisecond, self._sequence = now, 0
        else:
            self._sequence += 1
            if self._sequence >> self.SEQUENCE_BITS:  # the millisecond is used up
                self._millisecond, self._sequence = self._millisecond + 1, 0
        tagged = self._millisecond << self.TAG_BITS | self.tag
        return tagged << self.SEQUENCE_BITS | self._sequence


class RememberedQuestions:
    def __init__(self, store: Store, writes: BackgroundWrites) -> None:
        self._store = store
        self._writes = writes
        self._ids = QuestionIds()

    def remember(
        self, guild_id: int, user_id: int | None, question: str, article_id: int | None
    ) -> int:
        """Keep a question; returns its id at once. A NUL in it is dropped: PostgreSQL
        refuses one in any text, and the question would never be written."""
        question_id = self._ids.next()
        text = question.replace("\0", "")
        self._writes.remember(guild_id, question_id, user_id, text, article_id)
        return question_id

    async def recall(
        self, guild_id: int, question_id: int
    ) -> tuple[int | None, str, int | None] | None:
        """(asker, question, article) of a question this guild remembered, or None."""
        waiting = self._writes.recall(guild_id, question_id)
        if waiting is not None:
            return waiting
        return await self._store.get_question(guild_id, question_id)
