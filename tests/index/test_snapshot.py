from __future__ import annotations

import numpy as np
import pytest

from index import Engine, EngineConfig
from index.bm25 import BM25Index, BM25Params, index_from_arrays, index_to_arrays
from index.models import ArticleDraft, Provenance
from index.paste import fingerprint
from index.snapshot import snapshot_path
from index.store import SQLiteStore
from tests.conftest import SEED
from tests.index.test_service import ARTICLE_B

GUILD = 5
QUESTION = "harbour storm boats Maduro strikes"


def ranked(hits):
    return [(h.paragraph_id, h.score) for h in hits]


def test_arrays_round_trip_keeps_scores_and_changes_working():
    index = BM25Index()
    for article in range(30):
        index.add_article(
            article,
            [
                (article * 10 + i, [f"w{(article + i * 7) % 23}", "x"] * (i + 1))
                for i in range(5)
            ],
        )
    for article in (3, 17):
        index.remove_article(
            article,
            [
                (article * 10 + i, [f"w{(article + i * 7) % 23}", "x"] * (i + 1))
                for i in range(5)
            ],
        )
    loaded = index_from_arrays(index_to_arrays(index), BM25Params())
    for query in (["w1", "x"], ["w5"], ["x"], ["w22", "w0", "w4"]):
        assert loaded.scores(query) == index.scores(query)
        assert ranked(loaded.search(query, 7)) == ranked(index.search(query, 7))
    loaded.add_article(99, [(990, ["w1", "new"])])
    loaded.remove_article(
        4, [(40 + i, [f"w{(4 + i * 7) % 23}", "x"] * (i + 1)) for i in range(5)]
    )
    assert loaded.search(["new"], 1)[0].paragraph_id == 990


def test_arrays_that_do_not_fit_are_refused():
    arrays = index_to_arrays(BM25Index())
    arrays["pointers"] = np.array([0, 5], dtype=np.int64)
    with pytest.raises(ValueError):
        index_from_arrays(arrays, BM25Params())


async def fill(engine: Engine) -> None:
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    await engine.ingest_text(GUILD, ARTICLE_B)


async def test_a_restart_loads_the_snapshot_instead_of_reanalysing(tmp_path, monkeypatch):
    path = tmp_path / "bot.sqlite3"
    async with await Engine.open(path) as engine:
        await fill(engine)
        before = ranked(await engine.rank(GUILD, QUESTION, k=20))
    assert snapshot_path(tmp_path / "bot.sqlite3.index", GUILD).exists()

    def no_rebuild(self, rows):
        raise AssertionError("rebuilt from the store although the snapshot is current")

    monkeypatch.setattr(Engine, "_index_from_rows", no_rebuild)
    async with await Engine.open(path) as engine:
        assert ranked(await engine.rank(GUILD, QUESTION, k=20)) == before


@pytest.mark.parametrize("problem", ["stale", "damaged", "truncated", "settings", "crash"])
async def test_a_snapshot_that_cannot_be_trusted_is_never_served(tmp_path, problem):
    path = tmp_path / "bot.sqlite3"
    async with await Engine.open(path) as engine:
        await fill(engine)
    snapshot = snapshot_path(tmp_path / "bot.sqlite3.index", GUILD)
    config = None
    if problem == "stale":  # another writer changed the store after the snapshot
        store = SQLiteStore(path)
        await store.open()
        paragraphs = ("The harbour storm boats came back to Maduro's strikes today.",)
        await store.add_article(
            GUILD, ArticleDraft("Late news", paragraphs, fingerprint(paragraphs)), Provenance()
        )
        await store.close()
    elif problem == "damaged":
        data = bytearray(snapshot.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
        snapshot.write_bytes(bytes(data))
    elif problem == "truncated":
        snapshot.write_bytes(snapshot.read_bytes()[:200])
    elif problem == "settings":
        config = EngineConfig(title_in_paragraphs=False)
    elif problem == "crash":  # changed after the snapshot, and never closed cleanly
        engine = await Engine.open(path)
        paragraphs = ("The harbour storm boats came back to Maduro's strikes today.",)
        await engine.ingest_draft(
            GUILD, ArticleDraft("Late news", paragraphs, fingerprint(paragraphs))
        )
        await engine.store.close()

    async with await Engine.open(path, config) as engine:
        served = ranked(await engine.rank(GUILD, QUESTION, k=20))
        await engine.reindex(GUILD)  # built from the store alone
        assert served == ranked(await engine.rank(GUILD, QUESTION, k=20))
