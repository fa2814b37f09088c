"""Copying everything from one store into another, empty one: from a SQLite file to a
PostgreSQL database when a deployment outgrows one file, and back.

The copy moves rows as they are, ids included, so that links to messages, remembered
questions and the index snapshots (checked against paragraph ids) stay valid. It reads
and writes in batches, never a whole table at once, and is checked before it is reported
as done: every table must hold as many rows as were read, with the same contents, and
every guild the same numbers of articles and paragraphs as the source has. A source that
changed during the copy (the bot was still running) fails that check, naming the guild.

``copy_to`` is the operator's form: it opens the target by URL, and a copy into a new
SQLite file is written under a temporary name and given its name only once checked, so a
failed copy leaves no file behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.errors import StoreError
from index.models import GuildSummary
from index.new_files import give_name
from index.store import Store, open_store
from index.store.columns import DATA_TABLES, Columns
from index.store.location import StoreLocation, parse_location
from index.store.sqlite import SQLiteStore

_DIGEST_MODULUS = 2**128

Progress = Callable[[str, int], None]
"""Told each table's name and how many rows were copied, once the table is done."""


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What was copied, checked against the target."""

    source: str
    target: str
    guilds: tuple[GuildSummary, ...]
    """Every guild with articles, with its counts (equal in the source and the copy)."""
    rows: tuple[tuple[str, int], ...]
    """(table, rows) for every table, in the order they were copied."""


def not_empty_reason(location: str) -> str:
    """Why a target that holds data is refused, in plain words."""
    return (
        f"{location} already holds data; copy-store only copies into an empty database "
        "(nothing was copied)"
    )


async def copy_store(
    source: Store, target: Store, *, progress: Progress | None = None
) -> CopyReport:
    """Copy every row of every table from ``source`` into ``target``, which must be
    empty, then check the copy. Raises ``StoreError`` in plain words when the target is
    not empty, when a store fails, or when the copy differs from the source; the words
    say when the target was left holding part of the data."""
    written = _Written()
    try:
        return await _copy_and_check(source, target, progress, written)
    except _Refused as refused:
        raise StoreError(str(refused)) from None
    except StoreError as error:
        if not written.anything:
            raise StoreError(f"{_sentence(error)} Nothing was copied") from error
        raise StoreError(
            f"{_sentence(error)} The copy did not finish, and {target.location} holds part "
            "of the data: empty it before copying again (delete a SQLite file; drop a "
            "PostgreSQL database and create it again)"
        ) from error


class _Refused(StoreError):
    """The target was refused before anything was written to it."""


class _Written:
    """Whether the copy has written anything to the target yet."""

    anything = False


async def _copy_and_check(
    source: Store, target: Store, progress: Progress | None, written: _Written
) -> CopyReport:
    if not await target.is_empty():
        raise _Refused(not_empty_reason(target.location))
    copied: list[tuple[Columns, _Tally]] = []
    for columns in DATA_TABLES:
        tally = _Tally(columns)
        async with contextlib.aclosing(source.copy_rows(columns)) as batches:
            async for batch in batches:
                written.anything = True
                await target.load_rows(columns, batch)
                tally.add(batch)
        copied.append((columns, tally))
        if progress is not None:
            progress(columns.table, tally.rows)
    for columns, read in copied:
        written = _Tally(columns)
        async with contextlib.aclosing(target.copy_rows(columns)) as batches:
            async for batch in batches:
                written.add(batch)
        _check_table(columns.table, read, written, target.location)
    guilds = await _check_guilds(source, target)
    return CopyReport(
        source=source.location,
        target=target.location,
        guilds=guilds,
        rows=tuple((columns.table, tally.rows) for columns, tally in copied),
    )


def _sentence(error: BaseException) -> str:
    return str(error).rstrip(".") + "."


async def copy_to(
    source: Store, target: str | Path | StoreLocation, *, progress: Progress | None = None
) -> CopyReport:
    """``copy_store`` into the store ``target`` names. A PostgreSQL database must exist
    (and be empty); a missing SQLite file is created, whole or not at all."""
    location = target if isinstance(target, StoreLocation) else parse_location(target)
    if location.path is not None and not location.path.exists():
        return await _copy_to_new_file(source, location.path, progress)
    store = await open_store(location, create=False)
    try:
        return await copy_store(source, store, progress=progress)
    finally:
        await store.close()


async def _copy_to_new_file(source: Store, path: Path, progress: Progress | None) -> CopyReport:
    """Copy into a temporary file beside ``path``, checked and closed before it is given
    its name: a failure at any point leaves nothing at ``path`` and no temporary file."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        store = SQLiteStore(temporary, create=True)
        await store.open()
        try:
            report = await _copy_and_check(source, store, progress, _Written())
        finally:
            await store.close()
        try:
            await asyncio.to_thread(give_name, temporary, path)
        except FileExistsError:
            raise StoreError(
                f"{path} appeared while the copy was written; it was left alone"
            ) from None
    except StoreError as error:
        raise StoreError(f"{_sentence(error)} Nothing was written to {path}") from error
    finally:
        for leftover in ("", "-journal", "-wal", "-shm"):
            Path(f"{temporary}{leftover}").unlink(missing_ok=True)
    return _with_target(report, str(path))


