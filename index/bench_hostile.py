"""What the largest accepted article costs everyone else while it is ingested.

    python -m index.bench_hostile [--paragraphs N] [--hostile-lines N] [--data DIR]
                                  [--store postgresql://…]

One engine over a real SQLite file in a temporary folder, or over the empty PostgreSQL
database ``--store`` names. Guild B holds the seed
article; a task asks its questions continuously, as the bot does (answer, remember the
question for More, recall it), while guild A:

1. is sent a hostile ``message.txt`` of one short word a line (2 MB: half a million
   lines), which must be refused;
2. ingests the largest article the engine accepts (``EngineConfig.max_paragraphs``
   paragraphs and ``max_text_bytes`` bytes, re-mixed from real sentences when the
   shared data is there, else made-up words), as a ``message.txt``;
3. is asked about that article, and pages through an answer;
4. removes it.

Reported: the article's size; guild B's question latency (median and worst) during the
store's write of the article and during the whole ingest; the longest event-loop block
in each phase (a task sleeping 1 ms and measuring how late it wakes); the time and peak
memory of the ingest and of the removal. Numbers are printed, not checked: the machine
is shared and noisy. ``--paragraphs 300 --hostile-lines 5000`` is a quick form.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from index.bench.corpus import DEFAULT_DATA, build_corpus, load_sources
from index.engine import Engine, EngineConfig
from index.errors import IngestRefused
from index.store import Store, open_store

GUILD_A, GUILD_B = 1, 2
ASKER = 42
PROJECT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_QUESTIONS = (
    "How many troops are stationed in Puerto Rico?",
    "How many people have been killed in the boat strikes?",
    "Who talked Trump out of military action in 2019?",
    "When was Maduro indicted, and for what?",
    "Who did Trump appoint as a friendly envoy to Venezuela?",
)
QUESTION_GAP_SECONDS = 0.002
"""Guild B's asker pauses this long between questions: busy, without hogging the loop."""
_SYLLABLES = "ka lo ra mi to su ne vi da po le zu ba ri ko ta me no sa hu".split()
_Result = TypeVar("_Result")


# -- inputs -------------------------------------------------------------------------------


def article_text(paragraphs: int, max_bytes: int, data: Path, seed: int = 5) -> str:
    """A pasted article: a title line, then ``paragraphs`` lines of prose, in all at most
    ``max_bytes`` bytes of UTF-8, each paragraph about the same size."""
    title = "A very long report on the harbour, the storm and the city's budget"
    budget = (max_bytes - len(title) - 1) // paragraphs - 1  # bytes per line, newline apart
    if (data / "squad-train-subset").is_dir():
        source, _questions = load_sources(data)
        mixed = build_corpus(source, paragraphs, seed)
    else:
        mixed = _made_up_paragraphs(paragraphs, seed)
    lines = [title] + [_cut(text, budget) for text in mixed]
    return "\n".join(lines)


def _made_up_paragraphs(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))

    sentences = [
        " ".join(word() for _ in range(rng.randint(6, 14))).capitalize() + "."
        for _ in range(count * 3)
    ]
    return [" ".join(sentences[3 * i : 3 * i + 3]) for i in range(count)]


