"""The bot as a real deployment: bot processes started with the command and shard
settings of ``deploy/compose.yaml`` (two processes, shards 0 and 1 of 2) over one
PostgreSQL, and the command line beside them, all against one fake Discord.

Each guild is answered by the process that owns its shard and by no other; an article
ingested or removed by the command line while the bot runs is answered (or no longer
answered) without a restart; a process killed in the middle of ingests costs the other
process nothing and, restarted, finishes what it had accepted; a database restart costs
neither process a change. On SQLite (one process, the default settings) the command line's
changes reach the bot as well.

How long a change took to reach the bot is printed; the tests wait for it with a generous
deadline and never judge its speed.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.ingest.paste import parse_paste
from tests.conftest import SEED
from tests.deploy.files import bot_services
from tests.e2e.test_bot import TOKEN
from tests.e2e.test_crash import article_text
from tests.support.bot_process import BotProcess, bot_environment, run_command, wait_for
from tests.support.engines import open_engine
from tests.support.fake_discord import FakeDiscord, Perm

APP_ID, BOT_ID = 900, 901
SHARDS = 2
GUILD_0 = FakeDiscord.guild_id_on_shard(0, SHARDS, 1)
GUILD_1 = FakeDiscord.guild_id_on_shard(1, SHARDS, 1)
CHANNEL = {GUILD_0: 11, GUILD_1: 31}
ALICE, BOB, MOD = 21, 22, 23
DEADLINE = 60.0
"""How long a test waits for what must happen (startups under a loaded machine included)."""
SEED_QUESTION = "Who talked Trump out of military action in 2019?"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    bot_user = {"id": str(BOT_ID), "username": "newsbot"}
    async with FakeDiscord(app_id=APP_ID, bot_user=bot_user, token=TOKEN, timeout=30) as fake:
        for number, guild in enumerate((GUILD_0, GUILD_1)):
            fake.add_guild(guild, f"Guild on shard {number}", MOD)
            fake.add_channel(guild, CHANNEL[guild], "news")
            fake.add_member(guild, ALICE, "alice")
            fake.add_member(guild, BOB, "bob")
            fake.add_member(guild, MOD, "mod", permissions=Perm.MANAGE_GUILD)
        yield fake


@dataclass
class Deployment:
    """The bot processes of one deployment, and the environment they share."""

    fake: FakeDiscord
    database: str
    processes: dict[int, BotProcess]
    """By the shard each runs (one process on SQLite: shard 0 of 1)."""
    env: dict[str, str]
    """The settings every process shares (for the command line)."""

    def owner(self, guild: int) -> BotProcess:
        if len(self.processes) == 1:
            return next(iter(self.processes.values()))
        return self.processes[(guild >> 22) % SHARDS]

    async def start(self, *shards: int) -> None:
        for shard in shards or tuple(self.processes):
            self.processes[shard].start()
        await wait_for(
            lambda: self.fake.connected_shards >= set(shards or self.processes),
            "every bot process to connect",
            DEADLINE,
        )
        # Commands are synced once connected; a slash command needs them.
        await wait_for(lambda: self.fake.commands, "the slash commands", DEADLINE)

    def cli(self, *arguments: str) -> str:
        return run_command(self.env, *arguments)


def deployment_for(fake: FakeDiscord, database: str, data_dir: Path, logs: Path) -> Deployment:
    """Processes as ``deploy/compose.yaml`` runs them on PostgreSQL (its command and shard
    settings, one shared data folder); one process with the default settings on SQLite."""
    shared = {
        "DATABASE_URL": database,
        "DATA_DIR": data_dir,
        "QUESTIONS_PER_MINUTE": "1000",
        "LOG_LEVEL": "INFO",
    }
    env = bot_environment(fake.rest_base, str(fake.gateway_url), TOKEN, **shared)
    if not database.startswith("postgresql"):
        return Deployment(fake, database, {0: BotProcess(env, logs / "bot.log")}, env)
    processes = {}
    for service in bot_services():
        settings = service.settings({"DISCORD_TOKEN": TOKEN, "POSTGRES_PASSWORD": "unused"})
        settings.update({name: str(value) for name, value in shared.items()})
        assert service.arguments == ["run"]
        shard = int(settings["SHARD_IDS"])
        assert int(settings["SHARD_COUNT"]) == SHARDS
        processes[shard] = BotProcess({**env, **settings}, logs / f"{service.name}.log")
    assert sorted(processes) == list(range(SHARDS))
    return Deployment(fake, database, processes, env)


@pytest.fixture
async def deployment(fake, store_url, tmp_path) -> AsyncIterator[Deployment]:
    found = deployment_for(fake, store_url, tmp_path / "data", tmp_path)
    try:
        yield found
    finally:
        for process in found.processes.values():
            process.ensure_stopped()


def answer_text(reply: dict) -> str:
    parts = [reply.get("content") or ""]
    for embed in reply.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
    return "\n".join(parts).replace("**", "").replace("\\", "")


async def ask(fake: FakeDiscord, guild: int, question: str) -> str:
    interaction = await fake.slash(guild, CHANNEL[guild], BOB, "ask", {"question": question})
    return answer_text(await fake.wait_for_reply(interaction, timeout=DEADLINE))


async def share(fake: FakeDiscord, guild: int, text: str) -> dict:
    attachment = fake.add_attachment("message.txt", text.encode(), None)
    return await fake.user_message(guild, CHANNEL[guild], ALICE, "", attachments=[attachment])


def emojis(fake: FakeDiscord, message: dict) -> set[str]:
    return {r.emoji for r in fake.reactions_on(int(message["id"])) if r.added}


async def answered_within(fake: FakeDiscord, guild: int, question: str, wanted) -> float:
    """Ask until ``wanted(answer text)``; returns the seconds it took."""
    start = time.monotonic()
    while not wanted(await ask(fake, guild, question)):
        if time.monotonic() - start > DEADLINE:
            raise AssertionError(f"{question!r} in guild {guild} never got the answer wanted")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


POSTGRESQL_ONLY = pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)


@POSTGRESQL_ONLY
async def test_each_guild_is_answered_by_the_process_of_its_shard_only(fake, deployment):
    await deployment.start()
    assert {tuple(s) for s in fake.identified_shards if s} == {(0, SHARDS), (1, SHARDS)}
    dispatch = article_text(7, random.Random(7))
    shared = {GUILD_0: await share(fake, GUILD_0, SEED.read_text(encoding="utf-8"))}
    shared[GUILD_1] = await share(fake, GUILD_1, dispatch)
    for message in shared.values():
        await fake.wait_for_reaction(int(message["id"]), "✅", timeout=DEADLINE)

    assert "Rubio talked the president" in await ask(fake, GUILD_0, SEED_QUESTION)
    assert "zq7x" in await ask(fake, GUILD_1, "zq7x")
    # Each guild's articles are its own: the other's question finds nothing there.
    assert "found nothing" in await ask(fake, GUILD_0, "zq7x")

    engine = await open_engine(deployment.database, snapshots=False, follow_changes=False)
    try:
        for guild, message in shared.items():
            articles = await engine.list_articles(guild)
            assert len(articles) == 1  # ingested once, by one process
            assert (await engine.find_by_message(guild, int(message["id"]))) is not None
    finally:
        await engine.close()
    for message in shared.values():  # one ✅ each: no second process ingested it
        reactions = [r for r in fake.reactions_on(int(message["id"])) if r.emoji == "✅"]
        assert len([r for r in reactions if r.added]) == 1
    for shard, process in deployment.processes.items():
        log = process.log()
        own, other = (GUILD_0, GUILD_1) if shard == 0 else (GUILD_1, GUILD_0)
        assert f"guild {own}:" in log
        assert f"guild {other}" not in log  # never loaded, ingested or answered there
        assert TOKEN not in log


async def test_a_command_line_ingest_and_removal_reach_the_running_bot(fake, deployment, tmp_path):
    """On SQLite one bot process with the default settings; on PostgreSQL the two of the
    Compose file. No restart either way."""
    await deployment.start()
    for guild in (GUILD_0, GUILD_1):
        assert "found nothing" in await ask(fake, guild, "zq41x")  # index loaded
    delays = []
    for guild in (GUILD_0, GUILD_1):
        path = tmp_path / f"dispatch-{guild}.txt"
        path.write_text(article_text(41, random.Random(guild)), encoding="utf-8")
        added = deployment.cli("ingest", "--guild", str(guild), str(path))
        article_id = re.search(r"Added article #(\d+)", added)
        assert article_id, added
        delays.append(await answered_within(fake, guild, "zq41x", lambda text: "zq41x" in text))
        deployment.cli("remove", "--guild", str(guild), article_id.group(1))
        delays.append(
            await answered_within(fake, guild, "zq41x", lambda text: "found nothing" in text)
        )
    for guild in (GUILD_0, GUILD_1):
        log = deployment.owner(guild).log()
        # Loaded once, for the first question; the changes were applied to it, not
        # rebuilt into it.
        assert log.count(f"guild {guild}: indexed") + log.count(f"guild {guild}: loaded") == 1
        await wait_for(
            lambda guild=guild: deployment.owner(guild).log().count(f"guild {guild}: applied") == 2,
            "the log to say both changes were applied",
        )
    print(
        f"{len(deployment.processes)} process(es): command-line ingests and removals "
        f"answered after {', '.join(f'{d:.2f}' for d in delays)} s"
    )


@POSTGRESQL_ONLY
async def test_a_process_killed_mid_ingest_costs_the_other_nothing_and_loses_nothing(
    fake, deployment
):
    await deployment.start()
    await fake.wait_for_reaction(
        int((await share(fake, GUILD_0, SEED.read_text(encoding="utf-8")))["id"]),
        "✅",
        timeout=DEADLINE,
    )
    rng = random.Random(20261203)
    posted = []
    for number in range(30):
        text = article_text(100 + number, rng)
        posted.append((await share(fake, GUILD_1, text), len(parse_paste(text).paragraphs)))
    # Killed as the first of them is confirmed: the others are accepted or in hand.
    await wait_for(
        lambda: any("✅" in emojis(fake, m) for m, _n in posted), "a first ingest", DEADLINE
    )
    deployment.processes[1].kill()
    in_hand = [m for m, _n in posted if "⏳" in emojis(fake, m) and "✅" not in emojis(fake, m)]
    assert in_hand, "the kill landed after every ingest was finished"
    await wait_for(lambda: 1 not in fake.connected_shards, "shard 1 to drop", DEADLINE)

    # Shard 0's guild is answered all the while its neighbour is down.
    for _ in range(5):
        assert "Rubio talked the president" in await ask(fake, GUILD_0, SEED_QUESTION)
    await deployment.start(1)
    accepted = [(m, n) for m, n in posted if "⏳" in emojis(fake, m)]
    assert accepted, "no ingest was accepted before the kill"
    await wait_for(
        lambda: all(emojis(fake, m) & {"✅", "❌"} for m, _n in accepted),
        "every accepted ingest to be confirmed",
        DEADLINE,
    )
    engine = await open_engine(deployment.database, snapshots=False, follow_changes=False)
    try:
        assert await engine.pending_ingests([GUILD_0, GUILD_1]) == []
        for message, paragraphs in posted:
            article = await engine.find_by_message(GUILD_1, int(message["id"]))
            if "✅" in emojis(fake, message):
                assert article is not None
                assert article.paragraph_count == paragraphs
            if "⏳" in emojis(fake, message):
                assert "✅" in emojis(fake, message)
    finally:
        await engine.close()
    # The owner answers with what it finished after its restart.
    last = 100 + max(posted.index((m, n)) for m, n in accepted)
    assert f"zq{last}x" in await ask(fake, GUILD_1, f"zq{last}x")
    assert all("✅" in emojis(fake, m) for m in in_hand)
    print(
        f"killed shard 1 with {len(posted)} articles posted, {len(accepted)} accepted and "
        f"{len(in_hand)} of them unfinished: all confirmed after its restart"
    )


@POSTGRESQL_ONLY
async def test_both_processes_recover_from_a_database_restart_and_miss_no_change(
    fake, deployment, postgres_server, tmp_path
):
    if not postgres_server.throwaway:
        pytest.skip("restarts the test server, which only a throwaway one may be")
    await deployment.start()
    for guild in (GUILD_0, GUILD_1):
        assert "found nothing" in await ask(fake, guild, "zq77x")  # index loaded
    await asyncio.to_thread(postgres_server.restart)
    # Written at once, while the processes may still be reconnecting: their listening
    # connections miss the notifications, and must catch up from the change log.
    for guild in (GUILD_0, GUILD_1):
        path = tmp_path / f"after-restart-{guild}.txt"
        path.write_text(article_text(77, random.Random(guild)), encoding="utf-8")
        for attempt in range(50):
            try:
                deployment.cli("ingest", "--guild", str(guild), str(path))
                break
            except AssertionError:
                if attempt == 49:
                    raise
                await asyncio.sleep(0.2)
    delays = [
        await answered_within(fake, guild, "zq77x", lambda text: "zq77x" in text)
        for guild in (GUILD_0, GUILD_1)
    ]
    for process in deployment.processes.values():
        assert process.running
    print(f"after a database restart, changes answered after {delays[0]:.2f} / {delays[1]:.2f} s")


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_shard_count_auto_runs_the_shards_discord_recommends(fake, store_url, tmp_path):
    """``SHARD_COUNT=auto``: one process asks Discord how many shards, and runs them all."""
    fake.guilds_per_shard = 1  # two guilds: Discord recommends two shards
    env = bot_environment(
        fake.rest_base,
        str(fake.gateway_url),
        TOKEN,
        DATABASE_URL=store_url,
        DATA_DIR=tmp_path / "data",
        SHARD_COUNT="auto",
        LOG_LEVEL="INFO",
    )
    process = BotProcess(env, tmp_path / "auto.log")
    process.start()
    try:
        # discord.py waits about 5 s before identifying a process's second shard.
        await wait_for(lambda: fake.connected_shards == {0, 1}, "both shards", DEADLINE)
        assert {tuple(s) for s in fake.identified_shards if s} == {(0, 2), (1, 2)}
        await wait_for(lambda: fake.commands, "the slash commands", DEADLINE)
        for guild in (GUILD_0, GUILD_1):
            assert "found nothing" in await ask(fake, guild, "zq5x")
        assert process.stop() == 0
    finally:
        process.ensure_stopped()
