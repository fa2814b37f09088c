"""Numbered schema migrations kept as ``.sql`` files, one folder per store:
``migrations/<store>/NNN_what_it_does.sql``, numbered 001, 002, … without a gap.

A migration is one file so that it can be read, reviewed and run by hand like any SQL;
each store runs its own in order and records how far it got.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

_MIGRATION_FILE = re.compile(r"(\d{3})_[a-z0-9_]+\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def statements(self) -> tuple[str, ...]:
        """The file's statements one by one (for drivers that run one at a time)."""
        found: list[str] = []
        pending = ""
        for line in self.sql.splitlines(keepends=True):
            if not pending and (not line.strip() or line.lstrip().startswith("--")):
                continue
            pending += line
            if sqlite3.complete_statement(pending):
                found.append(pending.strip().rstrip(";").strip())
                pending = ""
        if pending.strip():
            raise RuntimeError(f"{self.name} ends inside a statement")
        return tuple(found)


@functools.cache
def migrations(store: str) -> tuple[Migration, ...]:
    """Every migration of ``store`` (the folder's name), in order."""
    folder = resources.files("index.store").joinpath("migrations", store)
    found = sorted(
        (
            Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
            for entry in folder.iterdir()
            if (match := _MIGRATION_FILE.fullmatch(entry.name))
        ),
        key=lambda migration: migration.version,
    )
    if [migration.version for migration in found] != list(range(1, len(found) + 1)):
        names = ", ".join(migration.name for migration in found)
        raise RuntimeError(f"the {store} migrations must be numbered from 001 on: {names}")
    return tuple(found)
