"""Starting the bot when Discord cannot be reached: the operator reads why, in words.

``run_on_discord`` runs its own event loop, so these tests are synchronous; the fake
Discord, when one is needed, runs on a loop of its own in a second thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import discord

from bot.client import EXIT_FAILED, EXIT_USAGE, NewsBot, run_on_discord
from bot.settings import Settings
from tests.support.fake_discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTE5ODc2NTQzMjEwOTg3NjU0Mw.GqZx1a.k3yV9sQpLm0RtYwXcE7uJhN2fBdA6iOgS4zTe8"
CLASS_NAME = re.compile(r"\b\w*(Error|Exception|Failure|Closed)\b|\b[A-Z][a-z]+[A-Z]\w+")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings_for(api_base: str, tmp_path: Path, token: str = TOKEN) -> Settings:
    return Settings(
        discord_token=token,
        discord_api_base=api_base,
        discord_gateway_url="ws://127.0.0.1:1/gateway",
        data_dir=tmp_path,
    )


def assert_plain_words(text: str) -> None:
    assert text.strip(), "nothing was printed"
    assert not CLASS_NAME.search(text), f"a class name in {text!r}"
    assert "Traceback" not in text


@contextmanager
def fake_discord_in_a_thread(**options) -> Iterator[FakeDiscord]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeDiscord(**options)
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_a_closed_port_is_reported_as_refused(tmp_path, capsys):
    port = closed_port()
    status = run_on_discord(settings_for(f"http://127.0.0.1:{port}/api/v10", tmp_path))
    printed = capsys.readouterr().err
    assert status == EXIT_FAILED
    assert f"127.0.0.1:{port} refused the connection" in printed
    assert "DISCORD_API_BASE" in printed
    assert_plain_words(printed)


def test_a_host_that_does_not_resolve_is_named(tmp_path, capsys, monkeypatch):
    # The resolver answers as a real one does for a .invalid name, without a DNS query.
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "nonexistent.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    status = run_on_discord(settings_for("https://nonexistent.invalid/api/v10", tmp_path))
    printed = capsys.readouterr().err
    assert status == EXIT_FAILED
    assert "the host name nonexistent.invalid could not be resolved" in printed
    assert_plain_words(printed)


def test_a_refused_token_is_reported_and_not_retried(tmp_path, capsys):
    with fake_discord_in_a_thread(token=TOKEN) as fake:
        status = run_on_discord(settings_for(fake.rest_base, tmp_path, token="not-the-token"))
        assert [call.status for call in fake.requests] == [401]
    printed = capsys.readouterr().err
    assert status == EXIT_USAGE  # systemd does not restart on 2: a restart would not help
    assert "Discord refused the token: check DISCORD_TOKEN." in printed
    assert_plain_words(printed)


def test_voice_warnings_are_not_logged(caplog, monkeypatch):
    """discord.py warns at every start that PyNaCl and davey are missing: voice, which
    this bot never uses."""
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.DEBUG, logger="discord"):
        NewsBot(Settings(discord_token=TOKEN))
        # Other warnings of the same logger still get through.
        logging.getLogger("discord.client").warning("an unrelated warning")
    messages = [record.getMessage() for record in caplog.records]
    assert not [m for m in messages if "voice" in m], messages
    assert "an unrelated warning" in messages


def test_the_operator_sees_one_plain_line_when_discord_is_unreachable(tmp_path):
    """The whole process, as systemd runs it: what reaches the journal."""
    port = closed_port()
    environment = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
        "DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == EXIT_FAILED
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert f"127.0.0.1:{port} refused the connection" in lines[0]
    assert_plain_words(finished.stderr)
    assert TOKEN not in finished.stderr + finished.stdout