def _cut(text: str, budget: int) -> str:
    """``text`` on one line, repeated or cut at a space to about ``budget`` bytes."""
    text = " ".join(text.split())
    while len(text.encode()) < budget:
        text = f"{text} {text}"
    cut = text.encode()[:budget].decode("utf-8", "ignore")
    space = cut.rfind(" ")
    return (cut[:space] if space > budget // 2 else cut).strip()


def hostile_text(lines: int, seed: int = 9) -> str:
    """One short made-up word a line: the shape of the 2 MB file that became one
    article of half a million paragraphs."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "\n".join("".join(rng.choices(letters, k=3)) for _ in range(lines))


# -- watching -----------------------------------------------------------------------------


class LoopWatch:
    """The event loop's longest block per phase: a task sleeping 1 ms notes how late it
    wakes. Lateness is charged to the phase running when the sleep ended."""

    def __init__(self) -> None:
        self.phase = "start"
        self.worst: dict[str, float] = {}
        self._stop = False

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop:
            planned = loop.time() + 0.001
            await asyncio.sleep(0.001)
            late = (loop.time() - planned) * 1000
            self.worst[self.phase] = max(self.worst.get(self.phase, 0.0), late)

    def stop(self) -> None:
        self._stop = True


@dataclass
class Asker:
    """Guild B's questions, each asked as the bot does: answer, remember, recall."""

    engine: Engine
    spans: list[tuple[float, float]] = field(default_factory=list)
    unanswered: int = 0
    _stop: bool = False

    async def run(self) -> None:
        number = 0
        while not self._stop:
            question = SEED_QUESTIONS[number % len(SEED_QUESTIONS)]
            number += 1
            started = time.perf_counter()
            answer = await self.engine.ask(GUILD_B, question)
            question_id = await self.engine.remember_question(GUILD_B, ASKER, question)
            recalled = await self.engine.recall_question(GUILD_B, question_id)
            self.spans.append((started, time.perf_counter()))
            if not answer.found or recalled is None:
                self.unanswered += 1
            await asyncio.sleep(QUESTION_GAP_SECONDS)

    def stop(self) -> None:
        self._stop = True

    def during(self, start: float, end: float) -> list[float]:
        """Milliseconds of the questions that were waiting at some time in [start, end]."""
        return [(e - s) * 1000 for s, e in self.spans if s <= end and e >= start]


def _resident_mib() -> float | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def _reset_peak() -> bool:
    """Start a new peak-memory measurement (Linux: VmHWM back to the current size)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mib() -> float | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


async def _measured(work: Awaitable[_Result]) -> tuple[_Result, float, float | None]:
    """``work``'s result, its seconds, and how far it raised the process's peak memory
    above the resident size when it started (MiB; None where that cannot be read)."""
    before = _resident_mib()
    can_peak = _reset_peak()
    started = time.perf_counter()
    result = await work
    seconds = time.perf_counter() - started
    peak = _peak_mib() if can_peak else None
    grown = None if peak is None or before is None else max(0.0, peak - before)
    return result, seconds, grown


# -- the run ------------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        self.lines.append((name, value))
        print(f"{name}: {value}", flush=True)


def _latencies(values: list[float]) -> str:
    if not values:
        return "no question was waiting then"
    return (
        f"{len(values)} questions, median {statistics.median(values):.1f} ms, "
        f"worst {max(values):.1f} ms"
    )


def _memory(mib: float | None) -> str:
    return "peak memory not measurable here" if mib is None else f"peak memory +{mib:.0f} MiB"


async def run(args: argparse.Namespace, report: Report) -> None:
    config = EngineConfig()
    paragraphs = args.paragraphs or config.max_paragraphs
    per_paragraph = config.max_text_bytes // config.max_paragraphs
    max_bytes = min(config.max_text_bytes, paragraphs * per_paragraph)
    text = article_text(paragraphs, max_bytes, args.data)
    data = text.encode()
    hostile = hostile_text(args.hostile_lines).encode()

    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(args.store or Path(tmp) / "hostile.sqlite3")
        if not await store.is_empty():
            await store.close()
            raise SystemExit(f"{store.location} is not empty: give an empty database")
        timed = TimedWrites(store)
        report.add("store", "PostgreSQL" if args.store else "SQLite")
        engine = await Engine.open(timed, config)  # type: ignore[arg-type]
        try:
            for path in sorted(PROJECT_SEEDS.glob("*.txt")):
                await engine.ingest_file(GUILD_B, path.name, path.read_bytes())
            await engine.ask(GUILD_A, "warm up")  # both guilds' indexes are loaded
            await engine.ask(GUILD_B, SEED_QUESTIONS[0])
            writes = timed.writes
            writes.clear()

            watch = LoopWatch()
            asker = Asker(engine)
            tasks = [asyncio.create_task(watch.run()), asyncio.create_task(asker.run())]
            await asyncio.sleep(0.2)
            try:
                await _phases(engine, watch, asker, report, data, hostile, writes, args)
            finally:
                watch.stop()
                asker.stop()
                await asyncio.gather(*tasks)
            report.add(
                "guild B questions",
                f"{len(asker.spans)} asked, {asker.unanswered} without an answer or recall",
            )
        finally:
            await engine.close()


class TimedWrites:
    """The store, with the span of each article write noted: the engine is given this in
    place of the store, and everything else passes through unchanged."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.writes: list[tuple[float, float]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def add_article(self, *args: object, **kwargs: object) -> object:
        started = time.perf_counter()
        try:
            return await self._store.add_article(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            self.writes.append((started, time.perf_counter()))


async def _phases(
    engine: Engine,
    watch: LoopWatch,
    asker: Asker,
    report: Report,
    data: bytes,
    hostile: bytes,
    writes: list[tuple[float, float]],
    args: argparse.Namespace,
) -> None:
    paragraph_count = data.count(b"\n")  # the lines after the title
    report.add("largest accepted article", f"{paragraph_count:,} paragraphs, {len(data):,} bytes")

    watch.phase = "hostile file"
    started = time.perf_counter()
    outcome, seconds, grown = await _measured(_refusal(engine, hostile))
    report.add(
        "hostile message.txt",
        f"{args.hostile_lines:,} lines, {len(hostile):,} bytes, {seconds:.2f} s, "
        f"{_memory(grown)}, {outcome}",
    )
    hostile_span = (started, time.perf_counter())
    report.add("guild B questions during the hostile file", _latencies(asker.during(*hostile_span)))

    watch.phase = "ingest"
    started = time.perf_counter()
    result, seconds, grown = await _measured(engine.ingest_file(GUILD_A, "message.txt", data))
    ingest = (started, time.perf_counter())
    article = result.article
    report.add(
        "ingest in guild A",
        f"{seconds:.2f} s ({result.status}, {article.paragraph_count:,} paragraphs), "
        f"{_memory(grown)}",
    )
    write = writes[-1]
    report.add("store write of the article", f"{(write[1] - write[0]) * 1000:.0f} ms")
    report.add("guild B questions during the write", _latencies(asker.during(*write)))
    report.add("guild B questions during the ingest", _latencies(asker.during(*ingest)))

    watch.phase = "questions in guild A"
    latencies = []
    for question in ("What happened to the harbour budget?", "storm city report", "Who said so?"):
        for article_id in (None, article.id):
            started = time.perf_counter()
            await engine.ask(GUILD_A, question, article_id=article_id, limit=10)
            await engine.ask(GUILD_A, question, article_id=article_id, limit=10, offset=10)
            latencies.append((time.perf_counter() - started) * 1000)
    report.add("questions in guild A (answer and next page)", _latencies(latencies))

    watch.phase = "remove"
    started = time.perf_counter()
    _info, seconds, grown = await _measured(engine.remove_article(GUILD_A, article.id))
    removal = (started, time.perf_counter())
    report.add("remove in guild A", f"{seconds:.2f} s, {_memory(grown)}")
    report.add("guild B questions during the removal", _latencies(asker.during(*removal)))

    watch.phase = "snapshot save"
    await engine.save_snapshots()
    watch.phase = "after"
    await asyncio.sleep(0.05)
    for phase, worst in watch.worst.items():
        report.add(f"longest event-loop block, {phase}", f"{worst:.1f} ms")


async def _refusal(engine: Engine, data: bytes) -> str:
    try:
        await engine.ingest_file(GUILD_A, "message.txt", data)
    except IngestRefused as refused:
        return f"refused: {refused.reason}"
    return "ACCEPTED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m index.bench_hostile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--paragraphs", type=int, default=0, help="article size (default: the largest accepted)"
    )
    parser.add_argument("--hostile-lines", type=int, default=499_999)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--store",
        metavar="URL",
        help="an empty postgresql:// database (default: a SQLite file in a temporary folder)",
    )
    parser.add_argument(
        "--slow-callbacks",
        type=float,
        default=0.0,
        metavar="MS",
        help="run the loop in asyncio's debug mode and log each callback slower than this",
    )
    args = parser.parse_args(argv)
    report = Report()
    if args.slow_callbacks:
        logging.basicConfig(level=logging.WARNING)

    async def watched() -> None:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = args.slow_callbacks / 1000
        await run(args, report)

    asyncio.run(watched() if args.slow_callbacks else run(args, report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
