"""Why the bot could not reach Discord, in words: every kind of failure, without a network."""

from __future__ import annotations

import errno
import re
import socket
import ssl
from types import SimpleNamespace

import aiohttp
import discord
import pytest
from aiohttp.client_reqrep import ConnectionKey

from bot.connection import command_sync_failure, connection_failure

API = "https://discord.com/api/v10"
CLASS_NAME = re.compile(r"\b\w*(Error|Exception|Failure|Closed)\b|\b[A-Z][a-z]+[A-Z]\w+")


def key(host: str = "discord.com", port: int = 443) -> ConnectionKey:
    return ConnectionKey(host, port, True, True, None, None, None, host)


def http_error(status: int, reason: str, message: str) -> discord.HTTPException:
    return discord.HTTPException(SimpleNamespace(status=status, reason=reason), message)


def certificate_error() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "certificate has expired"
    return error


def closed(code: int) -> discord.ConnectionClosed:
    return discord.ConnectionClosed(SimpleNamespace(close_code=code), shard_id=None, code=code)


CASES = [
    (
        aiohttp.ClientConnectorDNSError(key("nonexistent.invalid"), socket.gaierror(-2, "x")),
        "the host name nonexistent.invalid could not be resolved",
    ),
    (
        aiohttp.ClientConnectorError(key(), ConnectionRefusedError(errno.ECONNREFUSED, "x")),
        "discord.com refused the connection",
    ),
    (
        aiohttp.ClientConnectorError(key(), OSError(errno.ENETUNREACH, "Network unreachable")),
        "cannot be reached from this machine's network",
    ),
    (
        aiohttp.ClientConnectorError(key(), OSError(errno.ECONNRESET, "Connection reset by peer")),
        "connection reset by peer",
    ),
    (aiohttp.ConnectionTimeoutError(), "the connection to discord.com timed out"),
    (TimeoutError(), "timed out"),
    (
        aiohttp.ClientConnectorCertificateError(key(), certificate_error()),
        "because of its certificate (certificate has expired)",
    ),
    (
        aiohttp.ClientConnectorSSLError(key(), ssl.SSLError(1, "wrong version number")),
        "the secure (TLS) connection to discord.com failed",
    ),
    (aiohttp.ServerDisconnectedError(), "closed the connection without answering"),
    (discord.LoginFailure("Improper token has been passed."), "refused the token"),
    (closed(4004), "refused the token"),
    (closed(4014), "Message Content intent"),
    (closed(4012), "closed the connection (code 4012)"),
    (closed(4011), "requires this bot to be sharded"),
    (closed(4010), "SHARD_IDS must be below SHARD_COUNT"),
    (http_error(502, "Bad Gateway", "upstream"), "answered 502 (Bad Gateway: upstream)"),
    (discord.GatewayNotFound(), "DISCORD_GATEWAY_URL"),
]


@pytest.mark.parametrize(("error", "expected"), CASES)
def test_each_failure_is_said_in_words(error: BaseException, expected: str) -> None:
    text = connection_failure(error, API)
    assert expected in text
    assert not CLASS_NAME.search(text), text
    assert text.endswith(".")


@pytest.mark.parametrize(
    ("api_base", "named"),
    [(API, "discord.com"), ("http://chat.example.org:3001/api", "chat.example.org:3001")],
)
def test_the_host_comes_from_the_settings_when_the_error_has_none(api_base, named):
    assert named in connection_failure(TimeoutError(), api_base)


def test_a_sync_failure_is_one_line_with_discords_words() -> None:
    error = http_error(400, "Bad Request", {"code": 50035, "message": "Invalid Form Body"})
    text = command_sync_failure(error)
    assert "\n" not in text and "50035" in text and "Invalid Form Body" in text
    assert command_sync_failure(TimeoutError()) == "the request timed out"
    assert command_sync_failure(aiohttp.ClientOSError()) == "the connection failed"
