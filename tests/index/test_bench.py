"""The benchmark's quick mode, as CI runs it: it must run, and our top 10 must be exact."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from index.bench import STORE_OPERATIONS, build_corpus, percentile, run_stores, store_urls
from index.store import open_store, parse_location
from tests.conftest import PROJECT, SHARED

DATA = SHARED / "data"


def test_corpus_is_remixed_and_its_vocabulary_grows():
    paragraphs = [
        "The harbour reopened on Tuesday. Boats returned to the docks. Cranes moved grain.",
        "A volcano erupted at dawn. Ash covered the valley. Farmers moved their cattle.",
    ]
    small, large = build_corpus(paragraphs, 50), build_corpus(paragraphs, 2000)
    assert len(large) == 2000 and build_corpus(paragraphs, 50) == small  # seeded
    assert len(set(large)) > 1000  # not one paragraph copied many times
    vocabulary = lambda corpus: {w for p in corpus for w in p.split()}  # noqa: E731
    assert len(vocabulary(large)) > 2 * len(vocabulary(small))


def test_percentile():
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0


@pytest.mark.skipif(not (DATA / "squad-train-subset").is_dir(), reason="no benchmark data")
def test_quick_mode_runs_and_is_exact(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "index.bench",
            "--quick",
            "--no-memory",
            "--no-cold-start",
            "--peers",
            "rank-bm25,fts5",
            "--out",
            str(tmp_path),
            "--data",
            str(DATA),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "top 10 equal to BM25Okapi's for 50 of 50 questions" in result.stdout
    table = (tmp_path / "quick.md").read_text()
    assert "| this index |" in table and "| rank-bm25 |" in table and "| SQLite FTS5 |" in table


def test_hostile_load_benchmark_reports_its_fields(tmp_path, capsys):
    """The quick form of ``python -m index.bench_hostile`` (made-up words, no shared data):
    it runs, and reports every field; the numbers are not checked."""
    from index import bench_hostile

    assert (
        bench_hostile.main(
            ["--paragraphs", "120", "--hostile-lines", "3000", "--data", str(tmp_path)]
        )
        == 0
    )
    report = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert report["largest accepted article"].startswith("120 paragraphs, ")
    assert "refused: " in report["hostile message.txt"]
    assert "(added, 120 paragraphs)" in report["ingest in guild A"]
    for field in (
        "store write of the article",
        "guild B questions during the write",
        "guild B questions during the ingest",
        "questions in guild A (answer and next page)",
        "remove in guild A",
        "guild B questions during the removal",
        "longest event-loop block, ingest",
        "longest event-loop block, remove",
    ):
        assert report[field], field
    assert report["guild B questions"].endswith(", 0 without an answer or recall")


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
