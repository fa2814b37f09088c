"""Index snapshots: a guild's index saved beside the database, so a restart loads it
instead of re-analysing every paragraph.

The store stays the source of truth. A snapshot records the settings it was built with
and which paragraphs it holds (their number, largest id and id sum); if any of that
differs from the store's, or the file is damaged (its checksum or its structure), it is
not used and the index is rebuilt from the store. Files are written to a temporary name,
flushed, then renamed into place, so a crash leaves the old snapshot or the new one,
never half of one. Both directions stream the postings term by term, so saving or
loading a large index does not hold a second copy of it in memory.

A process killed while writing leaves its temporary file behind. ``remove_leftovers``
deletes those (and only those: they are matched by the writer's exact naming) when no
process is writing a snapshot in the folder: writers hold a shared lock on the folder's
``writing.lock`` while their temporary file exists, and the cleaner takes it exclusively.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from index.search.bm25 import BM25Index, BM25Params, read_index, write_index

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

FORMAT = 3  # 3: packed postings read and written in pieces, with a checksum
MAGIC = b"newsbot index\n"
_HEADER_SIZE = struct.Struct("<I")
LOCK_NAME = "writing.lock"
_TEMPORARY_NAME = re.compile(
    # Ours ("guild-5.index.0123456789abcdef.tmp"), and tempfile.mkstemp's from before
    # ("guild-5.indexa1b2_c3d.tmp"), which killed processes left behind too.
    r"guild-\d+\.index(?:\.[0-9a-f]{16}|[a-z0-9_]{8})\.tmp"
)


def snapshot_path(directory: Path, guild_id: int) -> Path:
    return directory / f"guild-{guild_id}.index"


def save_snapshot(path: Path, index: BM25Index, settings: dict[str, object]) -> None:
    """Write ``index`` atomically. ``settings`` are whatever decides the terms and scores."""
    header = json.dumps(
        {"format": FORMAT, "settings": settings, "signature": list(index.signature())}
    ).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
    with _writing(path.parent):
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(MAGIC + _HEADER_SIZE.pack(len(header)) + header)
                write_index(index, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
            path.with_suffix(".npz").unlink(missing_ok=True)  # the form before FORMAT 3
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def remove_leftovers(directory: Path) -> list[Path]:
    """Delete the temporary files of snapshot writes that never finished (the process
    was killed); returns them. Snapshots and any other file are left alone, and nothing
    is deleted while another process is writing a snapshot in ``directory``."""
    if not directory.is_dir():
        return []
    try:
        lock = (directory / LOCK_NAME).open("a+b")
    except OSError:  # a read-only folder: nothing in it can be deleted either
        return []
    removed = []
    with lock:
        if not _try_hold_alone(lock):
            return []
        for entry in directory.iterdir():
            if not _TEMPORARY_NAME.fullmatch(entry.name) or entry.is_symlink():
                continue
            if not entry.is_file():
                continue
            try:
                entry.unlink()
            except OSError as error:
                log.warning("could not delete %s: %s", entry, error)
            else:
                removed.append(entry)
    return removed


@contextlib.contextmanager
def _writing(directory: Path) -> Iterator[None]:
    """Hold the folder's lock, shared with other writers, while a temporary file exists."""
    with (directory / LOCK_NAME).open("a+b") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_SH)
        yield


def _try_hold_alone(lock: BinaryIO) -> bool:
    """Take the folder's lock exclusively if no writer holds it. Without advisory locks
    (Windows), an open file cannot be deleted there anyway."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def load_snapshot(
    path: Path,
    params: BM25Params,
    settings: dict[str, object],
    signature: tuple[int, int, int],
) -> BM25Index | None:
    """The saved index if it matches ``settings`` and the store's ``signature``, else None."""
    if not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                raise ValueError("not an index snapshot")
            (size,) = _HEADER_SIZE.unpack(handle.read(_HEADER_SIZE.size))
            header = json.loads(handle.read(min(size, 1 << 20)).decode())
            if header.get("format") != FORMAT or header.get("settings") != settings:
                log.info("snapshot %s was made with other settings; rebuilding", path.name)
                return None
            if tuple(header.get("signature", ())) != tuple(signature):
                log.info("snapshot %s is older than the store; rebuilding", path.name)
                return None
            index = read_index(handle, params)
    except Exception as error:  # a snapshot only saves time: any doubt, and it is rebuilt
        log.warning("snapshot %s is damaged (%s); rebuilding from the store", path.name, error)
        return None
    if index.signature() != tuple(signature):
        log.warning("snapshot %s does not hold what it says; rebuilding", path.name)
        return None
    return index
