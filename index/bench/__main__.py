"""``python -m index.bench``: the options, and the run size by size.

At each size the corpus is analysed once; every library is built from the same terms;
the analysed corpus is then let go (only a sample is kept, for the changes) and what is
left is frozen out of Python's garbage collections, so that neither a collection walking
millions of lists nor the benchmark's own memory lands on one library's question. The
report is rewritten after each size, so a long run that fails late keeps what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import index.bench
from index.bench.corpus import (
    DEFAULT_DATA,
    analyse_corpus,
    build_corpus,
    iter_corpus,
    load_sources,
    shuffled_questions,
)
from index.bench.exactness import EXACT_MAX_SIZE, EXACT_QUESTIONS, check_exact
from index.bench.guilds import (
    ALL_PARAGRAPHS,
    BUDGETS,
    GUILD_COUNT,
    LARGEST_GUILD,
    QUESTIONS,
    QUICK,
    WARM_UP,
    parse_budgets,
    run_guilds,
)
from index.bench.guilds_report import write_guild_reports
from index.bench.index_costs import (
    MemoryResult,
    change_sample,
    cold_start,
    held_memory,
    loop_lag,
    time_changes,
    write_token_file,
)
from index.bench.latency import WARM_UP_QUESTIONS, measure, spread
from index.bench.operators import run_operators, write_operator_reports
from index.bench.peers import (
    PEER_NAMES,
    PEERS,
    SLOW_QUESTIONS,
    THIS_INDEX,
    build_this_index,
    make_peers,
    this_index_library,
)
from index.bench.report import machine, restart_text, write_reports
from index.bench.results import IndexCosts, LibraryResult, RunResult, SizeResult
from index.bench.stores import STORE_QUESTIONS, StoreResult, run_stores, store_urls
from index.errors import StoreError
from index.search.analyzer import analyse
from index.search.bm25 import BM25Params

DEFAULT_SIZES = "10000,100000,1000000,3000000"
DEFAULT_PEERS = "rank-bm25,bm25s,bm25s-numba,tantivy,fts5"
MEMORY_PEERS = ("bm25s-numba", "tantivy")
"""The peers ``--peer-memory`` measures: those that run at every size."""


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(
        prog="python -m index.bench",
        description=index.bench.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_argument("--quick", action="store_true", help="10k paragraphs, 50 questions")
    options.add_argument("--sizes", default=DEFAULT_SIZES, help=f"default {DEFAULT_SIZES}")
    options.add_argument(
        "--questions", type=int, default=1000, help="questions per mode (default 1000)"
    )
    options.add_argument("--peers", default=DEFAULT_PEERS, help=f"default {DEFAULT_PEERS}")
    options.add_argument("--max-rank-bm25", type=int, default=100_000)
    options.add_argument(
        "--max-peer-size-slow",
        type=int,
        default=1_000_000,
        help="above this many paragraphs only this index, bm25s (numba) and tantivy run",
    )
    options.add_argument(
        "--max-cold-start",
        type=int,
        default=1_000_000,
        help="restarts and the event loop's wait are measured up to this many paragraphs",
    )
    options.add_argument("--data", type=Path, default=DEFAULT_DATA)
    options.add_argument("--out", type=Path, default=Path("bench-results"))
    options.add_argument("--no-memory", action="store_true", help="no memory measurement")
    options.add_argument(
        "--peer-memory",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the memory of a process holding bm25s (numba), and one holding "
        "tantivy (default: on, unless --no-memory)",
    )
    options.add_argument("--no-cold-start", action="store_true", help="no restarts, no loop")
    options.add_argument(
        "--store",
        action="append",
        metavar="URL",
        help="an empty store to measure the engine over (repeat it, or separate with commas; "
        "'sqlite', the default, is a new SQLite file in a temporary folder)",
    )
    options.add_argument(
        "--store-paragraphs",
        type=int,
        help="paragraphs in the stores' guild (default 100000; 10000 with --quick)",
    )
    which = options.add_mutually_exclusive_group()
    which.add_argument("--only-stores", action="store_true", help="only the store section")
    which.add_argument("--no-stores", action="store_true", help="leave the store section out")
    which.add_argument(
        "--guilds",
        action="store_true",
        help="only the many-guild simulation under memory budgets (its own report: "
        "guilds.md and guilds.json; guilds-quick.* with --quick)",
    )
    which.add_argument(
        "--operators",
        action="store_true",
        help="only the cost of search operators' filters (its own report: operators.md and "
        "operators.json; operators-quick.* with --quick)",
    )
    options.add_argument(
        "--paragraphs",
        type=int,
        help="paragraphs for --operators (default 1000000; 10000 with --quick)",
    )
    guilds = options.add_argument_group("the many-guild simulation (--guilds)")
    guilds.add_argument("--guild-count", type=int, help=f"guilds (default {GUILD_COUNT:,})")
    guilds.add_argument(
        "--largest-guild", type=int, help=f"its paragraphs (default {LARGEST_GUILD:,})"
    )
    guilds.add_argument(
        "--guild-paragraphs", type=int, help=f"all guilds' (default {ALL_PARAGRAPHS:,})"
    )
    guilds.add_argument(
        "--guild-questions", type=int, help=f"measured per budget (default {QUESTIONS:,})"
    )
    guilds.add_argument(
        "--guild-warm-up", type=int, help=f"untimed questions first (default {WARM_UP:,})"
    )
    guilds.add_argument(
        "--guild-budgets", help=f"MiB, or unlimited, separated by commas (default {BUDGETS})"
    )
    guilds.add_argument(
        "--guild-dir",
        type=Path,
        help="where the store and snapshots are made and kept, and used again by a later "
        "run of the same sizes (default: a temporary folder, removed afterwards)",
    )
    return options


def guild_settings(args: argparse.Namespace) -> None:
    """The simulation's sizes: as given, else the quick variant's or the full run's."""
    full = {
        "guild_count": GUILD_COUNT,
        "largest_guild": LARGEST_GUILD,
        "guild_paragraphs": ALL_PARAGRAPHS,
        "guild_questions": QUESTIONS,
        "guild_warm_up": WARM_UP,
        "guild_budgets": BUDGETS,
    }
    for key, value in (QUICK if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)


