"""Speed and memory of the index against the libraries people reach for, and of the
engine over each store.

    python -m index.bench [--quick] [--sizes 10000,100000,1000000] [--out bench-results]
                          [--store postgresql://…] [--store-paragraphs 100000]
                          [--only-stores | --no-stores]

Corpora are built from real text (the SQuAD subset and the extraction benchmark's articles
in ``../shared/data``): paragraphs are re-mixed from the sentences of real paragraphs and
given names drawn from a long-tailed distribution, so the vocabulary keeps growing with
the corpus as it does in years of news. The questions are real SQuAD questions. Every
library gets the same tokenised paragraphs and questions (this project's analyser), and
for each question the libraries are queried in turn, so background load hits them alike.

Measured per size: build time, query time (analyser included, top 5: median and 95th
percentile), adding and removing a 20-paragraph article, the peak memory of a process
holding only this index, a restart (a new process opening the engine over a SQLite store
of the corpus and answering one question: time to the answer and the whole process's peak
memory, from the index snapshot and building from the store), and the event loop's
longest wait while 200 articles are ingested. ``--quick`` runs 10k paragraphs with fewer
questions, checks the top 10 of every question against ``rank_bm25.BM25Okapi``, and is
what CI runs.

Peers (optional, ``pip install -e ".[bench]"``): rank-bm25, bm25s (numpy, and numba when
installed), tantivy, SQLite FTS5. A missing peer is reported as such.

The store section runs the engine over each store ``--store`` names (repeat it, or
separate URLs with commas; an empty database each, PostgreSQL's created beforehand, its
guild purged afterwards; ``sqlite``, the default, is a new SQLite file in a temporary
folder, so ``--store sqlite,postgresql://…`` compares the two) holding
``--store-paragraphs`` paragraphs (100k; 10k with ``--quick``) in one guild, through the
engine's public API only. Measured, as median and 95th percentile: adding a 20-paragraph
article (store and index), removing one, a question end to end (ranking and the passages
read from the store) and rebuilding the guild's index from the store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import Engine, EngineConfig
from index.errors import StoreError
from index.ingest.paste import fingerprint
from index.models import ArticleDraft
from index.search.analyzer import analyse, unique_terms
from index.search.bm25 import BM25Index, BM25Params
from index.store import open_store, parse_location

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
ARTICLE_SIZE = 20
TOP_K = 5
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“])")
_SYLLABLES = "ka lo ra mi to su ne vi da po le zu ba ri ko ta me no sa hu".split()


# -- corpus -------------------------------------------------------------------------------


def load_sources(data: Path) -> tuple[list[str], list[str]]:
    """Real paragraphs and real questions."""
    squad = json.loads(
        (data / "squad-train-subset" / "squad-train-subset-v1.1.json").read_text("utf-8")
    )
    paragraphs, questions = [], []
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            paragraphs.append(paragraph["context"])
            questions += [qa["question"] for qa in paragraph["qas"]]
    truth_file = data / "aeb-dev" / "ground-truth.json"
    if truth_file.exists():
        for page in json.loads(truth_file.read_text("utf-8")).values():
            paragraphs += [p for p in page["articleBody"].split("\n") if len(p.split()) >= 8]
    return paragraphs, questions


def build_corpus(paragraphs: list[str], size: int, seed: int = 7) -> list[str]:
    """``size`` paragraphs re-mixed from real sentences, with a growing vocabulary of names."""
    rng = random.Random(seed)
    sentences = [s for p in paragraphs for s in _SENTENCE.split(p) if len(s.split()) >= 4]
    names = max(100, size // 3)
    corpus = []
    for _ in range(size):
        picked = rng.sample(sentences, rng.randint(2, 5))
        for _ in range(rng.randint(0, 3)):
            # Zipf-like: a few names are everywhere, most appear a handful of times.
            rank = int(names ** rng.random())
            name = "".join(_SYLLABLES[(rank // 20**i) % 20] for i in range(3)).capitalize()
            at = rng.randrange(len(picked))
            picked[at] = f"{picked[at]} {name}{rank % 97} said so."
        corpus.append(" ".join(picked))
    return corpus


# -- libraries ----------------------------------------------------------------------------


@dataclass
class Library:
    name: str
    search: Callable[[list[str]], list[int]]
    build_seconds: float
    note: str = ""
    query_ms: list[float] = field(default_factory=list)


def ours(tokens: list[list[str]], params: BM25Params) -> tuple[BM25Index, float]:
    started = time.perf_counter()
    index = BM25Index(params)
    for first in range(0, len(tokens), ARTICLE_SIZE):
        index.add_article(
            first, ((i, tokens[i]) for i in range(first, min(first + ARTICLE_SIZE, len(tokens))))
        )
    return index, time.perf_counter() - started


def make_peers(
    tokens: list[list[str]], params: BM25Params, wanted: set[str], max_rank_bm25: int
) -> tuple[list[Library], list[str]]:
    peers: list[Library] = []
    skipped: list[str] = []
    if "rank-bm25" in wanted:
        if len(tokens) > max_rank_bm25:
            skipped.append(f"rank-bm25: not run above {max_rank_bm25:,} paragraphs (too slow)")
        else:
            from rank_bm25 import BM25Okapi

            started = time.perf_counter()
            okapi = BM25Okapi(tokens, k1=params.k1, b=params.b, epsilon=params.epsilon)
            built = time.perf_counter() - started

            def okapi_search(query: list[str]) -> list[int]:
                scores = okapi.get_scores(unique_terms(query))
                return np.argsort(-scores, kind="stable")[:TOP_K].tolist()

            peers.append(Library("rank-bm25", okapi_search, built))
    for backend in ("numpy", "numba"):
        name = f"bm25s ({backend})"
        if f"bm25s-{backend}" not in wanted and not ("bm25s" in wanted and backend == "numpy"):
            continue
        try:
            import bm25s

            if backend == "numba":
                import numba  # noqa: F401
        except ImportError:
            skipped.append(f"{name}: not installed")
            continue
        started = time.perf_counter()
        model = bm25s.BM25(k1=params.k1, b=params.b, backend=backend)
        model.index(tokens, show_progress=False)
        built = time.perf_counter() - started

        def bm25s_search(query: list[str], model=model, backend=backend) -> list[int]:
            known = [t for t in query if t in model.vocab_dict] or ["\x00"]
            docs, _scores = model.retrieve(
                [known],
                k=TOP_K,
                show_progress=False,
                n_threads=1,
                backend_selection=backend,
            )
            return docs[0].tolist()

        peers.append(Library(name, bm25s_search, built, "not BM25Okapi; full rebuild to add"))
    if "tantivy" in wanted:
        try:
            import tantivy
        except ImportError:
            skipped.append("tantivy: not installed")
        else:
            started = time.perf_counter()
            schema_builder = tantivy.SchemaBuilder()
            schema_builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
            schema_builder.add_integer_field("id", stored=True, fast=True)
            schema = schema_builder.build()
            index = tantivy.Index(schema)
            writer = index.writer(heap_size=200_000_000, num_threads=1)
            for i, terms in enumerate(tokens):
                writer.add_document(tantivy.Document(body=" ".join(terms), id=i))
            writer.commit()
            writer.wait_merging_threads()
            index.reload()
            searcher = index.searcher()
            built = time.perf_counter() - started

            def tantivy_search(query: list[str]) -> list[int]:
                terms = [tantivy.Query.term_query(schema, "body", t) for t in unique_terms(query)]
                if not terms:
                    return []
                occur = tantivy.Occur.Should
                combined = tantivy.Query.boolean_query([(occur, t) for t in terms])
                hits = searcher.search(combined, TOP_K).hits
                return [searcher.doc(address)["id"][0] for _score, address in hits]

            peers.append(Library("tantivy", tantivy_search, built, "Lucene's BM25, not Okapi"))
    if "fts5" in wanted:
        started = time.perf_counter()
        db = sqlite3.connect(":memory:")
        db.execute("CREATE VIRTUAL TABLE p USING fts5(body, tokenize='unicode61')")
        db.executemany(
            "INSERT INTO p (rowid, body) VALUES (?, ?)",
            ((i, " ".join(t)) for i, t in enumerate(tokens)),
        )
        db.commit()
        built = time.perf_counter() - started

        def fts_search(query: list[str]) -> list[int]:
            terms = unique_terms(query)
            if not terms:
                return []
            match = " OR ".join(f'"{t}"' for t in terms)
            rows = db.execute(
                "SELECT rowid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (match, TOP_K)
            ).fetchall()
            return [r[0] for r in rows]

        peers.append(Library("SQLite FTS5", fts_search, built, "FTS5's BM25, not Okapi"))
    return peers, skipped


# -- measurements -------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def check_exact(
    index: BM25Index, tokens: list[list[str]], questions: list[list[str]], params: BM25Params
) -> tuple[int, int]:
    """Questions whose top 10 equals BM25Okapi's (scores equal to 1e-9, same ties rule)."""
    from rank_bm25 import BM25Okapi

    okapi = BM25Okapi(tokens, k1=params.k1, b=params.b, epsilon=params.epsilon)
    agree = 0
    for query in questions:
        hits = index.search(query, 10)
        scores = okapi.get_scores(unique_terms(query))
        ok = all(abs(scores[h.paragraph_id] - h.score) <= 1e-9 * max(1, abs(h.score)) for h in hits)
        # Nothing outside our hits may score above our last hit among candidates.
        if hits and len(hits) == 10:
            outside = np.ones(len(tokens), dtype=bool)
            outside[[h.paragraph_id for h in hits]] = False
            candidates = np.array([bool(set(query) & set(t)) for t in tokens])
            better = scores[outside & candidates] > hits[-1].score + 1e-9
            ok = ok and not better.any()
        agree += ok
    return agree, len(questions)


