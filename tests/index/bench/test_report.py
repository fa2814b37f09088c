"""The report: both modes' columns, the calls, the growth table, the JSON beside it."""

from __future__ import annotations

import json

from index.bench.index_costs import MemoryResult
from index.bench.latency import spread
from index.bench.report import growth_table, machine, markdown, size_label, write_reports
from index.bench.results import IndexCosts, LibraryResult, RunResult, SizeResult


def row(name: str, median: float, questions: int = 100, slow: bool = False) -> LibraryResult:
    times = [median * (0.5 + i / 100) for i in range(questions)]
    return LibraryResult(
        name,
        1.5,
        f"{name}.search(terms, 5)",
        f"{name}'s note",
        questions,
        slow,
        rotation=spread([2 * t for t in times]),
        alone=spread(times),
    )


def size_result(size: int, factor: float) -> SizeResult:
    return SizeResult(
        size,
        1.0,
        [row("this index", 0.2 * factor), row("tantivy (via Python)", 0.3 * factor)]
        + ([row("SQLite FTS5", 30.0 * factor, questions=20, slow=True)] if size < 10**6 else []),
        ["rank-bm25: not run above 100,000 paragraphs (too slow)"] if size > 10**5 else [],
        IndexCosts(1.25, 2.5, MemoryResult("this index", 120.0, 300.0, 250.0)),
        peer_memory=[MemoryResult("tantivy (via Python)", problem="could not measure: why")],
        notes=["restarts are measured up to 1,000,000 paragraphs"] if size > 10**6 else [],
    )


def run_result() -> RunResult:
    run = RunResult("2026-01-02 03:04", machine(), questions=100, slow_questions=20)
    run.sizes = [size_result(10_000, 1), size_result(100_000, 2), size_result(3_000_000, 10)]
    return run


def test_the_table_has_both_modes_and_the_ratio_to_this_index():
    text = markdown(run_result())
    assert (
        "| library | build s | rotation ms (median / p95 / p99) | alone ms (median / p95 / p99) "
        "| × this index (alone median) | note |" in text
    )
    ours = spread([0.2 * (0.5 + i / 100) for i in range(100)])
    rotation = spread([0.4 * (0.5 + i / 100) for i in range(100)])
    assert f"| this index | 1.5 | {rotation.median_ms:.3f} / " in text
    assert f" | {ours.median_ms:.3f} / {ours.p95_ms:.3f} / {ours.p99_ms:.3f} | 1.0 |" in text
    assert (
        "| tantivy (via Python) | 1.5 |" in text
        and " | 1.5 | tantivy (via Python)'s note |" in text
    )


def test_the_report_says_when_where_and_how_many_questions():
    text = markdown(run_result())
    assert text.startswith("Measured 2026-01-02 03:04 (UTC) on ")
    assert "cores (" in text and "RAM" in text and "numba " in text and "tantivy " in text
    assert "Questions per mode: 100 " in text and "the first 20 in each mode" in text


def test_a_slow_library_is_marked_and_every_library_lists_its_calls():
    text = markdown(run_result())
    assert "SQLite FTS5's note; measured on the first 20 questions (slow: median over" in text
    assert "- this index: this index.search(terms, 5)" in text
    assert "- rank-bm25: not run above 100,000 paragraphs (too slow)" in text
    assert "| this index | 120 | 300 | 250 | 130 |" in text
    assert "| tantivy (via Python) | could not measure: why |" in text
    assert "- restarts are measured up to 1,000,000 paragraphs" in text
    assert "This index: add an article: 1.25 ms; remove one: 2.50 ms;" in text


def test_the_growth_table_gives_each_library_its_ratio_from_size_to_size():
    lines = growth_table(run_result().sizes)
    assert lines[2] == "| library | 10k | 100k | 3M | 100k / 10k | 3M / 100k |"
    ours = next(line for line in lines if line.startswith("| this index |"))
    assert ours.endswith("| 2.0 | 5.0 |")
    fts = next(line for line in lines if line.startswith("| SQLite FTS5 |"))
    assert "| not run |" in fts and fts.endswith("| 2.0 | – |")


def test_size_labels():
    assert [size_label(s) for s in (10_000, 100_000, 1_000_000, 3_000_000, 1_500_000)] == [
        "10k",
        "100k",
        "1M",
        "3M",
        "1.5M",
    ]
    assert size_label(12_345) == "12,345"


def test_markdown_and_json_are_written_side_by_side(tmp_path):
    written = write_reports(run_result(), tmp_path, "latest")
    assert tmp_path / "latest.md" in written and tmp_path / "latest.json" in written
    data = json.loads((tmp_path / "latest.json").read_text())
    first = data["sizes"][0]["libraries"][0]
    assert first["name"] == "this index" and set(first["alone"]) == {
        "median_ms",
        "p95_ms",
        "p99_ms",
        "runs",
    }
    assert data["sizes"][2]["size"] == 3_000_000 and data["machine"]["cores"]
    assert "rotation ms (median / p95 / p99)" in (tmp_path / "latest.md").read_text()
