"""Speed and memory of the index against the libraries people reach for, and of the
engine over each store.

    python -m index.bench [--quick] [--sizes 10000,100000,1000000,3000000]
                          [--questions 1000] [--out bench-results] [--peer-memory]
                          [--store postgresql://…] [--store-paragraphs 100000]
                          [--only-stores | --no-stores | --guilds]

Corpora are re-mixed from real text so the vocabulary grows with them, and the questions
are real SQuAD questions (``corpus``). Every library gets the same analysed paragraphs and
questions, and is used as its documentation recommends; the report names the exact calls
(``peers``). Query time is measured in two modes, in rotation and alone (``latency``),
with the median, 95th and 99th percentiles of each. This index's other costs are
measured too: adding and removing an article, the memory of a process holding only the
index, a restart and the event loop's longest wait (``index_costs``). Results are written
as Markdown, JSON and a plot (``report``).

Peers (optional, ``pip install -e ".[bench]"``): rank-bm25, bm25s (numpy, with its top k
through jax when installed, and numba), tantivy, SQLite FTS5. A missing peer is reported as
such. Above ``--max-peer-size-slow`` paragraphs only this index, bm25s (numba) and tantivy
run. ``--quick`` runs 10k paragraphs and 50 questions, checks this index's top 10 of every
question against ``rank_bm25.BM25Okapi``, and is what CI runs.

The store section (``stores``) runs the engine over each store ``--store`` names.

``--guilds`` runs only the many-guild simulation (``guilds``): a thousand guilds of a
long tail of sizes in one SQLite store, asked with Zipf popularity by a process under
each memory budget (``--guild-budgets``); its report is ``guilds.md`` and ``guilds.json``
(``guilds-quick.*`` for the small variant, ``--guilds --quick``, under a minute).
"""
