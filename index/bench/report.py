"""The run's report: Markdown for people, JSON for documents filled from it, and a plot.

The report opens with when and where it was measured (cores, CPU model, memory, the
versions of every library that matters), since numbers from a noisy 2-core machine mean
little without them, and says how many questions each mode asked. Each size has one
table with both modes side by side, the exact calls each library was given, and what
this index costs besides answering; a growth table shows how each library's median grows
from one size to the next.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
from importlib import metadata
from itertools import pairwise
from pathlib import Path

from index.bench.index_costs import MemoryResult, RestartResult
from index.bench.latency import SLOW_MEDIAN_MS, SLOW_PROBE, Spread
from index.bench.peers import THIS_INDEX, TOP_K
from index.bench.results import RunResult, SizeResult
from index.bench.stores import StoreResult, stores_table

VERSIONED = ("numpy", "numba", "bm25s", "jax", "tantivy", "rank-bm25", "matplotlib")
TABLE_HEADER = (
    "| library | build s | rotation ms (median / p95 / p99) | alone ms (median / p95 / p99) "
    "| × this index (alone median) | note |"
)


# -- the machine --------------------------------------------------------------------------


def _first_match(path: str, pattern: str) -> str | None:
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    found = re.search(pattern, text, re.MULTILINE)
    return found.group(1).strip() if found else None


def machine() -> dict[str, str]:
    """Where the run happens: cores, CPU model, memory, Python and library versions."""
    described = {
        "cores": str(os.cpu_count()),
        "cpu": _first_match("/proc/cpuinfo", r"^model name\s*:\s*(.+)$") or platform.machine(),
        "ram": "unknown",
        "system": platform.system(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    kib = _first_match("/proc/meminfo", r"^MemTotal:\s*(\d+) kB")
    if kib:
        described["ram"] = f"{int(kib) / 1024**2:.1f} GiB"
    for package in VERSIONED:
        try:
            described[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            described[package] = "not installed"
    return described


def machine_line(described: dict[str, str]) -> str:
    versions = ", ".join(f"{name} {described[name]}" for name in VERSIONED if name in described)
    return (
        f"{described['cores']} cores ({described['cpu']}), {described['ram']} RAM, "
        f"{described['system']}; Python {described['python']}, SQLite {described['sqlite']}; "
        f"{versions}"
    )


# -- numbers ------------------------------------------------------------------------------


def size_label(size: int) -> str:
    """10000 → 10k, 3000000 → 3M."""
    for unit, word in ((1_000_000, "M"), (1_000, "k")):
        if size >= unit and size % (unit // 10) == 0:
            return f"{size / unit:g}{word}"
    return f"{size:,}"


def ms(value: float) -> str:
    """Milliseconds to three significant figures or so."""
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _three(spread: Spread) -> str:
    return f"{ms(spread.median_ms)} / {ms(spread.p95_ms)} / {ms(spread.p99_ms)}"


# -- Markdown -----------------------------------------------------------------------------


def size_table(result: SizeResult, questions: int) -> list[str]:
    """Each library's build and query times in both modes."""
    ours = result.library(THIS_INDEX)
    lines = [TABLE_HEADER, "|---|---|---|---|---|---|"]
    for row in result.libraries:
        ratio = f"{row.alone.median_ms / ours.alone.median_ms:.1f}" if ours else "–"
        note = row.note
        if row.questions < questions:
            why = (
                f"slow: median over its first {SLOW_PROBE} above {SLOW_MEDIAN_MS:g} ms"
                if row.slow
                else "its cap"
            )
            note += f"; measured on the first {row.questions} questions ({why})"
        lines.append(
            f"| {row.name} | {row.build_s:.1f} | {_three(row.rotation)} | {_three(row.alone)} "
            f"| {ratio} | {note} |"
        )
    return lines


def restart_text(restart: RestartResult) -> str:
    return (
        f"a new process's start to its first answer: {restart.snapshot_s:.2f} s from the "
        f"snapshot (peak memory of the whole process {restart.snapshot_mib:.0f} MiB), "
        f"{restart.store_s:.2f} s building from the store ({restart.store_mib:.0f} MiB)"
    )


def costs_line(result: SizeResult) -> str:
    costs = result.costs
    parts = [f"add an article: {costs.add_ms:.2f} ms", f"remove one: {costs.remove_ms:.2f} ms"]
    if costs.memory is not None and costs.memory.held_mib is not None:
        parts.append(
            f"a process holding only the index: peak {costs.memory.peak_mib:.0f} MiB, "
            f"held {costs.memory.held_mib:.0f} MiB"
        )
    if costs.restart is not None:
        parts.append(restart_text(costs.restart))
    if costs.loop_lag_ms is not None:
        parts.append(f"longest event-loop wait while ingesting: {costs.loop_lag_ms:.1f} ms")
    if result.exact:
        parts.append(f"top 10 equal to BM25Okapi's: {result.exact[0]}/{result.exact[1]}")
    return "This index: " + "; ".join(parts) + "."


