"""The store section: every operation timed through the engine, the store left empty."""

from __future__ import annotations

import asyncio

from index.bench.corpus import build_corpus
from index.bench.stores import STORE_OPERATIONS, run_stores, store_urls
from index.store import open_store, parse_location


def test_store_urls_are_repeated_or_separated_by_commas():
    assert store_urls(None) == [None]  # a new SQLite file in a temporary folder
    assert store_urls(["sqlite,postgresql://h/db", " b.sqlite3 "]) == [
        None,
        "postgresql://h/db",
        "b.sqlite3",
    ]


def test_the_store_section_reports_every_operation_and_leaves_the_store_empty(store_url, capsys):
    """The store section at a small size on each store (made-up text, no shared data):
    every operation is in the table with its runs; the numbers are not checked."""
    paragraphs = [
        "The harbour reopened on Tuesday. Boats returned to the docks. Cranes moved grain.",
        "A volcano erupted at dawn. Ash covered the valley. Farmers moved their cattle.",
        "The council voted on the budget. Schools will get new roofs. Buses run later.",
    ]
    corpus = build_corpus(paragraphs, 120)
    questions = ["When did the harbour reopen?", "What covered the valley?", "Who voted?"]
    (result,) = run_stores([store_url], corpus, questions, rounds=3, rebuilds=2)

    kind = parse_location(store_url).kind
    assert result.store == f"{kind} ({parse_location(store_url)})" and result.paragraphs == 120
    table = capsys.readouterr().out
    runs = {"ingest": 3, "remove": 3, "ask": 3, "rebuild": 2}
    for operation, label in STORE_OPERATIONS.items():
        assert f"| {result.store} | {label} | {runs[operation]} | " in table
        assert len(result.ms[operation]) == runs[operation]
    assert "| store | operation | runs | median ms | p95 ms |" in table

    async def is_empty() -> bool:
        store = await open_store(store_url, create=False)
        try:
            return await store.is_empty()
        finally:
            await store.close()

    assert asyncio.run(is_empty())
