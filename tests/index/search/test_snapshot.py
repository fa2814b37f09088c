from __future__ import annotations

import io
import signal
import struct
import subprocess
import sys
import zlib
from array import array
from pathlib import Path

import pytest

from index import Engine, EngineConfig
from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.search.bm25 import BM25Index, BM25Params, read_index, write_index
from index.search.snapshot import (
    LOCK_NAME,
    load_snapshot,
    remove_leftovers,
    save_snapshot,
    snapshot_path,
)
from index.store import SQLiteStore
from tests.conftest import PROJECT, SEED
from tests.support.engines import open_engine

try:
    import fcntl
except ImportError:
    fcntl = None  # type: ignore[assignment]
from tests.index.test_engine import ARTICLE_B

GUILD = 5
QUESTION = "harbour storm boats Maduro strikes"


def ranked(hits):
    return [(h.paragraph_id, h.score) for h in hits]


def round_trip(index: BM25Index) -> BM25Index:
    buffer = io.BytesIO()
    write_index(index, buffer)
    buffer.seek(0)
    return read_index(buffer, index.params)


def paragraphs_of(article: int) -> list[tuple[int, list[str]]]:
    return [(article * 10 + i, [f"w{(article + i * 7) % 23}", "x"] * (i + 1)) for i in range(5)]


def test_file_round_trip_keeps_scores_and_changes_working():
    index = BM25Index()
    for article in range(30):
        index.add_article(article, paragraphs_of(article))
    index.add_article(500, [(5000, ["long"] * 70_000)])  # beyond what a posting packs
    index.add_article(501, [])
    for article in (3, 17):
        index.remove_article(article, paragraphs_of(article))
    loaded = round_trip(index)
    assert loaded.signature() == index.signature()
    assert (loaded.paragraph_count, loaded.article_count) == (141, 30)
    for query in (["w1", "x"], ["w5"], ["x"], ["w22", "w0", "w4"], ["long", "x"]):
        assert loaded.scores(query) == index.scores(query)
        assert ranked(loaded.search(query, 7)) == ranked(index.search(query, 7))
    loaded.add_article(99, [(990, ["w1", "new"])])
    loaded.remove_article(4, paragraphs_of(4))
    loaded.remove_article(500, [(5000, ["long"] * 70_000)])
    assert 501 in loaded
    assert loaded.search(["new"], 1)[0].paragraph_id == 990
    assert loaded.search(["long"], 1) == []


