"""The benchmark's quick mode, as CI runs it: it must run, and our top 10 must be exact;
and the hostile-load benchmark's quick form."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT, SHARED

DATA = SHARED / "data"


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
    assert "rotation ms (median / p95 / p99)" in table and "alone ms (median / p95 / p99)" in table
    (size,) = json.loads((tmp_path / "quick.json").read_text())["sizes"]
    assert size["exact"] == [50, 50]
    for library in size["libraries"]:
        assert library["rotation"]["runs"] == library["questions"]
        assert library["alone"]["runs"] == 2 * library["questions"]


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
