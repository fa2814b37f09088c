"""The question log and counters written in the background, never on an answer's path."""

from __future__ import annotations

import asyncio

from index.store import StoreError, StoreReadOnly, background_writes
from index.store.background_writes import BackgroundWrites


class FakeStore:
    """Records writes; ``failing`` writes raise, as a busy or full database does."""

    def __init__(self) -> None:
        self.questions: dict[tuple[int, int], tuple] = {}
        self.counters: dict[tuple[int, str], int] = {}
        self.failing = False
        self.gate = asyncio.Event()
        self.gate.set()

    async def add_question(self, guild_id, question_id, user_id, question, article_id):
        await self.gate.wait()
        if self.failing:
            raise StoreError("the database is busy; nothing was saved, try again")
        self.questions[guild_id, question_id] = (user_id, question, article_id)

    async def get_question(self, guild_id, question_id):
        return self.questions.get((guild_id, question_id))

    async def increment_counter(self, guild_id, key, by=1):
        await self.gate.wait()
        if self.failing:
            raise StoreError("the disk is full; nothing was saved")
        self.counters[guild_id, key] = self.counters.get((guild_id, key), 0) + by


async def test_notes_return_at_once_and_are_written_in_the_background():
    store = FakeStore()
    store.gate.clear()  # the store's writer is busy
    writes = BackgroundWrites(store)
    writes.remember(1, 10, 7, "who?", None)
    writes.count(1, "answered")
    writes.count(1, "answered")
    assert writes.recall(1, 10) == (7, "who?", None)
    assert writes.recall(2, 10) is None  # another guild's question is not this one
    assert writes.unwritten_count(1, "answered") == 2
    assert store.questions == {} and store.counters == {}
    store.gate.set()
    await writes.close()
    assert store.questions == {(1, 10): (7, "who?", None)}
    assert store.counters == {(1, "answered"): 2}
    assert writes.recall(1, 10) is None and writes.waiting == 0


async def test_counts_noted_during_a_write_are_not_lost():
    store = FakeStore()
    writes = BackgroundWrites(store)
    store.gate.clear()
    writes.count(1, "answered")
    await asyncio.sleep(0)  # the background task starts writing 1
    writes.count(1, "answered")
    writes.count(1, "answered")
    store.gate.set()
    await writes.close()
    assert store.counters == {(1, "answered"): 3}


async def test_a_failed_write_is_logged_kept_and_retried(monkeypatch, caplog):
    monkeypatch.setattr(background_writes, "RETRY_SECONDS", 0.05)
    store = FakeStore()
    store.failing = True
    writes = BackgroundWrites(store)
    writes.remember(1, 10, None, "why?", 3)
    writes.count(1, "answered")
    await asyncio.sleep(0.02)
    assert "could not save question 10" in caplog.text
    assert "could not save the answered count" in caplog.text
    assert writes.recall(1, 10) == (None, "why?", 3)  # still answerable from memory
    store.failing = False
    await asyncio.sleep(0.2)  # the retry
    assert store.questions == {(1, 10): (None, "why?", 3)}
    assert store.counters == {(1, "answered"): 1}
    await writes.close()


async def test_a_write_that_landed_despite_an_error_is_not_written_twice():
    store = FakeStore()
    writes = BackgroundWrites(store)
    real_add = store.add_question

    async def lands_then_fails(*args):
        await real_add(*args)
        raise StoreError("the database failed: disk I/O error")

    store.add_question = lands_then_fails
    writes.remember(1, 10, None, "why?", None)
    await asyncio.sleep(0.02)
    store.add_question = real_add
    calls = []

    async def counting_add(*args):
        calls.append(args)
        await real_add(*args)

    store.add_question = counting_add
    await writes.close()
    assert calls == [] and store.questions == {(1, 10): (None, "why?", None)}


async def test_close_with_the_store_still_failing_does_not_raise(caplog):
    store = FakeStore()
    store.failing = True
    writes = BackgroundWrites(store)
    writes.remember(1, 10, None, "why?", None)
    await writes.close()
    assert "could not be saved before closing" in caplog.text


async def test_forgetting_a_guild_drops_only_its_notes():
    store = FakeStore()
    store.gate.clear()
    writes = BackgroundWrites(store)
    writes.remember(1, 10, None, "one", None)
    writes.remember(2, 11, None, "two", None)
    writes.count(1, "answered")
    writes.forget_guild(1)
    assert writes.recall(1, 10) is None and writes.unwritten_count(1, "answered") == 0
    store.gate.set()
    await writes.close()
    assert store.questions == {(2, 11): (None, "two", None)} and store.counters == {}


async def test_settling_a_guild_waits_out_its_question_already_being_written():
    store = FakeStore()
    store.gate.clear()  # the write below is in the store, not finished
    writes = BackgroundWrites(store)
    writes.remember(1, 10, None, "one", None)
    for _ in range(3):
        await asyncio.sleep(0)  # the background task is inside add_question now
    settling = asyncio.create_task(writes.settle_guild(1))
    await asyncio.sleep(0.01)
    assert not settling.done()  # it waits for the write in flight
    store.gate.set()
    await settling
    landed = dict(store.questions)  # whatever is stored now landed before settle returned
    writes.remember(2, 11, None, "two", None)
    await writes.close()
    assert store.questions == {**landed, (2, 11): (None, "two", None)}
    assert writes.recall(1, 10) is None


async def test_unwritten_questions_are_bounded(caplog):
    store = FakeStore()
    store.gate.clear()
    writes = BackgroundWrites(store, max_questions=3)
    for question_id in range(5):
        writes.remember(1, question_id, None, f"q{question_id}", None)
    assert [writes.recall(1, i) is not None for i in range(5)] == [False, False, True, True, True]
    assert "dropped before it was saved" in caplog.text
    store.gate.set()
    await writes.close()
    assert sorted(store.questions) == [(1, 2), (1, 3), (1, 4)]


async def test_a_counter_total_is_exact_while_a_write_of_it_lands():
    """The store's count and the unwritten rest are read as one: a write that has landed
    in the store but not yet been taken off what is waiting must not count twice."""
    store = FakeStore()
    committed, resume = asyncio.Event(), asyncio.Event()

    async def increment_then_pause(guild_id, key, by=1):
        store.counters[guild_id, key] = store.counters.get((guild_id, key), 0) + by
        committed.set()
        await resume.wait()  # the store's thread has not handed control back yet

    async def get_counter(guild_id, key):
        return store.counters.get((guild_id, key), 0)

    store.increment_counter = increment_then_pause
    store.get_counter = get_counter
    writes = BackgroundWrites(store)
    writes.count(1, "answered", by=3)
    await asyncio.wait_for(committed.wait(), 5)
    total = asyncio.create_task(writes.counter_total(1, "answered"))
    await asyncio.sleep(0.01)
    resume.set()
    assert await asyncio.wait_for(total, 5) == 3
    await writes.close()
    assert store.counters == {(1, "answered"): 3}


async def test_a_store_refusing_every_write_is_logged_once_not_at_every_retry(caplog):
    store = FakeStore()

    async def read_only(*args, **kwargs):
        raise StoreReadOnly("the database file x (or its folder) is read-only")

    store.increment_counter = read_only
    writes = BackgroundWrites(store)
    writes.count(1, "answered")
    for _ in range(3):
        assert not await writes.write_waiting()
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "read-only" in warnings[0].getMessage()
    assert writes.unwritten_count(1, "answered") == 1  # kept, not dropped
    await writes.close()  # tries once more, and says what could not be saved
    assert "could not be saved before closing" in caplog.text
