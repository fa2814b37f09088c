"""Self-tests of the fake Discord: a minimal discord.py bot, defined here, talks to it."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.support.fake_discord import (
    SPACEBAR_COMMAND_REFUSAL,
    CommandRefusal,
    ErrorCapture,
    FakeDiscord,
    Perm,
)

APP_ID = 700_000_000_000_000_001
BOT_USER = {"id": "700000000000000002", "username": "testbot"}
TOKEN = "test-token"
GUILD = 710_000_000_000_000_001
CHANNEL = 710_000_000_000_000_002
OWNER = 720_000_000_000_000_001
ALICE = 720_000_000_000_000_002
MOD_ROLE = 730_000_000_000_000_001


class PressView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.pressed_by: list[int] = []

    @discord.ui.button(label="Press", custom_id="press", style=discord.ButtonStyle.primary)
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.pressed_by.append(interaction.user.id)
        await interaction.response.send_message("pressed", ephemeral=True)


class AskModal(discord.ui.Modal, title="Ask"):
    question = discord.ui.TextInput(label="Question", custom_id="question")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"you asked: {self.question.value}")


class MiniBot(commands.Bot):
    """Just enough bot to exercise the fake."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.05
        )
        self.views: list[PressView] = []
        self.add_commands()

    def add_commands(self) -> None:
        @self.tree.command(description="Answers pong")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

        @self.tree.command(description="Thinks, then answers")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done thinking")

        @self.tree.command(description="Repeats a word")
        @app_commands.describe(word="what to repeat", times="how often")
        async def repeat(interaction: discord.Interaction, word: str, times: int = 2) -> None:
            await interaction.response.send_message(" ".join([word] * times), ephemeral=True)

        @repeat.autocomplete("word")
        async def word_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            words = ["apple", "apricot", "banana"]
            return [app_commands.Choice(name=w, value=w) for w in words if w.startswith(current)]

        admin = app_commands.Group(
            name="admin",
            description="Admin tools",
            default_permissions=discord.Permissions(manage_guild=True),
        )

        @admin.command(description="Shows stats")
        async def stats(interaction: discord.Interaction, days: int) -> None:
            await interaction.response.send_message(f"stats for {days} days")

        self.tree.add_command(admin)

        @self.tree.command(description="Uploads a file, then asks")
        async def upload(interaction: discord.Interaction) -> None:
            file = discord.File(io.BytesIO(b"report body"), "report.txt")
            await interaction.response.send_message("here it is", file=file, ephemeral=True)

        @self.tree.command(description="Opens a modal")
        async def ask(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(AskModal())

        @self.tree.context_menu(name="Quote")
        async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"> {message.content}")

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        await message.add_reaction("👀")
        if message.attachments:
            attachment = message.attachments[0]
            data = await attachment.read()
            await message.reply(f"{attachment.filename}: {data.decode()}")
        elif message.content == "button":
            view = PressView()
            self.views.append(view)
            await message.channel.send("press me", view=view)
        else:
            await message.reply(f"echo: {message.content}")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(app_id=APP_ID, bot_user=BOT_USER, token=TOKEN) as fake:
        fake.add_guild(GUILD, "Test Guild", OWNER)
        fake.add_role(GUILD, MOD_ROLE, "mods", Perm.MANAGE_GUILD)
        fake.add_channel(GUILD, CHANNEL, "general")
        fake.add_member(GUILD, OWNER, "owner")
        fake.add_member(GUILD, ALICE, "alice")
        yield fake


@pytest.fixture
async def errors() -> AsyncIterator[ErrorCapture]:
    capture = ErrorCapture().install()
    yield capture
    capture.uninstall()
    capture.assert_clean()


@pytest.fixture
async def bot(fake: FakeDiscord, errors: ErrorCapture) -> AsyncIterator[MiniBot]:
    async with fake.run_bot(MiniBot(), TOKEN) as bot:
        yield bot


