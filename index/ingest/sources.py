"""What in a message is an article: its links, its pasted text, its attached files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal
from urllib.parse import urlsplit

from index.ingest.paste import MAX_NOTE_CHARS, MIN_WORDS, without_lead_in
from index.ingest.textio import clean_text, count_words, is_visible, shorten
from index.ingest.urls import FoundUrl, canonical_url, find_urls

MAX_LINKS_PER_MESSAGE = 5
ONE_LINE_ARTICLE_WORDS = 50
"""A message on one line ending in a link is the article's text when at least this many
words (and at least the engine's minimum) come before the link: more than a remark."""
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})

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
    article_text: str | None = None
    """The message text, when its one link closes a text long enough to be the article
    (pasted on one line): to be read if the link cannot be."""


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
    words = count_words(without_links)
    if "\n" in text and words >= min_words:
        return MessageSources((), 0, text, None)

    distinct: dict[str, str] = {}
    readable: list[FoundUrl] = []
    for url in found:
        try:
            key = canonical_url(url.url)
        except ValueError:
            continue
        distinct.setdefault(key, url.url)
        readable.append(url)
    links = tuple(distinct.values())
    article_text = None
    remark_text = without_links
    if readable:
        closing = readable[-1]
        after = text[closing.end :]
        if not is_visible(after):  # "Big news. Read more at <link>": no dangling lead-in
            remark_text = without_lead_in(without_links)
        before = count_words(text[: closing.start])
        enough = max(min_words, ONE_LINE_ARTICLE_WORDS)
        if len(links) == 1 and before >= enough and before >= count_words(after):
            # The text before the link is the article; the poster's remark follows it.
            article_text, remark_text = text, after
    return MessageSources(
        links=links[:MAX_LINKS_PER_MESSAGE],
        extra_links=max(0, len(links) - MAX_LINKS_PER_MESSAGE),
        pasted_article=None,
        remark=_remark(remark_text),
        article_text=article_text,
    )


def _remark(text: str) -> str | None:
    remark = " ".join(re.sub(r"[<>\[\]()]", " ", text).split())
    remark = remark.strip(" -—–:|")
    if not is_visible(remark):
        return None
    return shorten(remark, MAX_NOTE_CHARS)


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
