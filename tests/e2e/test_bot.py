"""The real bot, with the real discord.py, against the fake Discord on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.client import NewsBot, use_discord_endpoints
from bot.errors import SOMETHING_WENT_WRONG, store_error_text
from bot.settings import Settings
from index import Engine
from index.store import StoreDamaged
from tests.conftest import SEED, SEED_URL
from tests.support.fake_discord import (
    EPHEMERAL,
    SPACEBAR_COMMAND_REFUSAL,
    ErrorCapture,
    FakeDiscord,
    Perm,
)
from tests.support.web import serve

APP_ID, BOT_ID = 900, 901
# Shaped like a real token, so that any trace of it in logs or replies would be found.
TOKEN = "MTE5ODc2NTQzMjEwOTg3NjU0Mw.GqZx1a.k3yV9sQpLm0RtYwXcE7uJhN2fBdA6iOgS4zTe8"
GUILD, NEWS, OTHER_GUILD, OTHER_NEWS = 10, 11, 30, 31
ALICE, BOB, MOD, CAROL = 21, 22, 23, 41
WORKING_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    bot_user = {"id": str(BOT_ID), "username": "newsbot"}
    async with FakeDiscord(app_id=APP_ID, bot_user=bot_user, token=TOKEN) as fake:
        fake.add_guild(GUILD, "News Guild", MOD)
        fake.add_channel(GUILD, NEWS, "news")
        fake.add_member(GUILD, ALICE, "alice")
        fake.add_member(GUILD, BOB, "bob")
        fake.add_member(GUILD, MOD, "mod", permissions=Perm.MANAGE_GUILD)
        fake.add_guild(OTHER_GUILD, "Other Guild", CAROL)
        fake.add_channel(OTHER_GUILD, OTHER_NEWS, "news")
        fake.add_member(OTHER_GUILD, CAROL, "carol")
        yield fake


@pytest.fixture
async def errors() -> AsyncIterator[ErrorCapture]:
    capture = ErrorCapture(("discord", "fake_discord", "bot")).install()
    yield capture
    capture.uninstall()
    capture.assert_clean()


ON_SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
"""For tests of the Discord side alone (the protocol, rendering, checks, fetching): the
store under the bot makes no difference to them, so they run on the embedded store only.
Everything that stores, finds or resumes something runs on every store."""


@asynccontextmanager
async def running(fake: FakeDiscord, engine: Engine, **settings) -> AsyncIterator[NewsBot]:
    options = dict(
        discord_token=TOKEN,
        discord_api_base=fake.rest_base,
        discord_gateway_url=str(fake.gateway_url),
        questions_per_minute=1000,
    )
    options.update(settings)
    config = Settings(**options)
    use_discord_endpoints(config)  # the same settings an operator would use
    bot = NewsBot(config, engine=engine, guild_ready_timeout=0.1)
    async with fake.run_bot(bot, TOKEN) as started:
        yield started


@pytest.fixture
async def bot(fake, engine, errors) -> AsyncIterator[NewsBot]:
    async with running(fake, engine) as bot:
        yield bot


async def post_seed(fake: FakeDiscord, guild: int = GUILD, channel: int = NEWS) -> dict:
    attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    message = await fake.user_message(
        guild, channel, ALICE if guild == GUILD else CAROL, "", attachments=[attachment]
    )
    await fake.wait_for_reaction(int(message["id"]), "✅")
    return message


def first_embed(reply: dict) -> dict:
    assert reply.get("embeds"), reply
    return reply["embeds"][0]


async def test_seed_attachment_is_indexed_and_seed_questions_answered(fake, bot, seed_questions):
    message = await post_seed(fake)
    assert (await bot.engine.find_by_message(GUILD, int(message["id"]))) is not None
    for question, expected in seed_questions:
        interaction = await fake.slash(GUILD, NEWS, BOB, "ask", {"question": question})
        reply = await fake.wait_for_reply(interaction)
        if expected == "NO_ANSWER":
            assert "found nothing" in reply["content"]
            assert interaction.callback.ephemeral
            continue
        embed = first_embed(reply)
        plain = embed["description"].replace("**", "").replace("\\", "")
        assert any(p in plain for p in expected.split("|")), (question, plain)
        assert embed["url"] == SEED_URL
        assert "shared by alice" in embed["footer"]["text"]


async def test_a_mention_answers_and_a_reply_to_the_article_scopes_it(fake, bot):
    seed = await post_seed(fake)
    question = await fake.user_message(
        GUILD, NEWS, BOB, "Who talked Trump out of military action in 2019?", mentions_bot=True
    )
    reply = await fake.wait_for_message(
        NEWS, lambda m: m["author"]["id"] == str(BOT_ID) and m.get("embeds")
    )
    assert reply["message_reference"]["message_id"] == question["id"]
    assert "Rubio talked the president out of it" in first_embed(reply)["description"].replace(
        "**", ""
    )
    await fake.user_message(GUILD, NEWS, BOB, "how many troops?", mentions_bot=True, reply_to=seed)
    scoped = await fake.wait_for_message(
        NEWS, lambda m: m["author"]["id"] == str(BOT_ID) and m.get("embeds")
    )
    assert all(e["url"] == SEED_URL for e in scoped["embeds"])


async def test_a_link_is_fetched_from_the_local_web_server(fake, bot):
    async with serve() as web:
        message = await fake.user_message(GUILD, NEWS, ALICE, f"Good news {web.url('/article')}")
        await fake.wait_for_reaction(int(message["id"]), "✅")
        bad = await fake.user_message(GUILD, NEWS, ALICE, f"and {web.url('/login')}")
        await fake.wait_for_reaction(int(bad["id"]), "❌")
        why = await fake.wait_for_message(NEWS, lambda m: m["author"]["id"] == str(BOT_ID))
        assert "no article text found on that page" in why["content"]
    interaction = await fake.slash(GUILD, NEWS, BOB, "ask", {"question": "sea wall repairs cost"})
    embed = first_embed(await fake.wait_for_reply(interaction))
    assert "four million dollars" in embed["description"]
    assert embed["title"].endswith("Harbour reopens after storm")


@ON_SQLITE_ONLY
async def test_non_moderators_are_refused_admin_commands(fake, bot, monkeypatch):
    ok = await fake.slash(GUILD, NEWS, MOD, "admin stats")
    assert "Articles:" in (await fake.wait_for_reply(ok))["content"]
    # Discord hides /admin from members without Manage Server; a server may override that
    # in its settings, so the bot checks again. Let the fake offer the command to anyone.
    monkeypatch.setattr(fake, "_check_can_use", lambda *args: None)
    refused = await fake.slash(GUILD, NEWS, BOB, "admin purge")
    reply = await fake.wait_for_reply(refused)
    assert "Only moderators" in reply["content"] and refused.callback.ephemeral
    admin = next(c for c in fake.commands if c["name"] == "admin")
    assert int(admin["default_member_permissions"]) == Perm.MANAGE_GUILD


async def test_two_guilds_never_see_each_other(fake, bot):
    await post_seed(fake)
    asked = await fake.slash(OTHER_GUILD, OTHER_NEWS, CAROL, "ask", {"question": "Maduro"})
    assert "found nothing" in (await fake.wait_for_reply(asked))["content"]
    choices = await fake.autocomplete(
        OTHER_GUILD,
        OTHER_NEWS,
        CAROL,
        "ask",
        {"question": "x", "article": ""},
        focused="article",
    )
    response = await fake.wait_for_response(choices)
    assert response.choices == []
    mine = await fake.autocomplete(
        GUILD, NEWS, BOB, "ask", {"question": "x", "article": "Scoop"}, focused="article"
    )
    assert [c["name"] for c in (await fake.wait_for_response(mine)).choices] == [
        "#1 Scoop: Trump ready to talk with Maduro over Venezuela drug strikes"
    ]


@ON_SQLITE_ONLY
async def test_an_article_with_everyone_in_it_pings_nobody(fake, bot):
    text = (
        "Town meeting @everyone\n"
        + "Hey @everyone and @here, the council <@&555> met <@21> on Monday to discuss the "
        "harbour budget and the new ferry timetable for the winter season ahead.\n"
        "The harbour budget grows by ten percent next year, the council said after the vote.\n"
    )
    message = await fake.user_message(GUILD, NEWS, ALICE, text)
    await fake.wait_for_reaction(int(message["id"]), "✅")
    asked = await fake.slash(GUILD, NEWS, BOB, "ask", {"question": "council harbour budget"})
    reply = await fake.wait_for_reply(asked)
    shown = reply["content"] + json.dumps(reply["embeds"], ensure_ascii=False)
    assert "everyone" in shown and not WORKING_MENTION.search(shown)
    for response in asked.responses:
        mentions = response.allowed_mentions
        assert mentions is None or mentions.get("parse") == []


async def test_paging_with_the_more_button_survives_a_restart(fake, engine, errors):
    async with running(fake, engine, results_per_answer=2) as bot:
        await post_seed(fake)
        asked = await fake.slash(GUILD, NEWS, BOB, "ask", {"question": "Maduro", "results": 2})
        first = await fake.wait_for_reply(asked)
        titles = [e["title"] for e in first["embeds"]]
        assert [t.split(".")[0] for t in titles] == ["1", "2"]
        custom_id = first["components"][0]["components"][0]["custom_id"]
        stranger = await fake.click(GUILD, NEWS, ALICE, first, custom_id)
        assert "Only the person who asked" in (await fake.wait_for_reply(stranger))["content"]
        assert bot.is_ready()
    # A new process (same store): the old message's button still works.
    async with running(fake, engine, results_per_answer=2):
        clicked = await fake.click(GUILD, NEWS, BOB, first, custom_id)
        await fake.wait_until(lambda: clicked.edits or None, "the answer to be paged")
        page = clicked.original or clicked.edits[-1].message
        assert [e["title"].split(".")[0] for e in page["embeds"]] == ["3", "4"]


@ON_SQLITE_ONLY
async def test_a_reconnect_is_resumed_and_nothing_is_lost(fake, bot):
    await fake.send_reconnect()
    attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    message = await fake.user_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
    await fake.wait_for_reaction(int(message["id"]), "✅")
    await fake.wait_until(lambda: fake.resume_count or None, "a resume")
    assert (await bot.engine.stats(GUILD)).articles == 1


async def test_moderator_commands(fake, bot):
    seed = await post_seed(fake)
    history = fake.add_attachment("message.txt", SEED.read_bytes(), None)
    fake.add_message(GUILD, NEWS, BOB, "old post", attachments=[history])

    added = await fake.slash(GUILD, NEWS, MOD, "admin channels add", {"channel": NEWS})
    assert "Watching" in (await fake.wait_for_reply(added))["content"]
    listed = await fake.slash(GUILD, NEWS, MOD, "admin channels list")
    assert f"<#{NEWS}>" in (await fake.wait_for_reply(listed))["content"]

    backfill = await fake.slash(GUILD, NEWS, MOD, "admin backfill", {"channel": NEWS})
    await fake.wait_until(
        lambda: any("Done" in (r.content or "") for r in backfill.responses) or None,
        "the backfill to finish",
    )
    done = next(r.content for r in backfill.responses if "Done" in (r.content or ""))
    assert "0 added" in done and "already indexed" in done

    articles = await fake.slash(GUILD, NEWS, MOD, "admin articles list")
    assert "#1" in (await fake.wait_for_reply(articles))["content"]

    exported = await fake.slash(GUILD, NEWS, MOD, "admin export")
    reply = await fake.wait_for_reply(exported)
    data = json.loads(fake.file_data(reply["attachments"][0]))
    assert data["articles"][0]["source_url"] == SEED_URL

    config = await fake.slash(GUILD, NEWS, MOD, "admin config", {"results": 1})
    assert "results: 1" in (await fake.wait_for_reply(config))["content"]

    removed = await fake.slash(GUILD, NEWS, MOD, "admin articles remove", {"article": 1})
    assert "Removed article #1" in (await fake.wait_for_reply(removed))["content"]
    assert await bot.engine.find_by_message(GUILD, int(seed["id"])) is None

    purge = await fake.slash(GUILD, NEWS, MOD, "admin purge")
    prompt = await fake.wait_for_reply(purge)
    yes = prompt["components"][0]["components"][0]["custom_id"]
    await fake.click(GUILD, NEWS, MOD, prompt, yes)
    await fake.wait_until(
        lambda: any("Deleted" in (r.content or "") for r in purge.responses) or None,
        "the purge to finish",
    )
    audit = [e.action for e in await bot.engine.audit_entries(GUILD)]
    assert audit[:3] == ["purge", "articles.remove", "config"]


@ON_SQLITE_ONLY
async def test_cooldown_and_direct_messages(fake, engine, errors):
    async with running(fake, engine, questions_per_minute=2):
        for _ in range(2):
            ok = await fake.slash(GUILD, NEWS, BOB, "ask", {"question": "anything"})
            await fake.wait_for_reply(ok)
        limited = await fake.slash(GUILD, NEWS, BOB, "ask", {"question": "anything"})
        reply = await fake.wait_for_reply(limited)
        assert "please wait" in reply["content"] and limited.callback.ephemeral
        await fake.user_dm(ALICE, f"<@{BOT_ID}> hello")
        dm = await fake.wait_for_message(None, lambda m: "I answer questions" in m["content"])
        assert "/ask" in dm["content"]


async def test_ingest_command_and_index_this_article_menu(fake, engine, errors):
    async with running(fake, engine) as bot:
        await bot.engine.update_guild_config(GUILD, auto_ingest=False)
        async with serve() as web:
            ingested = await fake.slash(GUILD, NEWS, ALICE, "ingest", {"url": web.url("/article")})
            reply = await fake.wait_for_reply(ingested)
            assert "indexed as article #1: Harbour reopens after storm" in reply["content"]
            refused = await fake.slash(GUILD, NEWS, ALICE, "ingest", {"url": web.url("/image")})
            assert "not a web page" in (await fake.wait_for_reply(refused))["content"]
        attachment = fake.add_attachment("message.txt", SEED.read_bytes(), None)
        posted = await fake.user_message(GUILD, NEWS, BOB, "", attachments=[attachment])
        menu = await fake.message_command(GUILD, NEWS, ALICE, "Index this article", posted)
        reply = await fake.wait_for_reply(menu)
        assert "indexed as article #2" in reply["content"] and menu.callback.ephemeral
        await fake.wait_for_reaction(int(posted["id"]), "✅")
        assert (await bot.engine.find_by_message(GUILD, int(posted["id"]))) is not None


# -- a server that refuses the slash commands ---------------------------------------------


@ON_SQLITE_ONLY
@pytest.mark.parametrize("test_guild", [None, GUILD])
async def test_a_refused_command_sync_leaves_mentions_and_sharing_working(
    fake, engine, errors, caplog, test_guild
):
    """A Discord-compatible server (Spacebar) answers the bulk command overwrite with 400,
    code 50035, for options it does not know. The bot says so once and keeps running."""
    fake.command_refusal = SPACEBAR_COMMAND_REFUSAL
    with caplog.at_level(logging.WARNING, logger="bot"):
        async with running(fake, engine, discord_test_guild_id=test_guild) as bot:
            assert fake.refused_syncs and not fake.sync_calls
            assert fake.connected and bot.is_ready()
            shared = await post_seed(fake)
            assert await bot.engine.find_by_message(GUILD, int(shared["id"])) is not None
            question = await fake.user_message(
                GUILD, NEWS, BOB, "How many troops are stationed in Puerto Rico?", mentions_bot=True
            )
            reply = await fake.wait_for_message(
                NEWS,
                lambda m: (m.get("message_reference") or {}).get("message_id") == question["id"],
            )
            assert "10,000 troops" in first_embed(reply)["description"].replace("**", "")
    warnings = [r.getMessage() for r in caplog.records if "slash commands" in r.getMessage()]
    assert len(warnings) == 1, warnings
    (warning,) = warnings
    assert "did not accept the slash commands" in warning and "50035" in warning
    assert "may be missing" in warning and "next start" in warning
    assert "mentions and shared articles work" in warning
    assert "Traceback" not in caplog.text


# -- one answer for every error in an interaction ------------------------------------------

DAMAGED = "the database /srv/bot.sqlite3 is damaged (database disk image is malformed)"
TOLD_DAMAGED = store_error_text(StoreDamaged(DAMAGED))


def break_the_store(monkeypatch, target: object, method: str, after: float = 0.0) -> None:
    """``target.method`` (the store's, or the engine's) raises the store's error for a
    damaged database, ``after`` seconds."""

    async def damaged(*args, **kwargs):
        await asyncio.sleep(after)
        raise StoreDamaged(DAMAGED)

    monkeypatch.setattr(target, method, damaged)


@ON_SQLITE_ONLY
@pytest.mark.parametrize("slow", [False, True], ids=["answered at once", "deferred"])
async def test_ask_on_a_damaged_database_tells_the_asker(fake, bot, monkeypatch, slow):
    await post_seed(fake)
    if slow:  # the answer comes after "thinking…", as for a guild's first question
        # The extension the bot loaded (discord.py loads a fresh module for each bot).
        monkeypatch.setattr(sys.modules["bot.cogs.questions"], "QUICK_ANSWER_SECONDS", 0.01)
    break_the_store(monkeypatch, bot.engine.store, "paragraphs", after=0.3 if slow else 0.0)
    asked = await fake.slash(GUILD, NEWS, BOB, "ask", {"question": "How many troops?"})
    reply = await fake.wait_for_reply(asked)
    assert reply["content"] == TOLD_DAMAGED and "/srv" not in reply["content"]
    assert int(reply.get("flags") or 0) & EPHEMERAL
    assert not reply.get("embeds")
    if slow:  # the public "thinking…" message is gone
        assert asked.callback.deferred and asked.original is None


@ON_SQLITE_ONLY
async def test_a_mention_on_a_damaged_database_is_answered(fake, bot, monkeypatch):
    await post_seed(fake)
    break_the_store(monkeypatch, bot.engine.store, "paragraphs")
    question = await fake.user_message(GUILD, NEWS, BOB, "How many troops?", mentions_bot=True)
    reply = await fake.wait_for_message(
        NEWS, lambda m: (m.get("message_reference") or {}).get("message_id") == question["id"]
    )
    assert reply["content"] == TOLD_DAMAGED and "/srv" not in reply["content"]


@ON_SQLITE_ONLY
async def test_autocomplete_on_a_damaged_database_says_so(fake, bot, monkeypatch):
    break_the_store(monkeypatch, bot.engine, "find_articles")
    typing = await fake.autocomplete(
        GUILD, NEWS, BOB, "ask", {"question": "x", "article": "Sc"}, focused="article"
    )
    (choice,) = (await fake.wait_for_response(typing)).choices
    assert choice["name"].startswith("The bot's database is damaged") and len(choice["name"]) <= 100
    assert choice["value"] == 0


@ON_SQLITE_ONLY
async def test_the_more_button_on_a_damaged_database_tells_the_clicker(fake, bot, monkeypatch):
    await post_seed(fake)
    asked = await fake.slash(GUILD, NEWS, BOB, "ask", {"question": "Maduro", "results": 1})
    first = await fake.wait_for_reply(asked)
    custom_id = first["components"][0]["components"][0]["custom_id"]
    break_the_store(monkeypatch, bot.engine, "recall_question")
    clicked = await fake.click(GUILD, NEWS, BOB, first, custom_id)
    reply = await fake.wait_for_reply(clicked)
    assert reply["content"] == TOLD_DAMAGED and "/srv" not in reply["content"]
    assert int(reply.get("flags") or 0) & EPHEMERAL


@ON_SQLITE_ONLY
async def test_an_unexpected_error_is_logged_and_answered_in_plain_words(
    fake, bot, errors, monkeypatch
):
    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(bot.engine, "stats", broken)
    interaction = await fake.slash(GUILD, NEWS, MOD, "admin stats")
    reply = await fake.wait_for_reply(interaction)
    assert reply["content"] == SOMETHING_WENT_WRONG
    assert int(reply.get("flags") or 0) & EPHEMERAL
    logged = errors.format_records()
    assert "RuntimeError: a bug" in logged  # the traceback is in the log, not in Discord
    errors.clear()
