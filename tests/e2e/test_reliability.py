"""Accepted work survives restarts, floods are bounded, and a clean stop finishes its work."""

# ruff: noqa: F811  (the fixtures imported from test_bot are parameters here)

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator

import pytest

from bot.cogs.ingest import MAX_ATTEMPTS, MAX_UNDELIVERED_NOTICES
from bot.render_discord import MESSAGE_LIMIT
from index import Engine, EngineConfig
from index.ingest.extract import Extractor
from index.ingest.fetch import Fetcher, FetchLimits
from index.ingest.gate import GateLimits
from index.ingest.netpolicy import AddressPolicy
from tests.conftest import SEED
from tests.e2e.test_bot import (
    ALICE,
    BOB,
    BOT_ID,
    CAROL,
    GUILD,
    MOD,
    NEWS,
    ON_SQLITE_ONLY,
    OTHER_GUILD,
    OTHER_NEWS,
    bot,  # noqa: F401
    errors,  # noqa: F401
    fake,  # noqa: F401
    running,
)
from tests.support.discord_limits import WORKING_MENTION, assert_fits_discord
from tests.support.engines import open_engine
from tests.support.fake_discord import FakeDiscord, Perm, overwrite
from tests.support.web import serve


@pytest.fixture
async def limited_engine(store_url, tmp_path) -> AsyncIterator[Engine]:
    """An engine that admits one ingest per guild at a time, over each kind of store."""
    fetcher = Fetcher(
        AddressPolicy.allowing(["127.0.0.1/32"], any_port=True), FetchLimits(total_seconds=10)
    )
    config = EngineConfig(ingest_limits=GateLimits(per_guild=1, running=2, running_per_guild=1))
    async with Extractor() as extractor:
        engine = await open_engine(
            store_url, config, fetcher=fetcher, extractor=extractor, index_dir=tmp_path / "index"
        )
        yield engine
        await engine.close()
        await fetcher.close()


def seed_message(fake: FakeDiscord) -> dict:
    """The seed article as a message.txt the bot has not seen yet (posted while it was down)."""
    attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    return fake.add_message(GUILD, NEWS, ALICE, "", attachments=[attachment])


async def test_work_accepted_before_a_stop_is_done_after_the_restart(fake, engine, errors):
    message = seed_message(fake)
    await engine.accept_ingest(GUILD, channel_id=NEWS, message_id=int(message["id"]))
    async with running(fake, engine):
        await fake.wait_for_reaction(int(message["id"]), "✅")
        article = await engine.find_by_message(GUILD, int(message["id"]))
        assert article is not None and article.paragraph_count == 27
        await wait_until_nothing_pending(engine)


async def test_an_article_stored_just_before_the_stop_is_confirmed_not_duplicated(
    fake, engine, errors
):
    """The crash came after the article was stored but before the poster saw ✅."""
    message = seed_message(fake)
    await engine.accept_ingest(GUILD, channel_id=NEWS, message_id=int(message["id"]))
    async with running(fake, engine):
        await fake.wait_for_reaction(int(message["id"]), "✅")
        await wait_until_nothing_pending(engine)
    assert (await engine.stats(GUILD)).articles == 1
    # The stop came between storing it and crossing the work out: it is still written down.
    await engine.accept_ingest(GUILD, channel_id=NEWS, message_id=int(message["id"]))
    async with running(fake, engine):
        await wait_until_nothing_pending(engine)
    assert (await engine.stats(GUILD)).articles == 1
    reactions = [r.emoji for r in fake.reactions_on(int(message["id"])) if r.added]
    assert "🔁" not in reactions and "❌" not in reactions, reactions
    assert reactions.count("✅") >= 1


async def test_work_that_keeps_failing_is_given_up_and_reported(fake, engine, errors):
    message = seed_message(fake)
    pending = await engine.accept_ingest(GUILD, channel_id=NEWS, message_id=int(message["id"]))
    for _ in range(MAX_ATTEMPTS - 1):
        await engine.retry_ingest(GUILD, pending)
    async with running(fake, engine):
        reply = await fake.wait_for_message(
            NEWS,
            lambda m: m["author"]["id"] == str(BOT_ID) and "stopped while" in m["content"],
        )
        assert reply["message_reference"]["message_id"] == message["id"]
        await wait_until_nothing_pending(engine)
    assert await engine.find_by_message(GUILD, int(message["id"])) is None


