"""Backups of a PostgreSQL database: a dump made by the PostgreSQL client, ``pg_dump``.

PostgreSQL has its own tool for consistent copies of a live database, so the store uses
it rather than reading every row itself. The dump is written beside the target under a
temporary name, checked with ``pg_restore --list`` when that is installed beside
``pg_dump``, flushed to disk and only then given its name: a failure leaves no file. The
password never goes on a command line (other users can read those): it travels in the
environment libpq reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from index.errors import StoreError, StoreFull
from index.new_files import give_name


async def dump_database(url: str, location: str, target: Path) -> None:
    """A consistent copy of the whole database at ``target``, a new file: a dump in
    ``pg_dump``'s custom format (restore it with ``pg_restore``), made by the
    ``pg_dump`` found on the PATH. The dump is written beside ``target`` under a
    temporary name, checked with ``pg_restore --list`` when that is installed beside
    it, flushed to disk and only then given its name; a failure leaves no file."""
    program = shutil.which("pg_dump")
    if program is None:
        raise StoreError(
            f"a PostgreSQL database is backed up with its own tool: pg_dump is not "
            f"installed here, so run pg_dump --format=custom against {location} "
            "(see the PostgreSQL documentation on backups)"
        )
    if target.exists():
        raise StoreError(f"{target} exists already; choose a new file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot make the backup's folder {target.parent}: {error}") from error
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        await _dump(url, location, program, temporary, target)
        try:
            await asyncio.to_thread(give_name, temporary, target)
        except FileExistsError:
            raise StoreError(f"{target} exists already; choose a new file name") from None
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StoreFull(f"the disk is full: the backup {target} was not written") from error
        raise StoreError(f"cannot write the backup {target}: {error.strerror or error}") from error
    finally:
        temporary.unlink(missing_ok=True)


async def _dump(url: str, location: str, program: str, temporary: Path, target: Path) -> None:
    plain_url, passwords = secrets_out_of_url(url)
    environment = {**os.environ, **passwords}
    try:
        await _run(
            [
                program,
                "--format=custom",
                "--no-password",
                f"--file={temporary}",
                f"--dbname={plain_url}",
            ],
            environment,
            f"pg_dump could not back up {location}",
        )
    except StoreError as failure:
        if "version mismatch" not in str(failure):
            raise
        raise StoreError(
            f"{failure}. Put a pg_dump of the server's version (or a newer one) first on the PATH"
        ) from None
    check = Path(program).with_name("pg_restore")
    if check.is_file():
        await _run(
            [str(check), "--list", str(temporary)],
            environment,
            f"the backup {target} did not pass its check",
        )


def secrets_out_of_url(url: str) -> tuple[str, dict[str, str]]:
    """``url`` with no password in it (for a command line others may read), and the
    environment variables that carry its passwords to libpq instead."""
    parts = urlsplit(url)
    secrets: dict[str, str] = {}
    if parts.password is not None:
        secrets["PGPASSWORD"] = unquote(parts.password)
        user = parts.netloc.rpartition("@")[0].partition(":")[0]
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{user}@{host}")
    if parts.query:
        kept = []
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            variable = _SECRET_VARIABLES.get(key.lower())
            if variable is None:
                kept.append((key, value))
            else:
                secrets[variable] = value
        parts = parts._replace(query=urlencode(kept, safe="/:"))
    return urlunsplit(parts), secrets


_SECRET_VARIABLES = {"password": "PGPASSWORD", "sslpassword": "PGSSLPASSWORD"}


async def _run(command: list[str], environment: dict[str, str], failure: str) -> None:
    """Run ``command`` off the event loop; a ``StoreError`` starting with ``failure`` and
    saying what the program said when it fails. Stopped with it when the caller is."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
        )
    except OSError as error:
        raise StoreError(f"{failure}: {error.strerror or error}") from error
    try:
        _, said = await process.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise StoreError(f"{failure}: {_program_said(said)}")


def _program_said(output: bytes) -> str:
    """What a PostgreSQL program wrote to its error stream, as one line."""
    lines = []
    for line in output.decode("utf-8", "replace").splitlines():
        text = line.strip()
        for prefix in ("pg_dump: ", "pg_restore: ", "error: ", "detail: ", "hint: "):
            text = text.removeprefix(prefix)
        if text:
            lines.append(text)
    return "; ".join(lines) or "it stopped without saying why"