def time_changes(
    index: BM25Index, tokens: list[list[str]], rounds: int = 20
) -> tuple[float, float]:
    """Median ms to add a 20-paragraph article until searchable, and to remove one."""
    rng = random.Random(3)
    adds, removes = [], []
    next_id = len(tokens) + 1_000_000
    for r in range(rounds):
        picked = [tokens[rng.randrange(len(tokens))] for _ in range(ARTICLE_SIZE)]
        paragraphs = [(next_id + i, terms) for i, terms in enumerate(picked)]
        started = time.perf_counter()
        index.add_article(next_id, paragraphs)
        index.search(picked[0][:3], TOP_K)  # searchable: the next query sees it
        adds.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.remove_article(next_id, paragraphs)
        index.search(picked[0][:3], TOP_K)
        removes.append((time.perf_counter() - started) * 1000)
        next_id += ARTICLE_SIZE + r
    return statistics.median(adds), statistics.median(removes)


def memory_of_index(tokens: list[list[str]], params: BM25Params) -> float:
    """Peak resident MiB of a fresh process that holds only our index of ``tokens``.

    The child reads the tokenised paragraphs from a file a line at a time, so its peak is
    the interpreter, numpy and the index, not the corpus.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for terms in tokens:
            f.write(" ".join(terms) + "\n")
        corpus_file = f.name
    # VmHWM, not ru_maxrss: the latter carries the parent's peak over fork and exec.
    code = (
        "import re, resource, sys\n"
        "from index.search.bm25 import BM25Index, BM25Params\n"
        f"index = BM25Index(BM25Params({params.k1}, {params.b}, {params.epsilon}))\n"
        "article, batch = 0, []\n"
        f"for i, line in enumerate(open({corpus_file!r}, encoding='utf-8')):\n"
        "    batch.append((i, line.split()))\n"
        f"    if len(batch) == {ARTICLE_SIZE}:\n"
        "        index.add_article(article, batch); article += 1; batch = []\n"
        "if batch: index.add_article(article, batch)\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) / 1024)\n"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=3600
        )
    finally:
        os.unlink(corpus_file)
    return float(out.stdout.strip().splitlines()[-1])


def corpus_articles(corpus: list[str]) -> list[ArticleDraft]:
    """``corpus`` as articles of ``ARTICLE_SIZE`` paragraphs."""
    drafts = []
    for first in range(0, len(corpus), ARTICLE_SIZE):
        paragraphs = tuple(corpus[first : first + ARTICLE_SIZE])
        drafts.append(ArticleDraft(f"Article {first}", paragraphs, fingerprint(paragraphs)))
    return drafts


async def fill_guild(engine: Engine, guild_id: int, corpus: list[str]) -> None:
    """Ingest ``corpus`` into the guild as articles of ``ARTICLE_SIZE`` paragraphs."""
    for draft in corpus_articles(corpus):
        if not (await engine.ingest_draft(guild_id, draft)).added:
            raise RuntimeError(f"{draft.title} was taken for a duplicate")


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


def cold_start(corpus: list[str], question: str, workdir: Path) -> dict[str, float]:
    """Restarts over a store of ``corpus``: the first builds the index from the store
    (and saves its snapshot), the second loads the snapshot."""
    path = workdir / f"cold-{len(corpus)}.sqlite3"
    asyncio.run(fill_store(corpus, path))
    shutil.rmtree(path.with_name(path.name + ".index"), ignore_errors=True)
    store_s, store_mib = restart(path, question)
    snapshot_s, snapshot_mib = restart(path, question)
    return {
        "store_s": store_s,
        "store_mib": store_mib,
        "snapshot_s": snapshot_s,
        "snapshot_mib": snapshot_mib,
    }


async def loop_lag(corpus: list[str], workdir: Path, articles: int = 200) -> float:
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


# -- stores -------------------------------------------------------------------------------

STORE_GUILD = 1
STORE_ROUNDS = 40
"""Articles added and removed per store."""
STORE_REBUILDS = 5
STORE_OPERATIONS = {
    "ingest": "add a 20-paragraph article (store + index)",
    "remove": "remove one article",
    "ask": "a question end to end (rank + passages)",
    "rebuild": "rebuild the guild's index from the store",
}


@dataclass
class StoreResult:
    store: str
    """The store's kind and where it is (no password)."""
    paragraphs: int
    fill_s: float
    ms: dict[str, list[float]]
    """Each operation of ``STORE_OPERATIONS``: every run's milliseconds."""