def memory_table(rows: list[MemoryResult]) -> list[str]:
    lines = [
        "Memory of a process building only that library from the analysed paragraphs and "
        "holding it, having answered one question (MiB; every such process imports this "
        "package, hence the common floor):",
        "",
        "| library | after imports | peak | held | held above imports |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        if row.held_mib is None:
            lines.append(f"| {row.library} | {row.problem} | | | |")
            continue
        lines.append(
            f"| {row.library} | {row.imports_mib:.0f} | {row.peak_mib:.0f} | "
            f"{row.held_mib:.0f} | {row.held_mib - row.imports_mib:.0f} |"
        )
    return lines


def size_markdown(result: SizeResult, questions: int) -> list[str]:
    lines = [f"### {result.size:,} paragraphs", "", *size_table(result, questions), ""]
    if result.skipped:
        lines += ["Not run:", "", *[f"- {line}" for line in result.skipped], ""]
    lines += ["Calls:", ""]
    lines += [f"- {row.name}: {row.calls}" for row in result.libraries]
    lines += ["", costs_line(result), ""]
    memory = [row for row in [result.costs.memory, *result.peer_memory] if row is not None]
    if memory:
        lines += [*memory_table(memory), ""]
    lines += [f"- {note}" for note in result.notes]
    if result.notes:
        lines.append("")
    return lines


def growth_table(results: list[SizeResult]) -> list[str]:
    """Each library's alone median at each size, and its growth from size to size."""
    if len(results) < 2:
        return []
    names: list[str] = []
    for result in results:
        names += [row.name for row in result.libraries if row.name not in names]
    steps = list(pairwise(results))
    header = ["library", *(size_label(r.size) for r in results)]
    header += [f"{size_label(b.size)} / {size_label(a.size)}" for a, b in steps]
    lines = [
        "### Growth: median alone, ms",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name in names:
        medians = [r.library(name).alone.median_ms if r.library(name) else None for r in results]
        cells = [ms(m) if m is not None else "not run" for m in medians]
        for a, b in pairwise(medians):
            cells.append(f"{b / a:.1f}" if a and b else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def stores_markdown(results: list[StoreResult]) -> list[str]:
    if not results:
        return []
    filled = "; ".join(f"{r.store} in {r.fill_s:.1f} s" for r in results)
    return [
        f"### The engine over each store, {results[0].paragraphs:,} paragraphs in one guild",
        "",
        stores_table(results),
        "",
        f"Filled through the engine, article by article: {filled}.",
        "",
    ]


def markdown(run: RunResult, plot_name: str | None = None) -> str:
    lines = [
        f"Measured {run.started_utc} (UTC) on {machine_line(run.machine)}.",
        "",
    ]
    if run.sizes:
        lines += [
            f"Questions per mode: {run.questions:,} real SQuAD questions for each library in "
            f"rotation (each question to every library, in an order shuffled per question), "
            f"and {run.questions:,} twice alone (each library answering all of them by itself, "
            "in two rounds with the libraries in opposite orders, both rounds pooled). A slow "
            f"library (median over its first {SLOW_PROBE} questions above {SLOW_MEDIAN_MS:g} "
            f"ms) answers the first {run.slow_questions} in each mode, as does rank-bm25 "
            f"always. Query time includes the analyser (the same for every library); top "
            f"{TOP_K}. Each library answers a few other questions first, untimed.",
            "",
        ]
    for result in run.sizes:
        lines += size_markdown(result, run.questions)
    lines += growth_table(run.sizes)
    if plot_name:
        lines += [f"![query time against corpus size]({plot_name})", ""]
    lines += stores_markdown(run.stores)
    return "\n".join(lines)


# -- the plot -----------------------------------------------------------------------------


def plot(results: list[SizeResult], path: Path) -> bool:
    """Two panels (rotation, alone): each library's median (solid) and 95th percentile
    (dashed) against the corpus size, log-log. False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names: list[str] = []
    for result in results:
        names += [row.name for row in result.libraries if row.name not in names]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    figure, panels = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    for panel, mode in zip(panels, ("rotation", "alone"), strict=True):
        for number, name in enumerate(names):
            points = [(r.size, getattr(r.library(name), mode)) for r in results if r.library(name)]
            sizes = [size for size, _ in points]
            colour = colours[number % len(colours)]
            panel.plot(sizes, [s.median_ms for _, s in points], "-o", color=colour, label=f"{name}")
            panel.plot(sizes, [s.p95_ms for _, s in points], "--x", color=colour, alpha=0.7)
        panel.set_xscale("log")
        panel.set_yscale("log")
        panel.set_title(f"{mode} (solid, o: median; dashed, x: p95)")
        panel.set_xlabel("paragraphs")
        panel.grid(True, which="both", alpha=0.3)
    panels[0].set_ylabel(f"query ms (top {TOP_K}, analyser included)")
    panels[1].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def write_reports(run: RunResult, out: Path, name: str) -> list[Path]:
    """``name``.md, ``name``.json and, with matplotlib, ``name``.png in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    plot_path = out / f"{name}.png"
    drew = bool(run.sizes) and plot(run.sizes, plot_path)
    report = out / f"{name}.md"
    report.write_text(markdown(run, plot_path.name if drew else None), encoding="utf-8")
    written.append(report)
    data = out / f"{name}.json"
    data.write_text(json.dumps(run.as_json(), indent=1) + "\n", encoding="utf-8")
    written.append(data)
    if drew:
        written.append(plot_path)
    return written
