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
