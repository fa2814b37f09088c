"""Index snapshots: a guild's index saved beside the database, so a restart loads it
instead of re-analysing every paragraph.

The store stays the source of truth. A snapshot records the settings it was built with
and which paragraphs it holds (their number, largest id and id sum); if any of that
differs from the store's, or the file is damaged, it is not used and the index is rebuilt
from the store. Files are written to a temporary name, flushed, then renamed into place,
so a crash leaves the old snapshot or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from index.bm25 import BM25Index, BM25Params, index_from_arrays, index_signature, index_to_arrays

log = logging.getLogger(__name__)

FORMAT = 2  # 2: postings keep removed paragraphs until compaction


def snapshot_path(directory: Path, guild_id: int) -> Path:
    return directory / f"guild-{guild_id}.npz"


def save_snapshot(path: Path, index: BM25Index, settings: dict[str, object]) -> None:
    """Write ``index`` atomically. ``settings`` are whatever decides the terms and scores."""
    header = {
        "format": FORMAT,
        "settings": settings,
        "signature": list(index_signature(index)),
    }
    arrays = index_to_arrays(index)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
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
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(data["header"].tobytes().decode())
            if header.get("format") != FORMAT or header.get("settings") != settings:
                log.info("snapshot %s was made with other settings; rebuilding", path.name)
                return None
            if tuple(header.get("signature", ())) != tuple(signature):
                log.info("snapshot %s is older than the store; rebuilding", path.name)
                return None
            arrays = {name: data[name] for name in data.files if name != "header"}
        index = index_from_arrays(arrays, params)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        log.warning("snapshot %s is damaged (%s); rebuilding from the store", path.name, error)
        return None
    if index_signature(index) != tuple(signature):
        log.warning("snapshot %s does not hold what it says; rebuilding", path.name)
        return None
    return index
