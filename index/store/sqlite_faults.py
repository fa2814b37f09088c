"""What went wrong, in plain words: SQLite's and the system's errors sorted into the few
things an operator can act on (damaged file, full disk, read-only file, busy, missing).

SQLite reports damage in several ways: its own result codes (``SQLITE_CORRUPT``,
``SQLITE_NOTADB``), a text that cannot be decoded, and, through the store's own checks, a
row that does not match its checksum or a schema that is not the one it wrote. All of
them become one ``StoreDamaged`` message that says where to go next.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from index.errors import (
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
)
from index.store.damage import DamageFound

RESTORE_ADVICE = "Restore it from a backup: see 'Restoring a backup' in the README."


def damaged(path: str, detail: str) -> StoreDamaged:
    return StoreDamaged(f"the database {path} is damaged ({detail}). {RESTORE_ADVICE}")


def read_only(path: str) -> StoreReadOnly:
    return StoreReadOnly(
        f"the database file {path} (or its folder) is read-only; nothing was saved"
    )


def disk_full() -> StoreFull:
    return StoreFull("the disk is full; nothing was saved")


def missing(path: str) -> StoreMissing:
    return StoreMissing(f"there is no database at {path}")


def cannot_open(path: str, reason: str) -> StoreError:
    return StoreError(f"cannot open the database {path}: {reason}")


# Result codes (their low byte) that mean the file itself is damaged.
_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_FORMAT}
_NOT_A_DATABASE = "it is not an SQLite database, or its first page is damaged"


def store_error(error: BaseException, path: str) -> StoreError:
    """``error``, raised while using the database at ``path``, as a ``StoreError``."""
    if isinstance(error, StoreError):
        return error
    if isinstance(error, DamageFound):
        return damaged(path, error.detail)
    if isinstance(error, UnicodeDecodeError):
        return damaged(path, "a stored text is not valid UTF-8")
    if isinstance(error, OverflowError):
        return StoreError("a number is too large to be stored")
    if isinstance(error, sqlite3.Error):
        return _sqlite_error(error, path)
    if isinstance(error, OSError):
        return os_error(error, f"the database {path}")
    return StoreError(f"the database failed: {error}")


def _sqlite_error(error: sqlite3.Error, path: str) -> StoreError:
    message = str(error)
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        # Raised by Python's sqlite3 rather than by SQLite: the store writes only valid
        # UTF-8, so a text that cannot be decoded was changed on disk.
        if message.startswith("Could not decode to UTF-8"):
            return damaged(path, "a stored text is not valid UTF-8")
        return StoreError(f"the database failed: {message}")
    primary = code & 0xFF
    if primary == sqlite3.SQLITE_ERROR and message == "unsupported file format":
        # The header's file format numbers: every SQLite since 2006 writes ones it reads.
        return damaged(path, "its header is damaged (file format)")
    if primary in _DAMAGE_CODES:
        return damaged(path, _NOT_A_DATABASE if primary == sqlite3.SQLITE_NOTADB else message)
    if primary == sqlite3.SQLITE_FULL:
        return disk_full()
    if primary == sqlite3.SQLITE_READONLY:
        if code == sqlite3.SQLITE_READONLY_DBMOVED:
            return StoreError(f"the database file {path} was moved or deleted while in use")
        return read_only(path)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusy("the database is busy; nothing was saved, try again")
    if primary == sqlite3.SQLITE_CANTOPEN:
        return cannot_open(path, "check that it and its folder exist and can be read")
    if primary in (sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH):
        return cannot_open(path, "permission denied")
    if code == sqlite3.SQLITE_IOERR_SHMSIZE:
        return StoreFull(
            f"the disk is full: there is no room for the {Path(path).name}-shm file SQLite "
            "needs beside the database"
        )
    if primary == sqlite3.SQLITE_IOERR:
        return StoreError(f"the disk failed while reading or writing {path} ({message})")
    if primary == sqlite3.SQLITE_NOMEM:
        return StoreError("the database ran out of memory")
    if primary == sqlite3.SQLITE_TOOBIG:
        return StoreError("the text is too large to be stored")
    return StoreError(f"the database failed: {message}")


def os_error(error: OSError, what: str) -> StoreError:
    """A system error met while working on ``what`` (a file or folder, named)."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full()
    if error.errno == errno.EROFS:
        return StoreReadOnly(f"{what} is on a read-only disk; nothing was saved")
    if error.errno in (errno.EACCES, errno.EPERM):
        return StoreError(f"{what} cannot be written: permission denied")
    return StoreError(f"{what}: {error.strerror or error}")
