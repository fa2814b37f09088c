"""The local console: a terminal chat over the same engine the Discord bot uses.

Type a question to get quoted answers; paste an article (several lines at once, or a
long line) or a link to index it; commands start with a slash. ``/paste`` reads an
article over several lines, up to a line holding a single ``.``.

On a terminal, lines are read with prompt_toolkit: arrows and the usual editing keys
work, Up recalls earlier inputs, Ctrl-R searches them, and the questions and commands
(not pasted articles, which the database keeps anyway) are remembered across runs in a
history file. A paste lands at the prompt as a whole, to be sent with Enter. Anything
else (a pipe, a file) is read line by line, each line its own input, so scripts and
tests drive the console the same way; so is a terminal with ``TERM=dumb``, which edits
lines itself if at all. Answers are wrapped to the terminal's width as it
is when each one is printed, and coloured only where colour is wanted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import create_input
from prompt_toolkit.output import create_output

from bot import render_text
from bot.languages import NotOneLanguage, UnknownLanguages, language_changes, languages_line
from index import Engine, IngestRefused, Provenance
from index.errors import ArticleNotFound, StoreError
from index.ingest.urls import find_urls, is_link

log = logging.getLogger(__name__)

# Lines typed into a terminal without line editing that arrive within this time of
# each other are one paste.
PASTE_GAP_SECONDS = 0.05
LONG_LINE_CHARS = 300
PAGE_SIZE = 20
PROMPT = "> "
PASTE_PROMPT = "… "
PASTE_START = "Paste the article, then a line with only . to finish."

HELP = "\n".join(
    [
        "Ask a question about the indexed articles, or paste an article to index it.",
        "",
        "  QUESTION              quote the passages that answer it",
        "  ARTICLE               paste it (then Enter) to index it",
        "  /in ID QUESTION       ask about one article only",
        '  /paste                paste an article over several lines, end with a line "."',
        "  LINK [REMARK]         fetch the article a link points to and index it",
        "  /ingest PATH|URL      index a .txt, .md or .html file, or a link",
        "  /articles [PAGE]      list the indexed articles, newest first",
        "  /show ID              show an article's paragraphs",
        "  /remove ID            remove an article",
        "  /stats                counts for this console's articles",
        "  /language [MAIN]      show or set the main language (a code or an English name)",
        "  /languages [LIST]     show or set the other languages to expect (none clears)",
        "  /help                 this text",
        "  /quit                 leave (Ctrl-D works too)",
        "",
        "A question may hold search operators, for example",
        "  sea wall cost -storm site:example.com after:2025-11-01",
        *render_text.operators_help_lines(),
        "",
        "Up and Down recall earlier lines, Ctrl-R searches them.",
    ]
)

SOMETHING_WENT_WRONG = (
    "Something went wrong with that input, and it was not finished. "
    "Run with LOG_LEVEL=DEBUG to see the details."
)


def no_wrapping() -> int | None:
    return None


def terminal_columns() -> int | None:
    """The terminal's width now: read for every answer, so a resized window is followed."""
    return shutil.get_terminal_size().columns


@dataclass
class Console:
    engine: Engine
    guild_id: int
    out: TextIO = sys.stdout
    color: bool = False
    columns: Callable[[], int | None] = field(default=no_wrapping)
    poster: str = "console"

    def say(self, text: str) -> None:
        print(render_text.fit_to_width(text, self.columns()), file=self.out, flush=True)

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
            self.say(render_text.not_found_text(missing.article_id))
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
            self.say(render_text.refused_text(url, refused.reason))
            return
        self.say(render_text.ingest_text(result))

    async def _ingest_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as error:
            self.say(render_text.unreadable_text(str(path), error.strerror or str(error)))
            return
        try:
            result = await self.engine.ingest_file(
                self.guild_id, path.name, data, self._provenance()
            )
        except IngestRefused as refused:
            self.say(render_text.refused_text(str(path), refused.reason))
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
        elif name in ("language", "languages"):
            await self._languages_command(name, rest)
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

    async def _languages_command(self, name: str, rest: str) -> None:
        """``/language [MAIN]`` and ``/languages [OTHERS|none]``: show, or set and show,
        the languages questions are read in (see ``/admin config`` on Discord)."""
        current = await self.engine.guild_config(self.guild_id)
        if rest:
            main, others = (rest, None) if name == "language" else (None, rest)
            try:
                changes = language_changes(current, main, others)
            except (UnknownLanguages, NotOneLanguage) as problem:
                self.say(str(problem))
                return
            current = await self.engine.update_guild_config(self.guild_id, **changes)
        line = languages_line(current)
        self.say(line[:1].upper() + line[1:])

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
            except ArticleNotFound:
                self.say(render_text.not_found_text(article_id))
            else:
                self.say(render_text.removed_text(info))
            return
        info = await self.engine.get_article(self.guild_id, article_id)
        if info is None:
            self.say(render_text.not_found_text(article_id))
            return
        paragraphs = await self.engine.article_paragraphs(self.guild_id, article_id)
        self.say(render_text.article_text(info, paragraphs))


