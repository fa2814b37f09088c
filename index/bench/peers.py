"""Each library the benchmark measures: how it is built and asked, used as its own
documentation recommends.

Every library is given the same analysed paragraphs and, for each question, the same
analysed terms (without repeats); each returns the numbers of its top ``TOP_K``
paragraphs. Each uses its defaults unless a documented option makes it faster, and each
``Library`` carries ``calls``: the exact calls and options used, which the report prints
beside the numbers so that anyone can check the peers were given a fair chance.

A peer's module is imported only when it is built, so a process building one library
(``index.bench.holder``, measuring memory) holds none of the other peers' modules. A peer
that is not installed, or fails to build, is reported in plain words and the run carries
on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import import_module

from index.bench.corpus import ARTICLE_SIZE, in_articles
from index.search.analyzer import unique_terms
from index.search.bm25 import BM25Index, BM25Params

THIS_INDEX = "this index"
TOP_K = 5
SLOW_QUESTIONS = 200
"""Questions a slow library answers per mode (rank-bm25 always is one)."""
TANTIVY_HEAP_BYTES = 2_000_000_000
"""tantivy's writer budget: a larger one writes fewer segments, and fewer segments are
faster to search (3M paragraphs fit in one or two)."""

Search = Callable[[list[str]], list[int]]


@dataclass
class Library:
    """A built library, ready for questions."""

    name: str
    search: Search
    """Analysed question terms in, the numbers of the top ``TOP_K`` paragraphs out."""
    build_seconds: float
    calls: str
    """The exact calls and options used to build and to ask it."""
    note: str = ""
    max_questions: int | None = None
    """Questions it answers per mode at most (None: all of them)."""


Builder = Callable[[Iterable[list[str]], BM25Params], Library]


@dataclass(frozen=True)
class Peer:
    """A library ``--peers`` can name."""

    key: str
    """How ``--peers`` names it."""
    modules: tuple[str, ...]
    """What must import for it to run."""
    build: Builder
    fast: bool
    """Whether it runs above ``--max-peer-size-slow`` paragraphs."""


def _params_text(params: BM25Params) -> str:
    return f"k1={params.k1}, b={params.b}"


def _as_list(tokens: Iterable[list[str]]) -> list[list[str]]:
    return tokens if isinstance(tokens, list) else list(tokens)


# -- this index ---------------------------------------------------------------------------


def build_this_index(tokens: Iterable[list[str]], params: BM25Params) -> BM25Index:
    """This index of ``tokens``, built as the engine builds it: article by article."""
    index = BM25Index(params)
    for article in in_articles(tokens):
        index.add_article(article[0][0], article)
    return index


def this_index_calls(params: BM25Params) -> str:
    return (
        f"BM25Index(BM25Params({_params_text(params)}, epsilon={params.epsilon})); "
        f"add_article(first paragraph id, [(paragraph id, terms), …]) per {ARTICLE_SIZE} "
        f"paragraphs; search(terms, {TOP_K})"
    )


def this_index_library(index: BM25Index, build_seconds: float, params: BM25Params) -> Library:
    def search(terms: list[str]) -> list[int]:
        return [hit.paragraph_id for hit in index.search(terms, TOP_K)]

    return Library(
        THIS_INDEX,
        search,
        build_seconds,
        this_index_calls(params),
        "exact BM25Okapi, incremental",
    )


# -- the peers ----------------------------------------------------------------------------


def build_rank_bm25(tokens: Iterable[list[str]], params: BM25Params) -> Library:
    import numpy as np
    from rank_bm25 import BM25Okapi

    started = time.perf_counter()
    okapi = BM25Okapi(_as_list(tokens), k1=params.k1, b=params.b, epsilon=params.epsilon)
    built = time.perf_counter() - started

    def search(terms: list[str]) -> list[int]:
        if not terms:
            return []
        scores = okapi.get_scores(unique_terms(terms))
        return np.argsort(-scores, kind="stable")[:TOP_K].tolist()

    return Library(
        "rank-bm25",
        search,
        built,
        f"BM25Okapi(tokens, {_params_text(params)}, epsilon={params.epsilon}); "
        f"get_scores(unique terms); numpy.argsort(-scores, kind='stable')[:{TOP_K}]",
        "BM25Okapi itself; a full rebuild to add",
        max_questions=SLOW_QUESTIONS,
    )


def bm25s_numpy_name() -> str:
    """bm25s's numpy backend picks its top k through jax when jax imports (its default)."""
    from bm25s.selection import JAX_IS_AVAILABLE

    return "bm25s (numpy, jax top-k)" if JAX_IS_AVAILABLE else "bm25s (numpy)"


