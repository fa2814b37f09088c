"""Fetching web pages that users link to, without letting a link reach where it must not.

Every request the bot makes on a user's behalf goes through one ``Fetcher``. Its address
policy is enforced where the connection is made, not only on the link's host name:

- host names are resolved by a resolver that refuses any name with an address the policy
  does not allow, so the connection can only go to an address that was checked (a name
  that resolves differently the second time, "DNS rebinding", gains nothing);
- IP-literal links skip the resolver, so the socket factory checks the address once more
  just before connecting; numeric hosts in the old forms browsers still read
  (``http://2130706433/``, ``http://0177.0.0.1/``) are turned into the address they
  stand for and checked like any other;
- redirects are followed by hand, each hop checked again (scheme, credentials, port).

Bodies are read in chunks and capped after decompression, so a gzip bomb stops early.
Every refusal says in plain words what went wrong; what the libraries raised is logged.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from index.errors import IngestRefused
from index.ingest.netpolicy import AddressPolicy, UnsafeDestination
from index.ingest.urls import ipv4_host

log = logging.getLogger(__name__)

USER_AGENT = "newsbot/0.1 (a Discord bot that reads news articles its users share)"
MAX_BODY_BYTES = 3_000_000
MAX_REDIRECTS = 5
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
MAX_URL_CHARS = 4000
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNK = 64 * 1024
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_MAX_HOST_CHARS = 253
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,40}/[a-z0-9][a-z0-9!#$&^_.+-]{0,60}")

INVALID_LINK = "that is not a valid link"
UNREACHABLE = "the site could not be reached"


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

    def __init__(self, policy: AddressPolicy, resolver: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or ThreadedResolver()

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
        *,
        resolver: AbstractResolver | None = None,
    ) -> None:
        """``resolver`` finds the addresses of host names (the system's by default); the
        policy checks whatever it answers."""
        self.policy = policy or AddressPolicy()
        self.limits = limits or FetchLimits()
        self._user_agent = user_agent
        self._resolver = resolver
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=_CheckedResolver(self.policy, self._resolver),
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
                            current = self._redirect_target(current, response)
                            continue
                        return await self._read(current, response)
        except FetchRefused:
            raise
        except UnsafeDestination as unsafe:
            raise FetchRefused(unsafe.reason) from None
        except TimeoutError:
            raise FetchRefused("the page took too long to answer") from None
        except aiohttp.ClientError as error:
            raise FetchRefused(_client_error_reason(error, current)) from None
        except ValueError as error:  # UnicodeError included: a host IDNA cannot encode
            log.info("fetching %s: %r", current, error)
            raise FetchRefused(INVALID_LINK) from None
        raise FetchRefused("the link redirects too many times")

    def _redirect_target(self, current: URL, response: aiohttp.ClientResponse) -> URL:
        try:
            target = current.join(URL(response.headers["Location"]))
        except (ValueError, TypeError):
            raise FetchRefused("the link redirects to an address that is not valid") from None
        return self._checked_url(str(target))

    def _checked_url(self, url: str) -> URL:
        """``url`` parsed and checked against the policy before anything is sent.

        A host with a trailing dot loses it, and a numeric host becomes the address it
        stands for, so that what is checked here is what is connected to.
        """
        if len(url) > MAX_URL_CHARS:
            raise FetchRefused("that link is too long")
        try:
            parsed = URL(url)
            raw_host = parsed.raw_host
            parsed.host  # noqa: B018 - raises for a host IDNA cannot decode ("xn--")
            port = parsed.port
        except (ValueError, TypeError):
            raise FetchRefused(INVALID_LINK) from None
        if parsed.scheme not in ("http", "https"):
            raise FetchRefused("only http and https links can be read")
        if parsed.user is not None or parsed.password is not None:
            raise FetchRefused("links with a user name or password are not followed")
        if not raw_host:
            raise FetchRefused("that link has no host")
        host = self._checked_host(raw_host)
        try:
            self.policy.check_port(port if port is not None else _DEFAULT_PORTS[parsed.scheme])
        except UnsafeDestination as unsafe:
            raise FetchRefused(unsafe.reason) from None
        return parsed if host == raw_host else parsed.with_host(host)

    def _checked_host(self, raw_host: str) -> str:
        """The host to connect to; addresses are checked against the policy here."""
        if ":" in raw_host:  # an IPv6 address: yarl has checked its form
            address: ipaddress.IPv4Address | ipaddress.IPv6Address | str = raw_host
        else:
            host = raw_host.lower().removesuffix(".")
            try:
                ipv4 = ipv4_host(host)
            except ValueError:
                raise FetchRefused(INVALID_LINK) from None
            if ipv4 is None:
                if not _is_host_name(host):
                    raise FetchRefused(INVALID_LINK)
                return host
            address = ipv4
        try:
            self.policy.check_address(address)
        except UnsafeDestination as unsafe:
            raise FetchRefused(unsafe.reason) from None
        return str(address)

    async def _read(self, url: URL, response: aiohttp.ClientResponse) -> FetchedPage:
        if response.status >= 400:
            raise FetchRefused(f"the site answered {_status_text(response.status)}")
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
            if _MEDIA_TYPE.fullmatch(content_type):
                raise FetchRefused(f"that link is not a web page ({content_type})")
            raise FetchRefused("that link is not a web page")
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


def _client_error_reason(error: aiohttp.ClientError, url: URL) -> str:
    """Plain words for what aiohttp raised; the error itself goes to the log."""
    if isinstance(error, aiohttp.ClientConnectorError):
        cause = error.__cause__ or getattr(error, "os_error", None)
        if isinstance(cause, UnsafeDestination):
            return cause.reason
    log.info("fetching %s: %r", url, error)
    if isinstance(error, aiohttp.InvalidURL):
        return INVALID_LINK
    if isinstance(error, aiohttp.TooManyRedirects):
        return "the link redirects too many times"
    if isinstance(error, aiohttp.ClientPayloadError):
        return "the page could not be read (broken or badly compressed)"
    if isinstance(
        error, aiohttp.ClientConnectorCertificateError | aiohttp.ServerFingerprintMismatch
    ):
        return "the site's security certificate could not be verified"
    if isinstance(error, aiohttp.ClientConnectorError):
        return UNREACHABLE
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return "the site closed the connection"
    if isinstance(error, aiohttp.ClientResponseError):
        return "the site's answer could not be read"
    return "the page could not be fetched"


def _status_text(status: int) -> str:
    """``404 Not Found``: the standard phrase, not the one the site chose to send."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _is_host_name(host: str) -> bool:
    """Whether ``host`` (lower-cased, in its ASCII form) is a name DNS can look up."""
    if not host or len(host) > _MAX_HOST_CHARS:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in host.split("."))
