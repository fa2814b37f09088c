"""Command line: ``python -m bot [COMMAND]``.

Commands: ``run`` (the default), ``console``, ``ingest``, ``ask``, ``articles``,
``stats``, ``remove``, ``guilds``, ``export``, ``purge``, ``backup`` and ``copy-store``.
With no command it runs the bot: on Discord when ``DISCORD_TOKEN`` is set, otherwise the
local console with the seed articles loaded.

Every command works on the store ``DATABASE_URL`` (or ``--db``) names: a SQLite file or a
PostgreSQL database. Only ``run``, ``console`` and ``ingest`` create a missing SQLite
file: a mistyped ``--db`` given to any other command is reported, not answered from a
new, empty database. ``copy-store`` copies everything into another, empty store (a new
SQLite file is created; a PostgreSQL database must exist) and checks the copy.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import render_text
from bot.console import run_console
from bot.seeding import ingest_seeds_once
from bot.settings import Settings, SettingsError
from bot.storage import open_engine
from index import Engine, IngestRefused, Provenance
from index.errors import ArticleNotFound, StoreError
from index.ingest.urls import is_link
from index.new_files import give_name
from index.store import open_store, parse_location
from index.store.copy import copy_to

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CREATING_COMMANDS = frozenset({"run", "console", "ingest"})
"""The commands that may create a missing database; the others only use one."""
FOLLOWING_COMMANDS = frozenset({"run", "console"})
"""The commands that run for long, and so keep their indexes in step with other
processes' changes; the others answer once and stop."""
PAGE_SIZE = 50
LARGEST_ID = 2**63 - 1
"""Discord's ids (snowflakes) and the store's are positive and fit in 64 signed bits."""
CONSOLE_GUILD = 0
"""The guild the console uses unless ``CONSOLE_GUILD_ID`` names a Discord server."""


def article_id(text: str) -> int:
    """An article's id: a whole number from 1 to 2^63 - 1."""
    value = _whole_number(text)
    if not 1 <= value <= LARGEST_ID:
        raise argparse.ArgumentTypeError(f"{text} is not an id (ids are from 1 to {LARGEST_ID})")
    return value


def guild_id(text: str) -> int:
    """A server's id (a Discord snowflake), or 0 for the console's own guild."""
    value = _whole_number(text)
    if value != CONSOLE_GUILD and not 1 <= value <= LARGEST_ID:
        raise argparse.ArgumentTypeError(
            f"{text} is not a server id (ids are from 1 to {LARGEST_ID}; "
            f"{CONSOLE_GUILD} is the console's guild)"
        )
    return value


def page_number(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"pages are numbered from 1, not {value}")
    return value


