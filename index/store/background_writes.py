"""The writes a question makes, taken off the path of its answer.

Answering a question writes twice: the guild's count of answered questions, and the
question itself, kept so its answer can be paged with More even after a restart. Both
went through the store's single writer, behind whatever held it: an ingest's
transaction made every answer in every guild wait for it. Neither write is needed for
the answer, so here they are only noted, in memory, and written by a background task:

- a remembered question can be recalled at once, from memory until its row is written;
- counts add up in memory and are written as one increment per guild and counter;
- a failed write is logged and tried again later (after ``RETRY_SECONDS``, or at
  ``close``); it never reaches an answer. A database that cannot take writes at all
  (read-only, damaged) is said once and tried again only every ``STUCK_RETRY_SECONDS``;
- a counter's total (``counter_total``) is read under the same lock as its writes, so a
  write landing meanwhile is counted once, not twice or never;
- ``close`` writes whatever is left.

What is in memory is bounded: past ``max_questions`` unwritten questions (the store has
failed for a long time) the oldest are dropped, with a warning. A crash loses only what
was not written yet, normally the last few milliseconds' questions.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass

from index.store import Store, StoreDamaged, StoreReadOnly

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
STUCK_RETRY_SECONDS = 300.0
"""Between attempts while the store refuses every write (read-only or damaged)."""
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
        self._counter_lock = asyncio.Lock()
        self._question_lock = asyncio.Lock()
        """Held while a question is being written, so ``settle_guild`` can wait it out."""
        self._stuck = False
        """The last failure was one that retrying soon cannot mend."""

    # -- noting -----------------------------------------------------------------------

    def count(self, guild_id: int, key: str, by: int = 1) -> None:
        self._counts[guild_id, key] = self._counts.get((guild_id, key), 0) + by
        self._schedule()

    def unwritten_count(self, guild_id: int, key: str) -> int:
        """What ``count`` added that the store does not hold yet."""
        return self._counts.get((guild_id, key), 0)

    async def counter_total(self, guild_id: int, key: str) -> int:
        """The store's count plus what is not written yet, read while no write of the
        counts is under way (one landing between the two reads would count twice)."""
        async with self._counter_lock:
            stored = await self._store.get_counter(guild_id, key)
            return stored + self.unwritten_count(guild_id, key)

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

    async def settle_guild(self, guild_id: int) -> None:
        """Forget what is waiting for the guild and wait out any write of it already under
        way: on a store with concurrent writers, none lands after this returns."""
        self.forget_guild(guild_id)
        async with self._counter_lock, self._question_lock:
            pass

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

    async def _run(self) -> None:
        while self.waiting and not self._closed:
            if await self.write_waiting():
                continue
            # Something failed: wait before trying again (more notes do not hurry it).
            pause = STUCK_RETRY_SECONDS if self._stuck else RETRY_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing(), pause)

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
                async with self._counter_lock:
                    await self._store.increment_counter(*key, by=by)
                    self._take_back(key, by)
            except Exception as error:
                ok = False
                self._failed(f"guild {key[0]}: could not save the {key[1]} count", error)
        for key in list(self._questions):
            ok = await self._write_question(key) and ok
        if ok:
            self._stuck = False
        return ok

    def _take_back(self, key: tuple[int, str], by: int) -> None:
        """Remove ``by``, now written, from what is waiting (more may have come since)."""
        left = self._counts.get(key, 0) - by
        if left > 0:
            self._counts[key] = left
        else:
            self._counts.pop(key, None)

    def _failed(self, what: str, error: Exception) -> None:
        """Log a failed write: every transient one, but a store that refuses all writes
        only when it starts doing so, not at every retry."""
        stuck = isinstance(error, StoreReadOnly | StoreDamaged)
        if stuck and self._stuck:
            log.debug("%s: %s", what, error)
        else:
            log.warning("%s: %s", what, error)
        self._stuck = stuck

    async def _write_question(self, key: tuple[int, int]) -> bool:
        question = self._questions.get(key)
        if question is None:  # forgotten meanwhile (the guild was purged)
            return True
        guild_id, question_id = key
        try:
            if question.failed and await self._store.get_question(guild_id, question_id):
                self._questions.pop(key, None)  # the failed write had landed after all
                return True
            async with self._question_lock:
                if self._questions.get(key) is not question:  # forgotten meanwhile
                    return True
                await self._store.add_question(
                    guild_id, question_id, question.user_id, question.text, question.article_id
                )
        except Exception as error:
            if self._questions.get(key) is question:
                self._questions[key] = dataclasses.replace(question, failed=True)
            self._failed(f"guild {guild_id}: could not save question {question_id}", error)
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
