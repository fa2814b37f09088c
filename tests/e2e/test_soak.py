"""The soak run in a short form, and the pieces it stands on.

The full run is ``python -m tests.support.soak`` (60 s, 20 askers, 5 posters); here it runs for a
few seconds with fewer users, on each kind of store, and must still answer every question
and account for every article. Latencies are reported by the soak, never asserted.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from index.ingest.paste import parse_paste
from tests.conftest import SHARED, SQUAD
from tests.support.fake_discord import FakeDiscord, Intent, Op
from tests.support.soak import (
    KINDS,
    PASTE_LIMIT,
    WAYS,
    ArticleMaker,
    MemorySample,
    SoakOptions,
    judge_memory,
    load_corpus,
    run_soak,
)

TOKEN = "soak-test-token"
GUILD, NEWS, ALICE = 10, 11, 21


# -- the short soak ----------------------------------------------------------------


async def test_a_short_soak_answers_every_question_and_loses_no_article(store_url: str) -> None:
    askers, posters = 6, 2
    options = SoakOptions(
        seconds=10,
        warmup=2,
        askers=askers,
        posters=posters,
        seed=20251125,
        shared=SHARED,
        database=store_url,
    )
    report = await run_soak(options)
    text = report.format()

    assert report.error_count == 0, text
    questions, ingests = report.questions, report.ingests
    # Every question got its answer, each answer is to the question asked.
    assert questions.unanswered == 0 and questions.mismatched == 0, text
    assert questions.answered == questions.asked >= 2 * askers, text
    assert questions.with_passages > 0, text
    # Each asker's first questions go every way; each poster's first posts every kind.
    assert all(questions.by_way[way] > 0 for way in WAYS), questions.by_way
    assert set(ingests.by_kind) == set(KINDS) and min(ingests.by_kind.values()) > 0, text
    # Every post is accounted for: confirmed (or deferred, should the bot ask posters to
    # wait), and every confirmed one found in the engine, none stored twice.
    assert ingests.lost == ingests.unconfirmed == ingests.failed == ingests.duplicates == 0, text
    assert ingests.confirmed + ingests.deferred == ingests.posted >= 2 * posters, text
    assert ingests.stored >= ingests.confirmed, text
    assert ingests.engine_articles == ingests.expected_articles == 1 + ingests.stored, text
    # The engine counted exactly the answers the askers saw quoting passages.
    assert questions.engine_counter == questions.with_passages, text
    # Memory is sampled from the end of the warm-up; whether it keeps growing is judged
    # by the full run: ten seconds cannot tell a trend from caches filling up.
    assert report.memory is not None and report.memory.samples >= 2, text
    assert report.memory.start_mib > 0 and report.memory.end_mib > 0, text
    assert json.loads(report.to_json())["questions"]["asked"] == questions.asked


# -- the memory criterion ------------------------------------------------------------


def _series(rss_mib, articles=None, step: float = 1.0) -> list[MemorySample]:
    articles = articles or [0] * len(rss_mib)
    return [
        MemorySample(n * step, int(mib * 1024), count)
        for n, (mib, count) in enumerate(zip(rss_mib, articles, strict=True))
    ]


def test_flat_memory_with_noise_is_not_growing() -> None:
    noise = random.Random(3)
    samples = _series([200 + noise.uniform(-1.5, 1.5) for _ in range(61)])
    verdict = judge_memory(samples, 0, 60)
    assert not verdict.growing
    assert abs(verdict.growth_mib) < 2
    assert verdict.samples == 61 and verdict.window_seconds == 30


def test_a_steady_leak_is_growing() -> None:
    samples = _series([200 + 0.5 * n for n in range(61)])  # 30 MiB a minute
    verdict = judge_memory(samples, 0, 60)
    assert verdict.growing
    assert verdict.slope_mib_per_min == pytest.approx(30)
    assert verdict.growth_mib == pytest.approx(15)
    assert verdict.last_quarter_median_mib > verdict.second_quarter_median_mib


def test_growth_explained_by_the_articles_stored_is_allowed() -> None:
    # 3 MiB more over the window, while 300 articles were stored in it (9.4 MiB allowed).
    rss = [200 + (0.1 * (n - 30) if n > 30 else 0) for n in range(61)]
    stored = [10 * max(0, n - 30) for n in range(61)]
    verdict = judge_memory(_series(rss, stored), 0, 60, floor_mib=0)
    assert verdict.articles_in_window == 300
    assert verdict.growth_mib == pytest.approx(3, abs=0.3)
    assert not verdict.growing
    assert judge_memory(_series(rss), 0, 60, floor_mib=0).growing


def test_warm_up_samples_are_left_out() -> None:
    # A steep climb during the warm-up, flat afterwards.
    samples = _series([100 + 10 * n for n in range(10)] + [190] * 60)
    verdict = judge_memory(samples, 10, 69)
    assert verdict.start_mib == 190 and not verdict.growing
    with pytest.raises(ValueError):
        judge_memory(samples[:1], 0, 60)


# -- the articles the posters share --------------------------------------------------


@pytest.mark.skipif(not SQUAD.is_file(), reason="needs ../shared/data/squad-train-subset")
def test_generated_articles_are_distinct_and_parse_as_posted() -> None:
    corpus = load_corpus(SHARED, random.Random(1))
    assert "SQuAD" in corpus.description
    maker = ArticleMaker(corpus, random.Random(2))
    articles = [maker.make(f"a{n}", max_chars=PASTE_LIMIT if n % 2 else None) for n in range(60)]
    assert len({a.fingerprint for a in articles}) == 60
    for number, article in enumerate(articles):
        draft = parse_paste(article.text)
        assert (draft.title, draft.paragraphs) == (article.title, article.paragraphs)
        assert draft.fingerprint == article.fingerprint
        assert article.questions, article.title
        if number % 2:
            assert len(article.text) <= PASTE_LIMIT


def test_without_shared_data_articles_come_from_the_seed(tmp_path: Path) -> None:
    corpus = load_corpus(tmp_path, random.Random(4))  # an empty "shared" folder
    assert "no SQuAD data" in corpus.description and corpus.seed_questions
    seed_paragraphs = set(parse_paste(corpus.seed_data.decode()).paragraphs)
    maker = ArticleMaker(corpus, random.Random(5))
    articles = [maker.make(f"s{n}", glue_link=n % 2 == 0) for n in range(40)]
    assert len({a.fingerprint for a in articles}) == 40
    for article in articles:
        assert set(article.paragraphs) <= seed_paragraphs
        assert all(q.endswith("?") or q.startswith("Tell me") for q in article.questions)


# -- what the fake Discord offers for long runs --------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as fake:
        fake.add_guild(GUILD, "Guild", ALICE)
        fake.add_channel(GUILD, NEWS, "news")
        fake.add_member(GUILD, ALICE, "alice")
        yield fake


@pytest.fixture
async def http(fake: FakeDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with aiohttp.ClientSession(fake.base_url, headers=headers) as session:
        yield session


async def test_replies_and_reactions_are_found_by_message(fake, http) -> None:
    asked = fake.add_message(GUILD, NEWS, ALICE, "a question")
    other = fake.add_message(GUILD, NEWS, ALICE, "another")
    body = {"content": "an answer", "message_reference": {"message_id": asked["id"]}}
    async with http.post(f"/api/v10/channels/{NEWS}/messages", json=body) as response:
        reply = await response.json()
    async with http.post(f"/api/v10/channels/{NEWS}/messages", json={"content": "x"}):
        pass
    async with http.put(f"/api/v10/channels/{NEWS}/messages/{asked['id']}/reactions/✅/@me"):
        pass

    assert [m["id"] for m in fake.replies_to(asked)] == [reply["id"]]
    assert fake.replies_to(other) == [] and fake.reactions_on(other) == []
    assert [(r.emoji, r.added) for r in fake.reactions_on(int(asked["id"]))] == [("✅", True)]
    assert fake.posted_at(reply) is not None and fake.posted_at(asked) is None
    assert fake.reactions_on(asked)[0].at >= fake.posted_at(reply)


async def test_forget_before_drops_settled_records_and_keeps_the_rest(fake, http) -> None:
    kept = fake.add_message(
        GUILD, NEWS, ALICE, "kept", attachments=[fake.add_attachment("message.txt", b"kept text")]
    )
    old_file = fake.add_attachment("message.txt", b"old text")
    old = fake.add_message(GUILD, NEWS, ALICE, "old", attachments=[old_file])
    async with http.post(f"/api/v10/channels/{NEWS}/messages", json={"content": "old answer"}):
        pass
    mark = fake.mark()
    new = fake.add_message(GUILD, NEWS, ALICE, "new")
    async with http.post(f"/api/v10/channels/{NEWS}/messages", json={"content": "new answer"}):
        pass

    keep = [int(kept["id"])]
    dropped = fake.forget_before(mark, keep=keep)

    assert dropped == 2  # the old user message and the old answer
    assert [m["content"] for m in fake.channel_history(NEWS)] == ["kept", "new", "new answer"]
    assert [m["content"] for m in fake.messages] == ["new answer"]
    assert [c.body for c in fake.requests] == [{"content": "new answer"}]
    async with http.get(f"/api/v10/channels/{NEWS}/messages/{old['id']}") as response:
        assert response.status == 404
    async with http.get(f"/api/v10/channels/{NEWS}/messages/{new['id']}") as response:
        assert response.status == 200
    assert fake.file_data(kept["attachments"][0]) == b"kept text"
    with pytest.raises(KeyError):
        fake.file_data(old_file)
    # Forgetting up to the same mark again changes nothing.
    requests = len(fake.requests)
    assert fake.forget_before(mark, keep=keep) == 0 and len(fake.requests) == requests
    assert [m["content"] for m in fake.channel_history(NEWS)] == ["kept", "new", "new answer"]


async def test_resume_works_across_forgotten_dispatches(fake) -> None:
    intents = Intent.GUILDS | Intent.GUILD_MESSAGES | Intent.MESSAGE_CONTENT
    async with aiohttp.ClientSession() as client:
        ws = await client.ws_connect(fake.gateway_url)
        assert (await ws.receive_json())["op"] == Op.HELLO
        identify = {"token": TOKEN, "intents": intents, "properties": {}}
        await ws.send_json({"op": Op.IDENTIFY, "d": identify})
        ready = await ws.receive_json()
        assert ready["t"] == "READY"
        session_id = ready["d"]["session_id"]
        assert (await ws.receive_json())["t"] == "GUILD_CREATE"
        for n in range(3):
            await fake.user_message(GUILD, NEWS, ALICE, f"message {n}")
            assert (await ws.receive_json())["s"] == 3 + n
        mark = fake.mark()
        await fake.user_message(GUILD, NEWS, ALICE, "after the mark")
        last = (await ws.receive_json())["s"]
        assert last == 6

        fake.forget_before(mark)
        assert [frame["s"] for frame in fake.dispatches] == [6]

        # Resuming from a forgotten sequence number is refused ...
        stale = await client.ws_connect(fake.gateway_url)
        await stale.receive_json()
        await stale.send_json(
            {"op": Op.RESUME, "d": {"token": TOKEN, "session_id": session_id, "seq": 2}}
        )
        assert (await stale.receive_json())["op"] == Op.INVALID_SESSION
        await stale.close()
        # ... while resuming from the last one seen continues the numbering.
        await ws.close()
        resumed = await client.ws_connect(fake.gateway_url)
        await resumed.receive_json()
        await resumed.send_json(
            {"op": Op.RESUME, "d": {"token": TOKEN, "session_id": session_id, "seq": last}}
        )
        frame = await resumed.receive_json()
        assert (frame["t"], frame["s"]) == ("RESUMED", 7)
        await fake.user_message(GUILD, NEWS, ALICE, "after the resume")
        frame = await resumed.receive_json()
        assert (frame["t"], frame["s"], frame["d"]["content"]) == (
            "MESSAGE_CREATE",
            8,
            "after the resume",
        )
        await resumed.close()