def simulate_guilds(
    args: argparse.Namespace, paragraphs: list[str], budgets: list[int | None]
) -> int:
    """The many-guild simulation and its report."""
    started_utc = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    with contextlib.ExitStack() as stack:
        workdir = args.guild_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            run = run_guilds(
                paragraphs,
                workdir,
                guild_count=args.guild_count,
                largest_guild=args.largest_guild,
                guild_paragraphs=args.guild_paragraphs,
                questions=args.guild_questions,
                warm_up=args.guild_warm_up,
                budgets=budgets,
                machine=machine(),
                started_utc=started_utc,
            )
        except (FileExistsError, StoreError) as error:
            print(f"the simulation could not run: {error}", file=sys.stderr)
            return 1
    run.settings = {key: str(value) for key, value in vars(args).items()}
    written = write_guild_reports(run, args.out, "guilds-quick" if args.quick else "guilds")
    print("\nwrote " + ", ".join(str(path) for path in written))
    return 1 if any(result.problem for result in run.budgets) else 0


def measure_operators(args: argparse.Namespace, paragraphs: list[str], questions: list[str]) -> int:
    """The operators' costs and their report."""
    size = args.paragraphs or (10_000 if args.quick else 1_000_000)
    run = run_operators(
        paragraphs,
        shuffled_questions(questions),
        size=size,
        question_count=args.questions,
        machine=machine(),
        started_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    )
    run.settings = {key: str(value) for key, value in vars(args).items()}
    written = write_operator_reports(
        run, args.out, "operators-quick" if args.quick else "operators"
    )
    print("\nwrote " + ", ".join(str(path) for path in written))
    return 0 if run.modes else 1


