"""The console on a real (pseudo-)terminal: line editing, history across runs, pasting.

The console runs as ``python -m bot console`` with its standard streams on a pty, and
the test types into it as a person would, escape sequences for the arrow keys included.
"""

from __future__ import annotations

import os
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT

termios = pytest.importorskip("termios", reason="pseudo-terminals need a POSIX system")
fcntl = pytest.importorskip("fcntl", reason="pseudo-terminals need a POSIX system")

UP = "\x1b[A"
ENTER = "\r"
CTRL_D = "\x04"
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
# Sent by the line editor each time it starts reading a line (it turns bracketed paste on).
READING_A_LINE = "\x1b[?2004h"
WAIT_SECONDS = 90  # a guard against a hung console, not a measurement


class Terminal:
    """``python -m bot console`` with a pty for its standard streams."""

    def __init__(self, tmp_path: Path, term: str) -> None:
        self.history = tmp_path / "state" / "newsbot" / "console-history"
        self.output = ""
        self.prompts = 0
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        environment = {
            name: value
            for name, value in os.environ.items()
            if name not in ("DISCORD_TOKEN", "COLUMNS", "LINES", "NO_COLOR")
        }
        environment.update(
            DATA_DIR=str(tmp_path / "data"),
            SEEDS_DIR=str(tmp_path / "no-seeds"),
            XDG_STATE_HOME=str(tmp_path / "state"),
            TERM=term,
            PROMPT_TOOLKIT_NO_CPR="1",  # the test does not answer cursor position queries
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console"],
            cwd=PROJECT,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master

    def type(self, keys: str, *, at_prompt: bool = True) -> None:
        """Type ``keys``, by default at the next prompt (once the line editor is reading)."""
        if at_prompt:
            self.prompts += 1
            self.wait_for(READING_A_LINE, self.prompts)
        os.write(self.master, keys.encode())

    def wait_for(self, text: str, count: int = 1) -> str:
        """Output so far, once ``text`` has appeared ``count`` times in it."""
        deadline = time.monotonic() + WAIT_SECONDS
        while self.output.count(text) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"never saw {text!r} x{count} in:\n{self.output}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the console closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the console ended before {text!r}:\n{self.output}")
                self.output += chunk.decode("utf-8", errors="replace")
        return self.output

    def close(self) -> int:
        try:
            return self.process.wait(timeout=WAIT_SECONDS)
        finally:
            os.close(self.master)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def terminals(tmp_path):
    started: list[Terminal] = []

    def start(term: str = "xterm-256color") -> Terminal:
        terminal = Terminal(tmp_path, term)
        started.append(terminal)
        terminal.wait_for("Ask a question")
        return terminal

    yield start
    for terminal in started:
        terminal.kill()


def test_up_arrow_recalls_the_previous_line_even_after_a_restart(terminals):
    first = terminals()
    first.type("/stats" + ENTER)
    first.wait_for("questions answered:")
    first.type(UP + ENTER)  # the same command again, recalled rather than typed
    first.wait_for("questions answered:", count=2)
    first.type(CTRL_D)
    assert first.close() == 0
    assert "/stats" in first.history.read_text(encoding="utf-8")

    second = terminals()
    second.type(UP + ENTER)
    assert "articles: 0" in second.wait_for("questions answered:")
    second.type("/quit" + ENTER)
    assert second.close() == 0


def test_a_pasted_article_is_sent_with_enter_and_kept_out_of_the_history(terminals):
    article = (
        "Harbour reopens after storm\n"
        "The city harbour reopened on Tuesday after a storm closed it for three days.\n"
        "Fishing boats returned to the docks as cranes resumed unloading grain.\n"
    )
    terminal = terminals()
    terminal.type(PASTE_START + article + PASTE_END + ENTER)
    terminal.wait_for("Added article #1: Harbour reopens after storm (2 paragraphs)")
    terminal.type("When did the harbour reopen?" + ENTER)
    assert "reopened on Tuesday" in terminal.wait_for("score")
    terminal.type("/quit" + ENTER)
    assert terminal.close() == 0
    history = terminal.history.read_text(encoding="utf-8")
    assert "When did the harbour reopen?" in history and "Fishing boats" not in history


def test_a_dumb_terminal_gets_plain_lines_without_escape_sequences(terminals):
    terminal = terminals("dumb")
    terminal.wait_for("\n> ")
    terminal.type("/stats" + ENTER, at_prompt=False)
    terminal.wait_for("questions answered:")
    terminal.type("/quit" + ENTER, at_prompt=False)
    assert terminal.close() == 0
    assert "articles: 0" in terminal.output and "\x1b" not in terminal.output
