"""The many-guild simulation's report (``guilds``): a Markdown section for people, the
numbers as JSON, and, on paper, what they mean for 100,000 guilds."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import asdict
from pathlib import Path

from index.bench.guilds import BudgetResult, GuildRun
from index.bench.latency import percentile
from index.bench.report import machine_line, ms

TARGET_GUILDS = 100_000
TABLE_HEADER = (
    "| budget | p50 ms | p95 ms | p99 ms | cold questions | cold / warm median ms "
    "| loads / min | evictions (/ min) | index held MiB, mean / max | RSS MiB, peak / end "
    "| answered |"
)
REUSED = ", by an earlier run whose guilds are used again here"
PAPER_HEADER = (
    "| budget | processes | memory each (peak RSS) | memory in all | questions / s each, "
    "one at a time |"
)


def budget_name(budget: int | None) -> str:
    if budget is None:
        return "unlimited"
    mib = budget / 1024**2
    return f"{mib / 1024:g} GiB" if mib >= 1024 else f"{mib:g} MiB"


def mib(count: float) -> str:
    """Bytes as a number of MiB, for the table's columns."""
    return f"{count / 1024**2:,.1f}" if count < 10 * 1024**2 else f"{count / 1024**2:,.0f}"


def size(count: float) -> str:
    """Bytes in MiB or GiB, with the unit."""
    return f"{count / 1024**3:,.1f} GiB" if count >= 1024**3 else f"{mib(count)} MiB"


def rate(count: float) -> str:
    return f"{count:,.1f}" if count < 10 else f"{count:,.0f}"


def per_minute(count: int, result: BudgetResult) -> str:
    return rate(count / (result.seconds / 60) if result.seconds else 0.0)


def budget_row(result: BudgetResult) -> str:
    name = budget_name(result.budget)
    if result.problem or not result.ms:
        return f"| {name} | {result.problem or 'no question was measured'} |" + " |" * 9
    cold = [t for t, loaded in zip(result.ms, result.cold, strict=True) if loaded]
    warm = [t for t, loaded in zip(result.ms, result.cold, strict=True) if not loaded]
    loads = result.loads_from_snapshot + result.loads_from_store
    medians = " / ".join(ms(statistics.median(part)) if part else "–" for part in (cold, warm))
    return (
        f"| {name} | {ms(statistics.median(result.ms))} | {ms(percentile(result.ms, 0.95))} "
        f"| {ms(percentile(result.ms, 0.99))} "
        f"| {len(cold):,} ({len(cold) / len(result.ms):.1%}) | {medians} "
        f"| {per_minute(loads, result)} "
        f"| {result.evictions:,} ({per_minute(result.evictions, result)}) "
        f"| {mib(result.held_mean)} / {mib(result.held_max)} "
        f"| {result.rss_peak_mib:,.0f} / {result.rss_end_mib:,.0f} "
        f"| {result.answered:,} of {result.questions:,} |"
    )


def sizes_text(run: GuildRun) -> str:
    sizes = run.sizes
    described = f"the largest {sizes[0]:,}"
    if len(sizes) > 1:
        described += (
            f", the second {sizes[1]:,}, the median {int(statistics.median(sizes)):,}, "
            f"the smallest {sizes[-1]:,}"
        )
    return described


def rebuilds_line(run: GuildRun) -> str:
    """Whether any index had to be rebuilt from the store rather than loaded."""
    rebuilt = sum(result.loads_from_store for result in run.budgets)
    if not rebuilt:
        return "Every load was from a snapshot: no index was rebuilt from the store."
    return f"{rebuilt:,} loads rebuilt an index from the store (its snapshot was not current)."


def per_paragraph(run: GuildRun) -> str:
    """Index bytes per paragraph of the largest guild and of the median one."""
    middle = len(run.sizes) // 2
    largest = run.index_bytes[0] / run.sizes[0]
    median = run.index_bytes[middle] / run.sizes[middle]
    return (
        f"{largest:,.0f} bytes a paragraph in the largest, {median:,.0f} in the median "
        "guild, where each distinct term's own objects weigh most"
    )


def paper_estimate(run: GuildRun) -> list[str]:
    """What the measured budgets mean for ``TARGET_GUILDS`` guilds, with the assumptions."""
    guilds = len(run.sizes)
    copies = TARGET_GUILDS / guilds
    processes = math.ceil(copies)
    all_indexes = sum(run.index_bytes) * copies
    lines = [
        f"#### {TARGET_GUILDS:,} guilds, on paper",
        "",
        f"Assumptions: the {TARGET_GUILDS:,} guilds have the sizes and popularity simulated "
        f"here, {processes:,} times over ({sum(run.sizes) * copies:,.0f} paragraphs, "
        f"{processes:,} guilds of {run.sizes[0]:,} paragraphs); each process owns one such "
        f"group of {guilds:,} guilds (its shards) and gets that group's questions, as "
        "simulated; memory per process is the peak resident memory measured (interpreter, "
        "libraries, store connection and indexes); the store (PostgreSQL for several "
        "processes) runs elsewhere and is not counted.",
        "",
        PAPER_HEADER,
        "|---|---|---|---|---|",
    ]
    for result in run.budgets:
        if result.problem or not result.ms:
            continue
        lines.append(
            f"| {budget_name(result.budget)} | {processes:,} | {result.rss_peak_mib:,.0f} MiB "
            f"| {processes * result.rss_peak_mib / 1024:,.0f} GiB "
            f"| {rate(result.questions / result.seconds)} |"
        )
    lines += [
        "",
        f"Every index held at once would be {size(all_indexes)} of indexes (the engine's "
        f"estimate, {size(sum(run.index_bytes))} for the {guilds:,} guilds here, times "
        f"{copies:g}), plus each process's own floor (about "
        f"{_floor_mib(run):,.0f} MiB resident after imports here). Snapshots need "
        f"{size(run.snapshot_bytes * copies)} of local disk in all, the SQLite store "
        f"{size(run.store_bytes * copies)}. A budget below the largest guild's index "
        f"({size(run.index_bytes[0])} here) holds that guild alone and loads it again "
        "after every question to another guild: such a guild needs a process with a budget "
        "above its index, or one of its own.",
        "",
    ]
    return lines


def _floor_mib(run: GuildRun) -> float:
    floors = [r.rss_imports_mib for r in run.budgets if not r.problem and r.rss_imports_mib]
    return min(floors, default=0.0)


def markdown(run: GuildRun) -> str:
    total = sum(run.sizes)
    guilds = len(run.sizes)
    lines = [
        "### Many guilds in one process, under a memory budget",
        "",
        f"Measured {run.started_utc} (UTC) on {machine_line(run.machine)}.",
        "",
        f"{guilds:,} guilds, {total:,} paragraphs: {sizes_text(run)}. The largest is set; "
        "the others follow Zipf's law (exponent 1) with the tail scaled so that all fit the "
        f"total: the guild of rank r has {run.tail_factor:.3f} × {run.sizes[0]:,} / r "
        "paragraphs (pure Zipf would be 1 × and far more paragraphs). Their text is "
        "re-mixed from real paragraphs (SQuAD, the extraction benchmark), dealt out guild "
        f"after guild, and filled through the engine (`Engine.ingest_draft`, "
        f"20-paragraph articles) into one SQLite store in {run.build_s:,.0f} s"
        f"{REUSED if run.build_reused else ''}. The store takes {size(run.store_bytes)} "
        f"on disk, the snapshots {size(run.snapshot_bytes)}; the indexes, once loaded, "
        f"{size(sum(run.index_bytes))} in memory by the engine's estimate, the largest "
        f"{size(run.index_bytes[0])} ({per_paragraph(run)}).",
        "",
        "Questions are a few consecutive words of one of the guild's own paragraphs; "
        "guilds are asked with Zipf popularity over the same ranks (the largest, the most "
        f"asked, got {run.top_share:.1%} of the measured questions). Each budget runs in a "
        f"new process: {run.warm_up:,} questions untimed, then {run.questions:,} measured "
        "one after another, end to end (`Engine.ask`: ranking and passages from the "
        "store), cold loads included. A cold question is one that loaded its guild's index "
        "(from its snapshot); loads and evictions are counted over the measured questions, "
        "per minute of their wall time. Index held: the engine's estimate after each "
        "question (`Engine.index_memory`); RSS: the process's resident memory, peak "
        "(warm-up included) and at the end.",
        "",
        TABLE_HEADER,
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(budget_row(result) for result in run.budgets),
        "",
        rebuilds_line(run),
        "",
        *paper_estimate(run),
    ]
    return "\n".join(lines)


def write_guild_reports(run: GuildRun, out: Path, name: str) -> list[Path]:
    """``name``.md and ``name``.json in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    report, data = out / f"{name}.md", out / f"{name}.json"
    report.write_text(markdown(run) + "\n", encoding="utf-8")
    data.write_text(json.dumps(asdict(run), indent=1) + "\n", encoding="utf-8")
    return [report, data]
