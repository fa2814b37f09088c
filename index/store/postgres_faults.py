"""What went wrong with a PostgreSQL database, in plain words: asyncpg's and the system's
errors sorted into the ``StoreError`` family an operator (and the bot's replies) can act on.

The most common fault of a database server is that it is away for a while (restarted,
upgraded, the network cut). That is ``StoreUnavailable``: the store's pool connects again
by itself, so the words say to try again shortly. Messages name the database by its URL
without the password.
"""

from __future__ import annotations

import socket
from urllib.parse import unquote, urlsplit

import asyncpg
from asyncpg import exceptions as pg

from index.errors import (
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
    StoreUnavailable,
)
from index.store.damage import DamageFound

RESTORE_ADVICE = "Restore it from a backup with pg_restore."

_SERVER_AWAY = (pg.CannotConnectNowError, pg.AdminShutdownError, pg.CrashShutdownError)
"""The server is starting, stopping or restarting: it will be back."""
_CONFLICTS = (pg.SerializationError, pg.DeadlockDetectedError)
"""Transactions that got in each other's way: running the loser again works."""
_BAD_TEXT = (pg.CharacterNotInRepertoireError, pg.UntranslatableCharacterError, UnicodeError)
_TOO_LARGE = (pg.NumericValueOutOfRangeError, OverflowError)
_INVALID_ARGUMENT = "invalid input for query argument"
"""How asyncpg begins the text of a value it could not send (it raises ``DataError``)."""


def connection_lost(error: BaseException) -> bool:
    """Whether ``error`` says that a connection to the server is gone (or cannot be made):
    a new connection may work, the one that failed will not. A timeout is not one: the
    server is there, only slow, and running the statement again would load it more."""
    if isinstance(error, TimeoutError):
        return False
    if isinstance(error, (OSError, pg.PostgresConnectionError, *_SERVER_AWAY)):
        return True
    return isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error)


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the server cannot be reached right now."""
    return connection_lost(error) or isinstance(error, TimeoutError)


def conflicted(error: BaseException) -> bool:
    """Whether ``error`` is a conflict with another transaction, worth running again."""
    return isinstance(error, _CONFLICTS)


def damaged(location: str, detail: str) -> StoreDamaged:
    return StoreDamaged(f"the database {location} is damaged ({detail}). {RESTORE_ADVICE}")


def unavailable(location: str, error: BaseException) -> StoreUnavailable:
    return StoreUnavailable(
        f"the database {location} cannot be reached right now ({_why_unreachable(error)}); "
        "try again shortly"
    )


def store_error(error: BaseException, location: str) -> StoreError:
    """``error``, raised while using the database at ``location`` (a URL without its
    password), as a ``StoreError`` with plain words."""
    if isinstance(error, StoreError):
        return error
    if isinstance(error, DamageFound):
        return damaged(location, error.detail)
    if unreachable(error):
        return unavailable(location, error)
    if isinstance(error, pg.InvalidCatalogNameError):
        return StoreMissing(
            f"there is no database {_database(location)} on the server at {_host(location)}: "
            "create it (createdb) or correct the database URL"
        )
    if isinstance(error, pg.InvalidPasswordError):
        return StoreError(
            f"the database server at {_host(location)} refused the password of the user "
            f"{_user(location)}: correct the database URL"
        )
    if isinstance(error, pg.InvalidAuthorizationSpecificationError):
        return StoreError(
            f"the database server at {_host(location)} refused the connection to {location} "
            f"({_said(error)}): correct the database URL or the server's access rules"
        )
    if isinstance(error, pg.DiskFullError):
        return StoreFull("the database server's disk is full; nothing was saved")
    if isinstance(error, pg.ReadOnlySQLTransactionError):
        return StoreReadOnly(
            f"the database {location} accepts no changes now (a read-only server); "
            "nothing was saved"
        )
    if conflicted(error):
        return StoreBusy(
            "the database was busy with changes that got in the way of this one; nothing "
            "was saved, try again"
        )
    if isinstance(error, pg.LockNotAvailableError | pg.QueryCanceledError):
        return StoreBusy("the database was busy for too long; nothing was saved, try again")
    if isinstance(error, pg.TooManyConnectionsError):
        return StoreBusy("the database server has no free connection; try again shortly")
    if isinstance(error, pg.DataCorruptedError | pg.IndexCorruptedError):
        return damaged(location, _said(error))
    if isinstance(error, _BAD_TEXT) or "surrogates not allowed" in str(error):
        return StoreError(
            "a text holds a character the database cannot store (such as a NUL character); "
            "nothing was saved"
        )
    if isinstance(error, _TOO_LARGE) or "out of int64 range" in str(error):
        return StoreError("a number is too large to be stored; nothing was saved")
    if isinstance(error, pg.OutOfMemoryError):
        return StoreError("the database server ran out of memory; try again later")
    if isinstance(error, pg.InsufficientPrivilegeError):
        return StoreError(f"the database user may not do this in {location} ({_said(error)})")
    if isinstance(error, pg.UndefinedTableError | pg.UndefinedColumnError):
        return StoreError(
            f"the database {location} is not shaped as this version of the bot expects "
            f"({_said(error)}); was it changed by hand?"
        )
    if isinstance(error, asyncpg.InterfaceError) and "pool is clos" in str(error):
        return StoreError("the store is closed")
    if isinstance(error, asyncpg.DataError) and str(error).startswith(_INVALID_ARGUMENT):
        # Raised before anything is sent: a value of the wrong type. Its text quotes the
        # whole value, which may be a long article: only its first words are kept.
        return StoreError(f"the database refused a value ({str(error).split(':')[0]})")
    if isinstance(error, asyncpg.PostgresError):
        return StoreError(f"the database failed: {_said(error)}")
    return StoreError(f"the database failed: {error}")


def _why_unreachable(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "the connection was refused: is the server running?"
    if isinstance(error, socket.gaierror):
        return "its host name is not known"
    if isinstance(error, TimeoutError):
        return "it did not answer in time"
    if isinstance(error, pg.CannotConnectNowError):
        return "the server is starting up or shutting down"
    if isinstance(error, pg.AdminShutdownError | pg.CrashShutdownError):
        return "the server was stopped or restarted"
    if isinstance(error, ConnectionError | pg.PostgresConnectionError | asyncpg.InterfaceError):
        return "the connection to it was lost"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return "the connection to it failed"


def _said(error: BaseException) -> str:
    """What the server said, without the class name."""
    return getattr(error, "message", None) or str(error)


def _host(location: str) -> str:
    parts = urlsplit(location)
    host = parts.hostname or "localhost"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def _database(location: str) -> str:
    return unquote(urlsplit(location).path.lstrip("/")) or "(none named)"


def _user(location: str) -> str:
    return unquote(urlsplit(location).username or "") or "(none named)"