async def run_console(
    engine: Engine,
    guild_id: int,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    history_path: Path | None = None,
) -> None:
    """Read inputs until EOF or /quit and answer each one.

    ``history_path`` is where a terminal's lines are remembered (by default
    ``$XDG_STATE_HOME/newsbot/console-history``, ``~/.local/state/...`` without it).
    """
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    on_terminal = out.isatty()
    console = Console(
        engine,
        guild_id,
        out=out,
        color=render_text.color_wanted(os.environ, on_terminal),
        columns=terminal_columns if on_terminal else no_wrapping,
    )
    stats = await engine.stats(guild_id)
    console.say(
        f"News console · {stats.articles} article(s) indexed. "
        "Ask a question, paste an article, or type /help."
    )
    if stdin.isatty() and on_terminal and os.environ.get("TERM") != "dumb":
        lines: _Inputs = _EditedLines(stdin, out, history_path or default_history_path())
    else:
        lines = _StreamLines(stdin, out, prompt=stdin.isatty())
    pending: list[str] = []
    while True:
        try:
            block = pending.pop(0) if pending else await lines.read(PROMPT)
        except KeyboardInterrupt:  # Ctrl-C at the prompt drops the line, as in a shell
            continue
        if block is None:
            break
        if block.strip().lower() == "/paste":
            console.say(PASTE_START)
            pasted = await _read_until_dot(lines)
            if pasted is None:
                console.say("Paste cancelled; nothing was indexed.")
                continue
            block, leftover = pasted
            if leftover.strip():
                pending.append(leftover)
        try:
            keep_going = await console.handle(block)
        except StoreError as error:
            console.say(render_text.database_error_text(str(error)))
            keep_going = True
        except Exception:  # keep the console alive; the log has the details
            log.debug("the console could not finish an input", exc_info=True)
            console.say(SOMETHING_WENT_WRONG)
            keep_going = True
        if not keep_going:
            break
    if lines.interactive:
        print(file=out)


def default_history_path() -> Path:
    """Where the console remembers lines: the XDG state folder, as shells do."""
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "newsbot" / "console-history"


async def _read_until_dot(lines: _Inputs) -> tuple[str, str] | None:
    """The lines up to one holding only ``.``, and what came after it in the same paste;
    None when the user pressed Ctrl-C."""
    collected: list[str] = []
    while True:
        try:
            chunk = await lines.read(PASTE_PROMPT, remember=False)
        except KeyboardInterrupt:
            return None
        if chunk is None:
            return "\n".join(collected), ""
        chunk_lines = chunk.removesuffix("\n").split("\n")
        for number, line in enumerate(chunk_lines):
            if line.strip() == ".":
                return "\n".join(collected), "\n".join(chunk_lines[number + 1 :])
            collected.append(line)


class _Inputs(Protocol):
    interactive: bool

    async def read(self, prompt: str, *, remember: bool = True) -> str | None:
        """One input (None at the end); ``remember`` False keeps it out of the history."""
        ...


class _EditedLines:
    """A terminal's lines, edited with prompt_toolkit and remembered in a history file."""

    interactive = True

    def __init__(self, stdin: TextIO, out: TextIO, history_path: Path) -> None:
        terminal_input, terminal_output = create_input(stdin), create_output(out)
        self._session: PromptSession[str] = PromptSession(
            history=open_history(history_path), input=terminal_input, output=terminal_output
        )
        self._paste_session: PromptSession[str] = PromptSession(
            input=terminal_input, output=terminal_output
        )

    async def read(self, prompt: str, *, remember: bool = True) -> str | None:
        session = self._session if remember else self._paste_session
        try:
            return await session.prompt_async(prompt)
        except EOFError:
            return None


class QuestionHistory(FileHistory):
    """Questions and commands, once each in a row; pasted articles and long lines are
    left out (the database has them). A history that cannot be written is not an error."""

    def append_string(self, string: str) -> None:
        if "\n" in string or len(string) > LONG_LINE_CHARS or not string.strip():
            return
        earlier = self.get_strings()
        if earlier and earlier[-1] == string:
            return
        super().append_string(string)

    def store_string(self, string: str) -> None:
        with contextlib.suppress(OSError):
            super().store_string(string)


def open_history(path: Path) -> History:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)  # questions may be private
    except OSError:
        return InMemoryHistory()
    return QuestionHistory(path)


class _StreamLines:
    """Lines from a blocking stream, read by a daemon thread so the loop never waits on it.

    Each line is its own input, except on a terminal (``prompt`` True), where lines that
    arrive together are one paste.
    """

    def __init__(self, stream: TextIO, out: TextIO, *, prompt: bool) -> None:
        self.interactive = prompt
        self._out = out
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: TextIO) -> None:
        with contextlib.suppress(Exception):
            for line in stream:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
        with contextlib.suppress(RuntimeError):  # the loop may be gone at exit
            self._loop.call_soon_threadsafe(self._queue.put_nowait, None)

    async def read(self, prompt: str, *, remember: bool = True) -> str | None:
        if self.interactive:
            print(prompt, end="", file=self._out, flush=True)
        line = await self._queue.get()
        if line is None:
            self._queue.put_nowait(None)  # every later read sees the end too
            return None
        if self.interactive and remember:
            line += await self._burst()
        return line

    async def _burst(self) -> str:
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


def _positive_int(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) > 0 else None