def run_size(
    size: int, paragraphs: list[str], questions: list[str], args: argparse.Namespace
) -> SizeResult:
    """Every measurement at ``size`` paragraphs; ``questions`` are all of them, shuffled."""
    params = BM25Params()
    print(f"\n== {size:,} paragraphs", flush=True)
    restarts = not args.no_cold_start and size <= args.max_cold_start
    started = time.perf_counter()
    corpus = build_corpus(paragraphs, size) if restarts else None
    tokens = analyse_corpus(corpus if corpus is not None else iter_corpus(paragraphs, size))
    analysed_s = time.perf_counter() - started
    print(f"analysed in {analysed_s:.1f} s", flush=True)
    asked = questions[: min(args.questions, len(questions) - WARM_UP_QUESTIONS)]
    warm_up_with = questions[-WARM_UP_QUESTIONS:]

    with tempfile.TemporaryDirectory() as tmp:
        token_file = None if args.no_memory else write_token_file(tokens, Path(tmp) / "terms")
        started = time.perf_counter()
        index = build_this_index(tokens, params)
        ours = this_index_library(index, time.perf_counter() - started, params)
        print(f"{ours.name}: built in {ours.build_seconds:.1f} s", flush=True)
        peers, skipped = make_peers(
            tokens,
            params,
            [key.strip() for key in args.peers.split(",") if key.strip()],
            max_rank_bm25=args.max_rank_bm25,
            max_peer_size_slow=args.max_peer_size_slow,
        )
        for line in skipped:
            print(line, flush=True)
        libraries = [ours, *peers]
        exact = None
        if size <= EXACT_MAX_SIZE:
            checked = [analyse(question) for question in asked[:EXACT_QUESTIONS]]
            exact = check_exact(index, tokens, checked, params)
            print(f"top 10 equal to BM25Okapi's for {exact[0]} of {exact[1]} questions")
        sample = change_sample(tokens)
        del tokens
        gc.collect()
        gc.freeze()
        try:
            latencies = measure(libraries, asked, warm_up_with=warm_up_with)
            add_ms, remove_ms = time_changes(index, sample, size + 1_000_000)
        finally:
            gc.unfreeze()
        rows = [
            LibraryResult(
                library.name,
                library.build_seconds,
                library.calls,
                library.note,
                latencies.questions[library.name],
                library.name in latencies.slow,
                spread(latencies.rotation[library.name]),
                spread(latencies.alone[library.name]),
            )
            for library in libraries
        ]
        for row in rows:
            print(
                f"{row.name}: rotation median {row.rotation.median_ms:.3f} ms, p95 "
                f"{row.rotation.p95_ms:.3f}, p99 {row.rotation.p99_ms:.3f}; alone median "
                f"{row.alone.median_ms:.3f} ms, p95 {row.alone.p95_ms:.3f}, p99 "
                f"{row.alone.p99_ms:.3f} ({row.questions} questions)",
                flush=True,
            )
        print(f"add an article {add_ms:.2f} ms, remove {remove_ms:.2f} ms", flush=True)
        del libraries, peers, ours, index
        gc.collect()
        costs = IndexCosts(add_ms, remove_ms)
        peer_memory: list[MemoryResult] = []
        if token_file is not None:
            costs.memory = held_memory(THIS_INDEX, THIS_INDEX, token_file, asked[0], params)
            print(memory_text(costs.memory), flush=True)
            ran = {row.name for row in rows}
            for key in MEMORY_PEERS if args.peer_memory else ():
                if PEER_NAMES[key] in ran:
                    peer_memory.append(
                        held_memory(key, PEER_NAMES[key], token_file, asked[0], params)
                    )
                    print(memory_text(peer_memory[-1]), flush=True)

    notes = []
    if restarts and corpus is not None:
        with tempfile.TemporaryDirectory() as tmp:
            costs.restart = cold_start(corpus, asked[0], Path(tmp))
        print(restart_text(costs.restart), flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            costs.loop_lag_ms = asyncio.run(loop_lag(corpus, Path(tmp)))
        print(f"event loop: longest wait {costs.loop_lag_ms:.1f} ms while ingesting", flush=True)
    elif not args.no_cold_start:
        notes.append(
            f"restarts and the event loop's wait are not measured above "
            f"{args.max_cold_start:,} paragraphs (filling a store through the engine, article "
            "by article, takes too long)"
        )
    return SizeResult(size, analysed_s, rows, skipped, costs, peer_memory, exact, notes)


def memory_text(result: MemoryResult) -> str:
    if result.held_mib is None:
        return f"memory of a process holding {result.library}: {result.problem}"
    return (
        f"memory of a process holding {result.library}: after imports "
        f"{result.imports_mib:.0f} MiB, peak {result.peak_mib:.0f} MiB, held "
        f"{result.held_mib:.0f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    options = parser()
    args = options.parse_args(argv)
    if args.quick:
        args.sizes, args.questions = "10000", min(args.questions, 50)
    if args.store_paragraphs is None:
        args.store_paragraphs = 10_000 if args.quick else 100_000
    unknown = [key for key in args.peers.split(",") if key.strip() and key.strip() not in PEERS]
    if unknown:
        options.error(f"no library called {', '.join(unknown)} (known: {', '.join(PEERS)})")
    if not (args.data / "squad-train-subset").is_dir():
        options.error(f"no benchmark data in {args.data} (pass --data)")
    if args.guilds:
        guild_settings(args)
        try:
            budgets = parse_budgets(args.guild_budgets)
        except ValueError:
            options.error(f"--guild-budgets: {args.guild_budgets!r} is not MiB or unlimited")
    paragraphs, questions = load_sources(args.data)
    if args.guilds:
        return simulate_guilds(args, paragraphs, budgets)
    if args.operators:
        return measure_operators(args, paragraphs, questions)
    questions = shuffled_questions(questions)
    run = RunResult(
        started_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        machine=machine(),
        questions=min(args.questions, len(questions) - WARM_UP_QUESTIONS),
        slow_questions=SLOW_QUESTIONS,
        settings={key: str(value) for key, value in vars(args).items()},
    )
    # A part of the benchmark is written apart, not over the full run's results.
    name = "quick" if args.quick else "stores" if args.only_stores else "latest"
    if not args.only_stores:
        for size in (int(s) for s in args.sizes.split(",")):
            run.sizes.append(run_size(size, paragraphs, questions, args))
            write_reports(run, args.out, name)
    stores: list[StoreResult] = []
    if not args.no_stores:
        corpus = build_corpus(paragraphs, args.store_paragraphs)
        try:
            asked = questions[: min(args.questions, STORE_QUESTIONS)]
            stores = run_stores(store_urls(args.store), corpus, asked)
        except StoreError as error:
            print(f"the store section could not run: {error}", file=sys.stderr)
            return 1
    run.stores = stores
    written = write_reports(run, args.out, name)
    print("\nwrote " + ", ".join(str(path) for path in written))
    failed = any(r.exact and r.exact[0] != r.exact[1] for r in run.sizes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