def _build_bm25s(tokens: Iterable[list[str]], params: BM25Params, backend: str) -> Library:
    import bm25s

    corpus = _as_list(tokens)
    started = time.perf_counter()
    options = "" if backend == "numpy" else f", backend={backend!r}"
    model = bm25s.BM25(k1=params.k1, b=params.b, backend=backend)
    model.index(corpus, show_progress=False)
    built = time.perf_counter() - started

    def search(terms: list[str]) -> list[int]:
        query = unique_terms(terms)
        if not query:
            return []
        documents, _scores = model.retrieve([query], k=TOP_K, show_progress=False)
        return documents[0].tolist()

    name = bm25s_numpy_name() if backend == "numpy" else "bm25s (numba)"
    return Library(
        name,
        search,
        built,
        f"bm25s.BM25({_params_text(params)}{options}); index(tokens, show_progress=False); "
        f"retrieve([unique terms], k={TOP_K}, show_progress=False), its defaults otherwise "
        "(n_threads=0, backend_selection='auto')",
        "Lucene's BM25 (bm25s's default), not Okapi; a full rebuild to add",
    )


def build_bm25s_numpy(tokens: Iterable[list[str]], params: BM25Params) -> Library:
    return _build_bm25s(tokens, params, "numpy")


def build_bm25s_numba(tokens: Iterable[list[str]], params: BM25Params) -> Library:
    return _build_bm25s(tokens, params, "numba")


def build_tantivy(tokens: Iterable[list[str]], params: BM25Params) -> Library:
    import tantivy

    started = time.perf_counter()
    schema_builder = tantivy.SchemaBuilder()
    schema_builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    schema_builder.add_integer_field("id", stored=False, fast=True)
    schema = schema_builder.build()
    index = tantivy.Index(schema)
    writer = index.writer(heap_size=TANTIVY_HEAP_BYTES, num_threads=1)
    for number, terms in enumerate(tokens):
        writer.add_document(tantivy.Document(body=" ".join(terms), id=number))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    built = time.perf_counter() - started
    should = tantivy.Occur.Should

    def search(terms: list[str]) -> list[int]:
        query = [tantivy.Query.term_query(schema, "body", term) for term in unique_terms(terms)]
        if not query:
            return []
        combined = tantivy.Query.boolean_query([(should, term) for term in query])
        hits = searcher.search(combined, TOP_K, count=False).hits
        return searcher.fast_field_values("id", [address for _score, address in hits])

    segments = searcher.num_segments
    return Library(
        "tantivy (via Python)",
        search,
        built,
        "SchemaBuilder: add_text_field('body', stored=False, tokenizer_name='whitespace'), "
        "add_integer_field('id', stored=False, fast=True); Index(schema) in memory; "
        f"writer(heap_size={TANTIVY_HEAP_BYTES:_}, num_threads=1) (one writer thread and a "
        f"large budget write fewer segments: {segments} here); add_document(Document("
        "body=' '.join(terms), id=number)); commit(); wait_merging_threads(); reload(); "
        "searcher(). Asked: boolean_query([(Occur.Should, Query.term_query(schema, 'body', "
        f"term)) for each unique term]); searcher.search(query, {TOP_K}, count=False); "
        "searcher.fast_field_values('id', addresses) (no stored document is read)",
        "Lucene's BM25, not Okapi; the Python binding wraps its collector in a "
        "MultiCollector, so tantivy's block-max pruning is never used",
    )


