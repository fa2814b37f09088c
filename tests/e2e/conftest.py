"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.client import NewsBot
from index import Engine
from index.ingest.extract import Extractor
from index.ingest.fetch import Fetcher, FetchLimits
from index.ingest.netpolicy import AddressPolicy
from tests.e2e.test_bot import ALICE, APP_ID, BOB, BOT_ID, GUILD, MOD, NEWS, TOKEN, running
from tests.support.engines import open_engine
from tests.support.fake_discord import ErrorCapture, FakeDiscord, Perm


@pytest.fixture
async def engine(store_url, tmp_path) -> AsyncIterator[Engine]:
    """The bot's engine over a fresh database of each kind (``store_url``), fetching
    from 127.0.0.1 only."""
    fetcher = Fetcher(
        AddressPolicy.allowing(["127.0.0.1/32"], any_port=True), FetchLimits(total_seconds=3)
    )
    async with Extractor() as extractor:
        engine = await open_engine(
            store_url, fetcher=fetcher, extractor=extractor, index_dir=tmp_path / "index"
        )
        yield engine
        await engine.close()
        await fetcher.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """One guild with a #news channel, two members and a moderator (a module that needs
    more defines its own)."""
    bot_user = {"id": str(BOT_ID), "username": "newsbot"}
    async with FakeDiscord(app_id=APP_ID, bot_user=bot_user, token=TOKEN) as fake:
        fake.add_guild(GUILD, "News Guild", MOD)
        fake.add_channel(GUILD, NEWS, "news")
        fake.add_member(GUILD, ALICE, "alice")
        fake.add_member(GUILD, BOB, "bob")
        fake.add_member(GUILD, MOD, "mod", permissions=Perm.MANAGE_GUILD)
        yield fake


@pytest.fixture
async def bot(fake, engine) -> AsyncIterator[NewsBot]:
    """The real bot connected to ``fake``; the test fails if the bot or the fake Discord
    logged an error."""
    capture = ErrorCapture(("discord", "fake_discord", "bot")).install()
    async with running(fake, engine) as bot:
        yield bot
    capture.uninstall()
    capture.assert_clean()
