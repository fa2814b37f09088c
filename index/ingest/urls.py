"""Finding links in pasted text and making them canonical for de-duplication."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# A link starts at its scheme, wherever it is: pasted text often glues it to the word before.
_URL_START = re.compile(r"https?://", re.IGNORECASE)
# Characters that cannot be part of a link as people paste it.
_URL_BODY = re.compile(r"[^\s<>\"'`\[\]{}|\\^]+")
_TRAILING_PUNCT = ".,;:!?*_~"
# A lower-case slug glued to a capitalised word: "...-boat-strikesNew update". The word is
# found first and the slug checked on its own, which keeps the work linear on long segments.
_GLUED_WORD = re.compile(r"[A-Z][a-z]*\Z")
_SLUG = re.compile(r"[a-z0-9._~%-]*[a-z0-9]")
_SLUG_SEPARATORS = frozenset("-_.")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "si",
        "smid",
        "smtyp",
        "cmpid",
        "ocid",
        "ref_src",
        "ref_url",
        "_ga",
        "_gl",
        "spm",
        "share",
        "sharesource",
        "mbid",
        "cid",
        "s_cid",
        "icid",
    }
)
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "oly_")


@dataclass(frozen=True, slots=True)
class FoundUrl:
    url: str
    start: int
    end: int


def find_urls(text: str) -> list[FoundUrl]:
    """Every http(s) link in ``text`` with its span, cut where the surrounding words begin.

    Handles links glued to the word before (``countryhttps://...``), links glued to a
    capitalised word after a lower-case slug (``...-strikesNew update``), trailing
    punctuation, and links wrapped in parentheses, angle brackets or markdown.
    """
    found: list[FoundUrl] = []
    position = 0
    run_end = 0  # where the run of link characters around ``position`` ends
    while match := _URL_START.search(text, position):
        start = match.start()
        # Every link starting inside one run of link characters ends with that run, so the
        # run is measured once: text of glued links stays linear, not quadratic.
        if start >= run_end:
            body = _URL_BODY.match(text, start)
            run_end = body.end() if body else match.end()
        end = _trim_end(text, start, run_end)
        url = text[start:end]
        position = max(end, match.end())
        if _has_host(url):
            found.append(FoundUrl(url, start, end))
    return found


def _trim_end(text: str, start: int, end: int) -> int:
    # A second scheme glued onto a link starts another link ("https://a.com/xhttps://b.com"),
    # unless it is a parameter's value ("...?url=https://b.com", ".../https://b.com").
    for nxt in _URL_START.finditer(text, start + 1, end):
        if text[nxt.start() - 1] not in "=&?/:(":
            end = nxt.start()
            break
    opened = text.count("(", start, end)
    closed = text.count(")", start, end)
    while end > start:
        ch = text[end - 1]
        unbalanced = ch == ")" and opened < closed
        if ch in _TRAILING_PUNCT or unbalanced:
            end -= 1
            closed -= ch == ")"
        else:
            break
    return _cut_glued_word(text, start, end)


def is_link(text: str) -> bool:
    """Whether ``text`` is exactly one link and nothing else."""
    found = find_urls(text)
    return len(found) == 1 and found[0].url == text


def _cut_glued_word(text: str, start: int, end: int) -> int:
    """Cut a capitalised word glued onto a slug-like last path segment."""
    url = text[start:end]
    parts = urlsplit(url)
    if parts.query or parts.fragment or not parts.path.strip("/"):
        return end
    last_segment = parts.path.rsplit("/", 1)[-1]
    glued = _GLUED_WORD.search(last_segment)
    if not glued:
        return end
    slug = last_segment[: glued.start()]
    if not _SLUG.fullmatch(slug) or _SLUG_SEPARATORS.isdisjoint(slug):
        return end
    return end - len(glued.group())


def _has_host(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    # A name of two or more labels ("example.com", not "." or ".example.com"), or localhost.
    name = (host or "").rstrip(".")
    labels = name.split(".")
    return name == "localhost" or (len(labels) > 1 and all(labels))


def canonical_url(url: str) -> str:
    """A stable form of ``url`` for recognising the same page under different links.

    Lower-cases scheme and host, drops default ports, credentials, the fragment and
    tracking parameters, sorts the query, and removes a trailing slash from the path.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        address = ipv4_host(host) if host else None
    except ValueError:
        address = None
    if address is not None:
        host = str(address)
    while host.startswith("www."):
        host = host[4:]
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    port = parts.port
    netloc = (
        host
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else f"{host}:{port}"
    )
    path = parts.path.rstrip("/") or "/"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_PARAMS and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a link's host stands for, read the way browsers read it (the
    WHATWG URL standard): ``2130706433``, ``0x7f.1`` and ``0177.0.0.1`` all mean
    127.0.0.1. None when the host is a name; ``ValueError`` when it ends in a number but
    is no address (``1.2.3.4.5``, ``256.1.1.1``, ``example.42``).
    """
    parts = host.split(".")
    if len(parts) > 1 and not parts[-1]:
        parts.pop()  # "127.0.0.1." is 127.0.0.1
    if not _ends_in_number(parts[-1]):
        return None
    if len(parts) > 4:
        raise ValueError(f"{host!r} has too many parts for an IPv4 address")
    numbers = [_ipv4_number(part) for part in parts]
    if any(number > 255 for number in numbers[:-1]):
        raise ValueError(f"{host!r} has a part over 255")
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError(f"{host!r} is out of the IPv4 range")
    value = numbers[-1]
    for position, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - position)
    return ipaddress.IPv4Address(value)


_DIGITS = {
    8: frozenset("01234567"),
    10: frozenset("0123456789"),
    16: frozenset("0123456789abcdefABCDEF"),
}


def _ends_in_number(label: str) -> bool:
    if label.isascii() and label.isdigit():
        return True
    try:
        _ipv4_number(label)
    except ValueError:
        return False
    return True


def _ipv4_number(part: str) -> int:
    """One part of a numeric host: decimal, octal with a leading 0, or hex after 0x."""
    if not part or not part.isascii():
        raise ValueError(f"{part!r} is not a number")
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return 0  # "0x" alone is zero
    if not _DIGITS[base].issuperset(digits):
        raise ValueError(f"{part!r} is not a number")
    return int(digits, base)
