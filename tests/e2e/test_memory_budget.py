"""The bot as its own process with a memory budget smaller than its guilds' indexes
(``INDEX_MEMORY_MB``): asked about each guild in turn, it drops and loads indexes again
and again, and every answer is the one an engine holding every index gives."""

from __future__ import annotations

import math
import random
import re
from collections.abc import AsyncIterator

import pytest

from index import Engine
from index.ingest.paste import fingerprint
from index.models import ArticleDraft
from tests.e2e.test_bot import TOKEN
from tests.e2e.test_shards import DEADLINE, answer_text
from tests.support.bot_process import BotProcess, bot_environment, wait_for
from tests.support.engines import open_engine
from tests.support.fake_discord import FakeDiscord, Perm

APP_ID, BOT_ID = 900, 901
GUILDS = (1_300_000_000_000_000_001, 1_300_000_000_000_000_002, 1_300_000_000_000_000_003)
CHANNEL_OF = {guild: 50 + number for number, guild in enumerate(GUILDS)}
BOB, MOD = 22, 23
ARTICLES, PARAGRAPHS, WORDS = 24, 50, 24
VOCABULARY = 9000
CODE = re.compile(r"\bqk\d+x\b")
MIB = 2**20


def guild_articles(guild_number: int) -> list[ArticleDraft]:
    """Articles of one-sentence paragraphs, each paragraph named by a code word, over a
    vocabulary of its own guild (so each index is large) and common words (so questions
    rank many paragraphs)."""
    rng = random.Random(guild_number)
    own = [f"w{guild_number}n{n}" for n in range(VOCABULARY)]
    common = ["harbour", "ferry", "council", "storm", "budget", "school", "bridge", "vote"]
    drafts = []
    for article in range(ARTICLES):
        paragraphs = []
        for paragraph in range(PARAGRAPHS):
            code = f"qk{guild_number * 100_000 + article * 1000 + paragraph}x"
            words = rng.choices(own, k=WORDS) + rng.choices(common, k=4)
            rng.shuffle(words)
            paragraphs.append(f"Item {code} says {' '.join(words)}.")
        title = f"Bulletin {article} of guild {guild_number}"
        drafts.append(
            ArticleDraft(
                title=title, paragraphs=tuple(paragraphs), fingerprint=fingerprint(paragraphs)
            )
        )
    return drafts


QUESTIONS = ("harbour ferry storm", "council budget vote", "school bridge")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    bot_user = {"id": str(BOT_ID), "username": "newsbot"}
    async with FakeDiscord(app_id=APP_ID, bot_user=bot_user, token=TOKEN, timeout=30) as fake:
        for guild in GUILDS:
            fake.add_guild(guild, f"Guild {guild}", MOD)
            fake.add_channel(guild, CHANNEL_OF[guild], "news")
            fake.add_member(guild, BOB, "bob")
            fake.add_member(guild, MOD, "mod", permissions=Perm.MANAGE_GUILD)
        yield fake


async def codes_ranked(engine: Engine, guild: int, question: str) -> list[str]:
    """The code words of the passages an engine holding the index quotes, in order."""
    answer = await engine.ask(guild, question)
    return [CODE.search(passage.text).group(0) for passage in answer.passages]


async def ask(fake: FakeDiscord, guild: int, question: str) -> str:
    interaction = await fake.slash(guild, CHANNEL_OF[guild], BOB, "ask", {"question": question})
    return answer_text(await fake.wait_for_reply(interaction, timeout=DEADLINE))


async def test_a_budget_smaller_than_the_indexes_drops_them_and_answers_the_same(
    fake, store_url, tmp_path
):
    reference = await open_engine(store_url, snapshots=False, follow_changes=False)
    try:
        for number, guild in enumerate(GUILDS):
            for draft in guild_articles(number):
                await reference.ingest_draft(guild, draft)
        expected = {
            (guild, question): await codes_ranked(reference, guild, question)
            for guild in GUILDS
            for question in QUESTIONS
        }
        sizes = [(await reference.stats(guild)).index_bytes for guild in GUILDS]
    finally:
        await reference.close()
    assert all(expected.values())
    assert all(size is not None for size in sizes)
    # Room for the largest index and a little more: never for two of them at once.
    budget_mib = math.ceil(max(sizes) / MIB)
    assert budget_mib * MIB < 2 * min(sizes), (sizes, budget_mib)

    env = bot_environment(
        fake.rest_base,
        str(fake.gateway_url),
        TOKEN,
        DATABASE_URL=store_url,
        DATA_DIR=tmp_path / "data",
        INDEX_MEMORY_MB=str(budget_mib),
        QUESTIONS_PER_MINUTE="1000",
        LOG_LEVEL="INFO",
    )
    process = BotProcess(env, tmp_path / "bot.log")
    process.start()
    try:
        await wait_for(lambda: fake.connected, "the bot to connect", DEADLINE)
        await wait_for(lambda: fake.commands, "the slash commands", DEADLINE)
        for _round in range(3):
            for guild in GUILDS:
                for question in QUESTIONS:
                    shown = CODE.findall(await ask(fake, guild, question))
                    assert shown == expected[guild, question], (guild, question)
        log = process.log()
        evictions = log.count("dropped from memory to keep within the budget")
        assert evictions >= 2 * len(GUILDS)
        # The guild asked last is in memory; the one before it was let go.
        stats = await fake.slash(GUILDS[-1], CHANNEL_OF[GUILDS[-1]], MOD, "admin stats")
        assert "in memory" in answer_text(await fake.wait_for_reply(stats, timeout=DEADLINE))
        stats = await fake.slash(GUILDS[0], CHANNEL_OF[GUILDS[0]], MOD, "admin stats")
        assert "not in memory" in answer_text(await fake.wait_for_reply(stats, timeout=DEADLINE))
        assert process.stop() == 0
    finally:
        process.ensure_stopped()
    print(
        f"{len(GUILDS)} guilds of {[round(s / MIB, 2) for s in sizes]} MiB under a "
        f"{budget_mib} MiB budget: {evictions} evictions, every answer as without a budget"
    )
