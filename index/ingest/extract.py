"""Web pages turned into articles: the main text and metadata of a news page.

``extract_article`` is pure and synchronous; ``Extractor`` runs it in worker processes
with a time limit, so a pathological page cannot stall the bot's event loop.

The settings were chosen by measurement on the 133 pages of ``aeb-dev`` (a sample of the
article-extraction-benchmark), scored by ``python -m index.eval extraction``. A change was
kept only if it raised F1 on the whole AND on both halves (sorted file names, 66 + 67):

    trafilatura bare_extraction, with metadata       whole   first   second
    defaults (comments on, tables on)                0.961   0.956   0.965
    include_comments=False: the base                 0.963   0.961   0.965   kept
      + include_tables=False                         0.958   0.951   0.964   rejected
      + deduplicate (a fresh cache per page)         0.941   0.945   0.936   rejected
      + favor_recall                                 0.962   0.959   0.965   rejected
      + fast (no fallback extractors)                0.967   0.961   0.972   rejected: ties
      + favor_precision                              0.971   0.968   0.974   not used: lost 3
                                                                             points on unseen
                                                                             benchmark pages
    post-processing on the base, each step adding to the one before
      drop a first paragraph that is the title       0.966   0.964   0.968   kept
        (only when exactly the title)                0.965   0.963   0.967
      drop "Read more: ..." cross-link lines         0.967   0.965   0.969   kept: chosen
    alternatives tried on top of the chosen setting
      + fast                                         0.971   0.965   0.977   rejected: ties
      + drop paragraphs that are a whole link        0.968   0.964   0.972   rejected
      + retry with favor_recall when too short       0.967   0.965   0.969   never triggers
    and on top of the title rule alone
      + drop a trailing run of "- " list items       0.967   0.965   0.968   rejected: it
                                                     cuts real lists (recall fell on 2 of
                                                     the 3 pages it changed)

Two clean-ups change no F1 and are kept for the paragraphs' sake: dropping paragraphs
without any word (table rules such as ``|---|---|``), which can never answer a question,
and removing the "- " that marks a list item, which raises the share of ground-truth
paragraphs reproduced exactly from 0.880 to 0.916 (first half 0.868 -> 0.908, second
half 0.893 -> 0.924).
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import multiprocessing
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from types import TracebackType
from typing import Self
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement
from trafilatura import bare_extraction, load_html

from index.errors import IngestRefused
from index.ingest.dates import parse_published
from index.ingest.paste import fingerprint
from index.ingest.textio import (
    article_title,
    clean_text,
    count_words,
    has_words,
    one_line,
    plain_title,
    strip_invisible,
)
from index.ingest.urls import canonical_url
from index.models import ArticleDraft

log = logging.getLogger(__name__)

MIN_ARTICLE_WORDS = 25
"""Fewer words than this (after clean-up) is not an article: a login wall, an index page."""
MAX_HTML_CHARS = 5_000_000
"""Larger pages are refused unread; the benchmark's largest page is about 1.1 million."""
DEFAULT_TIME_LIMIT = 20.0
DEFAULT_WORKERS = 1
STARTUP_TIME_LIMIT = 60.0
"""How long a fresh worker process may take to start (importing trafilatura)."""
CHARSET_SNIFF_BYTES = 16_384
"""Some pages put a long <head> of scripts before their <meta charset>."""

NO_ARTICLE = "no article text found on that page"
TOO_SLOW = "the page took too long to read"
TOO_LARGE = "the page is too large to read"
UNREADABLE = "the page could not be read"