TEMPORARY_SQLITE = "sqlite"
"""What ``--store`` calls a new SQLite file in a temporary folder (the default)."""


def store_urls(values: list[str] | None) -> list[str | None]:
    """The stores ``--store`` names (repeated, or separated by commas); None stands for a
    new SQLite file in a temporary folder: the default, or ``sqlite`` in the list."""
    urls = [url.strip() for value in values or [] for url in value.split(",") if url.strip()]
    return [None if url == TEMPORARY_SQLITE else url for url in urls] or [None]


async def measure_store(
    url: str | Path,
    corpus: list[str],
    questions: list[str],
    *,
    rounds: int = STORE_ROUNDS,
    rebuilds: int = STORE_REBUILDS,
) -> StoreResult:
    """The engine over the empty store ``url``, with ``corpus`` in one guild: each
    operation timed through the engine's public API. The guild is purged at the end."""
    location = parse_location(url)
    store = await open_store(location)
    if not await store.is_empty():
        await store.close()
        raise StoreError(f"{location} holds data already: give the benchmark an empty database")
    ms: dict[str, list[float]] = {operation: [] for operation in STORE_OPERATIONS}
    fill_s = 0.0
    async with await Engine.open(store, EngineConfig()) as engine:
        try:
            started = time.perf_counter()
            await fill_guild(engine, STORE_GUILD, corpus)
            fill_s = time.perf_counter() - started
            print(f"{location.kind}: {len(corpus):,} paragraphs in {fill_s:.1f} s", flush=True)
            for _ in range(rebuilds):
                started = time.perf_counter()
                await engine.reindex(STORE_GUILD)
                ms["rebuild"].append((time.perf_counter() - started) * 1000)
            await engine.ask(STORE_GUILD, questions[0])  # the guild's settings are read once
            for question in questions:
                started = time.perf_counter()
                await engine.ask(STORE_GUILD, question)
                ms["ask"].append((time.perf_counter() - started) * 1000)
            rng = random.Random(5)
            for number in range(rounds):
                picked = [corpus[rng.randrange(len(corpus))] for _ in range(ARTICLE_SIZE)]
                paragraphs = tuple(f"{text} (round {number})" for text in picked)
                draft = ArticleDraft(f"Round {number}", paragraphs, fingerprint(paragraphs))
                started = time.perf_counter()
                added = await engine.ingest_draft(STORE_GUILD, draft)
                ms["ingest"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                await engine.remove_article(STORE_GUILD, added.article.id)
                ms["remove"].append((time.perf_counter() - started) * 1000)
        finally:
            await engine.purge(STORE_GUILD)
    return StoreResult(f"{location.kind} ({location})", len(corpus), fill_s, ms)


def run_stores(
    urls: list[str | None],
    corpus: list[str],
    questions: list[str],
    *,
    rounds: int = STORE_ROUNDS,
    rebuilds: int = STORE_REBUILDS,
) -> list[StoreResult]:
    """``measure_store`` for each store, one after the other; prints their table."""
    print(f"\n== stores: {len(corpus):,} paragraphs in one guild", flush=True)
    results = []
    for url in urls:
        with tempfile.TemporaryDirectory() as tmp:
            target = url or Path(tmp) / "stores.sqlite3"
            measured = measure_store(target, corpus, questions, rounds=rounds, rebuilds=rebuilds)
            results.append(asyncio.run(measured))
    print(stores_table(results), flush=True)
    return results


def stores_table(results: list[StoreResult]) -> str:
    """A Markdown table: each store's operations, median and 95th percentile."""
    lines = [
        "| store | operation | runs | median ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        for operation, label in STORE_OPERATIONS.items():
            runs = result.ms[operation]
            lines.append(
                f"| {result.store} | {label} | {len(runs)} | "
                f"{statistics.median(runs):.2f} | {percentile(runs, 0.95):.2f} |"
            )
    return "\n".join(lines)


def stores_markdown(results: list[StoreResult]) -> str:
    if not results:
        return ""
    filled = "; ".join(f"{r.store} in {r.fill_s:.1f} s" for r in results)
    return "\n".join(
        [
            f"### The engine over each store, {results[0].paragraphs:,} paragraphs in one guild",
            "",
            stores_table(results),
            "",
            f"Filled through the engine, article by article: {filled}.",
            "",
        ]
    )


# -- the run ------------------------------------------------------------------------------


@dataclass
class SizeResult:
    size: int
    rows: list[dict]
    exact: tuple[int, int] | None
    skipped: list[str]


def run_size(
    size: int, paragraphs: list[str], questions: list[str], args: argparse.Namespace
) -> SizeResult:
    params = BM25Params()
    print(f"\n== {size:,} paragraphs", flush=True)
    corpus = build_corpus(paragraphs, size)
    started = time.perf_counter()
    tokens = [analyse(text) for text in corpus]
    print(f"analysed in {time.perf_counter() - started:.1f} s", flush=True)
    asked = questions[: args.questions]
    question_terms = [analyse(q) for q in asked]

    index, built = ours(tokens, params)
    libraries = [
        Library(
            "this index",
            lambda q: [h.paragraph_id for h in index.search(q, TOP_K)],
            built,
            "exact BM25Okapi, incremental",
        )
    ]
    peers, skipped = make_peers(tokens, params, set(args.peers.split(",")), args.max_rank_bm25)
    libraries += peers
    for library in libraries:
        print(f"{library.name}: built in {library.build_seconds:.1f} s", flush=True)

    for text in asked:
        for library in libraries:
            started = time.perf_counter()
            library.search(analyse(text))  # the analyser is part of the question's cost
            library.query_ms.append((time.perf_counter() - started) * 1000)

    exact = check_exact(index, tokens, question_terms, params) if size <= 20_000 else None
    add_ms, remove_ms = time_changes(index, tokens)
    memory = None if args.no_memory else memory_of_index(tokens, params)
    cold: dict[str, float] | None = None
    if not args.no_cold_start:
        with tempfile.TemporaryDirectory() as tmp:
            cold = cold_start(corpus, asked[0], Path(tmp))

    lag = None
    if not args.no_cold_start:
        with tempfile.TemporaryDirectory() as tmp:
            lag = asyncio.run(loop_lag(corpus, Path(tmp)))
        print(f"event loop: longest wait {lag:.1f} ms while 200 articles were ingested")

    ours_median = statistics.median(libraries[0].query_ms)
    rows = []
    for library in libraries:
        median = statistics.median(library.query_ms)
        row = {
            "library": library.name,
            "build_s": library.build_seconds,
            "median_ms": median,
            "p95_ms": percentile(library.query_ms, 0.95),
            "ratio": median / ours_median,
            "note": library.note,
        }
        if library is libraries[0]:
            row.update(add_ms=add_ms, remove_ms=remove_ms, peak_mib=memory, cold=cold, lag_ms=lag)
        rows.append(row)
        print(f"{library.name}: median {median:.3f} ms, p95 {row['p95_ms']:.3f} ms", flush=True)
    if exact:
        print(f"top 10 equal to BM25Okapi's for {exact[0]} of {exact[1]} questions", flush=True)
    print(f"add an article {add_ms:.2f} ms, remove {remove_ms:.2f} ms", flush=True)
    if memory is not None:
        print(f"peak memory holding the index: {memory:.0f} MiB", flush=True)
    if cold is not None:
        print(restart_text(cold), flush=True)
    return SizeResult(size, rows, exact, skipped)


def restart_text(cold: dict[str, float]) -> str:
    return (
        f"a new process's start to its first answer: {cold['snapshot_s']:.2f} s from the "
        f"snapshot (peak memory of the whole process {cold['snapshot_mib']:.0f} MiB), "
        f"{cold['store_s']:.2f} s building from the store ({cold['store_mib']:.0f} MiB)"
    )


def markdown(results: list[SizeResult], machine: str) -> str:
    lines = [f"Measured on {machine}.", ""]
    for result in results:
        lines += [
            f"### {result.size:,} paragraphs",
            "",
            "| library | build s | query median ms | p95 ms | × this index | note |",
            "|---|---|---|---|---|---|",
        ]
        for row in result.rows:
            lines.append(
                f"| {row['library']} | {row['build_s']:.1f} | {row['median_ms']:.3f} | "
                f"{row['p95_ms']:.3f} | {row['ratio']:.1f} | {row['note']} |"
            )
        ours_row = result.rows[0]
        extra = [
            f"add an article: {ours_row['add_ms']:.2f} ms",
            f"remove one: {ours_row['remove_ms']:.2f} ms",
        ]
        if ours_row.get("peak_mib") is not None:
            extra.append(f"peak memory holding the index: {ours_row['peak_mib']:.0f} MiB")
        if ours_row.get("cold") is not None:
            extra.append(restart_text(ours_row["cold"]))
        if ours_row.get("lag_ms") is not None:
            extra.append(f"longest event-loop wait while ingesting: {ours_row['lag_ms']:.1f} ms")
        if result.exact:
            extra.append(f"top 10 equal to BM25Okapi's: {result.exact[0]}/{result.exact[1]}")
        lines += ["", "This index: " + "; ".join(extra) + "."]
        lines += [f"- {note}" for note in result.skipped]
        lines.append("")
    return "\n".join(lines)


def plot(results: list[SizeResult], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = {row["library"] for r in results for row in r.rows}
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name in sorted(names):
        points = [
            (r.size, row["median_ms"]) for r in results for row in r.rows if row["library"] == name
        ]
        axes.plot(*zip(*points, strict=True), marker="o", label=name)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("paragraphs")
    axes.set_ylabel("query median, ms (top 5, analyser included)")
    axes.legend()
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m index.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10k paragraphs, 50 questions")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--peers", default="rank-bm25,bm25s,bm25s-numba,tantivy,fts5")
    parser.add_argument("--max-rank-bm25", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument(
        "--store",
        action="append",
        metavar="URL",
        help="an empty store to measure the engine over (repeat it, or separate with commas; "
        "'sqlite', the default, is a new SQLite file in a temporary folder)",
    )
    parser.add_argument(
        "--store-paragraphs",
        type=int,
        help="paragraphs in the stores' guild (default 100000; 10000 with --quick)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--only-stores", action="store_true", help="only the store section")
    which.add_argument("--no-stores", action="store_true", help="leave the store section out")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.questions = "10000", min(args.questions, 50)
    if args.store_paragraphs is None:
        args.store_paragraphs = 10_000 if args.quick else 100_000
    if not (args.data / "squad-train-subset").is_dir():
        parser.error(f"no benchmark data in {args.data} (pass --data)")
    paragraphs, questions = load_sources(args.data)
    random.Random(11).shuffle(questions)
    results = []
    if not args.only_stores:
        results = [run_size(int(s), paragraphs, questions, args) for s in args.sizes.split(",")]
    stores: list[StoreResult] = []
    if not args.no_stores:
        corpus = build_corpus(paragraphs, args.store_paragraphs)
        try:
            stores = run_stores(store_urls(args.store), corpus, questions[: args.questions])
        except StoreError as error:
            print(f"the store section could not run: {error}", file=sys.stderr)
            return 1
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}"
    args.out.mkdir(parents=True, exist_ok=True)
    # A part of the benchmark is written apart, not over the full run's results.
    name = "quick" if args.quick else "stores" if args.only_stores else "latest"
    report = markdown(results, machine) + stores_markdown(stores)
    (args.out / f"{name}.md").write_text(report, encoding="utf-8")
    drew = bool(results) and plot(results, args.out / f"{name}.png")
    print(f"\nwrote {args.out / (name + '.md')}" + (" and the plot" if drew else ""))
    failed = any(r.exact and r.exact[0] != r.exact[1] for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
