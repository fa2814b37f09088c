"""This index's other costs: the timed changes leave the index as it was, and the memory
of a process holding one library is read from a child process, failures in plain words."""

from __future__ import annotations

import subprocess

import pytest

from index.bench.corpus import ARTICLE_SIZE
from index.bench.index_costs import (
    change_sample,
    held_memory,
    holder_failure,
    time_changes,
    write_token_file,
)
from index.bench.peers import THIS_INDEX, build_this_index
from index.search.bm25 import BM25Params

TOKENS = [[f"word{i % 7}", f"name{i}", "common"] for i in range(100)]


def test_changes_are_timed_on_sampled_articles_and_undone():
    sample = change_sample(TOKENS, rounds=4)
    assert len(sample) == 4 and all(len(article) == ARTICLE_SIZE for article in sample)
    assert change_sample(TOKENS, rounds=4) == sample  # seeded
    index = build_this_index(TOKENS, BM25Params())
    before = (index.paragraph_count, index.article_count, index.search(["common"], 5))
    time_changes(index, sample, first_id=10_000)
    assert (index.paragraph_count, index.article_count, index.search(["common"], 5)) == before


@pytest.mark.parametrize("library", [THIS_INDEX, "tantivy"])
def test_a_process_holding_one_library_reports_its_memory(tmp_path, library):
    if library == "tantivy":
        pytest.importorskip("tantivy")
    terms = write_token_file(TOKENS, tmp_path / "terms")
    assert terms.read_text().splitlines()[3] == "word3 name3 common"
    result = held_memory(library, "its name", terms, "Where is word3?", BM25Params())
    assert result.library == "its name" and result.problem == ""
    assert result.peak_mib >= result.held_mib > 0 and result.imports_mib > 0


def test_a_failed_memory_process_is_told_in_plain_words(tmp_path):
    result = held_memory("no such library", "nothing", tmp_path / "missing", "q", BM25Params())
    assert result.held_mib is None and result.problem == "could not measure: the process failed"
    killed = subprocess.CalledProcessError(-9, ["python"], "", "")
    assert "for want of memory" in holder_failure(killed)
    out_of_memory = subprocess.CalledProcessError(1, ["python"], "", "...\nMemoryError\n")
    assert holder_failure(out_of_memory) == "it ran out of memory"