_WORD = re.compile(r"\w+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# Links to other stories, set as a line of their own: "READ MORE: ...", "Related: ...",
# or a bare heading such as "DON'T MISS".
_CROSS_LINK = re.compile(
    r"(?:(?:read|see) (?:more|also)|related(?: posts?| stories| articles)?|also read)\s*:\s*\S"
    r"|(?:don'?t miss|read more|see also|related(?: posts| stories| articles)?)\W*$",
    re.IGNORECASE,
)
_CROSS_LINK_MAX_CHARS = 200
# Browsers decode pages labelled latin-1 or ASCII as windows-1252 (WHATWG encoding standard).
_CP1252_NAMES = frozenset({"iso8859-1", "ascii"})
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """The article found on a web page."""

    title: str
    paragraphs: tuple[str, ...]
    author: str | None = None
    published: str | None = None
    """The publication moment in ISO 8601, in UTC (``2024-03-05T00:00:00+00:00``)."""
    site_name: str | None = None
    canonical_url: str | None = None
    """The URL the page declares for itself (``<link rel=canonical>`` or ``og:url``)."""
    language: str | None = None
    """The language the page declares (``<html lang>``, Content-Language, og:locale)."""

    def to_draft(self, source_url: str | None = None, note: str | None = None) -> ArticleDraft:
        """An ``ArticleDraft`` for the engine; ``source_url`` is the link that was shared."""
        declared = self.canonical_url or source_url
        return ArticleDraft(
            title=article_title(self.title, self.paragraphs),
            paragraphs=self.paragraphs,
            fingerprint=fingerprint(self.paragraphs),
            source_url=source_url,
            canonical_url=canonical_url(declared) if declared else None,
            note=note,
            site_name=self.site_name,
            author=self.author,
            published=self.published,
            language=self.language,
        )


# -- decoding ------------------------------------------------------------------------------


def decode_html(data: bytes, content_type_charset: str | None = None) -> str:
    """Decode a fetched page: BOM, then the HTTP charset, then <meta charset>, then UTF-8,
    then windows-1252 (which decodes anything)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    declared = [_encoding(content_type_charset), _encoding(_sniff_meta_charset(data))]
    for encoding in declared:
        if encoding:
            # LookupError: "base64" and other codecs that are not text encodings;
            # UnicodeError: codecs such as "undefined" that refuse to decode anything.
            try:
                return data.decode(encoding)
            except (UnicodeError, LookupError):
                pass
    if "utf-8" in declared:
        # A page declared UTF-8 with a few broken bytes: keep the rest readable.
        return data.decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _sniff_meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:CHARSET_SNIFF_BYTES])
    if not match:
        return None
    label = match.group(1).decode("ascii").lower()
    # The bytes were readable as ASCII to find the tag, so they cannot be UTF-16.
    return "utf-8" if label.startswith("utf-16") else label


def _encoding(label: str | None) -> str | None:
    """Python's name for a charset label, or None when it is unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in _CP1252_NAMES else name


# -- extraction ----------------------------------------------------------------------------


def extract_article(html: str, url: str | None = None) -> ExtractedArticle:
    """The article on an HTML page. Raises ``IngestRefused`` when there is none."""
    tree = load_html(html) if html.strip() else None
    if tree is None:
        raise IngestRefused(NO_ARTICLE)
    # bare_extraction works on a copy of the tree, so it can still be read afterwards.
    document = bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    if document is None or not document.text:
        raise IngestRefused(NO_ARTICLE)

    title = plain_title(document.title)
    paragraphs = _paragraphs(document.text)
    if title:
        paragraphs = _without_title_line(paragraphs, title)
    paragraphs = [p for p in paragraphs if not _is_cross_link(p)]
    if _article_words(paragraphs, tree) < MIN_ARTICLE_WORDS:
        raise IngestRefused(NO_ARTICLE)

    # trafilatura reads the <title> too, so it is rarely what rescues a missing title; a
    # title with nothing visible in it gives way to the article's opening words.
    title = title or plain_title(tree.findtext(".//title"))
    return ExtractedArticle(
        title=article_title(title, paragraphs),
        paragraphs=tuple(paragraphs),
        author=_clean_line(document.author),
        published=_published(document.date),
        site_name=_clean_line(document.sitename),
        canonical_url=_declared_url(tree, url),
        language=_declared_language(tree),
    )


def _paragraphs(text: str) -> list[str]:
    # trafilatura marks list items with "- "; the item's own words are what gets quoted.
    lines = (
        strip_invisible(clean_text(line).strip().removeprefix("- ")) for line in text.split("\n")
    )
    # A line without a single visible word (a table rule such as |---|---|, a row of
    # Hangul fillers) can answer nothing.
    return [line for line in lines if has_words(line)]


def _without_title_line(paragraphs: list[str], title: str) -> list[str]:
    """Drop a first paragraph that repeats the title (the headline above the text).

    The paragraph may be the title without its " - Site name" tail, so its words need
    only be the start of the title's words, as long as they are at least half of them.
    """
    if not paragraphs:
        return paragraphs
    first = _WORD.findall(paragraphs[0].casefold())
    words = _WORD.findall(title.casefold())
    if first and words[: len(first)] == first and 2 * len(first) >= len(words):
        return paragraphs[1:]
    return paragraphs


def _article_words(paragraphs: list[str], tree: HtmlElement) -> int:
    """Words outside paragraphs that are a whole link, so a list of headlines (an index
    page) is not an article. Such paragraphs are still kept: dropping them lowered F1 on
    the first half of the benchmark (0.965 -> 0.964)."""
    links = {_words_key(a.text_content()) for a in tree.iter("a")}
    return sum(count_words(p) for p in paragraphs if _words_key(p) not in links)


def _words_key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _is_cross_link(paragraph: str) -> bool:
    return len(paragraph) <= _CROSS_LINK_MAX_CHARS and _CROSS_LINK.match(paragraph) is not None


def _published(date: str | None) -> str | None:
    """The page's publication date from its metadata, in ISO 8601 and UTC."""
    moment = parse_published(date)
    return moment.isoformat() if moment is not None else None


def _clean_line(text: str | None) -> str | None:
    """A name (author, site) on one line, or None when nothing of it shows."""
    return strip_invisible(one_line(text or "")) or None


def _declared_language(tree: HtmlElement) -> str | None:
    """The language tag the page declares: ``<html lang>`` (or ``xml:lang``), else a
    Content-Language header in a meta tag, else og:locale ("de_DE")."""
    root = tree.getroottree().getroot()
    for tag in (root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")):
        if tag and tag.strip():
            return tag.strip()
    for meta in tree.iter("meta"):
        name = (meta.get("http-equiv") or meta.get("property") or "").lower()
        content = (meta.get("content") or "").strip()
        if name in ("content-language", "og:locale") and content:
            return content.split(",")[0].strip()
    return None


def _declared_url(tree: HtmlElement, base: str | None) -> str | None:
    """The page's own URL from <link rel=canonical> or og:url, made absolute."""
    candidates = [
        link.get("href")
        for link in tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    candidates += [
        meta.get("content")
        for meta in tree.iter("meta")
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url"
    ]
    for candidate in candidates:
        if not candidate or not candidate.strip():
            continue
        try:
            absolute = urljoin(base or "", candidate.strip())
            parts = urlsplit(absolute)
            canonical_url(absolute)  # raises for a port that is no number, as pages have
        except ValueError:  # a link no browser could follow: the page's other claims may do
            continue
        if parts.scheme in ("http", "https") and parts.hostname:
            return absolute
    return None


# -- worker processes ----------------------------------------------------------------------


def _ready() -> bool:
    """Run once in a new worker, so its start-up is not counted against a page."""
    return True


def _default_context() -> BaseContext:
    # Forking a process that runs threads (the event loop, discord.py) can deadlock.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


Worker = Callable[[str, str | None], ExtractedArticle]


class Extractor:
    """Runs ``extract_article`` in worker processes, with a time limit for each page.

    A page that runs over its limit is refused and its pool is replaced, killing the
    stuck worker, so later pages are not held up behind it.
    """

    def __init__(
        self,
        *,
        workers: int = DEFAULT_WORKERS,
        time_limit: float = DEFAULT_TIME_LIMIT,
        max_chars: int = MAX_HTML_CHARS,
        worker: Worker = extract_article,
        mp_context: BaseContext | None = None,
    ) -> None:
        """``worker`` must be a module-level function, so a spawned process can import it."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.time_limit = time_limit
        self.max_chars = max_chars
        self._worker = worker
        self._context = mp_context or _default_context()
        self._pool: ProcessPoolExecutor | None = None
        self._starting: asyncio.Lock | None = None
        self._slots: asyncio.Semaphore | None = None
        self._closed = False

    @property
    def worker_pids(self) -> list[int]:
        """The process ids of the extraction workers running now (none before the first
        page, or after ``close``): what an operator would look for in ``ps``."""
        if self._pool is None:
            return []
        return list(self._pool._processes or {})

    async def extract(self, html: str, url: str | None = None) -> ExtractedArticle:
        if self._closed:
            raise RuntimeError("the extractor is closed")
        if len(html) > self.max_chars:
            raise IngestRefused(TOO_LARGE)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        # At most one page per worker is handed over, so the time limit counts a page's own
        # work rather than its wait in the pool's queue.
        async with self._slots:
            # The second try is for a page whose pool was killed under it because another
            # page ran over its time limit.
            for _ in range(2):
                if self._closed:
                    break
                pool = await self._running_pool()
                try:
                    return await self._run(pool, html, url)
                except BrokenProcessPool:
                    continue
        raise IngestRefused(UNREADABLE)

    async def _run(self, pool: ProcessPoolExecutor, html: str, url: str | None) -> ExtractedArticle:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(pool, self._worker, html, url), self.time_limit
            )
        except IngestRefused:
            raise
        except TimeoutError:
            log.warning("extraction ran over %.1f s: %s", self.time_limit, url)
            self._discard(pool)
            raise IngestRefused(TOO_SLOW) from None
        except BrokenProcessPool:
            if pool is not self._pool:  # killed on purpose, for another page or by close()
                raise
            log.warning("an extraction worker died: %s", url)
            self._discard(pool)
            raise IngestRefused(UNREADABLE) from None
        except Exception:
            log.exception("extraction failed: %s", url)
            raise IngestRefused(UNREADABLE) from None

    async def _running_pool(self) -> ProcessPoolExecutor:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._pool is not None:
                return self._pool
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context)
            loop = asyncio.get_running_loop()
            try:
                await asyncio.wait_for(loop.run_in_executor(pool, _ready), STARTUP_TIME_LIMIT)
            except (TimeoutError, BrokenProcessPool):
                log.exception("an extraction worker failed to start")
                self._kill(pool)
                raise IngestRefused(UNREADABLE) from None
            if self._closed:  # closed while the worker was starting
                self._kill(pool)
                raise IngestRefused(UNREADABLE)
            self._pool = pool
            return pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        if pool is self._pool:
            self._pool = None
        self._kill(pool)

    @staticmethod
    def _kill(pool: ProcessPoolExecutor) -> None:
        # shutdown() forgets its processes, so take them first: shutdown(wait=False) alone
        # would leave a stuck worker running until its page is done. Once the workers are
        # dead, every page still in the pool fails with BrokenProcessPool.
        processes = list((pool._processes or {}).values())
        pool.shutdown(wait=False)
        for process in processes:
            if process.is_alive():
                process.kill()

    def close(self) -> None:
        """Stop the workers. Pages still being read are abandoned and refused."""
        self._closed = True
        if self._pool is not None:
            pool, self._pool = self._pool, None
            self._kill(pool)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
