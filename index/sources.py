"""What in a message is an article: its links, its pasted text, its attached files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal
from urllib.parse import urlsplit

from index.paste import MAX_NOTE_CHARS, MIN_WORDS
from index.textio import clean_text, shorten
from index.urls import canonical_url, find_urls

MAX_LINKS_PER_MESSAGE = 5
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
_WORD = re.compile(r"\w+")

FileKind = Literal["text", "html", "other"]


def file_kind(filename: str, content_type: str | None = None) -> FileKind:
    """Text or HTML by the file name, else by the content type (``message.txt`` sometimes
    arrives with none, and uploads sometimes with a wrong one, so the name comes first)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("text/plain", "text/markdown"):
        return "text"
    if media in ("text/html", "application/xhtml+xml"):
        return "html"
    return "other"


@dataclass(frozen=True, slots=True)
class MessageSources:
    links: tuple[str, ...]
    """Distinct links to fetch, in order (none when the text itself is the article)."""
    extra_links: int
    """Links beyond the per-message limit, left alone."""
    pasted_article: str | None
    """The message text, when it is an article pasted whole."""
    remark: str | None
    """The message text without its links: the poster's note on what they shared."""


def message_sources(content: str, *, min_words: int = MIN_WORDS) -> MessageSources:
    text = clean_text(content or "").strip()
    found = find_urls(text)
    kept: list[str] = []
    cursor = 0
    for url in found:
        kept.append(text[cursor : url.start])
        cursor = url.end
    kept.append(text[cursor:])
    without_links = "".join(kept)
    words = len(_WORD.findall(without_links))
    if "\n" in text and words >= min_words:
        return MessageSources((), 0, text, None)

    distinct: dict[str, str] = {}
    for url in found:
        try:
            key = canonical_url(url.url)
        except ValueError:
            continue
        distinct.setdefault(key, url.url)
    links = tuple(distinct.values())
    remark = " ".join(re.sub(r"[<>\[\]()]", " ", without_links).split())
    remark = shorten(remark, MAX_NOTE_CHARS) or None
    return MessageSources(
        links=links[:MAX_LINKS_PER_MESSAGE],
        extra_links=max(0, len(links) - MAX_LINKS_PER_MESSAGE),
        pasted_article=None,
        remark=remark,
    )


def same_site(url: str | None, other: str | None) -> bool:
    """Whether two links are on the same host, ``www.`` aside."""
    if not url or not other:
        return False
    try:
        hosts = [urlsplit(u).hostname or "" for u in (url, other)]
    except ValueError:
        return False
    first, second = (host.removeprefix("www.") for host in hosts)
    return bool(first) and first == second
