"""From what someone shared to a stored, indexed article: each message read once, each
file's kind decided once, one size limit, duplicates reported, and nothing stored that
could not be indexed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from index.config import EngineConfig
from index.errors import IngestBusy, IngestRefused
from index.guild_config_cache import GuildConfigs
from index.ingest import pipeline as pipeline_module
from index.ingest.gate import GateLimits
from index.ingest.paste import fingerprint
from index.ingest.pipeline import IngestPipeline
from index.models import ArticleDraft, Attachment, Provenance
from index.search.bm25 import BM25Index
from index.search.guild_indexes import GuildIndexes
from index.store import Store, open_store
from tests.conftest import SEED_URL
from tests.index.test_engine import ARTICLE_B

GUILD = 100
LINK = "https://news.example.org/harbour-reopens"


@dataclass(frozen=True)
class AnnouncedFile:
    filename: str
    size: int
    content_type: str | None = None


@pytest.fixture
async def store(tmp_path, store_url) -> AsyncIterator[Store]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()


def pipeline_over(store: Store, config: EngineConfig | None = None) -> IngestPipeline:
    config = config or EngineConfig()
    indexes = GuildIndexes(store, config.bm25)
    return IngestPipeline(store, indexes, GuildConfigs(store), config)


@pytest.fixture
async def pipeline(store) -> AsyncIterator[IngestPipeline]:
    made = pipeline_over(store)
    yield made
    await made.close()


async def stored_articles(store: Store) -> int:
    articles, _paragraphs, _last = await store.counts(GUILD)
    return articles


def counting(monkeypatch, name: str) -> list[tuple]:
    """Every call of the pipeline's ``name`` (a function it imports), with its arguments."""
    calls: list[tuple] = []
    real = getattr(pipeline_module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, name, counted)
    return calls


# -- reading a message --------------------------------------------------------------------


def test_a_message_is_read_once_and_each_file_kind_decided_once(pipeline, monkeypatch):
    parsed = counting(monkeypatch, "message_sources")
    kinds = counting(monkeypatch, "file_kind")
    files = [AnnouncedFile("message.txt", 10), AnnouncedFile("photo.png", 10, "image/png")]
    shared = pipeline.read_message(f"look {LINK}", files)
    assert len(parsed) == 1 and len(kinds) == 2
    assert shared.sources.links == (LINK,)
    assert [(f.filename, f.kind, f.readable) for f in shared.files] == [
        ("message.txt", "text", True),
        ("photo.png", "other", False),
    ]


@pytest.mark.parametrize(
    ("content", "files", "shares"),
    [
        (f"look {LINK}", [], True),
        (ARTICLE_B.replace(LINK, ""), [], True),
        ("good morning everyone", [AnnouncedFile("message.txt", 10)], True),
        ("good morning everyone", [AnnouncedFile("photo.png", 10, "image/png")], False),
        ("good morning everyone", [], False),
    ],
)
def test_what_a_message_shares(pipeline, content, files, shares):
    assert pipeline.read_message(content, files).shares_something is shares


def test_a_file_over_the_engines_limit_is_refused_before_it_is_read(store):
    pipeline = pipeline_over(store, EngineConfig(max_text_bytes=2000))
    files = [
        AnnouncedFile("message.txt", 2001),
        AnnouncedFile("story.html", 2000),
        AnnouncedFile("huge.png", 10**9, "image/png"),  # not an article: nothing to say
    ]
    shared = pipeline.read_message("", files)
    assert [f.refusal for f in shared.files] == ["the file is larger than 0.002 MB", None, None]


async def test_a_shared_message_is_ingested_without_being_read_again(
    pipeline, store, monkeypatch, seed_bytes
):
    shared = pipeline.read_message("", [AnnouncedFile("message.txt", len(seed_bytes))])
    parsed = counting(monkeypatch, "message_sources")
    kinds = counting(monkeypatch, "file_kind")
    (outcome,) = await pipeline.ingest_shared(GUILD, shared, [(shared.files[0], seed_bytes)])
    assert outcome.source == "message.txt" and outcome.result.added
    assert outcome.result.article.source_url == SEED_URL
    assert parsed == [] and kinds == []
    assert await stored_articles(store) == 1


async def test_ingest_message_decides_each_files_kind_once(pipeline, monkeypatch, seed_bytes):
    kinds = counting(monkeypatch, "file_kind")
    outcomes = await pipeline.ingest_message(
        GUILD,
        "",
        [Attachment("message.txt", seed_bytes), Attachment("photo.png", b"\x89PNG", "image/png")],
    )
    assert [(o.source, o.ok) for o in outcomes] == [("message.txt", True), ("photo.png", False)]
    assert "not a file the bot can read" in outcomes[1].error
    assert len(kinds) == 2


# -- files and texts ------------------------------------------------------------------------


