"""The local console: a terminal chat over the same engine the Discord bot uses.

Type a question to get quoted answers; paste an article (several lines at once, or a
long line) or a link to index it; commands start with a slash. When the input is not a terminal
(a pipe or a file), every line is its own input and ``/paste`` reads a multi-line
article up to a line holding a single ``.``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot import render_text
from index import Engine, IngestRefused, Provenance
from index.errors import ArticleNotFound
from index.urls import find_urls, is_link

# Lines that arrive within this time of each other are one paste.
PASTE_GAP_SECONDS = 0.05
LONG_LINE_CHARS = 300
PAGE_SIZE = 20

HELP = """\
Ask a question about the indexed articles, or paste an article to index it.

  QUESTION              quote the passages that answer it
  /in ID QUESTION       ask about one article only
  /paste                paste an article over several lines, end with a line "."
  LINK [REMARK]         fetch the article a link points to and index it
  /ingest PATH|URL      index a .txt, .md or .html file, or a link
  /articles [PAGE]      list the indexed articles, newest first
  /show ID              show an article's paragraphs
  /remove ID            remove an article
  /stats                counts for this console's articles
  /help                 this text
  /quit                 leave (Ctrl-D works too)"""


@dataclass
class Console:
    engine: Engine
    guild_id: int
    out: TextIO = sys.stdout
    color: bool = False
    width: int | None = None
    poster: str = "console"

    def say(self, text: str) -> None:
        if self.width:
            text = "\n".join(_wrap(line, self.width) for line in text.split("\n"))
        print(text, file=self.out, flush=True)

    async def handle(self, block: str) -> bool:
        """Act on one input; returns False when the user asked to leave."""
        text = block.strip()
        if not text:
            return True
        if text.startswith("/") and "\n" not in text:
            return await self._command(text)
        if "\n" in text or len(text) > LONG_LINE_CHARS or find_urls(text):
            await self._ingest_message(text)
        else:
            await self._ask(text)
        return True

    async def _ask(self, question: str, article_id: int | None = None) -> None:
        try:
            answer = await self.engine.ask(self.guild_id, question, article_id=article_id)
        except ArticleNotFound as missing:
            self.say(f"There is {missing}.")
            return
        self.say(render_text.answer_text(answer, color=self.color))

    async def _ingest_message(self, text: str) -> None:
        outcomes = await self.engine.ingest_message(self.guild_id, text, (), self._provenance())
        if not outcomes:  # one long line, no links: it can only be a pasted article
            outcomes = [
                await self.engine.ingest_outcome("message", self.guild_id, text, self._provenance())
            ]
        self.say(render_text.outcomes_text(outcomes))

    async def _ingest_url(self, url: str) -> None:
        try:
            result = await self.engine.ingest_url(self.guild_id, url, self._provenance())
        except IngestRefused as refused:
            self.say(f"Not indexed: {refused.reason}.")
            return
        self.say(render_text.ingest_text(result))

    async def _ingest_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as error:
            self.say(f"Cannot read {path}: {error.strerror or error}.")
            return
        try:
            result = await self.engine.ingest_file(
                self.guild_id, path.name, data, self._provenance()
            )
        except IngestRefused as refused:
            self.say(f"Not indexed: {refused.reason}.")
            return
        self.say(render_text.ingest_text(result))

    def _provenance(self) -> Provenance:
        return Provenance(poster_name=self.poster)

    async def _command(self, line: str) -> bool:
        name, _, rest = line[1:].partition(" ")
        name, rest = name.lower(), rest.strip()
        if name in ("quit", "exit", "q"):
            return False
        if name in ("help", "h", "?"):
            self.say(HELP)
        elif name == "articles":
            page = _positive_int(rest) if rest else 1
            if page is None:
                self.say("Usage: /articles [PAGE], where PAGE is a number from 1.")
            else:
                articles = await self.engine.list_articles(
                    self.guild_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
                )
                self.say(render_text.articles_text(articles))
        elif name == "stats":
            self.say(render_text.stats_text(await self.engine.stats(self.guild_id)))
        elif name in ("remove", "show", "in"):
            await self._article_command(name, rest)
        elif name == "ingest":
            if not rest:
                self.say("Usage: /ingest PATH or /ingest URL")
            elif is_link(rest):
                await self._ingest_url(rest)
            else:
                await self._ingest_file(Path(rest).expanduser())
        elif name == "paste":
            self.say("The paste command needs its lines; type /paste, the article, then a line '.'")
        else:
            self.say(f"Unknown command /{name}. Type /help for the list.")
        return True

    async def _article_command(self, name: str, rest: str) -> None:
        raw_id, _, question = rest.partition(" ")
        article_id = _positive_int(raw_id.lstrip("#"))
        if article_id is None:
            usage = {"remove": "/remove ID", "show": "/show ID", "in": "/in ID QUESTION"}[name]
            self.say(f"Usage: {usage}, where ID is an article number from /articles.")
            return
        if name == "in":
            if not question.strip():
                self.say("Usage: /in ID QUESTION")
            else:
                await self._ask(question, article_id)
            return
        if name == "remove":
            try:
                info = await self.engine.remove_article(self.guild_id, article_id)
            except ArticleNotFound as missing:
                self.say(f"There is {missing}.")
            else:
                self.say(f"Removed article #{info.id}: {info.title}")
            return
        info = await self.engine.get_article(self.guild_id, article_id)
        if info is None:
            self.say(f"There is no article #{article_id} here.")
            return
        paragraphs = await self.engine.article_paragraphs(self.guild_id, article_id)
        lines = [render_text.article_line(info)]
        if info.note:
            lines.append(f"note from the poster: {info.note}")
        lines += [f"  {p.position + 1}. {p.text}" for p in paragraphs]
        self.say("\n".join(lines))


async def run_console(
    engine: Engine, guild_id: int, stdin: TextIO | None = None, out: TextIO | None = None
) -> None:
    """Read inputs until EOF or /quit and answer each one."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty()
    console = Console(
        engine,
        guild_id,
        out=out,
        color=out.isatty(),
        width=shutil.get_terminal_size().columns if out.isatty() else None,
    )
    stats = await engine.stats(guild_id)
    console.say(
        f"News console · {stats.articles} article(s) indexed. "
        "Ask a question, paste an article, or type /help."
    )
    lines = _LineReader(stdin)
    while True:
        if interactive:
            print("> ", end="", file=out, flush=True)
        line = await lines.next()
        if line is None:
            break
        if line.strip().lower() == "/paste":
            block = await lines.until_dot()
        elif interactive:
            block = line + await lines.burst()
        else:
            block = line
        try:
            keep_going = await console.handle(block)
        except Exception as error:  # keep the console alive; say what went wrong
            console.say(f"Something went wrong: {error}")
            keep_going = True
        if not keep_going:
            break
    if interactive:
        print(file=out)


