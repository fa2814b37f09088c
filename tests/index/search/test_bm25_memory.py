"""``BM25Index.memory_bytes`` against what Python's allocator measures (tracemalloc) for an
index built in the measured window: the estimate must be within ``TOLERANCE`` of it."""

from __future__ import annotations

import gc
import io
import random
import tracemalloc
from collections.abc import Callable

import pytest

from index.search.bm25 import BM25Index, BM25Params, read_index, write_index
from index.search.bm25_kernels import compile_kernels

TOLERANCE = 0.25
"""The estimate may be off by this part of the measured bytes, either way."""
QUESTION = ["w1", "w7", "w42", "name3"]


def news_like_text(rng: random.Random, paragraphs: int) -> list[list[str]]:
    """Paragraphs of made-up terms: common words from a long-tailed vocabulary and rarer
    names, as newly made strings (none shared with anything made before)."""
    texts = []
    for _ in range(paragraphs):
        words = [f"w{int(5000 ** rng.random())}" for _ in range(rng.randint(20, 80))]
        words += [f"name{rng.randrange(paragraphs)}" for _ in range(rng.randint(0, 3))]
        texts.append(words)
    return texts


def built(paragraphs: int) -> BM25Index:
    """An index of ``paragraphs`` in 20-paragraph articles, having answered a question."""
    rng = random.Random(paragraphs)
    index = BM25Index(BM25Params())
    texts = news_like_text(rng, paragraphs)
    for first in range(0, paragraphs, 20):
        index.add_article(first, [(first + i, texts[first + i]) for i in range(20)])
    index.search(QUESTION, 5)
    return index


def measured(make: Callable[[], BM25Index]) -> tuple[BM25Index, int]:
    """The index ``make`` returns and the bytes allocated for it and not freed since."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = make()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return index, after - before


@pytest.fixture(scope="module", autouse=True)
def kernels_ready() -> None:
    """Compiled (or read from numba's cache) before anything is measured."""
    compile_kernels()
    built(20)


@pytest.mark.parametrize("paragraphs", [0, 200, 6000])
def test_the_estimate_of_a_built_index_is_within_the_tolerance(paragraphs):
    index, allocated = measured(lambda: built(paragraphs))
    assert index.paragraph_count == paragraphs
    estimate = index.memory_bytes()
    assert abs(estimate - allocated) <= TOLERANCE * allocated, (estimate, allocated)


def test_the_estimate_of_an_index_read_from_a_snapshot_is_within_the_tolerance():
    written = io.BytesIO()
    write_index(built(6000), written)
    data = written.getvalue()

    def read() -> BM25Index:
        index = read_index(io.BytesIO(data), BM25Params())
        index.search(QUESTION, 5)
        return index

    index, allocated = measured(read)
    estimate = index.memory_bytes()
    assert abs(estimate - allocated) <= TOLERANCE * allocated, (estimate, allocated)


def test_the_estimate_grows_with_the_index_and_falls_with_a_compaction():
    index = built(4000)
    before = index.memory_bytes()
    index.add_article(10**6, [(10**6 + i, [f"new{i}", "w1"] * 30) for i in range(400)])
    grown = index.memory_bytes()
    assert grown > before
    texts = news_like_text(random.Random(4000), 4000)  # the same text again, to remove it
    for first in range(0, 4000, 20):
        index.remove_article(first, [(first + i, texts[first + i]) for i in range(20)])
    assert index.paragraph_count == 400 and index.slot_count < 1000  # compacted
    assert index.memory_bytes() < grown / 2