async def test_work_whose_message_was_deleted_is_dropped(fake, engine, errors):
    await engine.accept_ingest(GUILD, channel_id=NEWS, message_id=123456789)
    async with running(fake, engine):
        await wait_until_nothing_pending(engine)
    assert (await engine.stats(GUILD)).articles == 0


async def test_a_flood_is_told_to_wait_and_other_guilds_are_still_answered(
    fake, limited_engine, errors
):
    engine = limited_engine
    async with serve() as web, running(fake, engine):
        # The other guild has an article to ask about.
        other = fake.add_attachment("message.txt", SEED.read_bytes(), None)
        posted = await fake.user_message(OTHER_GUILD, OTHER_NEWS, CAROL, "", attachments=[other])
        await fake.wait_for_reaction(int(posted["id"]), "✅")

        slow = await fake.user_message(
            GUILD, NEWS, ALICE, f"read this {web.url('/slow-article?seconds=3')}"
        )
        await fake.wait_for_reaction(int(slow["id"]), "⏳")
        attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
        flood = await fake.user_message(GUILD, NEWS, BOB, "", attachments=[attachment])
        told = await fake.wait_for_message(
            NEWS,
            lambda m: (
                m["author"]["id"] == str(BOT_ID)
                and (m.get("message_reference") or {}).get("message_id") == flood["id"]
            ),
        )
        assert "waiting to be indexed" in told["content"]
        assert "again" in told["content"]

        # While guild 10's ingest is still running, guild 30 gets its answer.
        interaction = await fake.slash(
            OTHER_GUILD, OTHER_NEWS, CAROL, "ask", {"question": "How many troops?"}
        )
        reply = await fake.wait_for_reply(interaction)
        assert reply.get("embeds"), reply
        assert all(r.emoji != "✅" for r in fake.reactions_on(int(slow["id"])))

        await fake.wait_for_reaction(int(slow["id"]), "✅", timeout=15)
        assert await engine.find_by_message(GUILD, int(flood["id"])) is None
        await wait_until_nothing_pending(engine)


async def test_a_clean_stop_finishes_the_ingest_in_hand(fake, engine, errors):
    async with serve() as web:
        async with running(fake, engine) as bot:
            message = await fake.user_message(
                GUILD, NEWS, ALICE, f"read this {web.url('/slow-article?seconds=1.5')}"
            )
            await fake.wait_for_reaction(int(message["id"]), "⏳")
            await bot.close()  # what SIGTERM and Ctrl-C do
            assert bot.is_closed()
        article = await engine.find_by_message(GUILD, int(message["id"]))
        assert article is not None
        assert any(r.emoji == "✅" and r.added for r in fake.reactions_on(int(message["id"])))
        assert await engine.pending_ingests([GUILD]) == []


async def wait_until_nothing_pending(engine: Engine, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if not await engine.pending_ingests([GUILD, OTHER_GUILD]):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("accepted work was never finished")


@ON_SQLITE_ONLY
@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/message.txt",
        "http://10.0.0.7/message.txt",
        "https://cdn.discordapp.com.evil.example/message.txt",
        "file:///etc/passwd",
    ],
)
async def test_an_attachment_outside_discord_is_never_read(fake, bot, url):
    attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    attachment["url"] = attachment["proxy_url"] = url
    message = await fake.user_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
    await fake.wait_for_reaction(int(message["id"]), "❌")
    reply = await fake.wait_for_message(
        NEWS, lambda m: (m.get("message_reference") or {}).get("message_id") == message["id"]
    )
    assert "only read from the server's own file host" in reply["content"]
    assert await bot.engine.find_by_message(GUILD, int(message["id"])) is None


@ON_SQLITE_ONLY
async def test_rate_limits_on_reactions_and_replies_are_waited_out(fake, bot):
    """Discord answers 429 to the bot's reactions and replies; nothing is dropped."""
    fake.rate_limit_next("PUT", r"/reactions/", retry_after=0.3, count=2)
    fake.rate_limit_next("POST", r"^/channels/\d+/messages$", retry_after=0.3)
    attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    message = await fake.user_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
    await fake.wait_for_reaction(int(message["id"]), "✅")
    question = await fake.user_message(
        GUILD, NEWS, BOB, "How many troops are on the border?", mentions_bot=True
    )
    reply = await fake.wait_for_message(
        NEWS, lambda m: (m.get("message_reference") or {}).get("message_id") == question["id"]
    )
    assert reply.get("embeds")
    assert len(fake.rate_limited) == 3
    assert (await bot.engine.stats(GUILD)).articles == 1


