"""The real bot, as its own process, killed with SIGKILL in the middle of a stream of
ingests, several times, then stopped cleanly with SIGTERM: nothing it confirmed is lost,
nothing is half-written, accepted work is finished, and the index answers exactly as
one rebuilt from the store. On every store: the process is given the store's URL as
``DATABASE_URL``, as an operator would."""

# ruff: noqa: F811  (the fake fixture imported from test_bot is a parameter here)

from __future__ import annotations

import asyncio
import random

import pytest

from index.ingest.paste import parse_paste
from tests.conftest import SEED
from tests.e2e.test_bot import ALICE, GUILD, NEWS, TOKEN, fake  # noqa: F401  (fixture)
from tests.support.bot_process import BotProcess, bot_environment, wait_for
from tests.support.engines import open_engine
from tests.support.fake_discord import FakeDiscord

KILL_ROUNDS = 6
POSTS_PER_ROUND = 10


def article_text(number: int, rng: random.Random) -> str:
    """A distinct article: seed paragraphs in a new order, with a title and a marker."""
    paragraphs = parse_paste(SEED.read_text(encoding="utf-8")).paragraphs
    chosen = rng.sample(list(paragraphs), rng.randint(4, 12))
    marker = f"This is dispatch number {number}, filed under the code word zq{number}x."
    return "\n\n".join([f"Dispatch {number} from the border", *chosen, marker])


def emojis(fake: FakeDiscord, message: dict) -> set[str]:
    return {r.emoji for r in fake.reactions_on(int(message["id"])) if r.added}


@pytest.fixture
def bot_process(fake, store_url, tmp_path):
    env = bot_environment(
        fake.rest_base,
        str(fake.gateway_url),
        TOKEN,
        DATABASE_URL=store_url,
        DATA_DIR=tmp_path / "data",
        INDEX_DIR=tmp_path / "index",
    )
    bot = BotProcess(env, tmp_path / "bot.log")
    yield bot
    bot.ensure_stopped()


async def test_sigkill_during_ingests_loses_nothing_confirmed(
    fake, bot_process, store_url, tmp_path
):
    rng = random.Random(20261125)
    bot = bot_process
    posted: list[tuple[dict, int]] = []  # (message, expected paragraphs)
    number = 0
    for _round in range(KILL_ROUNDS):
        bot.start()
        await wait_for(lambda: fake.connected, "the bot to connect")
        for _ in range(POSTS_PER_ROUND):
            text = article_text(number, rng)
            attachment = fake.add_attachment("message.txt", text.encode(), None)
            message = await fake.user_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
            posted.append((message, len(parse_paste(text).paragraphs)))
            number += 1
        await asyncio.sleep(rng.uniform(0.02, 0.15))  # while the burst is being ingested
        bot.kill()
        await wait_for(lambda: not fake.connected, "the fake to see the connection drop")

    # The last start finishes what was accepted; then a clean stop.
    bot.start()
    await wait_for(lambda: fake.connected, "the bot to connect")
    accepted = [(m, n) for m, n in posted if "⏳" in emojis(fake, m)]
    assert accepted, "no ingest was ever accepted"
    await wait_for(
        lambda: all(emojis(fake, m) & {"✅", "❌"} for m, _n in accepted),
        "every accepted ingest to be confirmed",
    )
    assert bot.stop() == 0
    log = bot.log_path.read_text(encoding="utf-8", errors="replace")
    resumed = log.count("cut short by the last stop")
    assert resumed >= 1, "no kill landed while work was in hand"
    assert TOKEN not in log
    assert TOKEN.split(".")[-1] not in log

    engine = await open_engine(store_url, index_dir=tmp_path / "index")
    try:
        assert await engine.integrity_problems() == []
        # No half-written article: each has exactly the paragraphs it says it has.
        stored_articles = await engine.list_articles(GUILD, limit=len(posted) + 1)
        assert stored_articles
        half_written = [
            article.id
            for article in stored_articles
            if len(await engine.article_paragraphs(GUILD, article.id)) != article.paragraph_count
        ]
        assert half_written == []
        assert await engine.pending_ingests([GUILD]) == []
        for message, paragraphs in posted:
            article = await engine.find_by_message(GUILD, int(message["id"]))
            shown = emojis(fake, message)
            if "✅" in shown:
                assert article is not None, message["id"]
                assert article.paragraph_count == paragraphs
            if "⏳" in shown:
                assert "✅" in shown, (message["id"], shown)  # every article here is valid
        # The index loaded from its snapshot answers exactly as one rebuilt from the store.
        questions = [f"code word zq{i}x" for i in range(0, number, 3)] + [
            "Who talked Trump out of military action?",
            "How many troops are on the border?",
        ]
        loaded = [await engine.rank(GUILD, q, k=10) for q in questions]
        await engine.reindex(GUILD)
        rebuilt = [await engine.rank(GUILD, q, k=10) for q in questions]
        assert loaded == rebuilt
        assert any(hits for hits in loaded)
    finally:
        await engine.close()
    stored = sum(1 for m, _n in posted if "✅" in emojis(fake, m))
    print(
        f"{KILL_ROUNDS} SIGKILL rounds: {len(posted)} posted, {len(accepted)} accepted, "
        f"{stored} stored and confirmed, work resumed after {resumed} of the restarts"
    )
