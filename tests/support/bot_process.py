"""The bot as its own process, started with ``python -m bot`` as an operator starts it:
settings in the environment, output in a log file, stopped by a signal."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bot_environment(
    fake_rest_base: str, fake_gateway: str, token: str, **settings: str | Path
) -> dict[str, str]:
    """The process environment of a bot that talks to the fake Discord: this process's
    own (the interpreter's paths), the fake's addresses, the token, and ``settings``
    (``DATABASE_URL="..."``, ``SHARD_IDS="1"``...)."""
    return {
        **os.environ,
        "DISCORD_TOKEN": token,
        "DISCORD_API_BASE": fake_rest_base,
        "DISCORD_GATEWAY_URL": fake_gateway,
        "LOG_LEVEL": "DEBUG",
        "PYTHONFAULTHANDLER": "1",
        **{name: str(value) for name, value in settings.items()},
    }


class BotProcess:
    """``python -m bot ARGUMENTS`` with ``env``, its output appended to ``log_path``."""

    def __init__(
        self, env: Mapping[str, str], log_path: Path, arguments: Sequence[str] = ("run",)
    ) -> None:
        self.env = dict(env)
        self.log_path = log_path
        self.arguments = list(arguments)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", *self.arguments],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_stopped(self) -> None:
        """Never leave a bot process behind, whatever the test did."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=10)
            raise

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def run_command(env: Mapping[str, str], *arguments: str, timeout: float = 120) -> str:
    """Run a one-off ``python -m bot`` command; returns its output, failing with it."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (arguments, done.stdout, done.stderr)
    return done.stdout


async def wait_for(condition: Callable[[], object], what: str, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
