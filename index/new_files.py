"""Giving a finished file its name: whole or not at all, never over another file.

Backups, copies and exports are written under a temporary name beside their target,
flushed to disk, and only then linked at the target's name, which fails rather than
replaces when a file is already there. A crash or a full disk leaves no partial file
under the name a person chose.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def give_name(temporary: Path, target: Path) -> None:
    """Flush ``temporary`` to disk and give it the name ``target`` as well. Raises
    ``FileExistsError`` (and leaves everything as it was) when ``target`` exists. The
    caller removes ``temporary`` afterwards, whatever happened."""
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if target.exists():
            raise FileExistsError(target) from None
        os.replace(temporary, target)
    with contextlib.suppress(OSError):  # the new name survives a crash too
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
