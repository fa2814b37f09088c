"""The writes a question makes, taken off the path of its answer.

Answering a question writes twice: the guild's count of answered questions, and the
question itself, kept so its answer can be paged with More even after a restart. Both
went through the store's single writer, behind whatever held it: an ingest's
transaction made every answer in every guild wait for it. Neither write is needed for
the answer, so here they are only noted, in memory, and written by a background task:

- a remembered question can be recalled at once, from memory until its row is written;
- counts add up in memory and are written as one increment per guild and counter;
- a failed write is logged and tried again later (after ``RETRY_SECONDS``, or at
  ``close``); it never reaches an answer;
- ``close`` writes whatever is left.

What is in memory is bounded: past ``max_questions`` unwritten questions (the store has
failed for a long time) the oldest are dropped, with a warning. A crash loses only what
was not written yet, normally the last few milliseconds' questions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from index.store import Store

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
MAX_QUESTIONS = 10_000


@dataclass(frozen=True, slots=True)
class _Question:
    user_id: int | None
    text: str
    article_id: int | None
    failed: bool = False
    """A write of it failed before: it may have landed all the same."""


class BackgroundWrites:
    def __init__(self, store: Store, *, max_questions: int = MAX_QUESTIONS) -> None:
        self._store = store
        self._max_questions = max_questions
        self._questions: dict[tuple[int, int], _Question] = {}
        self._counts: dict[tuple[int, str], int] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._closed = False

    # -- noting -----------------------------------------------------------------------

    def count(self, guild_id: int, key: str, by: int = 1) -> None:
        self._counts[guild_id, key] = self._counts.get((guild_id, key), 0) + by
        self._schedule()

    def unwritten_count(self, guild_id: int, key: str) -> int:
        """What ``count`` added that the store does not hold yet."""
        return self._counts.get((guild_id, key), 0)

    def remember(
        self,
        guild_id: int,
        question_id: int,
        user_id: int | None,
        question: str,
        article_id: int | None,
    ) -> None:
        self._questions[guild_id, question_id] = _Question(user_id, question, article_id)
        while len(self._questions) > self._max_questions:
            dropped = next(iter(self._questions))
            del self._questions[dropped]
            log.warning("guild %s: question %s dropped before it was saved", *dropped)
        self._schedule()

    def recall(self, guild_id: int, question_id: int) -> tuple[int | None, str, int | None] | None:
        """A remembered question not written yet; None when it is not waiting here."""
        question = self._questions.get((guild_id, question_id))
        return None if question is None else (question.user_id, question.text, question.article_id)

    def forget_guild(self, guild_id: int) -> None:
        """Drop what is waiting for a guild whose data is being deleted."""
        for key in [key for key in self._questions if key[0] == guild_id]:
            del self._questions[key]
        for key in [key for key in self._counts if key[0] == guild_id]:
            del self._counts[key]

    @property
    def waiting(self) -> int:
        """Questions and counters not written yet."""
        return len(self._questions) + len(self._counts)

    # -- writing ----------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._closed:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        else:
            self._wake.set()

    async def _run(self) -> None:
        while self.waiting and not self._closed:
            if await self.write_waiting():
                continue
            # Something failed: wait before trying again (more notes do not hurry it).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing(), RETRY_SECONDS)

    async def _closing(self) -> None:
        while not self._closed:
            self._wake.clear()
            await self._wake.wait()

    async def write_waiting(self) -> bool:
        """Write what is waiting now; True when every write succeeded. Failures are
        logged and left waiting for the next call."""
        ok = True
        for key in list(self._counts):
            by = self._counts.get(key, 0)
            if not by:
                continue
            try:
                await self._store.increment_counter(*key, by=by)
            except Exception as error:
                ok = False
                log.warning("guild %s: could not save the %s count: %s", key[0], key[1], error)
                continue
            left = self._counts.get(key, 0) - by
            if left > 0:
                self._counts[key] = left
            else:
                self._counts.pop(key, None)
        for key in list(self._questions):
            ok = await self._write_question(key) and ok
        return ok

    async def _write_question(self, key: tuple[int, int]) -> bool:
        question = self._questions.get(key)
        if question is None:  # forgotten meanwhile (the guild was purged)
            return True
        guild_id, question_id = key
        try:
            if question.failed and await self._store.get_question(guild_id, question_id):
                self._questions.pop(key, None)  # the failed write had landed after all
                return True
            if self._questions.get(key) is not question:
                return True
            await self._store.add_question(
                guild_id, question_id, question.user_id, question.text, question.article_id
            )
        except Exception as error:
            if self._questions.get(key) is question:
                self._questions[key] = _Question(
                    question.user_id, question.text, question.article_id, failed=True
                )
            log.warning("guild %s: could not save question %s: %s", guild_id, question_id, error)
            return False
        if self._questions.get(key) is question:
            del self._questions[key]
        return True

    async def close(self) -> None:
        """Stop the background task and write what is left (once more if it fails)."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self.waiting and not await self.write_waiting():
            log.error("%d questions and counts could not be saved before closing", self.waiting)
