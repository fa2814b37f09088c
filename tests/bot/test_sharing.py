"""What a Discord message shares, read for the engine: attachments downloaded only when
they are articles, within the size limit, and on the server's own file host."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

import discord
import pytest

from bot.sharing import NOT_DOWNLOADED, NOT_ON_FILE_HOST, SharedMessages
from index import Engine, EngineConfig
from tests.conftest import SEED
from tests.support.engines import open_engine

GUILD = 10
FILE_HOST = "https://cdn.example.org/"


@dataclass
class FakeAttachment:
    filename: str
    data: bytes
    content_type: str | None = None
    url: str = ""
    fails: bool = False
    reads: int = 0
    id: int = 1
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = len(self.data)
        self.url = self.url or FILE_HOST + self.filename

    async def read(self) -> bytes:
        self.reads += 1
        if self.fails:
            raise discord.HTTPException(SimpleNamespace(status=500, reason="down"), "down")
        return self.data


def message(content: str = "", *attachments: FakeAttachment, number: int = 12):
    return SimpleNamespace(
        id=number,
        content=content,
        attachments=list(attachments),
        author=SimpleNamespace(id=7, display_name="ann"),
        channel=SimpleNamespace(id=11),
        guild=SimpleNamespace(id=GUILD),
        jump_url=f"https://discord.com/channels/{GUILD}/11/{number}",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.fixture
async def engine(tmp_path) -> AsyncIterator[Engine]:
    engine = await open_engine(tmp_path / "bot.sqlite3", EngineConfig(max_text_bytes=100_000))
    yield engine
    await engine.close()


@pytest.fixture
def messages(engine) -> SharedMessages:
    return SharedMessages(engine, lambda url: url.startswith(FILE_HOST))


async def test_an_article_file_is_read_and_stored_with_who_shared_it(messages, engine):
    seed = FakeAttachment("message.txt", SEED.read_bytes())
    posted = message("", seed)
    shared = messages.read(posted)
    assert shared.shares_something
    (outcome,) = await messages.ingest(posted, shared)
    assert outcome.result.added and seed.reads == 1
    article = outcome.result.article
    assert article.poster_name == "ann" and article.message_url == posted.jump_url
    assert (await engine.find_by_message(GUILD, posted.id)).id == article.id


async def test_files_that_are_not_read_are_reported_first_in_their_order(messages):
    too_large = FakeAttachment("big.txt", b"x" * 100_001)
    elsewhere = FakeAttachment("message.txt", SEED.read_bytes(), url="http://10.0.0.7/a.txt")
    broken = FakeAttachment("notes.md", b"# notes", fails=True)
    picture = FakeAttachment("photo.png", b"\x89PNG", "image/png")
    posted = message("", too_large, picture, elsewhere, broken)
    outcomes = await messages.ingest(posted, messages.read(posted))
    assert [(o.source, o.error) for o in outcomes] == [
        ("big.txt", "the file is larger than 0.1 MB"),
        ("message.txt", NOT_ON_FILE_HOST),
        ("notes.md", NOT_DOWNLOADED),
    ]
    assert (too_large.reads, elsewhere.reads, picture.reads) == (0, 0, 0)


async def test_a_message_sharing_only_a_picture_shares_nothing(messages):
    posted = message("look at this", FakeAttachment("photo.png", b"\x89PNG", "image/png"))
    assert not messages.read(posted).shares_something


async def test_accepted_work_counts_its_own_stored_article_as_added(messages):
    posted = message("", FakeAttachment("message.txt", SEED.read_bytes()))
    shared = messages.read(posted)
    (first,) = await messages.ingest(posted, shared, accepted=True)
    (again,) = await messages.ingest(posted, shared, accepted=True)
    (plain,) = await messages.ingest(posted, shared)
    assert first.result.added and again.result.added
    assert again.result.article.id == first.result.article.id
    assert plain.result.status == "duplicate"
