"""Fetching web pages that users link to, without letting a link reach where it must not.

Every request the bot makes on a user's behalf goes through one ``Fetcher``. Its address
policy is enforced where the connection is made, not only on the link's host name:

- host names are resolved by a resolver that refuses any name with an address the policy
  does not allow, so the connection can only go to an address that was checked (a name
  that resolves differently the second time, "DNS rebinding", gains nothing);
- IP-literal links skip the resolver, so the socket factory checks the address once more
  just before connecting;
- redirects are followed by hand, each hop checked again (scheme, credentials, port).

Bodies are read in chunks and capped after decompression, so a gzip bomb stops early.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from index.errors import IngestRefused
from index.netpolicy import AddressPolicy, UnsafeDestination

USER_AGENT = "newsbot/0.1 (a Discord bot that reads news articles its users share)"
MAX_BODY_BYTES = 3_000_000
MAX_REDIRECTS = 5
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


class FetchRefused(IngestRefused):
    """A link that could not or would not be fetched; ``reason`` is fit to show a user."""


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_body_bytes: int = MAX_BODY_BYTES
    max_redirects: int = MAX_REDIRECTS
    total_seconds: float = 20.0
    connect_seconds: float = 5.0
    read_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str
    """Where the page was found, after redirects."""
    status: int
    content_type: str
    body: bytes
    charset: str | None

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES


class _CheckedResolver(AbstractResolver):
    """Resolves names and refuses any whose addresses the policy does not allow."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        for result in results:
            self._policy.check_address(result["host"])
        return results

    async def close(self) -> None:
        await self._resolver.close()


class Fetcher:
    """The one way the bot reaches the web for its users. Use as an async context manager."""

    def __init__(
        self,
        policy: AddressPolicy | None = None,
        limits: FetchLimits | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.policy = policy or AddressPolicy()
        self.limits = limits or FetchLimits()
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=_CheckedResolver(self.policy),
                socket_factory=self._socket,
                limit=8,
                ttl_dns_cache=30,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # no proxies from the environment
                headers={
                    "User-Agent": self._user_agent,
                    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.8",
                    "Accept-Encoding": "gzip, deflate",
                },
                timeout=aiohttp.ClientTimeout(
                    total=self.limits.total_seconds,
                    sock_connect=self.limits.connect_seconds,
                    sock_read=self.limits.read_seconds,
                ),
            )
        return self._session

    def _socket(self, addr_info: tuple[Any, ...]) -> socket.socket:
        """The last check before connecting, for addresses that skipped the resolver."""
        family, type_, proto, _name, address = addr_info
        self.policy.check_address(address[0])
        return socket.socket(family=family, type=type_, proto=proto)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, url: str) -> FetchedPage:
        """GET ``url``, following at most ``max_redirects`` checked redirects."""
        session = self._open_session()
        current = self._checked_url(url)
        try:
            async with asyncio.timeout(self.limits.total_seconds):
                for _hop in range(self.limits.max_redirects + 1):
                    async with session.get(current, allow_redirects=False) as response:
                        if response.status in _REDIRECTS and "Location" in response.headers:
                            target = current.join(URL(response.headers["Location"]))
                            current = self._checked_url(str(target))
                            continue
                        return await self._read(current, response)
        except UnsafeDestination as unsafe:
            raise FetchRefused(unsafe.reason) from None
        except aiohttp.ClientConnectorError as error:
            cause = error.__cause__ or getattr(error, "os_error", None)
            if isinstance(cause, UnsafeDestination):
                raise FetchRefused(cause.reason) from None
            raise FetchRefused("the site could not be reached") from None
        except TimeoutError:
            raise FetchRefused("the page took too long to answer") from None
        except aiohttp.TooManyRedirects:
            raise FetchRefused("the link redirects too many times") from None
        except aiohttp.ClientPayloadError:
            raise FetchRefused("the page could not be read (broken or badly compressed)") from None
        except aiohttp.ClientError as error:
            raise FetchRefused(f"the page could not be fetched ({type(error).__name__})") from None
        raise FetchRefused("the link redirects too many times")

    def _checked_url(self, url: str) -> URL:
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            raise FetchRefused("that is not a valid link") from None
        if parsed.scheme not in ("http", "https"):
            raise FetchRefused("only http and https links can be read")
        if parsed.user is not None or parsed.password is not None:
            raise FetchRefused("links with a user name or password are not followed")
        if not parsed.host:
            raise FetchRefused("that link has no host")
        if len(url) > 4000:
            raise FetchRefused("that link is too long")
        try:
            port = parsed.port
        except ValueError:
            raise FetchRefused("that link has an invalid port") from None
        try:
            self.policy.check_port(port or (443 if parsed.scheme == "https" else 80))
        except UnsafeDestination as unsafe:
            raise FetchRefused(unsafe.reason) from None
        return parsed

    async def _read(self, url: URL, response: aiohttp.ClientResponse) -> FetchedPage:
        if response.status >= 400:
            reason = response.reason or ""
            raise FetchRefused(f"the site answered {response.status} {reason}".rstrip())
        limit = self.limits.max_body_bytes
        declared = response.content_length
        if declared is not None and declared > limit:
            raise FetchRefused(f"the page is larger than {limit // 1_000_000} MB")
        body = bytearray()
        # aiohttp decompresses as it reads, so this counts the decompressed size.
        async for chunk in response.content.iter_chunked(_CHUNK):
            body += chunk
            if len(body) > limit:
                raise FetchRefused(f"the page is larger than {limit // 1_000_000} MB")
        content_type = _content_type(response, bytes(body))
        if content_type not in HTML_TYPES | TEXT_TYPES:
            raise FetchRefused(f"that link is not a web page ({content_type})")
        return FetchedPage(str(url), response.status, content_type, bytes(body), response.charset)


def _content_type(response: aiohttp.ClientResponse, body: bytes) -> str:
    """The declared type, or a sniffed one when the server sent none or a generic one."""
    declared = response.content_type.lower() if "Content-Type" in response.headers else ""
    if declared and declared != "application/octet-stream":
        return declared
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")):
        return "text/html"
    if head and b"\x00" not in head:
        return "text/plain"
    return "application/octet-stream"