def build_fts5(tokens: Iterable[list[str]], params: BM25Params) -> Library:
    import sqlite3

    started = time.perf_counter()
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE VIRTUAL TABLE p USING fts5(body)")
    db.executemany(
        "INSERT INTO p (rowid, body) VALUES (?, ?)",
        ((number, " ".join(terms)) for number, terms in enumerate(tokens)),
    )
    db.commit()
    built = time.perf_counter() - started

    def search(terms: list[str]) -> list[int]:
        query = unique_terms(terms)
        if not query:
            return []
        match = " OR ".join(f'"{term}"' for term in query)
        rows = db.execute(
            "SELECT rowid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (match, TOP_K)
        ).fetchall()
        return [row[0] for row in rows]

    return Library(
        "SQLite FTS5",
        search,
        built,
        "sqlite3.connect(':memory:'); CREATE VIRTUAL TABLE p USING fts5(body) (its default "
        "tokenizer); INSERT INTO p (rowid, body) through executemany; SELECT rowid FROM p "
        'WHERE p MATCH \'"term" OR "term" …\' (each unique term) ORDER BY bm25(p) LIMIT 5',
        "FTS5's BM25, not Okapi",
    )


PEERS = {
    peer.key: peer
    for peer in (
        Peer("rank-bm25", ("rank_bm25", "numpy"), build_rank_bm25, fast=False),
        Peer("bm25s", ("bm25s",), build_bm25s_numpy, fast=False),
        Peer("bm25s-numba", ("bm25s", "numba"), build_bm25s_numba, fast=True),
        Peer("tantivy", ("tantivy",), build_tantivy, fast=True),
        Peer("fts5", ("sqlite3",), build_fts5, fast=False),
    )
}
PEER_NAMES = {
    "rank-bm25": "rank-bm25",
    "bm25s": "bm25s (numpy)",
    "bm25s-numba": "bm25s (numba)",
    "tantivy": "tantivy (via Python)",
    "fts5": "SQLite FTS5",
}
"""What the report calls a peer it could not run."""


def installed(peer: Peer) -> bool:
    """Whether every module ``peer`` needs imports."""
    try:
        for module in peer.modules:
            import_module(module)
    except ImportError:
        return False
    return True


def failure_words(error: BaseException) -> str:
    """Why a build failed, in plain words."""
    if isinstance(error, MemoryError):
        return "ran out of memory"
    return str(error).strip().splitlines()[0] if str(error).strip() else "the library failed"


def make_peers(
    tokens: Sequence[list[str]],
    params: BM25Params,
    wanted: list[str],
    *,
    max_rank_bm25: int,
    max_peer_size_slow: int,
    progress: Callable[[str], None] = print,
) -> tuple[list[Library], list[str]]:
    """The peers ``wanted`` (keys of ``PEERS``), built over ``tokens``, and a line for each
    one that could not run."""
    peers: list[Library] = []
    skipped: list[str] = []
    size = len(tokens)
    for key in wanted:
        peer = PEERS.get(key)
        if peer is None:
            skipped.append(f"{key}: no such library (known: {', '.join(PEERS)})")
            continue
        name = PEER_NAMES[key]
        if not peer.fast and size > max_peer_size_slow:
            skipped.append(f"{name}: not run above {max_peer_size_slow:,} paragraphs (too slow)")
            continue
        if key == "rank-bm25" and size > max_rank_bm25:
            skipped.append(f"{name}: not run above {max_rank_bm25:,} paragraphs (too slow)")
            continue
        if not installed(peer):
            skipped.append(f"{name}: not installed")
            continue
        try:
            library = peer.build(tokens, params)
        except Exception as error:  # one peer failing must not end the run
            skipped.append(f"{name}: could not build: {failure_words(error)}")
            continue
        progress(f"{library.name}: built in {library.build_seconds:.1f} s")
        peers.append(library)
    return peers, skipped
