"""What a ``DATABASE_URL`` names: a SQLite file or a PostgreSQL server.

A plain path or ``sqlite:///path`` is a SQLite file (``sqlite:////abs/path`` for an
absolute one); ``postgresql://user:password@host:port/database`` (or ``postgres://``) is
a PostgreSQL database. Parsing is kept apart from opening so that settings can check a
URL without touching any database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from index.errors import StoreError

POSTGRES_SCHEMES = ("postgresql", "postgres")
SQLITE_SCHEME = "sqlite"


@dataclass(frozen=True, slots=True)
class StoreLocation:
    kind: Literal["sqlite", "postgresql"]
    path: Path | None = None
    """The SQLite file, for a SQLite location."""
    url: str | None = None
    """The connection URL, for a PostgreSQL location."""

    def __str__(self) -> str:
        """What to print: the file, or the URL without its password."""
        if self.path is not None:
            return str(self.path)
        return without_password(self.url or "")


def parse_location(value: str | Path) -> StoreLocation:
    """The store ``value`` names; a ``StoreError`` in words for one that names none."""
    if isinstance(value, Path):
        return StoreLocation("sqlite", path=value)
    text = value.strip()
    if not text:
        raise StoreError("the database setting is empty: give a file path or a postgresql:// URL")
    scheme, separator, rest = text.partition("://")
    if not separator:
        return StoreLocation("sqlite", path=Path(text))
    scheme = scheme.lower()
    if scheme in POSTGRES_SCHEMES:
        if not urlsplit(text).hostname and "host=" not in text:
            raise StoreError(f"{without_password(text)} names no database server")
        return StoreLocation("postgresql", url=text)
    if scheme == SQLITE_SCHEME:
        # sqlite:///relative/file and sqlite:////absolute/file, as SQLAlchemy writes them.
        if not rest.startswith("/") or rest == "/":
            raise StoreError(f"{text} names no file: write sqlite:///path/to/file.sqlite3")
        return StoreLocation("sqlite", path=Path(rest[1:]))
    raise StoreError(
        f"{scheme}:// is not a store this bot knows: give a SQLite file path (or sqlite:///path)"
        " or a postgresql:// URL"
    )


def without_password(url: str) -> str:
    """``url`` with any password (in the address, or as ``password=`` or ``sslpassword=``
    in its query) replaced by ``***``, for logs and messages."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "(a database URL that cannot be read)"
    if password is not None:
        netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
        parts = parts._replace(netloc=netloc)
    if parts.query:
        query = [
            (key, "***" if key.lower() in _SECRET_PARAMETERS else value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        parts = parts._replace(query=urlencode(query, safe="*/:"))
    return urlunsplit(parts)


_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
