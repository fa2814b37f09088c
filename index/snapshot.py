"""Index snapshots: a guild's index saved beside the database, so a restart loads it
instead of re-analysing every paragraph.

The store stays the source of truth. A snapshot records the settings it was built with
and which paragraphs it holds (their number, largest id and id sum); if any of that
differs from the store's, or the file is damaged (its checksum or its structure), it is
not used and the index is rebuilt from the store. Files are written to a temporary name,
flushed, then renamed into place, so a crash leaves the old snapshot or the new one,
never half of one. Both directions stream the postings term by term, so saving or
loading a large index does not hold a second copy of it in memory.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import tempfile
from pathlib import Path

from index.bm25 import BM25Index, BM25Params, read_index, write_index

log = logging.getLogger(__name__)

FORMAT = 3  # 3: packed postings read and written in pieces, with a checksum
MAGIC = b"newsbot index\n"
_HEADER_SIZE = struct.Struct("<I")


def snapshot_path(directory: Path, guild_id: int) -> Path:
    return directory / f"guild-{guild_id}.index"


def save_snapshot(path: Path, index: BM25Index, settings: dict[str, object]) -> None:
    """Write ``index`` atomically. ``settings`` are whatever decides the terms and scores."""
    header = json.dumps(
        {"format": FORMAT, "settings": settings, "signature": list(index.signature())}
    ).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(MAGIC + _HEADER_SIZE.pack(len(header)) + header)
            write_index(index, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        path.with_suffix(".npz").unlink(missing_ok=True)  # the form before FORMAT 3
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
