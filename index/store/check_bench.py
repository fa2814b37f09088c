"""What checking a database at open costs, by size: ``python -m index.store.check_bench``.

Builds a database of the given numbers of paragraphs through the store (articles of 20
paragraphs of 30-110 words drawn from the seed article, in three guilds), then times each
check the store makes before serving a file, and a whole ``SQLiteStore.open``. Numbers
depend on the disk and on whether the file is in the page cache: each is timed twice,
the first time right after the file was written (so mostly from the cache).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.store.sqlite import SQLiteStore
from index.store.sqlite_check import ROWS_CHECKED_AT_OPEN, row_problems

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_8213f59f8dbc5da2.txt"


async def build(path: Path, paragraphs: int) -> None:
    """A database of ``paragraphs`` paragraphs, written through the store."""
    words = SEED.read_text(encoding="utf-8").split()
    chooser = random.Random(7)
    store = SQLiteStore(path)
    await store.open()
    try:
        # The benchmark's own file: a power cut while building it loses nothing of value.
        await store._writer.execute("PRAGMA synchronous = OFF")
        for number in range(-(-paragraphs // 20)):
            texts = tuple(
                " ".join(chooser.choice(words) for _ in range(chooser.randint(30, 110)))
                + f" ({number}.{position})"
                for position in range(20)
            )
            link = f"https://example.com/news/{number}"
            draft = ArticleDraft(
                f"Article {number}: {' '.join(chooser.sample(words, 6))}",
                texts,
                fingerprint(texts),
                source_url=link,
                canonical_url=link,
            )
            await store.add_article(1 + number % 3, draft, Provenance(poster_name="bench"))
    finally:
        await store.close()


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_pragma(path: Path, pragma: str) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute(f"PRAGMA {pragma}").fetchall()


def check_rows(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        if problems := row_problems(connection):
            raise SystemExit(f"the benchmark's database is damaged: {problems}")


async def open_store(path: Path) -> None:
    store = SQLiteStore(path, create=False)
    await store.open()
    await store.close()


def measure(path: Path, paragraphs: int) -> None:
    size = path.stat().st_size / 1e6
    for attempt in (1, 2):
        results = {
            "quick_check": timed(lambda: run_pragma(path, "quick_check")),
            "integrity_check": timed(lambda: run_pragma(path, "integrity_check")),
            "row checksums": timed(lambda: check_rows(path)),
            "open": timed(lambda: asyncio.run(open_store(path))),
        }
        shown = "  ".join(f"{name} {seconds:.2f} s" for name, seconds in results.items())
        print(f"{paragraphs:>9,} paragraphs  {size:7.1f} MB  run {attempt}:  {shown}", flush=True)
    rows = "with" if path.stat().st_size <= ROWS_CHECKED_AT_OPEN else "without"
    print(f"(open: every check, {rows} the row checksums, and the connections)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "sizes", nargs="*", type=int, default=[10_000, 100_000], help="paragraphs per database"
    )
    parser.add_argument(
        "--folder", type=Path, help="where to build them (default: a temporary one)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        for paragraphs in args.sizes:
            path = Path(folder) / f"bench-{paragraphs}.sqlite3"
            started = time.perf_counter()
            asyncio.run(build(path, paragraphs))
            seconds = time.perf_counter() - started
            print(f"built {paragraphs:,} paragraphs in {seconds:.0f} s", flush=True)
            measure(path, paragraphs)
            path.unlink()


if __name__ == "__main__":
    main()
