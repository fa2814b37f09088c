"""The database server going away while the bot runs, and coming back.

The bot runs over PostgreSQL against the fake Discord. The test server is stopped in the
middle of the run, as a crash stops it (every connection cut), and started again on the
same port. Meanwhile members are told, in plain words and never with a traceback, that
storage is unavailable and to try again shortly; the bot keeps running; what it had
accepted is not lost; once the server is back, the bot answers again by itself (its
connection pool reconnects), without being restarted.

No timing is asserted: every wait is a bounded polling loop, whose bound only decides
when to give up.
"""

# ruff: noqa: F811  (the fixtures imported from test_bot are parameters here)

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.client import NewsBot
from bot.errors import store_error_text
from bot.render_discord import CHOICE_NAME_LIMIT
from index import Engine
from index.errors import StoreUnavailable
from index.ingest.extract import Extractor
from index.ingest.fetch import Fetcher, FetchLimits
from index.ingest.netpolicy import AddressPolicy
from index.ingest.textio import shorten
from tests.e2e.test_bot import (
    ALICE,
    BOB,
    BOT_ID,
    CAROL,
    GUILD,
    NEWS,
    OTHER_GUILD,
    OTHER_NEWS,
    fake,  # noqa: F401
    first_embed,
    post_seed,
    running,
)
from tests.support.engines import open_engine
from tests.support.fake_discord import EPHEMERAL, ErrorCapture, FakeDiscord
from tests.support.postgres import PostgresServer
from tests.support.web import serve

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.parametrize("store_url", ["postgresql"], indirect=True),
]

TOLD_UNAVAILABLE = store_error_text(
    StoreUnavailable("the database postgresql://127.0.0.1/x cannot be reached right now")
)
CLASS_NAME = re.compile(r"\b\w*(Error|Exception|Failure|Closed)\b|\b[A-Z][a-z]+[A-Z]\w+")
BACK_WITHIN_SECONDS = 30.0
"""How long the bot may take to answer again once the server is back, before the test
gives up (a bound for the polling, not a measured time)."""
POLL_SECONDS = 0.1

HARBOUR = (
    "Harbour reopens after the winter storm\n\n"
    "The harbour at Port Ellis reopened on Monday after the sea wall repairs, which cost "
    "the council four million dollars and took eleven weeks, were finished ahead of the "
    "spring fishing season.\n\n"
    "Ferries to the three outer islands will run again from Tuesday morning, the port "
    "authority said, with the winter timetable kept until the end of the month.\n\n"
    "Fishing crews, who had moored their boats in the next bay since the storm, said the "
    "new wall was two metres higher than the old one and should hold back the next surge.\n"
)
HARBOUR_QUESTION = "How much did the sea wall repairs cost?"
HARBOUR_ANSWER = "four million dollars"
SEED_QUESTION = "How many troops are stationed in Puerto Rico?"
SEED_ANSWER = "10,000 troops"


# -- the pieces -------------------------------------------------------------------------


class HeldFetcher(Fetcher):
    """A fetcher that hands over the page of a ``/held`` link only once the test lets it,
    so that the database can be taken away while an ingest is in hand."""

    def __init__(self) -> None:
        super().__init__(
            AddressPolicy.allowing(["127.0.0.1/32"], any_port=True), FetchLimits(total_seconds=5)
        )
        self.holding = asyncio.Event()
        self.released = asyncio.Event()

    async def fetch(self, url: str):  # type: ignore[override]
        if "/held" in url:
            self.holding.set()
            await self.released.wait()
            url = url.replace("/held", "/article")
        return await super().fetch(url)


@pytest.fixture
def fetcher() -> HeldFetcher:
    return HeldFetcher()


@pytest.fixture
async def engine(store_url, tmp_path, fetcher) -> AsyncIterator[Engine]:
    """The bot's engine over a fresh PostgreSQL database."""
    async with Extractor() as extractor:
        engine = await open_engine(
            store_url, fetcher=fetcher, extractor=extractor, index_dir=tmp_path / "index"
        )
        yield engine
        await engine.close()
        await fetcher.close()


@dataclass
class Database:
    """The test server, taken away and brought back from a running test."""

    server: PostgresServer

    async def stop(self) -> None:
        # pg_ctl waits for the server to be gone: in a thread, so the bot keeps running.
        await asyncio.to_thread(self.server.stop)

    async def start(self) -> None:
        await asyncio.to_thread(self.server.start)


@pytest.fixture
async def database(postgres_server: PostgresServer, engine: Engine) -> AsyncIterator[Database]:
    """The server under ``engine``; started again after the test whatever happened (set
    up after the engine, so it runs again before the engine closes)."""
    yield Database(postgres_server)
    await asyncio.to_thread(postgres_server.ensure_running)