async def test_bot_connects_and_sees_the_guild(fake: FakeDiscord, bot: MiniBot) -> None:
    guild = bot.get_guild(GUILD)
    assert guild is not None and guild.name == "Test Guild"
    channel = bot.get_channel(CHANNEL)
    assert isinstance(channel, discord.TextChannel) and channel.name == "general"
    assert guild.me.id == fake.bot_id
    assert channel.permissions_for(guild.me).send_messages
    assert bot.user is not None and bot.user.id == fake.bot_id
    assert bot.application_id == APP_ID

    calls = [(c.method, c.path) for c in fake.requests]
    assert calls[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert not any(path.startswith("/gateway") for _, path in calls)  # a plain Bot never asks
    assert fake.gateway_queries[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert fake.identify_payloads[0]["intents"] == bot.intents.value
    assert fake.identify_payloads[0]["token"] == TOKEN


async def test_tree_sync_and_ping(fake: FakeDiscord, bot: MiniBot) -> None:
    synced = await bot.tree.sync()
    assert {c.name for c in synced} == {"ping", "slow", "repeat", "admin", "upload", "ask", "Quote"}
    assert {c["name"] for c in fake.commands} == {c.name for c in synced}
    assert all(c.id for c in synced)

    interaction = await fake.slash(GUILD, CHANNEL, ALICE, "ping")
    response = await fake.wait_for_response(interaction)
    assert response.type == 4
    assert response.content == "pong"
    assert not response.ephemeral
    # A non-ephemeral reply is a channel message too.
    assert fake.channel_history(CHANNEL)[-1]["content"] == "pong"


async def test_guild_sync_options_and_subcommands(fake: FakeDiscord, bot: MiniBot) -> None:
    guild = discord.Object(GUILD)
    bot.tree.copy_global_to(guild=guild)
    synced = await bot.tree.sync(guild=guild)
    assert all(c.guild_id == GUILD for c in synced)

    interaction = await fake.slash(GUILD, CHANNEL, ALICE, "repeat", {"word": "hi", "times": 3})
    assert interaction.payload["data"]["guild_id"] == str(GUILD)
    response = await fake.wait_for_response(interaction)
    assert response.content == "hi hi hi"
    assert response.ephemeral

    with pytest.raises(AssertionError, match="lacks the permissions"):
        await fake.slash(GUILD, CHANNEL, ALICE, "admin stats", {"days": 3})
    raw_options = [
        {"type": 1, "name": "stats", "options": [{"type": 4, "name": "days", "value": 3}]}
    ]
    interaction = await fake.slash(
        GUILD, CHANNEL, ALICE, "admin", raw_options, member_permissions=Perm.MANAGE_GUILD
    )
    assert (await fake.wait_for_response(interaction)).content == "stats for 3 days"
    owner_call = await fake.slash(GUILD, CHANNEL, OWNER, "admin stats", {"days": 7})
    assert (await fake.wait_for_response(owner_call)).content == "stats for 7 days"


async def test_autocomplete_and_message_command(fake: FakeDiscord, bot: MiniBot) -> None:
    await bot.tree.sync()
    interaction = await fake.autocomplete(
        GUILD, CHANNEL, ALICE, "repeat", {"word": "ap"}, focused="word"
    )
    response = await fake.wait_for_response(interaction)
    assert response.type == 8
    assert [c["value"] for c in response.choices] == ["apple", "apricot"]

    target = fake.add_message(GUILD, CHANNEL, ALICE, "quotable words")
    interaction = await fake.message_command(GUILD, CHANNEL, OWNER, "Quote", target)
    reply = await fake.wait_for_reply(interaction)
    assert reply["content"] == "> quotable words"


async def test_deferred_followup(fake: FakeDiscord, bot: MiniBot) -> None:
    await bot.tree.sync()
    interaction = await fake.slash(GUILD, CHANNEL, ALICE, "slow")
    first = await fake.wait_for_response(interaction)
    assert first.type == 5 and first.deferred
    followup = await fake.wait_for_followup(interaction)
    assert followup.content == "done thinking"
    reply = await fake.wait_for_reply(interaction)
    assert reply["content"] == "done thinking"
    # The followup replaced the "thinking" message: it is the original response now.
    assert interaction.original is not None
    assert interaction.original["content"] == "done thinking"


async def test_user_message_gets_reaction_and_reply(fake: FakeDiscord, bot: MiniBot) -> None:
    msg = await fake.user_message(GUILD, CHANNEL, ALICE, "hello there")
    reaction = await fake.wait_for_reaction(msg, "👀")
    assert reaction.channel_id == CHANNEL
    reply = await fake.wait_for_message(CHANNEL)
    assert reply["content"] == "echo: hello there"
    assert reply["message_reference"]["message_id"] == msg["id"]
    assert reply["author"]["id"] == str(fake.bot_id)
    # The reply pings the author, as discord.py's default allowed mentions say.
    assert [u["id"] for u in reply["mentions"]] == [str(ALICE)]


async def test_history_includes_messages_from_before_the_bot(
    fake: FakeDiscord, bot: MiniBot
) -> None:
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    old = fake.add_message(GUILD, CHANNEL, ALICE, "from before", at=earlier)
    new = await fake.user_message(GUILD, CHANNEL, ALICE, "just now")
    await fake.wait_for_message(CHANNEL)
    channel = bot.get_channel(CHANNEL)
    assert isinstance(channel, discord.TextChannel)
    contents = [m.content async for m in channel.history(limit=10, oldest_first=True)]
    assert contents == ["from before", "just now", "echo: just now"]
    after = [m.id async for m in channel.history(after=discord.Object(int(old["id"])))]
    assert int(new["id"]) in after and int(old["id"]) not in after


async def test_attachment_can_be_downloaded(fake: FakeDiscord, bot: MiniBot) -> None:
    attachment = fake.add_attachment("note.txt", b"file body", content_type="text/plain")
    await fake.user_message(GUILD, CHANNEL, ALICE, "see file", attachments=[attachment])
    reply = await fake.wait_for_message(CHANNEL)
    assert reply["content"] == "note.txt: file body"


async def test_attachments_can_be_served_under_another_host_name(
    fake: FakeDiscord, bot: MiniBot
) -> None:
    fake.attachment_host = "localhost"
    attachment = fake.add_attachment("note.txt", b"from the file host", content_type="text/plain")
    assert attachment["url"].startswith("http://localhost:")
    assert attachment["url"].endswith("/note.txt")
    await fake.user_message(GUILD, CHANNEL, ALICE, "see file", attachments=[attachment])
    reply = await fake.wait_for_message(CHANNEL)
    assert reply["content"] == "note.txt: from the file host"


async def test_a_server_refuses_command_options_it_does_not_know(
    fake: FakeDiscord, bot: MiniBot
) -> None:
    """Spacebar refuses ``autocomplete`` (the ``repeat`` command's word); the sync is
    answered 400, code 50035, and nothing is registered."""
    fake.command_refusal = SPACEBAR_COMMAND_REFUSAL
    with pytest.raises(app_commands.CommandSyncFailure) as refused:
        await bot.tree.sync()
    assert refused.value.status == 400 and refused.value.code == 50035
    assert "'repeat'" in str(refused.value) and "autocomplete" in str(refused.value)
    assert fake.commands == [] and len(fake.refused_syncs) == 1

    fake.command_refusal = None
    assert {c.name for c in await bot.tree.sync()} >= {"repeat", "ping"}


def test_a_command_refusal_finds_options_inside_groups() -> None:
    number = CommandRefusal(option_types=frozenset({10}))
    group = {
        "name": "admin",
        "options": [
            {"type": 1, "name": "list", "options": []},
            {"type": 1, "name": "config", "options": [{"type": 10, "name": "score"}]},
        ],
    }
    problem = number.first_problem([{"name": "ping", "options": []}, group])
    # Command 1 ("admin"), its option 1 ("config"), that one's option 0: the number.
    (error,) = problem["1"]["options"]["1"]["options"]["0"]["type"]["_errors"]
    assert error["code"] == "BASE_TYPE_CHOICES"
    assert number.first_problem([{"name": "ping", "options": [{"type": 4, "name": "n"}]}]) is None


async def test_button_click_reaches_the_view(fake: FakeDiscord, bot: MiniBot) -> None:
    await fake.user_message(GUILD, CHANNEL, ALICE, "button")
    message = await fake.wait_for_message(CHANNEL, lambda m: bool(m["components"]))
    interaction = await fake.click(GUILD, CHANNEL, ALICE, message, "press")
    response = await fake.wait_for_response(interaction)
    assert response.content == "pressed"
    assert response.ephemeral
    assert bot.views[0].pressed_by == [ALICE]


async def test_reconnect_resumes_without_losing_events(fake: FakeDiscord, bot: MiniBot) -> None:
    await fake.send_reconnect()
    assert not fake.connected
    msg = await fake.user_message(GUILD, CHANNEL, ALICE, "while away")
    reply = await fake.wait_for_message(CHANNEL)
    assert reply["content"] == "echo: while away"
    assert reply["message_reference"]["message_id"] == msg["id"]
    assert fake.resume_count == 1
    assert len(fake.identify_payloads) == 1
    resume = [p for p in fake.gateway_received if p["op"] == 6]
    assert len(resume) == 1 and resume[0]["d"]["session_id"]
    # The message was dispatched after the last sequence the bot had seen: RESUME replayed it.
    created = next(f for f in fake.dispatches if f["d"].get("id") == msg["id"])
    resumed = next(f for f in fake.dispatches if f["t"] == "RESUMED")
    assert resume[0]["d"]["seq"] < created["s"] < resumed["s"]

    await fake.drop_connection()
    await fake.user_message(GUILD, CHANNEL, ALICE, "after a drop")
    assert (await fake.wait_for_message(CHANNEL))["content"] == "echo: after a drop"
    assert fake.resume_count == 2


async def test_rate_limited_call_is_retried(fake: FakeDiscord, bot: MiniBot) -> None:
    fake.rate_limit_next("POST", r"^/channels/\d+/messages$", retry_after=0.2)
    await fake.user_message(GUILD, CHANNEL, ALICE, "limited")
    reply = await fake.wait_for_message(CHANNEL)
    assert reply["content"] == "echo: limited"
    posts = [c for c in fake.requests if c.method == "POST" and c.path.endswith("/messages")]
    assert [c.status for c in posts] == [429, 200]
    assert len(fake.rate_limited) == 1


async def test_error_in_handler_is_captured(fake: FakeDiscord, errors: ErrorCapture) -> None:
    bot = MiniBot()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        raise RuntimeError("boom")

    async with fake.run_bot(bot, TOKEN):
        await fake.user_message(GUILD, CHANNEL, ALICE, "explode")
        await fake.wait_until(lambda: errors.records, "the error to be logged")
    assert "boom" in errors.format_records()
    errors.clear()


async def test_compressed_gateway_and_late_guild_join(errors: ErrorCapture) -> None:
    async with FakeDiscord(app_id=APP_ID, bot_user=BOT_USER, gateway_compression=True) as fake:
        fake.add_guild(GUILD, "Test Guild", OWNER)
        fake.add_channel(GUILD, CHANNEL, "general")
        fake.add_member(GUILD, ALICE, "alice")
        fake.add_guild(GUILD + 1, "Later Guild", OWNER, joined=False)
        async with fake.run_bot(MiniBot()) as bot:
            await fake.user_message(GUILD, CHANNEL, ALICE, "zipped")
            assert (await fake.wait_for_message(CHANNEL))["content"] == "echo: zipped"
            assert bot.get_guild(GUILD + 1) is None
            await fake.join_guild(GUILD + 1)
            await fake.wait_until(lambda: bot.get_guild(GUILD + 1), "the new guild")
            await fake.leave_guild(GUILD + 1)
            await fake.wait_until(lambda: bot.get_guild(GUILD + 1) is None, "the guild to go")


async def test_uploads_edits_deletes_and_modals(fake: FakeDiscord, bot: MiniBot) -> None:
    await bot.tree.sync()
    interaction = await fake.slash(GUILD, CHANNEL, ALICE, "upload")
    reply = await fake.wait_for_reply(interaction)
    assert reply["content"] == "here it is" and reply["flags"] & 64
    assert fake.file_data(reply["attachments"][0]) == b"report body"

    interaction = await fake.slash(GUILD, CHANNEL, ALICE, "ask")
    modal = await fake.wait_for_response(interaction)
    assert modal.type == 9 and modal.data["title"] == "Ask"
    submitted = await fake.submit_modal(
        GUILD, CHANNEL, ALICE, modal.data["custom_id"], {"question": "why?"}
    )
    assert (await fake.wait_for_reply(submitted))["content"] == "you asked: why?"

    channel = bot.get_channel(CHANNEL)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("draft", file=discord.File(io.BytesIO(b"v1"), "v1.txt"))
    await sent.edit(content="final")
    assert fake.edits[-1]["content"] == "final"
    assert [a["filename"] for a in fake.edits[-1]["attachments"]] == ["v1.txt"]
    await sent.delete()
    assert fake.deleted == [sent.id]
    assert all(m["id"] != str(sent.id) for m in fake.channel_history(CHANNEL))


# -------------------------------------------------------------------------------- sharding


class ShardBot(commands.AutoShardedBot):
    """A sharded bot that notes through which shard each message came, and answers in guilds."""

    def __init__(self, **sharding: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.members = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            guild_ready_timeout=0.05,
            **sharding,
        )
        self.seen: list[tuple[str, int | None]] = []
        """(content, shard of its guild or None in DMs) of every user message."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s pause before each shard's IDENTIFY: the fake does not limit identifies."""

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        shard = None if message.guild is None else message.guild.shard_id
        self.seen.append((message.content, shard))
        if message.guild is not None:
            await message.channel.send(f"shard {shard} saw: {message.content}")


def add_guilds_on_shards(fake: FakeDiscord, count: int, per_shard: int) -> dict[int, list[int]]:
    """``per_shard`` joined guilds on each of ``count`` shards, each with Alice and a channel
    whose id is the guild's id + 1; returns the guild ids by shard."""
    guilds: dict[int, list[int]] = {}
    for shard in range(count):
        for n in range(per_shard):
            guild_id = FakeDiscord.guild_id_on_shard(shard, count, n)
            fake.add_guild(guild_id, f"Guild {shard}.{n}", OWNER)
            fake.add_channel(guild_id, guild_id + 1, "general")
            fake.add_member(guild_id, ALICE, "alice")
            guilds.setdefault(shard, []).append(guild_id)
    return guilds


def frames(fake: FakeDiscord, shard: int, event: str) -> list[dict[str, Any]]:
    return [frame for frame in fake.dispatches_of(shard) if frame["t"] == event]


def message_ids(fake: FakeDiscord, shard: int) -> set[str]:
    return {frame["d"]["id"] for frame in frames(fake, shard, "MESSAGE_CREATE")}


def test_guild_ids_land_on_the_shard_asked_for() -> None:
    ids = {
        (shard, count, n): FakeDiscord.guild_id_on_shard(shard, count, n)
        for count in (1, 2, 3, 16)
        for shard in range(count)
        for n in range(3)
    }
    for (shard, count, _n), guild_id in ids.items():
        assert FakeDiscord.shard_of(guild_id, count) == shard
        # A snowflake of January 2024 (Discord's epoch is 2015).
        assert discord.utils.snowflake_time(guild_id).year == 2024
    assert len(set(ids.values())) == len(ids)
    assert FakeDiscord.shard_of(41771983423143936, 2) == (41771983423143936 >> 22) % 2
    with pytest.raises(ValueError):
        FakeDiscord.guild_id_on_shard(2, 2)


async def test_gateway_bot_recommends_one_shard_per_so_many_guilds() -> None:
    async with FakeDiscord(app_id=APP_ID, bot_user=BOT_USER, guilds_per_shard=2) as fake:

        async def recommended() -> int:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{fake.rest_base}/gateway/bot") as response,
            ):
                body = await response.json()
            assert body["url"] == str(fake.gateway_url)
            return body["shards"]

        assert await recommended() == 1  # no guild yet: still one shard
        for n in range(5):
            fake.add_guild(FakeDiscord.guild_id_on_shard(0, 1, n), f"Guild {n}", OWNER)
        fake.add_guild(FakeDiscord.guild_id_on_shard(0, 1, 9), "Not joined", OWNER, joined=False)
        assert await recommended() == 3  # 5 joined guilds, 2 a shard
        assert fake.recommended_shards == 3


async def test_one_client_runs_both_shards_and_gets_each_guild_on_its_shard(
    errors: ErrorCapture,
) -> None:
    async with FakeDiscord(
        app_id=APP_ID, bot_user=BOT_USER, token=TOKEN, guilds_per_shard=2
    ) as fake:
        guilds = add_guilds_on_shards(fake, count=2, per_shard=2)
        # No shard count given: discord.py asks GET /gateway/bot, which recommends 2.
        async with fake.run_bot(ShardBot(), TOKEN) as bot:
            assert ("GET", "/gateway/bot") in [(c.method, c.path) for c in fake.requests]
            assert bot.shard_count == 2
            assert fake.identified_shards == [(0, 2), (1, 2)]
            assert fake.connected_shards == {0, 1}
            assert {g.id for g in bot.guilds} == set(guilds[0] + guilds[1])
            for shard, ids in guilds.items():
                assert [bot.get_guild(g).shard_id for g in ids] == [shard, shard]
                (ready,) = frames(fake, shard, "READY")
                assert ready["d"]["shard"] == [shard, 2]
                assert [int(g["id"]) for g in ready["d"]["guilds"]] == ids
                assert [int(f["d"]["id"]) for f in frames(fake, shard, "GUILD_CREATE")] == ids

            on_shard_one = guilds[1][0]
            message = await fake.user_message(on_shard_one, on_shard_one + 1, ALICE, "hello")
            reply = await fake.wait_for_message(on_shard_one + 1)
            assert reply["content"] == "shard 1 saw: hello"
            assert message["id"] in message_ids(fake, 1)
            assert message["id"] not in message_ids(fake, 0)

            dm = await fake.user_dm(ALICE, "a direct word")
            await fake.wait_until(lambda: ("a direct word", None) in bot.seen, "the DM")
            assert dm["id"] in message_ids(fake, 0) and dm["id"] not in message_ids(fake, 1)
            assert bot.seen == [("hello", 1), ("a direct word", None)]


async def test_two_processes_each_get_only_their_shards_guilds(errors: ErrorCapture) -> None:
    async with FakeDiscord(app_id=APP_ID, bot_user=BOT_USER, token=TOKEN) as fake:
        guilds = add_guilds_on_shards(fake, count=2, per_shard=2)
        later = FakeDiscord.guild_id_on_shard(1, 2, 5)
        fake.add_guild(later, "Later Guild", OWNER, joined=False)
        first, second = guilds[0][0], guilds[1][0]
        # No session yet: a guild's message waits for the READY of the shard holding it.
        early = await fake.user_message(second, second + 1, ALICE, "early")

        async with fake.run_bot(ShardBot(shard_count=2, shard_ids=[0]), TOKEN) as zero:
            assert fake.connected_shards == {0}
            assert {g.id for g in zero.guilds} == set(guilds[0])
            assert early["id"] not in message_ids(fake, 0)

            async with fake.run_bot(ShardBot(shard_count=2, shard_ids=[1]), TOKEN) as one:
                assert fake.connected_shards == {0, 1}
                assert {g.id for g in one.guilds} == set(guilds[1])
                reply = await fake.wait_for_message(second + 1)
                assert reply["content"] == "shard 1 saw: early"

                await fake.user_message(first, first + 1, ALICE, "for shard zero")
                reply = await fake.wait_for_message(first + 1)
                assert reply["content"] == "shard 0 saw: for shard zero"
                await fake.user_dm(ALICE, "a direct word")
                await fake.wait_until(lambda: ("a direct word", None) in zero.seen, "the DM")
                assert zero.seen == [("for shard zero", 0), ("a direct word", None)]
                assert one.seen == [("early", 1)]

                # Member requests go out, and come back, on the shard holding the guild.
                members = await asyncio.wait_for(one.get_guild(second).chunk(), fake.timeout)
                assert ALICE in {m.id for m in members}

                await fake.join_guild(later)
                await fake.wait_until(lambda: one.get_guild(later), "the new guild on shard 1")
                assert zero.get_guild(later) is None
                assert not any(int(f["d"]["id"]) == later for f in frames(fake, 0, "GUILD_CREATE"))

                # Shard 0 (not the latest session) reconnects and resumes; shard 1 stays.
                await fake.send_reconnect(shard=0)
                assert not fake.is_connected(0) and fake.is_connected(1)
                await fake.user_message(first, first + 1, ALICE, "while away")
                reply = await fake.wait_for_message(first + 1)
                assert reply["content"] == "shard 0 saw: while away"
                assert fake.resume_count == 1

                # Shard 1 must identify anew; only its session is replaced.
                await fake.invalidate_session(shard=1)
                assert fake.connected_shards == {0}
                await fake.wait_until(lambda: fake.connected_shards == {0, 1}, "shard 1 back")
                assert fake.identified_shards == [(0, 2), (1, 2), (1, 2)]
                await fake.user_message(second, second + 1, ALICE, "after the new session")
                reply = await fake.wait_for_message(second + 1)
                assert reply["content"] == "shard 1 saw: after the new session"
                assert fake.resume_count == 1
                assert [content for content, _shard in zero.seen] == [
                    "for shard zero",
                    "a direct word",
                    "while away",
                ]
                assert one.seen == [("early", 1), ("after the new session", 1)]


async def test_too_many_guilds_for_a_session_or_a_shard_out_of_range_is_refused(
    errors: ErrorCapture,
) -> None:
    async with FakeDiscord(
        app_id=APP_ID, bot_user=BOT_USER, token=TOKEN, max_guilds_per_session=2
    ) as fake:
        add_guilds_on_shards(fake, count=2, per_shard=1)
        fake.add_guild(FakeDiscord.guild_id_on_shard(0, 2, 1), "Third Guild", OWNER)

        async def refusal(client: discord.Client) -> int:
            with fake.patch_discord(), pytest.raises(discord.ConnectionClosed) as closed:
                await asyncio.wait_for(client.start(TOKEN), fake.timeout)
            await client.close()
            return closed.value.code

        intents = discord.Intents.none()
        intents.guilds = True
        # One session would hold 3 guilds, more than 2: "Sharding required."
        assert await refusal(discord.Client(intents=intents)) == 4011
        # Shard 2 of 2 does not exist: "Invalid shard."
        assert await refusal(discord.Client(intents=intents, shard_id=2, shard_count=2)) == 4010
        assert fake.identified_shards == [None, (2, 2)]
        assert not fake.connected and fake.connected_shards == set()

        # Two shards hold 2 guilds and 1: accepted.
        async with fake.run_bot(ShardBot(shard_count=2), TOKEN) as bot:
            assert fake.connected_shards == {0, 1}
            assert len(bot.guilds) == 3