class _LineReader:
    """Lines from a blocking stream, read by a daemon thread so the loop never waits on it."""

    def __init__(self, stream: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: TextIO) -> None:
        with contextlib.suppress(Exception):
            for line in stream:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
        with contextlib.suppress(RuntimeError):  # the loop may be gone at exit
            self._loop.call_soon_threadsafe(self._queue.put_nowait, None)

    async def next(self) -> str | None:
        return await self._queue.get()

    async def burst(self) -> str:
        """Lines that follow at once, as a paste delivers them."""
        lines = []
        while True:
            try:
                line = await asyncio.wait_for(self._queue.get(), PASTE_GAP_SECONDS)
            except TimeoutError:
                break
            if line is None:
                self._queue.put_nowait(None)
                break
            lines.append(line)
        return "".join(lines)

    async def until_dot(self) -> str:
        lines = []
        while (line := await self._queue.get()) is not None and line.strip() != ".":
            lines.append(line)
        if line is None:
            self._queue.put_nowait(None)
        return "".join(lines)


def _positive_int(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) > 0 else None


def _wrap(line: str, width: int) -> str:
    if len(line) <= width:
        return line
    indent = line[: len(line) - len(line.lstrip())]
    if line.lstrip().startswith("> "):
        indent += "  "
    return textwrap.fill(
        line, width=width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )
