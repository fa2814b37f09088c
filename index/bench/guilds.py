"""Many guilds in one process, under a memory budget: what questions cost when indexes
come and go.

    python -m index.bench --guilds [--quick] [--guild-budgets 256,1024,unlimited]
                          [--guild-count 1000] [--largest-guild 1000000]
                          [--guild-paragraphs 2000000] [--guild-questions 2000]

A bot serving many guilds cannot hold every index once they outgrow its memory: with
``EngineConfig.index_memory_bytes`` it keeps the most recently used ones and loads the
others from their snapshots when asked. This simulation measures what that costs.

Guild sizes follow a long tail (``guild_sizes``): the largest guild is given, and the
others are in proportion to 1/rank (Zipf, exponent 1), scaled so that all the guilds add
up to the total. Their text is one stream of paragraphs re-mixed from real text
(``corpus.iter_corpus``), dealt out guild after guild, and every guild is filled through
the engine's public API, article by article, into a SQLite store; each guild's index is
then unloaded, which saves its snapshot. Questions are drawn from each guild's own text
(a few consecutive words of one of its paragraphs) and go to guilds with Zipf popularity
over the same ranks: the largest guild is the most asked, as an active community both
shares and asks the most.

Each budget runs in a new process (``guild_questions``), so that its resident memory is
its own: it answers some questions first, untimed, then the measured ones one after the
other, and reports their latency (cold loads included), loads and evictions per minute,
the index bytes held and the process's resident memory. The report (``guilds_report``)
ends with what those numbers mean for 100,000 guilds.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from index.bench.corpus import corpus_articles, iter_corpus
from index.bench.index_costs import holder_failure
from index.config import EngineConfig
from index.engine import Engine
from index.store import open_store

GUILD_COUNT = 1000
LARGEST_GUILD = 1_000_000
ALL_PARAGRAPHS = 2_000_000
QUESTIONS = 2000
WARM_UP = 500
BUDGETS = "256,1024,unlimited"
"""MiB, or ``unlimited``."""
QUICK = {
    "guild_count": 40,
    "largest_guild": 4000,
    "guild_paragraphs": 10_000,
    "guild_questions": 300,
    "guild_warm_up": 100,
    "guild_budgets": "4,16,unlimited",
}
"""The small variant (``--quick``): well under a minute."""
FIRST_GUILD_ID = 1000
"""Guild ids are this plus the guild's rank (0 for the largest)."""
SOURCES_PER_GUILD = 20
"""Paragraphs of each guild kept to draw its questions from."""
CORPUS_SEED, QUESTION_SEED = 23, 29
WORKER_TIMEOUT_S = 4 * 3600


@dataclass
class GuildPlan:
    """What every budget's process is given: the store, and the questions to ask."""

    store: str
    index_dir: str
    warm_up: list[tuple[int, str]]
    questions: list[tuple[int, str]]


@dataclass
class BudgetResult:
    """One budget's run (see ``guild_questions``); sizes in bytes, memory in MiB."""

    budget: int | None
    questions: int = 0
    answered: int = 0
    """Questions given at least one passage."""
    seconds: float = 0.0
    ms: list[float] = field(default_factory=list)
    """Each measured question, end to end, in order."""
    cold: list[bool] = field(default_factory=list)
    """Whether each measured question loaded its guild's index."""
    loads_from_snapshot: int = 0
    loads_from_store: int = 0
    evictions: int = 0
    held_mean: float = 0.0
    held_max: int = 0
    held_end: int = 0
    guilds_held_end: int = 0
    rss_imports_mib: float = 0.0
    rss_peak_mib: float = 0.0
    """The process's highest resident size (VmHWM), warm-up included."""
    rss_max_mib: float = 0.0
    """The highest resident size seen after a measured question."""
    rss_end_mib: float = 0.0
    problem: str = ""
    """Why it could not run, in plain words."""


@dataclass
class GuildRun:
    started_utc: str
    machine: dict[str, str]
    sizes: list[int]
    """Paragraphs per guild, largest first."""
    tail_factor: float
    """The guild of rank r (from 1) has ``tail_factor * largest / r`` paragraphs."""
    index_bytes: list[int]
    """Each guild's index as loaded from its snapshot, by the engine's estimate."""
    build_s: float
    store_bytes: int
    snapshot_bytes: int
    warm_up: int
    questions: int
    top_share: float
    """The part of the questions that went to the largest guild."""
    budgets: list[BudgetResult] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    build_reused: bool = False
    """The guilds were filled by an earlier run in the same ``--guild-dir``."""


# -- the plan -----------------------------------------------------------------------------


def tail_factor(guilds: int, largest: int, total: int) -> float:
    """How the guilds after the largest are scaled from Zipf's ``largest / rank`` so that
    all add up to ``total``."""
    if guilds < 1 or largest > total:
        raise ValueError("need at least one guild, and the largest within the total")
    harmonic = sum(1 / rank for rank in range(2, guilds + 1))
    return (total - largest) / harmonic / largest if harmonic else 0.0


def guild_sizes(guilds: int, largest: int, total: int, smallest: int = 20) -> list[int]:
    """Paragraphs per guild, largest first: ``largest``, then the others in proportion to
    1/rank, scaled (``tail_factor``) so that all add up to about ``total`` (none below
    ``smallest`` nor above ``largest``)."""
    scale = tail_factor(guilds, largest, total) * largest
    tail = [min(largest, max(smallest, round(scale / rank))) for rank in range(2, guilds + 1)]
    return [largest, *tail]


def guild_id(rank: int) -> int:
    return FIRST_GUILD_ID + rank


def popular_ranks(guilds: int, count: int, rng: random.Random) -> list[int]:
    """``count`` guild ranks, each drawn with probability in proportion to 1/(rank + 1)."""
    return rng.choices(range(guilds), weights=[1 / (rank + 1) for rank in range(guilds)], k=count)


def question_from(paragraph: str, rng: random.Random) -> str:
    """A few consecutive words of ``paragraph``, asked as a question."""
    words = paragraph.split()
    length = min(len(words), rng.randint(3, 7))
    first = rng.randrange(len(words) - length + 1)
    return " ".join(words[first : first + length]).strip(".,;:!?\"'“”") + "?"


def ask_plan(
    sources: Sequence[list[str]], warm_up: int, questions: int
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The warm-up and measured questions: guilds by popularity, each question from one of
    that guild's ``sources`` paragraphs."""
    rng = random.Random(QUESTION_SEED)
    asked = [
        (guild_id(rank), question_from(rng.choice(sources[rank]), rng))
        for rank in popular_ranks(len(sources), warm_up + questions, rng)
    ]
    return asked[:warm_up], asked[warm_up:]


# -- building -----------------------------------------------------------------------------


async def build_guilds(
    store_path: Path, index_dir: Path, sizes: Sequence[int], source_paragraphs: list[str]
) -> list[list[str]]:
    """Fill each guild through the engine, article by article, largest first, and save
    its snapshot (by unloading it). Returns each guild's sample of paragraphs."""
    rng = random.Random(CORPUS_SEED)
    stream: Iterator[str] = iter_corpus(source_paragraphs, sum(sizes), seed=CORPUS_SEED)
    samples = []
    store = await open_store(store_path)
    async with await Engine.open(
        store, EngineConfig(), index_dir=index_dir, follow_changes=False
    ) as engine:
        for rank, size in enumerate(sizes):
            corpus = list(islice(stream, size))
            started, done = time.perf_counter(), 0
            for draft in corpus_articles(corpus):
                if not (await engine.ingest_draft(guild_id(rank), draft)).added:
                    raise RuntimeError(f"guild {rank}: {draft.title} was taken for a duplicate")
                done += len(draft.paragraphs)
                if done % 100_000 < len(draft.paragraphs) and size >= 200_000:
                    rate = done / (time.perf_counter() - started)
                    print(f"guild {rank}: {done:,} of {size:,} ({rate:,.0f}/s)", flush=True)
            await engine.unload(guild_id(rank))
            samples.append(rng.sample(corpus, min(SOURCES_PER_GUILD, len(corpus))))
    return samples


async def weigh_guilds(store_path: Path, index_dir: Path, guilds: int) -> list[int]:
    """Each guild's index as a serving process holds it: loaded from its snapshot (an
    index grown article by article holds a little more, its arrays' room to grow)."""
    store = await open_store(store_path, create=False)
    weighed = []
    async with await Engine.open(store, index_dir=index_dir, follow_changes=False) as engine:
        for rank in range(guilds):
            await engine.rank(guild_id(rank), "weigh", k=1)
            weighed.append((await engine.stats(guild_id(rank))).index_bytes or 0)
            await engine.unload(guild_id(rank))
    return weighed


def folder_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


# -- each budget in its own process -------------------------------------------------------


def parse_budgets(text: str) -> list[int | None]:
    """``256,1024,unlimited`` (MiB) as bytes; None for ``unlimited``."""
    budgets: list[int | None] = []
    for value in (part.strip() for part in text.split(",") if part.strip()):
        budgets.append(None if value == "unlimited" else round(float(value) * 1024**2))
    return budgets


def run_budget(plan_file: Path, budget: int | None) -> BudgetResult:
    """One budget's questions in a new process (``guild_questions``)."""
    command = [sys.executable, "-m", "index.bench.guild_questions", str(plan_file)]
    command.append("unlimited" if budget is None else str(budget))
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=WORKER_TIMEOUT_S
        )
        return BudgetResult(**json.loads(out.stdout.strip().splitlines()[-1]))
    except subprocess.CalledProcessError as error:
        return BudgetResult(budget, problem=f"could not run: {holder_failure(error)}")
    except subprocess.TimeoutExpired:
        hours = WORKER_TIMEOUT_S / 3600
        return BudgetResult(budget, problem=f"did not finish within {hours:g} hours")
    except (ValueError, IndexError, TypeError) as error:
        return BudgetResult(budget, problem=f"its report could not be read: {error}")


def run_guilds(
    source_paragraphs: list[str],
    workdir: Path,
    *,
    guild_count: int,
    largest_guild: int,
    guild_paragraphs: int,
    questions: int,
    warm_up: int,
    budgets: Sequence[int | None],
    machine: dict[str, str],
    started_utc: str,
) -> GuildRun:
    """The whole simulation in ``workdir``. The store and snapshots stay there, and a
    later run with the same sizes in the same folder uses them again (``built.json``)."""
    sizes = guild_sizes(guild_count, largest_guild, guild_paragraphs)
    print(
        f"\n== {len(sizes):,} guilds, {sum(sizes):,} paragraphs (largest {sizes[0]:,}, "
        f"smallest {sizes[-1]:,})",
        flush=True,
    )
    store_path, index_dir = workdir / "guilds.sqlite3", workdir / "guilds.index"
    built = workdir / "built.json"
    previous = json.loads(built.read_text(encoding="utf-8")) if built.exists() else {}
    reused = previous.get("sizes") == sizes
    if reused:
        print(f"the guilds filled before in {workdir} are used again", flush=True)
    else:
        if store_path.exists() or index_dir.exists():
            raise FileExistsError(f"{workdir} holds another simulation's guilds")
        started = time.perf_counter()
        samples = asyncio.run(build_guilds(store_path, index_dir, sizes, source_paragraphs))
        previous = {"sizes": sizes, "samples": samples, "build_s": time.perf_counter() - started}
        built.write_text(json.dumps(previous), encoding="utf-8")
        print(f"filled through the engine in {previous['build_s']:.0f} s", flush=True)
    if "loaded_bytes" not in previous:
        previous["loaded_bytes"] = asyncio.run(weigh_guilds(store_path, index_dir, len(sizes)))
        built.write_text(json.dumps(previous), encoding="utf-8")
    samples, index_bytes = previous["samples"], previous["loaded_bytes"]
    build_s = previous["build_s"]
    warm, measured = ask_plan(samples, warm_up, questions)
    plan = GuildPlan(str(store_path), str(index_dir), warm, measured)
    plan_file = workdir / "plan.json"
    plan_file.write_text(json.dumps(plan.__dict__), encoding="utf-8")
    top = guild_id(0)
    run = GuildRun(
        started_utc=started_utc,
        machine=machine,
        sizes=sizes,
        tail_factor=tail_factor(guild_count, largest_guild, guild_paragraphs),
        index_bytes=index_bytes,
        build_s=build_s,
        store_bytes=sum(
            folder_bytes(path) if path.is_dir() else path.stat().st_size
            for path in workdir.glob("guilds.sqlite3*")
        ),
        snapshot_bytes=folder_bytes(index_dir),
        warm_up=len(warm),
        questions=len(measured),
        top_share=sum(guild == top for guild, _ in measured) / max(1, len(measured)),
        build_reused=reused,
    )
    for budget in budgets:
        result = run_budget(plan_file, budget)
        run.budgets.append(result)
        print(budget_line(result), flush=True)
    return run


def budget_line(result: BudgetResult) -> str:
    name = "unlimited" if result.budget is None else f"{result.budget / 1024**2:g} MiB"
    if result.problem:
        return f"budget {name}: {result.problem}"
    return (
        f"budget {name}: {result.questions} questions in {result.seconds:.1f} s, "
        f"{sum(result.cold)} cold, {result.evictions} evictions, peak RSS "
        f"{result.rss_peak_mib:.0f} MiB"
    )
