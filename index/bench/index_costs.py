"""What this index costs besides answering: changes, memory, restarts, the event loop.

- Adding a 20-paragraph article until it is searchable, and removing one: what the bot
  pays per article (the peers, but tantivy and FTS5, rebuild everything instead).
- The peak and held memory of a fresh process building only one library from a file of
  analysed paragraphs (``index.bench.holder``), so the benchmark's own corpus and the
  other libraries are not counted. Always for this index; for bm25s (numba) and tantivy
  with ``--peer-memory``.
- A restart: a new process opening the engine over a SQLite store of the corpus and
  answering one question, from the index snapshot and building from the store (time to
  the answer, and the whole process's peak memory).
- The event loop's longest wait while 200 articles are ingested back to back.

Restarts and the loop need the corpus filled into a store through the engine, article by
article, which takes too long for the largest corpora: they run up to
``--max-cold-start`` paragraphs.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.bench.corpus import ARTICLE_SIZE, fill_guild
from index.bench.peers import TOP_K, failure_words
from index.engine import Engine
from index.ingest.paste import fingerprint
from index.models import ArticleDraft
from index.search.bm25 import BM25Index, BM25Params
from index.store import open_store

CHANGE_ROUNDS = 20
LAG_ARTICLES = 200
HOLDER_TIMEOUT_S = 3 * 3600


# -- adding and removing ------------------------------------------------------------------


def change_sample(tokens: list[list[str]], rounds: int = CHANGE_ROUNDS) -> list[list[list[str]]]:
    """``rounds`` articles of ``ARTICLE_SIZE`` paragraphs picked from ``tokens`` (seeded),
    kept so that the corpus itself can be let go before the changes are timed."""
    rng = random.Random(3)
    return [
        [tokens[rng.randrange(len(tokens))] for _ in range(ARTICLE_SIZE)] for _ in range(rounds)
    ]


def time_changes(
    index: BM25Index, articles: list[list[list[str]]], first_id: int
) -> tuple[float, float]:
    """Median ms to add each article of ``articles`` until searchable, and to remove it."""
    adds, removes = [], []
    next_id = first_id
    for number, picked in enumerate(articles):
        paragraphs = [(next_id + i, terms) for i, terms in enumerate(picked)]
        started = time.perf_counter()
        index.add_article(next_id, paragraphs)
        index.search(picked[0][:3], TOP_K)  # searchable: the next query sees it
        adds.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.remove_article(next_id, paragraphs)
        index.search(picked[0][:3], TOP_K)
        removes.append((time.perf_counter() - started) * 1000)
        next_id += ARTICLE_SIZE + number
    return statistics.median(adds), statistics.median(removes)


# -- memory -------------------------------------------------------------------------------


@dataclass
class MemoryResult:
    """Resident MiB of a process building one library and holding it."""

    library: str
    imports_mib: float | None = None
    """After importing the library (and this package), before building."""
    peak_mib: float | None = None
    held_mib: float | None = None
    """At the end: holding the built library, having answered one question."""
    problem: str = ""
    """Why it could not be measured, in plain words."""


def write_token_file(tokens: Iterable[list[str]], path: Path) -> Path:
    """The analysed paragraphs, one a line, for the processes that measure memory."""
    with path.open("w", encoding="utf-8") as out:
        for terms in tokens:
            out.write(" ".join(terms) + "\n")
    return path


def held_memory(
    key: str, name: str, token_file: Path, question: str, params: BM25Params
) -> MemoryResult:
    """The memory of a fresh process building the library ``key`` (``this index`` or a
    key of ``PEERS``) from ``token_file`` and holding it; ``name`` labels it."""
    command = [
        sys.executable,
        "-m",
        "index.bench.holder",
        key,
        str(token_file),
        question,
        *(str(value) for value in (params.k1, params.b, params.epsilon)),
    ]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=HOLDER_TIMEOUT_S
        )
        measured = json.loads(out.stdout.strip().splitlines()[-1])
    except subprocess.CalledProcessError as error:
        return MemoryResult(name, problem=f"could not measure: {holder_failure(error)}")
    except (subprocess.TimeoutExpired, ValueError, IndexError) as error:
        return MemoryResult(name, problem=f"could not measure: {failure_words(error)}")
    return MemoryResult(name, measured["imports"], measured["peak"], measured["held"])


def holder_failure(error: subprocess.CalledProcessError) -> str:
    """Why the process measuring memory failed, in plain words."""
    if error.returncode < 0:
        return "the system stopped the process, most likely for want of memory"
    if "MemoryError" in (error.stderr or ""):
        return "it ran out of memory"
    return "the process failed"


# -- restarts and the event loop ----------------------------------------------------------


async def fill_store(corpus: list[str], path: Path) -> None:
    """A store holding ``corpus`` as articles of ``ARTICLE_SIZE`` paragraphs, guild 1."""
    async with await Engine.open(await open_store(path)) as engine:
        await fill_guild(engine, 1, corpus)


_RESTART = """
import time
started = time.perf_counter()
import asyncio, re, sys
from pathlib import Path
from index.engine import Engine
from index.store import open_store

async def main():
    index_dir = Path(sys.argv[1] + ".index")
    async with await Engine.open(await open_store(sys.argv[1]), index_dir=index_dir) as engine:
        await engine.ask(1, sys.argv[2])
        return time.perf_counter() - started

seconds = asyncio.run(main())
status = open("/proc/self/status").read()
print(seconds, int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) / 1024)
"""


def restart(path: Path, question: str) -> tuple[float, float]:
    """A new process opens the engine over the store at ``path`` and answers one question:
    seconds from its first line to the answer, and its peak resident MiB (the whole
    process: interpreter, libraries, store and index)."""
    out = subprocess.run(
        [sys.executable, "-c", _RESTART, str(path), question],
        capture_output=True,
        text=True,
        check=True,
        timeout=7200,
    )
    seconds, peak = out.stdout.split()[-2:]
    return float(seconds), float(peak)


@dataclass
class RestartResult:
    store_s: float
    """Building the index from the store (no snapshot yet)."""
    store_mib: float
    snapshot_s: float
    """Loading the snapshot the first restart saved."""
    snapshot_mib: float


def cold_start(corpus: list[str], question: str, workdir: Path) -> RestartResult:
    """Restarts over a store of ``corpus``: the first builds the index from the store
    (and saves its snapshot), the second loads the snapshot."""
    path = workdir / f"cold-{len(corpus)}.sqlite3"
    asyncio.run(fill_store(corpus, path))
    shutil.rmtree(path.with_name(path.name + ".index"), ignore_errors=True)
    store_s, store_mib = restart(path, question)
    snapshot_s, snapshot_mib = restart(path, question)
    return RestartResult(store_s, store_mib, snapshot_s, snapshot_mib)


async def loop_lag(corpus: list[str], workdir: Path, articles: int = LAG_ARTICLES) -> float:
    """The longest a loop callback waited (ms) while ``articles`` were ingested back to back."""
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            planned = loop.time() + 0.005
            await asyncio.sleep(0.005)
            worst = max(worst, (loop.time() - planned) * 1000)

    async with await Engine.open(await open_store(workdir / "lag.sqlite3")) as engine:
        watch = asyncio.create_task(ticker())
        for number in range(articles):
            first = (number * ARTICLE_SIZE) % max(1, len(corpus) - ARTICLE_SIZE)
            paragraphs = tuple(corpus[first : first + ARTICLE_SIZE])
            draft = ArticleDraft(f"Article {number}", paragraphs, fingerprint(paragraphs))
            await engine.ingest_draft(1, draft)
        stop.set()
        await watch
    return worst
