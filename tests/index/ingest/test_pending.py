"""Accepted work is written down until its poster saw the result, resumed after a stop,
and given up after a bounded number of starts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from index.errors import StoreError, StoreReadOnly, StoreUnavailable
from index.ingest import pending as pending_module
from index.ingest.pending import (
    MAX_ATTEMPTS,
    MAX_UNDELIVERED_NOTICES,
    Located,
    PendingWork,
    Redone,
    as_own_articles,
    when_reachable,
)
from index.models import ArticleInfo, IngestOutcome, IngestResult, PendingIngest
from index.store import Store, open_store

GUILD, OTHER_GUILD = 10, 20
MESSAGE_URL = "https://discord.com/channels/10/11/12"


class FakeOrigin:
    """Where work came from, as a test wants it found, told and redone."""

    def __init__(
        self, located: Located = Located.FOUND, told: bool = True, redone: Redone = Redone.TOLD
    ) -> None:
        self.located = located
        self.told = told
        self.redone = redone
        self.calls: list[str] = []
        self.redone_work: list[PendingIngest] = []

    async def locate(self) -> Located:
        self.calls.append("locate")
        return self.located

    async def tell_given_up(self) -> bool:
        self.calls.append("tell")
        return self.told

    async def redo(self, work: PendingIngest) -> Redone:
        self.calls.append("redo")
        self.redone_work.append(work)
        return self.redone


@pytest.fixture
async def store(tmp_path, store_url) -> AsyncIterator[Store]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()


@pytest.fixture
def pending(store) -> PendingWork:
    return PendingWork(store)


async def started(pending: PendingWork, starts: int) -> PendingIngest:
    """Work written down and started ``starts`` times (the first start is its acceptance)."""
    work_id = await pending.accept(GUILD, channel_id=11, message_id=12)
    for _ in range(starts - 1):
        await pending.count_start(GUILD, work_id)
    (work,) = await pending.unfinished([GUILD])
    assert work.id == work_id and work.attempts == starts
    return work


async def test_accepted_work_is_listed_per_guild_until_finished(pending):
    mine = await pending.accept(GUILD, channel_id=11, message_id=12)
    theirs = await pending.accept(OTHER_GUILD, channel_id=21, content="https://example.org/a")
    assert [w.id for w in await pending.unfinished([GUILD])] == [mine]
    (work,) = await pending.unfinished([OTHER_GUILD])
    assert (work.id, work.content, work.message_id) == (theirs, "https://example.org/a", None)
    await pending.finish(GUILD, mine)
    assert await pending.unfinished([GUILD]) == []
    assert [w.id for w in await pending.unfinished([GUILD, OTHER_GUILD])] == [theirs]


async def test_resumed_work_is_counted_redone_and_crossed_out_once_told(pending):
    work = await started(pending, 1)
    origin = FakeOrigin(redone=Redone.TOLD)
    await pending.resume(work, origin)
    assert origin.calls == ["locate", "redo"]
    assert origin.redone_work[0].attempts == 2
    assert await pending.unfinished([GUILD]) == []


async def test_work_whose_poster_was_not_told_is_kept_with_the_start_counted(pending):
    work = await started(pending, 1)
    await pending.resume(work, FakeOrigin(redone=Redone.KEPT))
    (kept,) = await pending.unfinished([GUILD])
    assert kept.id == work.id and kept.attempts == 2


async def test_work_with_nothing_left_to_do_is_crossed_out(pending):
    await pending.resume(await started(pending, 1), FakeOrigin(redone=Redone.NOTHING))
    assert await pending.unfinished([GUILD]) == []


async def test_work_whose_source_was_deleted_is_dropped(pending):
    origin = FakeOrigin(located=Located.GONE)
    await pending.resume(await started(pending, 1), origin)
    assert origin.calls == ["locate"]
    assert await pending.unfinished([GUILD]) == []


async def test_work_whose_source_cannot_be_reached_waits_for_the_next_start(pending):
    origin = FakeOrigin(located=Located.UNREACHABLE)
    await pending.resume(await started(pending, 1), origin)
    assert origin.calls == ["locate"]
    (kept,) = await pending.unfinished([GUILD])
    assert kept.attempts == 2  # this start counts too: the work still ends after a bound


async def test_work_tried_enough_is_given_up_and_crossed_out_once_the_poster_knows(pending):
    origin = FakeOrigin(told=True)
    await pending.resume(await started(pending, MAX_ATTEMPTS), origin)
    assert origin.calls == ["locate", "tell"]
    assert await pending.unfinished([GUILD]) == []


async def test_a_given_up_notice_that_is_refused_is_tried_at_the_next_start(pending):
    origin = FakeOrigin(told=False)
    await pending.resume(await started(pending, MAX_ATTEMPTS), origin)
    assert origin.calls == ["locate", "tell"]
    (kept,) = await pending.unfinished([GUILD])
    assert kept.attempts == MAX_ATTEMPTS + 1


async def test_a_notice_that_can_never_be_delivered_is_dropped_after_a_bound(pending, caplog):
    origin = FakeOrigin(told=False)
    with caplog.at_level(logging.WARNING, logger="index.ingest.pending"):
        await pending.resume(await started(pending, MAX_ATTEMPTS + MAX_UNDELIVERED_NOTICES), origin)
    assert origin.calls == []
    assert await pending.unfinished([GUILD]) == []
    assert "could not be told" in caplog.text


async def test_work_whose_start_cannot_be_counted_is_not_redone(pending, store, monkeypatch):
    work = await started(pending, 1)

    async def busy(*args):
        raise StoreError("the database is busy; nothing was saved, try again")

    monkeypatch.setattr(store, "retry_pending_ingest", busy)
    origin = FakeOrigin()
    await pending.resume(work, origin)
    assert origin.calls == ["locate"]  # an uncounted start could repeat forever
    assert [w.id for w in await pending.unfinished([GUILD])] == [work.id]


async def test_a_store_that_cannot_cross_out_is_logged_not_raised(
    pending, store, monkeypatch, caplog
):
    work_id = await pending.accept(GUILD, channel_id=11, message_id=12)

    async def read_only(*args):
        raise StoreError("the database is read-only; nothing was saved")

    monkeypatch.setattr(store, "remove_pending_ingest", read_only)
    await pending.finish(GUILD, work_id)
    assert f"could not cross out finished ingest {work_id}" in caplog.text


def _article(message_url: str | None) -> ArticleInfo:
    return ArticleInfo(
        id=7,
        guild_id=GUILD,
        title="Harbour reopens",
        source_url=None,
        canonical_url=None,
        fingerprint="f",
        note=None,
        poster_id=None,
        poster_name=None,
        message_url=message_url,
        posted_at=datetime(2026, 1, 1, tzinfo=UTC),
        paragraph_count=3,
    )


def test_a_duplicate_of_this_very_messages_article_counts_as_added():
    own = IngestOutcome("message.txt", result=IngestResult("duplicate", _article(MESSAGE_URL)))
    other = IngestOutcome("link", result=IngestResult("duplicate", _article(MESSAGE_URL + "9")))
    refused = IngestOutcome("photo.png", error="not a file the bot can read")
    counted = as_own_articles([own, other, refused], MESSAGE_URL)
    assert [o.result.status if o.result else o.error for o in counted] == [
        "added",
        "duplicate",
        "not a file the bot can read",
    ]
    assert counted[0].result.article == own.result.article
    assert as_own_articles([own], None) == [own]


async def test_work_in_hand_is_made_again_until_the_store_can_be_reached(monkeypatch, caplog):
    monkeypatch.setattr(pending_module, "UNAVAILABLE_WAITS", (0.0, 0.01))
    attempts: list[int] = []

    async def attempt() -> str:
        attempts.append(len(attempts))
        if len(attempts) < 4:
            raise StoreUnavailable("the database cannot be reached right now")
        return "stored"

    assert await when_reachable(attempt, "the ingest of message 12") == "stored"
    assert len(attempts) == 4
    assert caplog.text.count("the ingest of message 12 waits for the database") == 3


async def test_other_store_errors_are_not_waited_out():
    attempts: list[int] = []

    async def attempt() -> str:
        attempts.append(1)
        raise StoreReadOnly("the database is read-only; nothing was saved")

    with pytest.raises(StoreReadOnly):
        await when_reachable(attempt, "the ingest of message 12")
    assert attempts == [1]
