"""Command line: ``python -m bot [run|console|ingest|ask|articles|stats|remove|backup]``.

With no command it runs the bot: on Discord when ``DISCORD_TOKEN`` is set, otherwise the
local console with the seed articles loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import render_text
from bot.console import run_console
from bot.seeding import ingest_seeds_once
from bot.settings import Settings, SettingsError
from index import Engine, IngestRefused, Provenance
from index.errors import ArticleNotFound
from index.store import StoreError
from index.urls import is_link

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, help="SQLite database file (default: from settings)")
    common.add_argument("--guild", type=int, help="guild id to work on (default: CONSOLE_GUILD_ID)")

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
    ask = commands.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--article", type=int, help="only search this article id")
    ask.add_argument("--results", type=int, help="passages to quote (1-10)")
    articles = commands.add_parser("articles", parents=[common], help="list indexed articles")
    articles.add_argument("--page", type=int, default=1)
    commands.add_parser("stats", parents=[common], help="counts for the guild")
    remove = commands.add_parser("remove", parents=[common], help="remove an article")
    remove.add_argument("article", type=int)
    backup = commands.add_parser("backup", parents=[common], help="copy the database while in use")
    backup.add_argument("path", type=Path)
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
    handler = _COMMANDS[command]
    try:
        return asyncio.run(_with_engine(settings, args, handler))
    except KeyboardInterrupt:
        return EXIT_OK
    except StoreError as error:
        print(f"Database error: {error}", file=sys.stderr)
        return EXIT_FAILED


Handler = Callable[[Engine, int, argparse.Namespace, Settings], Awaitable[int]]


async def _with_engine(settings: Settings, args: argparse.Namespace, handler: Handler) -> int:
    database = getattr(args, "db", None) or settings.database
    guild = getattr(args, "guild", None)
    guild = settings.console_guild_id if guild is None else guild
    async with await Engine.open(database, settings.engine_config()) as engine:
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
            print(f"{source}: cannot read it: {error.strerror or error}")
            status = EXIT_FAILED
        except IngestRefused as refused:
            print(f"{source}: not indexed: {refused.reason}")
            status = EXIT_FAILED
        else:
            print(f"{source}: {render_text.ingest_text(result)}")
    return status


async def _ask(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    if args.results is not None and not 1 <= args.results <= 10:
        print("--results must be between 1 and 10", file=sys.stderr)
        return EXIT_USAGE
    try:
        answer = await engine.ask(guild, args.question, article_id=args.article, limit=args.results)
    except ArticleNotFound as missing:
        print(f"There is {missing}.")
        return EXIT_FAILED
    print(render_text.answer_text(answer, color=sys.stdout.isatty()))
    return EXIT_OK if answer.found else EXIT_FAILED


async def _articles(
    engine: Engine, guild: int, args: argparse.Namespace, settings: Settings
) -> int:
    page = max(args.page, 1)
    articles = await engine.list_articles(guild, offset=(page - 1) * 50, limit=50)
    print(render_text.articles_text(articles))
    return EXIT_OK


async def _stats(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    print(render_text.stats_text(await engine.stats(guild)))
    return EXIT_OK


async def _remove(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    try:
        info = await engine.remove_article(guild, args.article)
    except ArticleNotFound as missing:
        print(f"There is {missing}.")
        return EXIT_FAILED
    print(f"Removed article #{info.id}: {info.title}")
    return EXIT_OK


async def _backup(engine: Engine, guild: int, args: argparse.Namespace, settings: Settings) -> int:
    if args.path.exists():
        print(f"{args.path} exists already; choose a new file name.", file=sys.stderr)
        return EXIT_USAGE
    await engine.backup(args.path)
    print(f"Backed up the database to {args.path}")
    return EXIT_OK


_COMMANDS: dict[str, Handler] = {
    "run": _console,
    "console": _console,
    "ingest": _ingest,
    "ask": _ask,
    "articles": _articles,
    "stats": _stats,
    "remove": _remove,
    "backup": _backup,
}

if __name__ == "__main__":
    sys.exit(main())
