"""Paths and fixtures shared by the tests.

Tests of storage run on every store: ``store_url`` is a fresh, empty database of each kind
(``sqlite``: a file path; ``postgresql``: a new database on the session's throwaway server,
see ``tests/support/postgres.py``), usable as ``DATABASE_URL``, and ``store`` is a store
opened over it. ``-m "not postgresql"`` leaves the PostgreSQL runs out while iterating.

The project ships the seed article and its questions (``seeds/``); the large data sets
(SQuAD, the article-extraction benchmark) live in a shared folder beside the project,
``../shared`` unless ``NEWSBOT_SHARED_DIR`` names another one. Tests that need them skip,
with a reason, when they are not there.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from index.store import Store, open_store, parse_location
from tests.support.postgres import PostgresServer

PROJECT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSBOT_SHARED_DIR") or PROJECT.parent / "shared")
SEED = PROJECT / "seeds" / "000_8213f59f8dbc5da2.txt"
SEED_QUESTIONS = PROJECT / "seeds" / "seed-questions.tsv"
SHARED_SEED_QUESTIONS = SHARED / "eval" / "seed-questions.tsv"
SQUAD = SHARED / "data" / "squad-train-subset" / "squad-train-subset-v1.1.json"
SEED_URL = "https://www.axios.com/2025/11/24/trump-maduro-talks-meeting-venezuela-boat-strikes"


def read_seed_questions(path: Path) -> list[tuple[str, str]]:
    """(question, expected) rows of a seed-questions file, header left out."""
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(row.split("\t")) for row in rows if row.strip()]  # type: ignore[misc]


@pytest.fixture
def seed_bytes() -> bytes:
    return SEED.read_bytes()


@pytest.fixture
def seed_questions() -> list[tuple[str, str]]:
    return read_seed_questions(SEED_QUESTIONS)


# -- stores -------------------------------------------------------------------------------

STORE_KINDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgresql: runs on the test PostgreSQL server (started once per session)"
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server, started on first use and stopped at the end. A
    server that cannot be started fails the tests that need it, with the reason."""
    server = PostgresServer.from_environment()
    server.open()
    try:
        yield server
    finally:
        server.close()


NewStoreUrl = Callable[[str], str]
"""Makes the URL of a fresh, empty store of a kind (``"sqlite"`` or ``"postgresql"``)."""


@pytest.fixture
def new_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewStoreUrl]:
    """Fresh, empty stores of either kind within one test (a copy needs a source and a
    target). PostgreSQL databases are dropped after the test."""
    numbers = itertools.count(1)
    databases: list[str] = []
    server: PostgresServer | None = None

    def new_store_url(kind: str) -> str:
        nonlocal server
        if kind == "sqlite":
            return str(tmp_path / f"store-{next(numbers)}.sqlite3")
        if kind == "postgresql":
            server = server or request.getfixturevalue("postgres_server")
            databases.append(server.create_database())
            return databases[-1]
        raise ValueError(f"no store of the kind {kind!r}: choose one of {STORE_KINDS}")

    yield new_store_url
    for database in databases:
        assert server is not None
        server.drop_database(database)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    ]
)
def store_url(request: pytest.FixtureRequest, new_store_url: NewStoreUrl) -> str:
    """A fresh, empty store of each kind, as ``DATABASE_URL`` would name it."""
    return new_store_url(request.param)


def store_kind(url: str) -> str:
    """``"sqlite"`` or ``"postgresql"``: the kind of store ``url`` names."""
    return parse_location(url).kind


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """A store of each kind, opened over a fresh database and closed after the test."""
    opened = await open_store(store_url)
    try:
        yield opened
    finally:
        await opened.close()