@pytest.mark.parametrize("where", ["sizes", "terms", "postings", "slots", "spans", "checksum"])
def test_damaged_index_files_are_refused(where):
    index = BM25Index()
    for article in range(5):
        index.add_article(article, paragraphs_of(article))
    buffer = io.BytesIO()
    write_index(index, buffer)
    data = bytearray(buffer.getvalue())
    at = {
        "sizes": 9,
        "terms": 56,
        "postings": len(data) // 3,
        "slots": len(data) - 400,
        "spans": len(data) - 20,
        "checksum": len(data) - 2,
    }[where]
    data[at] ^= 0x5A
    with pytest.raises(ValueError):
        read_index(io.BytesIO(bytes(data)), BM25Params())
    for cut in (0, 10, len(data) // 2, len(data) - 1):
        with pytest.raises(ValueError):
            read_index(io.BytesIO(bytes(buffer.getvalue()[:cut])), BM25Params())


async def fill(engine: Engine) -> None:
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    await engine.ingest_text(GUILD, ARTICLE_B)


async def test_a_restart_loads_the_snapshot_instead_of_reanalysing(tmp_path, monkeypatch):
    path = tmp_path / "bot.sqlite3"
    async with await open_engine(path) as engine:
        await fill(engine)
        before = ranked(await engine.rank(GUILD, QUESTION, k=20))
    assert snapshot_path(tmp_path / "bot.sqlite3.index", GUILD).exists()

    def no_rebuild(guild_id):
        raise AssertionError("rebuilt from the store although the snapshot is current")

    async with await open_engine(path) as engine:
        monkeypatch.setattr(engine.store, "iter_paragraphs", no_rebuild)
        assert ranked(await engine.rank(GUILD, QUESTION, k=20)) == before


@pytest.mark.parametrize("problem", ["stale", "damaged", "truncated", "settings", "crash"])
async def test_a_snapshot_that_cannot_be_trusted_is_never_served(tmp_path, problem):
    path = tmp_path / "bot.sqlite3"
    async with await open_engine(path) as engine:
        await fill(engine)
    snapshot = snapshot_path(tmp_path / "bot.sqlite3.index", GUILD)
    config = None
    if problem == "stale":  # another writer changed the store after the snapshot
        store = SQLiteStore(path)
        await store.open()
        paragraphs = ("The harbour storm boats came back to Maduro's strikes today.",)
        await store.add_article(
            GUILD, ArticleDraft("Late news", paragraphs, fingerprint(paragraphs)), Provenance()
        )
        await store.close()
    elif problem == "damaged":
        data = bytearray(snapshot.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
        snapshot.write_bytes(bytes(data))
    elif problem == "truncated":
        snapshot.write_bytes(snapshot.read_bytes()[:200])
    elif problem == "settings":
        config = EngineConfig(title_in_paragraphs=False)
    elif problem == "crash":  # changed after the snapshot, and never closed cleanly
        engine = await open_engine(path)
        paragraphs = ("The harbour storm boats came back to Maduro's strikes today.",)
        await engine.ingest_draft(
            GUILD, ArticleDraft("Late news", paragraphs, fingerprint(paragraphs))
        )
        await engine.store.close()

    async with await open_engine(path, config) as engine:
        served = ranked(await engine.rank(GUILD, QUESTION, k=20))
        await engine.reindex(GUILD)  # built from the store alone
        assert served == ranked(await engine.rank(GUILD, QUESTION, k=20))


class IndexFile:
    """An index file as ``write_index`` lays it out (see the comment above it in ``bm25``),
    to be changed in place and given a checksum that matches again: a file that was
    written wrong, not damaged on the way."""

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        _order, n_terms, n_slots, n_overflow, n_articles, _pairs = struct.unpack_from("<6q", data)
        at = 48
        (terms_size,) = struct.unpack_from("<q", data, at)
        at += 8
        text = data[at : at + terms_size].decode("utf-8", "surrogatepass")
        at += terms_size
        lengths = self._read("q", at, n_terms)
        at += 8 * n_terms
        counts = self._read("q", at, n_terms)
        at += 8 * n_terms
        self.postings: dict[str, int] = {}
        start = 0
        for length, count in zip(lengths, counts, strict=True):
            self.postings[text[start : start + length]] = at
            start += length
            at += 8 * count
        at += 4 * n_slots  # paragraph lengths
        self.paragraph_ids = at
        at += 8 * n_slots + 8 * n_slots + 8 * n_overflow  # ids, articles, overflow pairs
        self.spans = at
        self.n_articles = n_articles

    def _read(self, typecode: str, at: int, count: int) -> array:
        values = array(typecode)
        values.frombytes(bytes(self.data[at : at + count * values.itemsize]))
        return values

    def change(self, typecode: str, at: int, count: int, change) -> None:
        """Apply ``change`` to the ``count`` numbers of type ``typecode`` at ``at``."""
        values = self._read(typecode, at, count)
        change(values)
        self.data[at : at + count * values.itemsize] = values.tobytes()

    def sealed(self) -> bytes:
        body = bytes(self.data[:-4])
        return body + struct.pack("<I", zlib.crc32(body))


def _break_order(file: IndexFile) -> None:
    def swap(pairs):
        pairs[0], pairs[2] = pairs[2], pairs[0]

    file.change("i", file.postings["x"], 4, swap)


def _break_length(file: IndexFile) -> None:
    file.change("i", file.postings["x"], 2, lambda pair: pair.__setitem__(1, pair[1] + 1))


def _break_span(file: IndexFile) -> None:
    def longer(spans):
        (second,) = [n for n in range(0, len(spans), 3) if spans[n] == 2]
        spans[second + 2] = 4

    file.change("q", file.spans, 3 * file.n_articles, longer)


def _break_ids(file: IndexFile) -> None:
    file.change("q", file.paragraph_ids, 5, lambda ids: ids.__setitem__(3, ids[4]))


def _break_dead_slot(file: IndexFile) -> None:
    file.change("i", file.postings["x"], 2, lambda pair: pair.__setitem__(1, -1))


@pytest.mark.parametrize(
    "damage", [_break_order, _break_length, _break_span, _break_ids, _break_dead_slot]
)
def test_files_of_an_inconsistent_index_are_refused(damage):
    """The checksum catches damage on disk; these catch a file that was written wrong."""
    index = BM25Index()
    for article in range(5):
        index.add_article(article, paragraphs_of(article))
    buffer = io.BytesIO()
    write_index(index, buffer)
    file = IndexFile(buffer.getvalue())
    assert read_index(io.BytesIO(file.sealed()), BM25Params()).signature() == index.signature()
    damage(file)
    with pytest.raises(ValueError):
        read_index(io.BytesIO(file.sealed()), BM25Params())


def test_any_string_is_a_term_in_the_file():
    index = BM25Index()
    odd = ["line\nbreak", "", "tab\tand space", "\ud800lone", "ünï", "x"]
    index.add_article(1, [(1, odd), (2, ["x", "line\nbreak"])])
    loaded = round_trip(index)
    for term in odd:
        assert loaded.idf(term) == index.idf(term)
        assert ranked(loaded.search([term], 2)) == ranked(index.search([term], 2))


def test_ids_beyond_64_bits_are_refused_before_anything_changes():
    index = BM25Index()
    index.add_article(1, [(1, ["a"])])
    with pytest.raises(ValueError):
        index.add_article(2, [(2, ["a"]), (2**63, ["b"])])
    assert 2 not in index and index.paragraph_count == 1 and index.idf("b") == 0.0


def _killed_while_writing(directory: Path) -> Path:
    """Run a process that is killed (SIGKILL) in the middle of writing a snapshot;
    returns the temporary file it left behind."""
    script = f"""
import os, signal
from pathlib import Path
from index.search import snapshot
from index.search.bm25 import BM25Index

def killed_halfway(index, handle):
    handle.write(b"x" * 100_000)
    handle.flush()
    os.kill(os.getpid(), signal.SIGKILL)

snapshot.write_index = killed_halfway
index = BM25Index()
index.add_article(1, [(1, ["a"])])
snapshot.save_snapshot(snapshot.snapshot_path(Path({str(directory)!r}), 5), index, {{}})
"""
    before = set(directory.iterdir()) if directory.exists() else set()
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, capture_output=True, check=False
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    (leftover,) = set(directory.iterdir()) - before - {directory / LOCK_NAME}
    return leftover


def test_leftovers_of_killed_writes_are_removed_and_nothing_else(tmp_path):
    folder = tmp_path / "bot.sqlite3.index"
    index = BM25Index()
    index.add_article(1, paragraphs_of(1))
    real = snapshot_path(folder, 5)
    save_snapshot(real, index, {})
    leftover = _killed_while_writing(folder)
    assert leftover.stat().st_size >= 100_000
    older_form = folder / "guild-12.indexa1b2_c3d.tmp"  # tempfile.mkstemp's naming
    older_form.write_bytes(b"half")
    unrelated = [
        folder / name
        for name in (
            "guild-5.index.tmp",
            "guild-5.index.bak",
            "notes.tmp",
            "guild-x.index.0123456789abcdef.tmp",
            "guild-5.index.0123456789abcdef.tmp.keep",
            "other-5.index.0123456789abcdef.tmp",
        )
    ]
    for path in unrelated:
        path.write_bytes(b"keep me")
    (folder / "guild-6.index.0123456789abcdef.tmp").mkdir()  # a folder is never removed

    assert sorted(remove_leftovers(folder)) == sorted([leftover, older_form])
    assert not leftover.exists() and not older_form.exists()
    assert all(path.read_bytes() == b"keep me" for path in unrelated)
    assert (folder / "guild-6.index.0123456789abcdef.tmp").is_dir()
    loaded = load_snapshot(real, index.params, {}, index.signature())
    assert loaded is not None and loaded.signature() == index.signature()
    assert remove_leftovers(folder) == []
    assert remove_leftovers(tmp_path / "missing.index") == []


@pytest.mark.skipif(fcntl is None, reason="advisory file locks are not available here")
def test_nothing_is_removed_while_another_process_writes_a_snapshot(tmp_path):
    folder = tmp_path / "bot.sqlite3.index"
    leftover = _killed_while_writing(folder)
    with (folder / LOCK_NAME).open("rb") as lock:  # held the way a writer holds it
        fcntl.flock(lock, fcntl.LOCK_SH)
        assert remove_leftovers(folder) == []
        assert leftover.exists()
    assert remove_leftovers(folder) == [leftover]


def test_a_saved_snapshot_leaves_no_temporary_file(tmp_path):
    folder = tmp_path / "bot.sqlite3.index"
    index = BM25Index()
    index.add_article(1, paragraphs_of(1))
    save_snapshot(snapshot_path(folder, 5), index, {})
    save_snapshot(snapshot_path(folder, 5), index, {})
    assert sorted(p.name for p in folder.iterdir()) == ["guild-5.index", LOCK_NAME]


async def test_opening_the_engine_removes_what_killed_snapshot_writes_left(tmp_path):
    database = tmp_path / "bot.sqlite3"
    folder = tmp_path / "bot.sqlite3.index"
    folder.mkdir()
    leftover = folder / "guild-5.index.0123456789abcdef.tmp"
    leftover.write_bytes(b"half a snapshot")
    kept = folder / "notes.txt"
    kept.write_text("not ours")
    async with await open_engine(database):
        assert not leftover.exists() and kept.exists()
