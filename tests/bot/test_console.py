from __future__ import annotations

import io

import pytest

from bot.console import run_console
from index import Engine
from tests.conftest import SEED, SEED_URL

GUILD = 0


@pytest.fixture
async def engine(tmp_path):
    engine = await Engine.open(tmp_path / "console.sqlite3")
    yield engine
    await engine.close()


async def converse(engine: Engine, *lines: str) -> str:
    out = io.StringIO()
    await run_console(
        engine, GUILD, stdin=io.StringIO("".join(f"{line}\n" for line in lines)), out=out
    )
    return out.getvalue()


async def test_seed_questions_are_answered_with_quote_and_link(engine, seed_questions):
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    for question, expected in seed_questions:
        output = await converse(engine, question)
        if expected == "NO_ANSWER":
            assert "Nothing in the indexed articles answers that." in output
            continue
        first = output.split("[2]")[0]
        assert any(phrase in first for phrase in expected.split("|")), (question, output)
        assert SEED_URL in first


async def test_paste_an_article_then_ask_about_it(engine):
    output = await converse(
        engine,
        "/paste",
        "Harbour reopens after storm",
        "The city harbour reopened on Tuesday after a storm closed it for three days.",
        "Fishing boats returned to the docks as cranes resumed unloading grain from two ships.",
        "https://news.example.org/harbourGreat news",
        ".",
        "When did the harbour reopen?",
        "/articles",
        "/stats",
    )
    assert "Added article #1: Harbour reopens after storm (2 paragraphs)" in output
    assert "> The city harbour reopened on Tuesday" in output
    assert "https://news.example.org/harbour" in output
    assert "articles: 1" in output


async def test_admin_commands_and_bad_input(engine, tmp_path):
    bad = tmp_path / "picture.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    output = await converse(
        engine,
        f"/ingest {SEED}",
        f"/ingest {SEED}",
        f"/ingest {bad}",
        f"/ingest {tmp_path / 'missing.txt'}",
        "/show 1",
        "/in 1 How many troops are in Puerto Rico?",
        "/in 7 anything",
        "/remove x",
        "/remove 1",
        "/remove 1",
        "/frobnicate",
        "look at this https://localhost/a-story",
        "/help",
        "/quit",
        "this line is never read",
    )
    assert "Added article #1" in output
    assert "Already indexed as article #1" in output
    assert "Not indexed: picture.png is not a file the bot can read" in output
    assert "Cannot read" in output
    assert "note from the poster: New update my fellas. War stuff" in output
    assert "as many as 10,000 troops" in output
    assert "There is no article #7 in this server." in output
    assert "Usage: /remove ID" in output
    assert "Removed article #1" in output
    assert "Unknown command /frobnicate" in output
    assert "Not indexed (https://localhost/a-story): that address is not public." in output
    assert "/articles [PAGE]" in output
    assert "never read" not in output
    assert (await engine.stats(GUILD)).articles == 0
