"""The peers: built over the same terms, each answers with paragraph numbers; one that
is missing, too slow for the size, or fails to build is reported in plain words."""

from __future__ import annotations

import pytest

from index.bench import peers
from index.bench.peers import (
    PEERS,
    THIS_INDEX,
    Peer,
    build_this_index,
    make_peers,
    this_index_library,
)
from index.search.bm25 import BM25Params

TOKENS = [
    ["harbour", "reopen", "tuesday"],
    ["volcano", "erupt", "dawn", "ash"],
    ["council", "vote", "budget", "school"],
    ["ash", "cover", "valley", "farmer"],
    ["boat", "return", "dock"],
    ["crane", "move", "grain", "dock"],
]


def test_this_index_answers_with_paragraph_numbers():
    index = build_this_index(iter(TOKENS), BM25Params())
    library = this_index_library(index, 0.0, BM25Params())
    assert library.name == THIS_INDEX and "search(terms, 5)" in library.calls
    assert library.search(["volcano", "ash"])[0] == 1
    assert set(library.search(["ash"])) == {1, 3}


@pytest.mark.parametrize("key", ["rank-bm25", "bm25s", "bm25s-numba", "tantivy", "fts5"])
def test_each_peer_answers_with_paragraph_numbers(key):
    for module in PEERS[key].modules:
        pytest.importorskip(module)
    library = PEERS[key].build(iter(TOKENS), BM25Params())
    assert library.calls and library.note
    assert library.search(["council", "budget"])[0] == 2
    assert library.search(["grain", "crane"])[0] == 5
    assert library.search([]) == []  # no terms, no answer


def test_tantivy_is_named_for_its_python_binding_and_reads_no_stored_document():
    pytest.importorskip("tantivy")
    library = PEERS["tantivy"].build(TOKENS, BM25Params())
    assert library.name == "tantivy (via Python)"
    assert "count=False" in library.calls and "fast_field_values" in library.calls
    assert "block-max" in library.note


def test_bm25s_is_asked_with_its_defaults():
    pytest.importorskip("bm25s")
    library = PEERS["bm25s"].build(TOKENS, BM25Params())
    assert "n_threads=0, backend_selection='auto'" in library.calls
    assert library.name in ("bm25s (numpy, jax top-k)", "bm25s (numpy)")


def test_a_peer_that_cannot_run_is_reported_in_plain_words(monkeypatch):
    def out_of_memory(tokens, params):
        raise MemoryError

    def broken(tokens, params):
        raise RuntimeError("the writer refused the document\nTraceback (most recent call last)")

    monkeypatch.setitem(PEERS, "fts5", Peer("fts5", ("sqlite3",), out_of_memory, fast=False))
    monkeypatch.setitem(PEERS, "tantivy", Peer("tantivy", ("sqlite3",), broken, fast=True))
    monkeypatch.setitem(
        PEERS, "bm25s-numba", Peer("bm25s-numba", ("no_such_module_here",), broken, fast=True)
    )
    built, skipped = make_peers(
        TOKENS,
        BM25Params(),
        ["fts5", "tantivy", "bm25s-numba", "rank-bm25"],
        max_rank_bm25=5,
        max_peer_size_slow=1_000,
        progress=lambda line: None,
    )
    assert built == []
    assert skipped == [
        "SQLite FTS5: could not build: ran out of memory",
        "tantivy (via Python): could not build: the writer refused the document",
        "bm25s (numba): not installed",
        "rank-bm25: not run above 5 paragraphs (too slow)",
    ]


def test_only_the_fast_peers_run_above_the_slow_peers_size(monkeypatch):
    built_keys: list[str] = []

    def builder(key):
        def build(tokens, params):
            built_keys.append(key)
            return peers.Library(key, lambda terms: [], 0.0, "fake")

        return build

    for key, peer in list(PEERS.items()):
        monkeypatch.setitem(PEERS, key, Peer(key, (), builder(key), fast=peer.fast))
    _built, skipped = make_peers(
        TOKENS,
        BM25Params(),
        list(PEERS),
        max_rank_bm25=100,
        max_peer_size_slow=len(TOKENS) - 1,
        progress=lambda line: None,
    )
    assert built_keys == ["bm25s-numba", "tantivy"]
    assert f"SQLite FTS5: not run above {len(TOKENS) - 1:,} paragraphs (too slow)" in skipped
    assert len(skipped) == 3