async def test_the_seed_file_is_ingested_as_its_poster_meant(pipeline, store, seed_bytes):
    result = await pipeline.ingest_file(
        GUILD, "message.txt", seed_bytes, Provenance(poster_name="ann")
    )
    article = result.article
    assert result.added
    assert article.title == "Scoop: Trump ready to talk with Maduro over Venezuela drug strikes"
    assert article.source_url == SEED_URL
    assert article.note == "New update my fellas. War stuff"
    assert article.poster_name == "ann"
    paragraphs = await store.article_paragraphs(GUILD, article.id)
    assert paragraphs[-1].text.endswith("into this country")
    assert not any("fellas" in p.text for p in paragraphs)  # the remark is not indexed


async def test_a_second_post_of_the_same_article_is_reported(pipeline, store, seed_bytes):
    first = await pipeline.ingest_file(GUILD, "message.txt", seed_bytes)
    again = await pipeline.ingest_file(GUILD, "message.txt", seed_bytes)
    # Same text with the link glued on the last line and another remark: same fingerprint.
    glued = seed_bytes.decode().replace("country\nhttps", "countryhttps").replace("War stuff", "!")
    third = await pipeline.ingest_text(GUILD, glued)
    assert (again.status, third.status) == ("duplicate", "duplicate")
    assert again.article.id == third.article.id == first.article.id
    assert await stored_articles(store) == 1


async def test_a_duplicate_stored_meanwhile_is_reported_not_raised(
    pipeline, store, monkeypatch, seed_bytes
):
    """Two posts of one article at once: both pass the early check, the store refuses the
    second."""
    first = await pipeline.ingest_file(GUILD, "message.txt", seed_bytes)

    async def not_seen_yet(*args):
        return None

    monkeypatch.setattr(store, "find_duplicate", not_seen_yet)
    again = await pipeline.ingest_file(GUILD, "message.txt", seed_bytes)
    assert again.status == "duplicate" and again.article.id == first.article.id


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("report.pdf", b"%PDF-1.7", "report.pdf is not a file the bot can read"),
        ("message.txt", b"", "empty"),
        ("message.txt", b"   \n  ", "empty"),
        ("message.txt", bytes(range(256)) * 20, "does not look like text"),
        ("message.txt", b"word " * 600_000, "message.txt is larger than 2 MB"),
        ("page.html", b"word " * 600_000, "page.html is larger than 2 MB"),
        ("message.txt", b"Just a short remark.", "too short"),
    ],
)
async def test_bad_files_are_refused_and_nothing_is_stored(pipeline, store, name, data, reason):
    with pytest.raises(IngestRefused, match=reason):
        await pipeline.ingest_file(GUILD, name, data)
    assert await stored_articles(store) == 0


def _draft(paragraphs: list[str]) -> ArticleDraft:
    return ArticleDraft("A long report", tuple(paragraphs), fingerprint(paragraphs))


async def test_an_article_over_the_paragraph_limit_is_refused_with_the_reason(pipeline, store):
    limit = EngineConfig().max_paragraphs
    paragraphs = [f"Paragraph {i} tells of harbour number {i}." for i in range(limit + 1)]
    with pytest.raises(IngestRefused) as refused:
        await pipeline.ingest_draft(GUILD, _draft(paragraphs))
    assert refused.value.reason == (
        f"it has {limit + 1:,} paragraphs; the most an article may have is {limit:,}: "
        "that does not look like one article"
    )
    one_word_lines = "\n".join(f"w{i}" for i in range(60_000)).encode()
    with pytest.raises(IngestRefused, match="the most an article may have is"):
        await pipeline.ingest_file(GUILD, "message.txt", one_word_lines)
    assert await stored_articles(store) == 0


async def test_a_word_list_is_refused_as_not_an_article(pipeline, store):
    lines = "\n".join(["Shopping list"] + [f"item{i}" for i in range(300)])
    with pytest.raises(IngestRefused, match="only a word or two: that looks like a list"):
        await pipeline.ingest_text(GUILD, lines)
    assert await stored_articles(store) == 0


async def test_an_article_that_cannot_be_indexed_is_not_kept_in_the_store(
    pipeline, store, monkeypatch, seed_bytes
):
    def broken(index, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(BM25Index, "add_article", broken)
    with pytest.raises(IngestRefused, match="could not be indexed"):
        await pipeline.ingest_file(GUILD, "message.txt", seed_bytes)
    assert await stored_articles(store) == 0
    monkeypatch.undo()
    assert (await pipeline.ingest_file(GUILD, "message.txt", seed_bytes)).added


# -- admission ----------------------------------------------------------------------------


async def test_a_full_queue_is_told_to_wait(store):
    pipeline = pipeline_over(store, EngineConfig(ingest_limits=GateLimits(per_guild=2)))
    with pipeline.admit(GUILD), pipeline.admit(GUILD):
        with pytest.raises(IngestBusy) as busy:
            pipeline.admit(GUILD)
        assert busy.value.waiting == 2
        with pipeline.admit(GUILD + 1):  # another guild has its own queue
            pass
    with pipeline.admit(GUILD):  # the places were given back
        pass
