"""SQLite's and the system's errors, told in the few plain messages an operator can act on."""

from __future__ import annotations

import errno
import os
import sqlite3

import pytest

from index.store import (
    SQLiteStore,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreReadOnly,
)
from index.store import sqlite as sqlite_store
from index.store.damage import DamageFound
from index.store.sqlite_faults import os_error, store_error

PATH = "/srv/newsbot/data/newsbot.sqlite3"


def sqlite_error(kind: type[sqlite3.Error], message: str, code: int | None) -> sqlite3.Error:
    error = kind(message)
    if code is not None:
        error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (
            sqlite_error(sqlite3.DatabaseError, "database disk image is malformed", 11),
            StoreDamaged,
            f"the database {PATH} is damaged (database disk image is malformed). Restore it "
            "from a backup: see 'Restoring a backup' in the README.",
        ),
        (
            sqlite_error(sqlite3.DatabaseError, "file is not a database", 26),
            StoreDamaged,
            "is damaged (it is not an SQLite database, or its first page is damaged)",
        ),
        (
            sqlite_error(sqlite3.OperationalError, "unsupported file format", 1),
            StoreDamaged,
            "is damaged (its header is damaged (file format))",
        ),
        (
            sqlite_error(sqlite3.OperationalError, "Could not decode to UTF-8 column 'text'", None),
            StoreDamaged,
            "is damaged (a stored text is not valid UTF-8)",
        ),
        (
            UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
            StoreDamaged,
            "is damaged (a stored text is not valid UTF-8)",
        ),
        (DamageFound("a row of paragraphs does not match"), StoreDamaged, "does not match"),
        (
            sqlite_error(sqlite3.OperationalError, "database or disk is full", 13),
            StoreFull,
            "the disk is full; nothing was saved",
        ),
        (
            sqlite_error(sqlite3.OperationalError, "disk I/O error", 4874),
            StoreFull,
            "the disk is full: there is no room for the newsbot.sqlite3-shm file",
        ),
        (
            sqlite_error(sqlite3.OperationalError, "attempt to write a readonly database", 8),
            StoreReadOnly,
            f"the database file {PATH} (or its folder) is read-only; nothing was saved",
        ),
        (
            sqlite_error(sqlite3.OperationalError, "attempt to write a readonly database", 1032),
            StoreError,
            "was moved or deleted while in use",
        ),
        (
            sqlite_error(sqlite3.OperationalError, "database is locked", 5),
            StoreBusy,
            "the database is busy; nothing was saved, try again",
        ),
        (
            sqlite_error(sqlite3.OperationalError, "unable to open database file", 14),
            StoreError,
            f"cannot open the database {PATH}: check that it and its folder exist",
        ),
        (
            sqlite_error(sqlite3.OperationalError, "disk I/O error", 266),
            StoreError,
            f"the disk failed while reading or writing {PATH} (disk I/O error)",
        ),
        (OverflowError("Python int too large"), StoreError, "a number is too large to be stored"),
    ],
)
def test_each_error_gets_its_plain_message(error, kind, message):
    translated = store_error(error, PATH)
    assert type(translated) is kind
    assert message in str(translated)


@pytest.mark.parametrize(
    ("number", "kind", "message"),
    [
        (errno.ENOSPC, StoreFull, "the disk is full; nothing was saved"),
        (errno.EROFS, StoreReadOnly, "the backup x is on a read-only disk; nothing was saved"),
        (errno.EACCES, StoreError, "the backup x cannot be written: permission denied"),
        (errno.EIO, StoreError, "the backup x: Input/output error"),
    ],
)
def test_system_errors_name_what_they_were_about(number, kind, message):
    translated = os_error(OSError(number, os.strerror(number)), "the backup x")
    assert type(translated) is kind and str(translated) == message


async def test_a_file_that_cannot_be_read_is_named_with_the_reason(tmp_path, monkeypatch):
    """Root reads any file, so the permission is taken away where the store asks for it."""
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    await store.close()
    real_access = sqlite_store.os.access
    monkeypatch.setattr(
        sqlite_store.os,
        "access",
        lambda where, mode: mode != sqlite_store.os.R_OK and real_access(where, mode),
    )
    with pytest.raises(StoreError, match=f"cannot open the database {path}: permission denied"):
        await SQLiteStore(path).open()


async def test_a_file_in_the_way_of_the_databases_folder_is_named(tmp_path):
    (tmp_path / "data").write_text("not a folder")
    path = tmp_path / "data" / "bot.sqlite3"
    with pytest.raises(StoreError, match="a file is in the way of its folder"):
        await SQLiteStore(path).open()
