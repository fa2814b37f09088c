"""A process that builds one library from a file of analysed paragraphs and holds it, so
its memory can be read without the benchmark's own (the corpus, the other libraries).

    python -m index.bench.holder LIBRARY TOKEN_FILE QUESTION K1 B EPSILON

``LIBRARY`` is ``this index`` or a key of ``index.bench.peers.PEERS``; the file holds one
paragraph a line, its terms separated by spaces. The library is built the way the
benchmark builds it (this index and tantivy from the file a line at a time; bm25s needs
every paragraph at once, so it is given the list, which is let go once it is built),
answers ``QUESTION`` once (compiled code is then part of what it holds), and the process
prints one line of JSON, in MiB: ``imports`` (resident after importing the library and
this package), ``peak`` (the process's highest resident size) and ``held`` (resident at
the end, holding the library).
"""

from __future__ import annotations

import gc
import json
import re
import sys
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

from index.bench.peers import PEERS, THIS_INDEX, build_this_index, this_index_library
from index.search.analyzer import analyse
from index.search.bm25 import BM25Params


def status_mib(field: str) -> float:
    """A field of /proc/self/status in MiB (VmHWM, not ru_maxrss: the latter carries the
    parent's peak over fork and exec)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", status).group(1)) / 1024


def read_tokens(path: str) -> Iterator[list[str]]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            yield [sys.intern(term) for term in line.split()]


def main(argv: list[str]) -> int:
    library, token_file, question, k1, b, epsilon = argv
    params = BM25Params(float(k1), float(b), float(epsilon))
    if library != THIS_INDEX:
        for module in PEERS[library].modules:
            import_module(module)
    imports = status_mib("VmRSS")
    if library == THIS_INDEX:
        index = build_this_index(read_tokens(token_file), params)
        built = this_index_library(index, 0.0, params)
    else:
        built = PEERS[library].build(read_tokens(token_file), params)
    gc.collect()
    built.search(analyse(question))
    held = status_mib("VmRSS")
    # Read after what is held: the peak is never below it (reading the status file may
    # itself take a page more).
    peak = status_mib("VmHWM")
    print(json.dumps({"imports": imports, "peak": peak, "held": held}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