@ON_SQLITE_ONLY
async def test_backfill_reads_attachments_only_from_discord(fake, bot):
    crafted = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    crafted["url"] = crafted["proxy_url"] = "http://169.254.169.254/message.txt"
    fake.add_message(GUILD, NEWS, BOB, "old post", attachments=[crafted])
    genuine = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    kept = fake.add_message(GUILD, NEWS, ALICE, "older post", attachments=[genuine])

    backfill = await fake.slash(GUILD, NEWS, MOD, "admin backfill", {"channel": NEWS})
    await fake.wait_until(
        lambda: any("Done" in (r.content or "") for r in backfill.responses) or None,
        "the backfill to finish",
    )
    done = next(r.content for r in backfill.responses if "Done" in (r.content or ""))
    assert "1 added" in done and "only read from the server's own file host" in done
    assert (await bot.engine.stats(GUILD)).articles == 1
    assert await bot.engine.find_by_message(GUILD, int(kept["id"])) is not None


async def test_a_moderator_of_one_guild_reaches_nothing_of_another(fake, bot):
    """Every moderator command that names an article or reads data stays in its guild,
    even when given the id of another guild's article."""
    attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    posted = await fake.user_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
    await fake.wait_for_reaction(int(posted["id"]), "✅")
    article = await bot.engine.find_by_message(GUILD, int(posted["id"]))

    async def reply_to(command: str, options: dict | None = None) -> dict:
        # Carol owns the other guild: a moderator there.
        interaction = await fake.slash(OTHER_GUILD, OTHER_NEWS, CAROL, command, options or {})
        return await fake.wait_for_reply(interaction)

    assert (
        "No such article"
        in (await reply_to("admin articles show", {"article": article.id}))["content"]
    )
    assert (
        "No such article"
        in (await reply_to("admin articles remove", {"article": article.id}))["content"]
    )
    assert "#" not in (await reply_to("admin articles list"))["content"]
    exported = await reply_to("admin export")
    assert exported["content"].startswith("0 article")
    assert json.loads(fake.file_data(exported["attachments"][0]))["articles"] == []
    stats = (await reply_to("admin stats"))["content"]
    assert "**Articles:** 0" in stats and "**Paragraphs:** 0" in stats
    purged = await fake.slash(OTHER_GUILD, OTHER_NEWS, CAROL, "admin purge")
    await fake.wait_until(lambda: purged.responses or None, "the purge prompt")
    assert (await bot.engine.stats(GUILD)).articles == 1
    assert await bot.engine.get_article(GUILD, article.id) is not None


# -- notices that carry what was shared ------------------------------------------------


async def given_up_work(engine: Engine, attempts: int = MAX_ATTEMPTS, **where) -> int:
    """Work written down before a stop that has been started ``attempts`` times."""
    pending = await engine.accept_ingest(GUILD, channel_id=NEWS, **where)
    for _ in range(attempts - 1):
        await engine.retry_ingest(GUILD, pending)
    return pending


async def test_a_given_up_link_of_2000_characters_is_reported_in_one_message(fake, engine, errors):
    """/ingest keeps up to 2,000 characters of what it was given; the notice that gives it
    up quotes it, shortened, and Discord (which refuses more than 2,000) accepts it."""
    link = "https://news.example.com/" + "a-very-long-slug-" * 120
    link = link[:2000]
    await given_up_work(engine, content=link)
    async with running(fake, engine):
        notice = await fake.wait_for_message(
            NEWS, lambda m: m["author"]["id"] == str(BOT_ID) and "stopped while" in m["content"]
        )
        await wait_until_nothing_pending(engine)
    assert len(notice["content"]) <= MESSAGE_LIMIT
    assert "https://news.example.com/a-very-long-slug" in notice["content"]
    assert notice["content"].endswith("…")
    refused = [call for call in fake.requests if call.status == 400]
    assert refused == []


async def test_a_given_up_notice_shows_what_was_shared_as_plain_text(fake, engine, errors):
    await given_up_work(engine, content="<@&123> **x** ||y|| [click](https://evil.example)")
    async with running(fake, engine):
        notice = await fake.wait_for_message(
            NEWS, lambda m: m["author"]["id"] == str(BOT_ID) and "stopped while" in m["content"]
        )
        await wait_until_nothing_pending(engine)
    content = notice["content"]
    assert_fits_discord(content)
    assert not WORKING_MENTION.search(content)
    assert r"\*\*x\*\*" in content and r"\|\|y\|\|" in content
    assert r"\[click\]\(https://evil.example\)" in content


