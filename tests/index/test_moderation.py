from __future__ import annotations

import json

import pytest

from index import IngestRefused, Provenance
from index.guild_config import GuildConfig, normalise_domain
from tests.conftest import SEED
from tests.support.engines import open_engine

GUILD, OTHER = 10, 20


@pytest.fixture
async def engine(tmp_path, store_url):
    engine = await open_engine(store_url)
    yield engine
    await engine.close()


async def test_guild_config_defaults_changes_and_persistence(tmp_path, store_url):
    path = store_url
    async with await open_engine(path) as engine:
        assert await engine.guild_config(GUILD) == GuildConfig()
        await engine.update_guild_config(
            GUILD, watched_channels=(5, 6), results=2, auto_ingest=False, moderator_role=99
        )
    async with await open_engine(path) as engine:
        config = await engine.guild_config(GUILD)
        assert config.watched_channels == (5, 6) and config.results == 2
        assert not config.auto_ingest and config.moderator_role == 99
        assert config.watches(5) and not config.watches(7)
        assert await engine.guild_config(OTHER) == GuildConfig()
    assert GuildConfig().watches(12345)  # nothing listed: every channel


async def test_results_and_min_score_shape_answers(engine):
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    await engine.update_guild_config(GUILD, results=1)
    assert len((await engine.ask(GUILD, "Maduro")).passages) == 1
    await engine.update_guild_config(GUILD, results=None, min_score=1000.0)
    assert not (await engine.ask(GUILD, "Maduro")).found


@pytest.mark.parametrize(
    ("allowed", "blocked", "url", "reason"),
    [
        ((), ("evil.example",), "https://news.evil.example/a", "blocked on this server"),
        (("good.example",), (), "https://other.example/a", "not on this server's list"),
    ],
)
async def test_domain_lists_refuse_links_before_fetching(engine, allowed, blocked, url, reason):
    await engine.update_guild_config(GUILD, allowed_domains=allowed, blocked_domains=blocked)
    with pytest.raises(IngestRefused, match=reason):
        await engine.ingest_url(GUILD, url)


def test_domain_rules():
    config = GuildConfig(allowed_domains=("example.com",))
    assert config.domain_refusal("https://www.example.com/x") is None
    assert config.domain_refusal("https://notexample.com/x") is not None
    assert normalise_domain("https://WWW.Example.com/path") == "example.com"
    assert normalise_domain("Example.org") == "example.org"


async def test_audit_export_and_purge_stay_within_the_guild(engine):
    seed = SEED.read_bytes()
    await engine.ingest_file(GUILD, "message.txt", seed, Provenance(poster_name="ann"))
    await engine.ingest_file(OTHER, "message.txt", seed)
    await engine.update_guild_config(GUILD, results=4)
    await engine.audit(GUILD, 1, "mod#1", "config", "results=4")

    exported = await engine.export(GUILD)
    json.dumps(exported)  # JSON-ready
    (article,) = exported["articles"]
    assert article["poster_name"] == "ann" and len(article["paragraphs"]) == 27

    assert await engine.purge(GUILD) == 1
    assert (await engine.stats(GUILD)).articles == 0
    assert not (await engine.ask(GUILD, "Maduro")).found
    assert await engine.guild_config(GUILD) == GuildConfig()
    assert [e.action for e in await engine.audit_entries(GUILD)] == ["config"]  # kept
    assert (await engine.ask(OTHER, "Maduro")).found  # the other guild is untouched
    assert await engine.audit_entries(OTHER) == []


async def test_questions_are_remembered_per_guild(engine):
    qid = await engine.remember_question(GUILD, 7, "who?", None)
    assert await engine.recall_question(GUILD, qid) == (7, "who?", None)
    assert await engine.recall_question(OTHER, qid) is None


async def test_articles_are_found_by_their_message(engine):
    result = await engine.ingest_file(
        GUILD, "message.txt", SEED.read_bytes(), Provenance(message_id=555)
    )
    assert (await engine.find_by_message(GUILD, 555)).id == result.article.id
    assert await engine.find_by_message(OTHER, 555) is None
