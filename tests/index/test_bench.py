"""The benchmark's quick mode, as CI runs it: it must run, and our top 10 must be exact."""

from __future__ import annotations

import subprocess
import sys

import pytest

from index.bench import build_corpus, percentile
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