def deny_bot_sending(fake: FakeDiscord) -> None:
    fake.guilds[GUILD].channels[NEWS]["permission_overwrites"] = [
        overwrite(BOT_ID, deny=Perm.SEND_MESSAGES, member=True)
    ]


def allow_bot_sending(fake: FakeDiscord) -> None:
    fake.guilds[GUILD].channels[NEWS]["permission_overwrites"] = []


async def test_a_notice_discord_refuses_keeps_the_work_for_the_next_start(fake, engine, errors):
    message = seed_message(fake)
    pending = await given_up_work(engine, message_id=int(message["id"]))
    deny_bot_sending(fake)
    async with running(fake, engine):
        await fake.wait_until(
            lambda: any(c.status == 403 and c.method == "POST" for c in fake.requests) or None,
            "the notice to be refused",
        )
        await wait_for_attempts(engine, pending, MAX_ATTEMPTS + 1)
    (kept,) = await engine.pending_ingests([GUILD])
    assert kept.id == pending and kept.message_id == int(message["id"])

    allow_bot_sending(fake)
    async with running(fake, engine):
        reply = await fake.wait_for_message(
            NEWS, lambda m: m["author"]["id"] == str(BOT_ID) and "stopped while" in m["content"]
        )
        assert reply["message_reference"]["message_id"] == message["id"]
        await wait_until_nothing_pending(engine)


async def test_a_failure_reply_discord_refuses_keeps_the_work(fake, engine, errors):
    """The ❌ reply explaining a failure is the poster's only word of it: if Discord
    refuses it, the work stays written down rather than being crossed out unseen."""
    async with running(fake, engine):
        deny_bot_sending(fake)
        attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
        attachment["url"] = attachment["proxy_url"] = "http://10.0.0.7/message.txt"
        message = await fake.user_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
        await fake.wait_for_reaction(int(message["id"]), "❌")
        await fake.wait_until(
            lambda: any(c.status == 403 and c.method == "POST" for c in fake.requests) or None,
            "the reply to be refused",
        )
        await asyncio.sleep(0.2)  # time for a wrong crossing-out to happen
        (kept,) = await engine.pending_ingests([GUILD])
        assert kept.message_id == int(message["id"])


async def test_a_notice_that_can_never_be_delivered_is_dropped_after_a_bound(
    fake, engine, errors, caplog
):
    message = seed_message(fake)
    await given_up_work(
        engine, MAX_ATTEMPTS + MAX_UNDELIVERED_NOTICES, message_id=int(message["id"])
    )
    deny_bot_sending(fake)
    with caplog.at_level(logging.WARNING, logger="bot"):
        async with running(fake, engine):
            await wait_until_nothing_pending(engine)
    assert any("could not be told" in r.getMessage() for r in caplog.records)
    assert not [m for m in fake.messages if m["author"]["id"] == str(BOT_ID)]


async def wait_for_attempts(engine: Engine, pending: int, attempts: int) -> None:
    for _ in range(200):
        found = [w for w in await engine.pending_ingests([GUILD]) if w.id == pending]
        if found and found[0].attempts >= attempts:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"ingest {pending} never reached {attempts} attempts")


# -- attachments on a self-hosted server -------------------------------------------------


@ON_SQLITE_ONLY
@pytest.mark.parametrize(
    ("listed", "indexed"),
    [((), False), (("localhost",), True), (("files.example.org", "localhost"), True)],
)
async def test_attachments_are_read_only_from_the_listed_file_hosts(
    fake, engine, errors, listed, indexed
):
    """The fake serves its files under "localhost" while the API is on 127.0.0.1: only a
    server whose ATTACHMENT_HOSTS lists "localhost" reads them."""
    fake.attachment_host = "localhost"
    hosts = listed or ("cdn.discordapp.com", "media.discordapp.net")
    async with running(fake, engine, attachment_hosts=hosts) as bot:
        attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
        assert attachment["url"].startswith("http://localhost:")
        message = await fake.user_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
        if indexed:
            await fake.wait_for_reaction(int(message["id"]), "✅")
            assert await bot.engine.find_by_message(GUILD, int(message["id"])) is not None
        else:
            await fake.wait_for_reaction(int(message["id"]), "❌")
            reply = await fake.wait_for_message(
                NEWS,
                lambda m: (m.get("message_reference") or {}).get("message_id") == message["id"],
            )
            assert re.search(r"only read from the server's own file host", reply["content"])
            assert await bot.engine.find_by_message(GUILD, int(message["id"])) is None
