"""The engine over each store: what adding, removing, asking and rebuilding cost on
SQLite and on PostgreSQL, through the engine's public API only.

The store section runs the engine over each store ``--store`` names (repeat it, or
separate URLs with commas; an empty database each, PostgreSQL's created beforehand, its
guild purged afterwards; ``sqlite``, the default, is a new SQLite file in a temporary
folder, so ``--store sqlite,postgresql://…`` compares the two) holding
``--store-paragraphs`` paragraphs (100k; 10k with ``--quick``) in one guild. Measured, as
median and 95th percentile: adding a 20-paragraph article (store and index), removing one,
a question end to end (ranking and the passages read from the store) and rebuilding the
guild's index from the store.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from index import Engine, EngineConfig
from index.bench.corpus import ARTICLE_SIZE, fill_guild
from index.bench.latency import percentile
from index.errors import StoreError
from index.ingest.paste import fingerprint
from index.models import ArticleDraft
from index.store import open_store, parse_location

STORE_GUILD = 1
STORE_ROUNDS = 40
"""Articles added and removed per store."""
STORE_REBUILDS = 5
STORE_QUESTIONS = 200
"""Questions asked end to end per store (fewer with ``--questions``)."""
STORE_OPERATIONS = {
    "ingest": "add a 20-paragraph article (store + index)",
    "remove": "remove one article",
    "ask": "a question end to end (rank + passages)",
    "rebuild": "rebuild the guild's index from the store",
}


@dataclass
class StoreResult:
    store: str
    """The store's kind and where it is (no password)."""
    paragraphs: int
    fill_s: float
    ms: dict[str, list[float]]
    """Each operation of ``STORE_OPERATIONS``: every run's milliseconds."""


TEMPORARY_SQLITE = "sqlite"
"""What ``--store`` calls a new SQLite file in a temporary folder (the default)."""


def store_urls(values: list[str] | None) -> list[str | None]:
    """The stores ``--store`` names (repeated, or separated by commas); None stands for a
    new SQLite file in a temporary folder: the default, or ``sqlite`` in the list."""
    urls = [url.strip() for value in values or [] for url in value.split(",") if url.strip()]
    return [None if url == TEMPORARY_SQLITE else url for url in urls] or [None]


async def measure_store(
    url: str | Path,
    corpus: list[str],
    questions: list[str],
    *,
    rounds: int = STORE_ROUNDS,
    rebuilds: int = STORE_REBUILDS,
) -> StoreResult:
    """The engine over the empty store ``url``, with ``corpus`` in one guild: each
    operation timed through the engine's public API. The guild is purged at the end."""
    location = parse_location(url)
    store = await open_store(location)
    if not await store.is_empty():
        await store.close()
        raise StoreError(f"{location} holds data already: give the benchmark an empty database")
    ms: dict[str, list[float]] = {operation: [] for operation in STORE_OPERATIONS}
    fill_s = 0.0
    async with await Engine.open(store, EngineConfig()) as engine:
        try:
            started = time.perf_counter()
            await fill_guild(engine, STORE_GUILD, corpus)
            fill_s = time.perf_counter() - started
            print(f"{location.kind}: {len(corpus):,} paragraphs in {fill_s:.1f} s", flush=True)
            for _ in range(rebuilds):
                started = time.perf_counter()
                await engine.reindex(STORE_GUILD)
                ms["rebuild"].append((time.perf_counter() - started) * 1000)
            await engine.ask(STORE_GUILD, questions[0])  # the guild's settings are read once
            for question in questions:
                started = time.perf_counter()
                await engine.ask(STORE_GUILD, question)
                ms["ask"].append((time.perf_counter() - started) * 1000)
            rng = random.Random(5)
            for number in range(rounds):
                picked = [corpus[rng.randrange(len(corpus))] for _ in range(ARTICLE_SIZE)]
                paragraphs = tuple(f"{text} (round {number})" for text in picked)
                draft = ArticleDraft(f"Round {number}", paragraphs, fingerprint(paragraphs))
                started = time.perf_counter()
                added = await engine.ingest_draft(STORE_GUILD, draft)
                ms["ingest"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                await engine.remove_article(STORE_GUILD, added.article.id)
                ms["remove"].append((time.perf_counter() - started) * 1000)
        finally:
            await engine.purge(STORE_GUILD)
    return StoreResult(f"{location.kind} ({location})", len(corpus), fill_s, ms)


def run_stores(
    urls: list[str | None],
    corpus: list[str],
    questions: list[str],
    *,
    rounds: int = STORE_ROUNDS,
    rebuilds: int = STORE_REBUILDS,
) -> list[StoreResult]:
    """``measure_store`` for each store, one after the other; prints their table."""
    print(f"\n== stores: {len(corpus):,} paragraphs in one guild", flush=True)
    results = []
    for url in urls:
        with tempfile.TemporaryDirectory() as tmp:
            target = url or Path(tmp) / "stores.sqlite3"
            measured = measure_store(target, corpus, questions, rounds=rounds, rebuilds=rebuilds)
            results.append(asyncio.run(measured))
    print(stores_table(results), flush=True)
    return results


def stores_table(results: list[StoreResult]) -> str:
    """A Markdown table: each store's operations, median and 95th percentile."""
    lines = [
        "| store | operation | runs | median ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        for operation, label in STORE_OPERATIONS.items():
            runs = result.ms[operation]
            lines.append(
                f"| {result.store} | {label} | {len(runs)} | "
                f"{statistics.median(runs):.2f} | {percentile(runs, 0.95):.2f} |"
            )
    return "\n".join(lines)
