"""Why the bot could not connect to Discord, said in words an operator can act on.

The errors come from aiohttp (the connection), discord.py (the answer) and the operating
system; their class names mean nothing to whoever reads the journal, so each is turned
into a sentence naming the host and what to check.
"""

from __future__ import annotations

import errno
import ssl

import aiohttp
import discord
import yarl

TOKEN_REFUSED = "Discord refused the token: check DISCORD_TOKEN."
INTENT_REFUSED = (
    "Discord refused the connection: switch on the Message Content intent for the bot "
    "in the developer portal (Bot > Privileged Gateway Intents)."
)
_AUTHENTICATION_FAILED = 4004
_DISALLOWED_INTENTS = (4013, 4014)
SHARDING_REQUIRED = 4011
INVALID_SHARD = 4010
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def connection_failure(error: BaseException, api_base: str) -> str:
    """One or two sentences saying why the bot could not reach Discord at ``api_base``."""
    where = _where(error, api_base)
    if isinstance(error, discord.LoginFailure):
        return TOKEN_REFUSED
    if isinstance(error, discord.PrivilegedIntentsRequired):
        return INTENT_REFUSED
    if isinstance(error, discord.ConnectionClosed):
        return _closed(error)
    if isinstance(error, discord.GatewayNotFound):
        return "Could not find Discord's gateway: check DISCORD_GATEWAY_URL."
    if isinstance(error, discord.HTTPException):
        return (
            f"Discord answered {error.status} ({_http_reason(error)}) at {where}. "
            "Check DISCORD_API_BASE; if it is right, Discord is having trouble: try again later."
        )
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return (
            f"Could not reach Discord: the host name {_host(error, api_base)} could not be "
            "resolved. Check DISCORD_API_BASE and this machine's network and DNS settings."
        )
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        problem = getattr(error.certificate_error, "verify_message", "") or "it is not trusted"
        return (
            f"Could not reach Discord: the secure connection to {where} failed because of "
            f"its certificate ({problem}). Check the machine's clock and DISCORD_API_BASE."
        )
    if isinstance(error, aiohttp.ClientSSLError | ssl.SSLError):
        return (
            f"Could not reach Discord: the secure (TLS) connection to {where} failed. "
            "Check DISCORD_API_BASE (https for Discord) and any proxy or firewall in between."
        )
    if isinstance(error, TimeoutError):
        return (
            f"Could not reach Discord: the connection to {where} timed out. "
            "Check the network and any firewall."
        )
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return f"Could not reach Discord: {where} closed the connection without answering."
    os_error = error.os_error if isinstance(error, aiohttp.ClientConnectorError) else error
    if isinstance(os_error, ConnectionRefusedError):
        return (
            f"Could not reach Discord: {where} refused the connection (nothing is listening "
            "there). Check DISCORD_API_BASE."
        )
    if isinstance(os_error, OSError) and os_error.errno in _UNREACHABLE:
        return f"Could not reach Discord: {where} cannot be reached from this machine's network."
    if isinstance(os_error, OSError) and os_error.strerror:
        return f"Could not reach Discord at {where}: {os_error.strerror.lower()}."
    return f"Could not reach Discord at {where}; the connection failed."


def _where(error: BaseException, api_base: str) -> str:
    """The host, and its port unless it is the scheme's usual one."""
    api = yarl.URL(api_base)
    port = error.port if isinstance(error, aiohttp.ClientConnectorError) else api.port
    host = _host(error, api_base)
    usual = {"https": 443, "wss": 443, "http": 80, "ws": 80}.get(api.scheme)
    return host if port in (None, usual) else f"{host}:{port}"


def _host(error: BaseException, api_base: str) -> str:
    if isinstance(error, aiohttp.ClientConnectorError) and error.host:
        return error.host
    return yarl.URL(api_base).host or api_base


def _http_reason(error: discord.HTTPException) -> str:
    reason = getattr(error.response, "reason", None) or "an error"
    detail = " ".join(str(error.text or "").split())[:200]
    return f"{reason}: {detail}" if detail else reason


def _closed(error: discord.ConnectionClosed) -> str:
    if error.code == _AUTHENTICATION_FAILED:
        return TOKEN_REFUSED
    if error.code in _DISALLOWED_INTENTS:
        return INTENT_REFUSED
    if error.code == SHARDING_REQUIRED:
        return (
            "Discord requires this bot to be sharded: it is in too many servers for one "
            "connection. Set SHARD_COUNT=auto (or a number, the same in every process) and "
            "start again; see 'Running several processes' in the README."
        )
    if error.code == INVALID_SHARD:
        return (
            "Discord refused the shard settings: SHARD_IDS must be below SHARD_COUNT, and "
            "SHARD_COUNT must be a number Discord accepts for this bot."
        )
    reason = f": {error.reason}" if error.reason else ""
    return f"Discord closed the connection (code {error.code}{reason})."


def command_sync_failure(error: BaseException) -> str:
    """Why Discord did not take the slash commands, on one line, for the log."""
    if isinstance(error, discord.HTTPException):
        return " ".join(str(error).split())
    if isinstance(error, TimeoutError):
        return "the request timed out"
    if isinstance(error, aiohttp.ClientError | OSError):
        return "the connection failed"
    return " ".join(str(error).split()) or "no reason given"