def _with_target(report: CopyReport, target: str) -> CopyReport:
    return CopyReport(report.source, target, report.guilds, report.rows)


class _Tally:
    """How many rows a table gave, and a digest of their contents that does not depend
    on their order (stores may order text keys by different collations)."""

    def __init__(self, columns: Columns) -> None:
        self.rows = 0
        self.digest = 0
        self._timestamps = [name in columns.timestamps for name in columns.names]

    def add(self, batch: Sequence[tuple[object, ...]]) -> None:
        for row in batch:
            canonical = repr(
                tuple(
                    _moment(value) if is_time else value
                    for value, is_time in zip(row, self._timestamps, strict=True)
                )
            )
            row_hash = hashlib.blake2b(canonical.encode(), digest_size=16).digest()
            self.digest = (self.digest + int.from_bytes(row_hash, "big")) % _DIGEST_MODULUS
        self.rows += len(batch)


def _moment(value: object) -> object:
    """A time as UTC to the second: what every store keeps of it, however it writes it."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0).isoformat()
    return value


def _check_table(table: str, read: _Tally, written: _Tally, target: str) -> None:
    if written.rows != read.rows:
        raise StoreError(
            f"the copy in {target} is not complete: its {table} table holds "
            f"{written.rows} rows, {read.rows} were copied"
        )
    if written.digest != read.digest:
        raise StoreError(
            f"the copy in {target} differs from the source: rows of its {table} table "
            "were not written as they were read"
        )


async def _check_guilds(source: Store, target: Store) -> tuple[GuildSummary, ...]:
    """Every guild's articles and paragraphs, equal in both stores; the guilds."""
    in_source = {summary.guild_id: summary for summary in await source.guild_summaries()}
    in_target = {summary.guild_id: summary for summary in await target.guild_summaries()}
    for guild_id in sorted(in_source.keys() | in_target.keys()):
        there = in_source.get(guild_id)
        here = in_target.get(guild_id)
        if there is None or here is None or _counts(there) != _counts(here):
            raise StoreError(
                f"guild {guild_id} differs after the copy: {_described(there)} in "
                f"{source.location}, {_described(here)} in {target.location}. Was the bot "
                "still running? Stop it, empty the target and copy again"
            )
    return tuple(in_source[guild_id] for guild_id in sorted(in_source))


def _counts(summary: GuildSummary) -> tuple[int, int]:
    return summary.articles, summary.paragraphs


def _described(summary: GuildSummary | None) -> str:
    if summary is None:
        return "no articles"
    return (
        f"{summary.articles} article{'' if summary.articles == 1 else 's'} and "
        f"{summary.paragraphs} paragraph{'' if summary.paragraphs == 1 else 's'}"
    )