def database_location(text: str) -> str:
    """A SQLite file path, ``sqlite:///path`` or a ``postgresql://`` URL (checked, not
    opened)."""
    try:
        parse_location(text)
    except StoreError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def build_parser() -> argparse.ArgumentParser:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--db",
        type=database_location,
        help="SQLite file or postgresql:// URL (default: DATABASE_URL from settings)",
    )
    common = argparse.ArgumentParser(add_help=False, parents=[database])
    common.add_argument(
        "--guild", type=guild_id, help="guild id to work on (default: CONSOLE_GUILD_ID)"
    )

    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Answer questions about shared news articles."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run", parents=[common], help="run on Discord, or the console without a token"
    )
    commands.add_parser("console", parents=[common], help="the local terminal chat")
    ingest = commands.add_parser("ingest", parents=[common], help="index article files or links")
    ingest.add_argument(
        "sources", nargs="+", metavar="FILE|URL", help=".txt, .md or .html files, or links"
    )
    ask = commands.add_parser(
        "ask",
        parents=[common],
        help="answer one question",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="search operators the question may hold:\n"
        + "\n".join(render_text.operators_help_lines()),
    )
    ask.add_argument("question", help="the question, with any search operators")
    ask.add_argument("--article", type=article_id, help="only search this article id")
    ask.add_argument("--results", type=int, help="passages to quote (1-10)")
    ask.add_argument(
        "--newest", action="store_true", help="newest articles first, instead of best match"
    )
    articles = commands.add_parser("articles", parents=[common], help="list indexed articles")
    articles.add_argument(
        "--page", type=page_number, default=1, help=f"{PAGE_SIZE} articles a page, newest first"
    )
    commands.add_parser("stats", parents=[common], help="counts for the guild")
    remove = commands.add_parser("remove", parents=[common], help="remove an article")
    remove.add_argument("article", type=article_id)
    commands.add_parser("guilds", parents=[common], help="the guilds that have articles")
    export = commands.add_parser("export", parents=[common], help="the guild's articles as JSON")
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="a new file to write (default: print them)"
    )
    purge = commands.add_parser("purge", parents=[common], help="delete all of a guild's data")
    purge.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)"
    )
    backup = commands.add_parser("backup", parents=[common], help="copy the database while in use")
    backup.add_argument("path", type=Path, help="the copy to write: a new file")
    copy = commands.add_parser(
        "copy-store",
        parents=[database],
        help="copy everything into another, empty database, and check the copy",
    )
    copy.add_argument(
        "--to",
        required=True,
        type=database_location,
        metavar="URL",
        help="an empty postgresql:// database, or a new SQLite file (path or sqlite:///path)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load()
    except SettingsError as error:
        print(f"Settings error: {error}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    command = args.command or "run"
    if command == "run" and settings.discord_token:
        from bot.client import run_on_discord

        return run_on_discord(settings)
    try:
        if command == "copy-store":
            return asyncio.run(_copy_store(settings, args))
        return asyncio.run(_with_engine(settings, args, command, _COMMANDS[command]))
    except KeyboardInterrupt:
        return EXIT_FAILED if command == "copy-store" else EXIT_OK  # a copy left unfinished
    except StoreError as error:
        print(render_text.database_error_text(str(error)), file=sys.stderr)
        return EXIT_FAILED


Handler = Callable[[Engine, int, argparse.Namespace, Settings], Awaitable[int]]


async def _with_engine(
    settings: Settings, args: argparse.Namespace, command: str, handler: Handler
) -> int:
    database = getattr(args, "db", None) or settings.database
    guild = getattr(args, "guild", None)
    guild = settings.console_guild_id if guild is None else guild
    engine = await open_engine(
        settings,
        database,
        create=command in CREATING_COMMANDS,
        follow_changes=command in FOLLOWING_COMMANDS,
    )
    async with engine:
        return await handler(engine, guild, args, settings)


async def _console(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    for result in await ingest_seeds_once(engine, guild, settings.seeds_dir):
        print(render_text.ingest_text(result))
    await run_console(engine, guild)
    return EXIT_OK


async def _ingest(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    status = EXIT_OK
    for source in args.sources:
        provenance = Provenance(poster_name="cli")
        try:
            if is_link(source):
                result = await engine.ingest_url(guild, source, provenance)
            else:
                path = Path(source)
                result = await engine.ingest_file(guild, path.name, path.read_bytes(), provenance)
        except OSError as error:
            print(render_text.unreadable_text(source, error.strerror or str(error)))
            status = EXIT_FAILED
        except IngestRefused as refused:
            print(render_text.refused_text(source, refused.reason))
            status = EXIT_FAILED
        else:
            print(f"{source}: {render_text.ingest_text(result)}")
    return status


async def _ask(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    if args.results is not None and not 1 <= args.results <= 10:
        print("--results must be between 1 and 10", file=sys.stderr)
        return EXIT_USAGE
    try:
        answer = await engine.ask(
            guild,
            args.question,
            article_id=args.article,
            limit=args.results,
            newest_first=args.newest,
        )
    except ArticleNotFound as missing:
        print(render_text.not_found_text(missing.article_id))
        return EXIT_FAILED
    print(
        render_text.answer_text(
            answer, color=render_text.color_wanted(os.environ, sys.stdout.isatty())
        )
    )
    return EXIT_OK if answer.found else EXIT_FAILED


async def _articles(
    engine: Engine, guild: int, args: argparse.Namespace, settings: Settings
) -> int:
    articles = await engine.list_articles(
        guild, offset=(args.page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    if not articles and args.page > 1:
        total = await engine.article_count(guild)
        if total:
            pages = -(-total // PAGE_SIZE)
            print(
                f"page {args.page} is past the end: there "
                f"{'is' if total == 1 else 'are'} {_count(total, 'article')} "
                f"({_count(pages, 'page')})"
            )
            return EXIT_FAILED
    print(render_text.articles_text(articles))
    return EXIT_OK


async def _stats(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    print(render_text.stats_text(await engine.stats(guild)))
    return EXIT_OK


async def _remove(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    try:
        info = await engine.remove_article(guild, args.article)
    except ArticleNotFound as missing:
        print(render_text.not_found_text(missing.article_id))
        return EXIT_FAILED
    print(render_text.removed_text(info))
    return EXIT_OK


async def _guilds(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    print(render_text.guilds_text(await engine.guilds()))
    return EXIT_OK


async def _export(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    if args.output is not None and args.output.exists():
        print(f"{args.output} exists already; choose a new file name.", file=sys.stderr)
        return EXIT_USAGE
    data = await engine.export(guild)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if args.output is None:
        print(text)
        return EXIT_OK
    try:
        await asyncio.to_thread(write_new_file, args.output, text.encode())
    except FileExistsError:
        print(f"{args.output} exists already; choose a new file name.", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"Cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    exported = _count(len(data["articles"]), "article")  # type: ignore[arg-type]
    print(f"Exported {exported} of guild {guild} to {args.output}")
    return EXIT_OK


async def _purge(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            print("purge deletes data: confirm it on a terminal, or add --yes.", file=sys.stderr)
            return EXIT_USAGE
        articles = await engine.article_count(guild)
        question = (
            f"Delete all data of guild {guild}: {_count(articles, 'article')}, its settings, "
            "statistics and remembered questions? Type yes to confirm: "
        )
        try:
            confirmed = (await asyncio.to_thread(input, question)).strip().lower() == "yes"
        except EOFError:
            confirmed = False
        if not confirmed:
            print("Nothing was deleted.")
            return EXIT_FAILED
    deleted = await engine.purge(guild)
    await engine.audit(guild, None, "command line", "purge", str(deleted))
    print(
        f"Deleted all data of guild {guild}: {_count(deleted, 'article')} with their "
        "paragraphs, its settings, statistics and remembered questions."
    )
    return EXIT_OK


async def _backup(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    if args.path.exists():
        print(f"{args.path} exists already; choose a new file name.", file=sys.stderr)
        return EXIT_USAGE
    await engine.backup(args.path)
    print(f"Backed up the database to {args.path}")
    return EXIT_OK


async def _copy_store(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the configured store into the empty one ``--to`` names, and check it."""
    source = await open_store(settings.store_location(args.db), create=False)
    try:
        if await source.is_empty():
            print(f"{source.location} holds no data: there is nothing to copy.", file=sys.stderr)
            return EXIT_FAILED
        target = parse_location(args.to)
        new_file = target.path is not None and not target.path.exists()
        print(f"Copying {source.location} to {target}")
        try:
            report = await copy_to(
                source,
                target,
                progress=lambda table, rows: print(render_text.copy_progress_text(table, rows)),
            )
        except (asyncio.CancelledError, KeyboardInterrupt):
            if new_file:
                print(f"The copy was stopped; nothing was written to {target}.", file=sys.stderr)
            else:
                print(
                    f"The copy was stopped: {target} may hold part of the data; empty it "
                    "before copying again.",
                    file=sys.stderr,
                )
            raise
    finally:
        await source.close()
    print(render_text.copy_report_text(report))
    return EXIT_OK


def write_new_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, a new file, whole or not at all: into a temporary file
    beside it first, then given its name. Raises ``FileExistsError`` if ``path`` exists."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where the folder should be
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)) from None
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        with temporary.open("xb") as handle:
            handle.write(data)
        give_name(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


_COMMANDS: dict[str, Handler] = {
    "run": _console,
    "console": _console,
    "ingest": _ingest,
    "ask": _ask,
    "articles": _articles,
    "stats": _stats,
    "remove": _remove,
    "guilds": _guilds,
    "export": _export,
    "purge": _purge,
    "backup": _backup,
}

if __name__ == "__main__":
    sys.exit(main())