OUTAGE_WORDS = "cannot be reached right now"
"""How the store words the database being away (``index.store.postgres_faults``)."""


class OutageLog(ErrorCapture):
    """Every warning and error logged by the bot, the engine, discord.py and asyncpg.

    An outage is expected in the log: warnings, and errors that say the database cannot
    be reached (the operator must learn of it), all without a traceback. A traceback,
    or an error about anything else, is a path that did not expect the database to go
    away. asyncpg's pool logs a warning, with its traceback, each time it fails to open
    the connections it keeps ready: that is the pool reconnecting by itself."""

    def __init__(self) -> None:
        loggers = ("discord", "fake_discord", "bot", "index", "asyncpg")
        super().__init__(loggers, level=logging.WARNING)

    @staticmethod
    def expected(record: logging.LogRecord) -> bool:
        if record.name == "asyncpg.pool" and record.levelno == logging.WARNING:
            return True
        if record.exc_info:
            return False
        return record.levelno < logging.ERROR or OUTAGE_WORDS in record.getMessage()

    def unexpected(self) -> list[logging.LogRecord]:
        return [record for record in self.records if not self.expected(record)]

    def assert_only_warnings(self) -> None:
        unexpected = self.unexpected()
        if unexpected:
            self.records = unexpected
            raise AssertionError(
                f"{len(unexpected)} error(s) logged during the outage:\n{self.format_records()}"
            )


@pytest.fixture
def outage_log() -> AsyncIterator[OutageLog]:
    capture = OutageLog().install()
    yield capture
    capture.uninstall()
    capture.assert_only_warnings()


@pytest.fixture
async def bot(fake, engine, database, outage_log) -> AsyncIterator[NewsBot]:
    async with running(fake, engine) as bot:
        yield bot


# -- helpers ----------------------------------------------------------------------------


def assert_told_unavailable(text: str) -> None:
    """The member reads that storage is unavailable and to try again shortly: plain
    words, no traceback, no class name, no database address."""
    assert TOLD_UNAVAILABLE in text, text
    assert "unavailable" in text.lower() and "try again shortly" in text.lower(), text
    assert "Traceback" not in text and not CLASS_NAME.search(text), text
    assert "postgresql://" not in text and "127.0.0.1" not in text, text


async def post_seed_and_settle(fake: FakeDiscord, engine: Engine) -> None:
    """The seed indexed, and its accepted work crossed out (which follows the ✅): the
    outage then finds nothing of it in hand."""
    await post_seed(fake)
    await poll(nothing_pending(engine), "the seed's work to be crossed out")


def nothing_pending(engine: Engine) -> Callable[[], Awaitable[bool]]:
    async def nothing_pending() -> bool:
        return await engine.pending_ingests([GUILD, OTHER_GUILD]) == []

    return nothing_pending


def assert_still_running(fake: FakeDiscord, bot: NewsBot) -> None:
    assert not bot.is_closed() and bot.is_ready()
    assert fake.connected


async def poll(condition: Callable[[], Awaitable[object]], what: str) -> object:
    """``condition`` until it returns something true, for at most ``BACK_WITHIN_SECONDS``."""
    for _ in range(int(BACK_WITHIN_SECONDS / POLL_SECONDS)):
        found = await condition()
        if found:
            return found
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"gave up waiting for {what}")


def reply_to(message: dict) -> Callable[[dict], bool]:
    def is_reply(candidate: dict) -> bool:
        return (
            candidate["author"]["id"] == str(BOT_ID)
            and (candidate.get("message_reference") or {}).get("message_id") == message["id"]
        )

    return is_reply


def reactions(fake: FakeDiscord, message: dict) -> list[str]:
    return [r.emoji for r in fake.reactions_on(int(message["id"])) if r.added]


async def ask(
    fake: FakeDiscord, question: str, guild: int = GUILD, channel: int = NEWS, **options: object
) -> dict:
    member = BOB if guild == GUILD else CAROL
    options["question"] = question
    interaction = await fake.slash(guild, channel, member, "ask", options)
    return await fake.wait_for_reply(interaction)


def is_ephemeral(reply: dict) -> bool:
    return bool(int(reply.get("flags") or 0) & EPHEMERAL)


async def ask_until_answered(
    fake: FakeDiscord, question: str, guild: int = GUILD, channel: int = NEWS
) -> dict:
    """Ask until an answer quotes passages; meanwhile only "try again shortly" is said."""

    async def answered() -> dict | None:
        reply = await ask(fake, question, guild, channel)
        if reply.get("embeds"):
            return reply
        assert_told_unavailable(reply["content"])
        return None

    return await poll(answered, f"{question!r} to be answered again")  # type: ignore[return-value]


async def share(fake: FakeDiscord, text: str, guild: int = GUILD, channel: int = NEWS) -> dict:
    member = ALICE if guild == GUILD else CAROL
    return await fake.user_message(guild, channel, member, text)


# -- questions ----------------------------------------------------------------------------


async def test_questions_during_an_outage_are_told_to_try_again_shortly(
    fake, bot, database, engine
):
    await post_seed_and_settle(fake, engine)
    before = await ask(fake, SEED_QUESTION)
    assert SEED_ANSWER in first_embed(before)["description"].replace("**", "")
    # One passage a page of a question many passages answer: the next page has
    # passages to read from the store.
    paged = await ask(fake, "Maduro", results=1)
    more_id = paged["components"][0]["components"][0]["custom_id"]

    await database.stop()

    asked = await ask(fake, SEED_QUESTION)
    assert_told_unavailable(asked["content"])
    assert is_ephemeral(asked) and not asked.get("embeds")

    question = await fake.user_message(GUILD, NEWS, BOB, SEED_QUESTION, mentions_bot=True)
    mentioned = await fake.wait_for_message(NEWS, reply_to(question))
    assert_told_unavailable(mentioned["content"])
    assert not mentioned.get("embeds")

    clicked = await fake.click(GUILD, NEWS, BOB, paged, more_id)
    told = await fake.wait_for_reply(clicked)
    assert_told_unavailable(told["content"])
    assert is_ephemeral(told)

    typing = await fake.autocomplete(
        GUILD, NEWS, BOB, "ask", {"question": "x", "article": "Scoop"}, focused="article"
    )
    (choice,) = (await fake.wait_for_response(typing)).choices
    assert choice["name"] == shorten(TOLD_UNAVAILABLE, CHOICE_NAME_LIMIT)

    assert_still_running(fake, bot)
    await database.start()

    again = await ask_until_answered(fake, SEED_QUESTION)
    assert SEED_ANSWER in first_embed(again)["description"].replace("**", "")
    clicked = await fake.click(GUILD, NEWS, BOB, paged, more_id)
    await fake.wait_until(lambda: clicked.edits or None, "the next page")
    page = clicked.edits[-1].message
    assert [e["title"].split(".")[0] for e in page["embeds"]] == ["2"]
    assert_still_running(fake, bot)


# -- articles shared while the database is away --------------------------------------------


async def test_an_article_shared_during_an_outage_is_refused_with_the_reason(
    fake, bot, database, engine
):
    """Work that cannot even be written down is not taken: the poster reads that it was
    not indexed and why, and shares it again once the database is back."""
    await post_seed_and_settle(fake, engine)
    await database.stop()

    shared = await share(fake, HARBOUR)
    await fake.wait_for_reaction(int(shared["id"]), "❌")
    told = await fake.wait_for_message(NEWS, reply_to(shared))
    assert "Could not index" in told["content"]
    assert_told_unavailable(told["content"])
    assert "⏳" not in reactions(fake, shared)  # never taken in hand
    assert_still_running(fake, bot)

    await database.start()
    await ask_until_answered(fake, SEED_QUESTION)
    # Nothing was kept to be redone later behind the poster's back...
    assert await engine.pending_ingests([GUILD]) == []
    assert await engine.find_by_message(GUILD, int(shared["id"])) is None
    # ... and shared again, it is indexed and answered.
    again = await share(fake, HARBOUR)
    await fake.wait_for_reaction(int(again["id"]), "✅")
    answer = await ask(fake, HARBOUR_QUESTION)
    assert HARBOUR_ANSWER in first_embed(answer)["description"].replace("**", "")


async def test_an_article_shared_in_a_guild_not_seen_since_the_start_is_answered(
    fake, bot, database, engine
):
    """The first message of a guild whose settings the bot has not read yet: reading them
    is the first thing that fails, and the poster must still be told."""
    await post_seed_and_settle(fake, engine)  # the bot is at work; the other guild untouched
    await database.stop()

    shared = await share(fake, HARBOUR, OTHER_GUILD, OTHER_NEWS)
    told = await fake.wait_for_message(OTHER_NEWS, reply_to(shared))
    assert_told_unavailable(told["content"])
    assert "❌" in reactions(fake, shared)
    assert_still_running(fake, bot)

    await database.start()
    await ask_until_answered(fake, SEED_QUESTION)
    assert await engine.pending_ingests([OTHER_GUILD]) == []
    again = await share(fake, HARBOUR, OTHER_GUILD, OTHER_NEWS)
    await fake.wait_for_reaction(int(again["id"]), "✅")
    answer = await ask_until_answered(fake, HARBOUR_QUESTION, OTHER_GUILD, OTHER_NEWS)
    assert HARBOUR_ANSWER in first_embed(answer)["description"].replace("**", "")


async def test_slash_ingest_during_an_outage_is_refused_with_the_reason(
    fake, bot, database, engine
):
    await post_seed_and_settle(fake, engine)
    async with serve() as web:
        await database.stop()
        refused = await fake.slash(GUILD, NEWS, ALICE, "ingest", {"url": web.url("/article")})
        reply = await fake.wait_for_reply(refused)
        assert_told_unavailable(reply["content"])
        assert is_ephemeral(reply)
        assert_still_running(fake, bot)

        await database.start()
        await ask_until_answered(fake, SEED_QUESTION)
        ingested = await fake.slash(GUILD, NEWS, ALICE, "ingest", {"url": web.url("/article")})
        reply = await fake.wait_for_reply(ingested)
        assert "indexed as article" in reply["content"], reply["content"]
    # Only the second /ingest was written down, and it was crossed out once answered.
    await poll(nothing_pending(engine), "the second ingest to be crossed out")


async def test_an_ingest_in_hand_when_the_database_goes_away_is_finished_when_it_is_back(
    fake, bot, database, engine, fetcher, monkeypatch
):
    """Accepted work (written down, ⏳ shown) whose article could not be stored because
    the database went away meanwhile is finished once it is back, without a restart; its
    poster sees ⏳ and then ✅, never a failure they would share it again for."""
    await post_seed_and_settle(fake, engine)
    attempts = StoreAttempts(engine, monkeypatch, "find_duplicate", "add_article")
    async with serve() as web:
        shared = await share(fake, f"worth a read {web.url('/held')}")
        await fake.wait_for_reaction(int(shared["id"]), "⏳")
        await poll(is_set(fetcher.holding), "the link to be fetched")
        await database.stop()
        fetcher.released.set()
        await poll(attempts.failed, "the article to reach the store while it is away")
        assert_still_running(fake, bot)

        await database.start()
        await ask_until_answered(fake, SEED_QUESTION)

        async def stored() -> object:
            return await engine.find_by_message(GUILD, int(shared["id"]))

        await poll(stored, "the accepted article to be stored")
        await fake.wait_for_reaction(int(shared["id"]), "✅")
        await poll(nothing_pending(engine), "the accepted work to be crossed out")
    assert "❌" not in reactions(fake, shared)
    assert not [m for m in fake.messages if reply_to(shared)(m)]
    answer = await ask(fake, "sea wall repairs cost")
    assert HARBOUR_ANSWER in first_embed(answer)["description"].replace("**", "")


class StoreAttempts:
    """Counts the calls of some of the store's methods that found the database away."""

    def __init__(self, engine: Engine, monkeypatch: pytest.MonkeyPatch, *methods: str) -> None:
        self.failures = 0
        for method in methods:
            monkeypatch.setattr(engine.store, method, self._counted(getattr(engine.store, method)))

    def _counted(self, original):
        async def counted(*args, **kwargs):
            try:
                return await original(*args, **kwargs)
            except StoreUnavailable:
                self.failures += 1
                raise

        return counted

    async def failed(self) -> bool:
        return self.failures > 0


def is_set(event: asyncio.Event) -> Callable[[], Awaitable[bool]]:
    async def set_() -> bool:
        return event.is_set()

    return set_


# -- work written down before the bot started -----------------------------------------------


async def test_work_left_from_the_last_run_is_resumed_once_the_database_is_back(
    fake, engine, database, outage_log, monkeypatch
):
    """The database is away when the bot connects, so the work the last run left
    written down cannot be read then; it is resumed once the database is back, without
    another restart."""
    attachment = fake.add_attachment("message.txt", HARBOUR.encode(), None)
    message = fake.add_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
    await engine.accept_ingest(GUILD, channel_id=NEWS, message_id=int(message["id"]))
    reads = StoreAttempts(engine, monkeypatch, "pending_ingests")
    await database.stop()
    async with running(fake, engine) as bot:
        await poll(reads.failed, "the bot to look for unfinished work while it is away")
        assert_still_running(fake, bot)
        await database.start()

        async def stored() -> object:
            return await engine.find_by_message(GUILD, int(message["id"]))

        await poll(stored, "the work left from the last run to be done")
        await fake.wait_for_reaction(int(message["id"]), "✅")
        await poll(nothing_pending(engine), "the work left from the last run to be crossed out")
