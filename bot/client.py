"""The Discord client: a ``commands.Bot`` that builds the engine in ``setup_hook``."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.cooldown import UserCooldown
from bot.settings import Settings
from bot.ui import MoreButton
from index import Engine
from index.store import StoreError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

EXTENSIONS = ("bot.cogs.ingest", "bot.cogs.questions", "bot.cogs.admin")
DISCORD_FILE_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})
SHUTDOWN_GRACE_SECONDS = 20.0
"""How long a stop waits for ingests in hand; the rest resume at the next start."""


def use_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST API and gateway (Discord's by default)."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class NewsBot(commands.Bot):
    engine: Engine

    def __init__(self, settings: Settings, *, engine: Engine | None = None, **options) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            # Commands are for servers: installed to a guild, used in its channels.
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
            **options,
        )
        self.settings = settings
        self._given_engine = engine
        self.question_cooldown = UserCooldown(settings.questions_per_minute, 60.0)
        self._working = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._shutdown: asyncio.Future[None] | None = None

    def is_discord_file(self, url: str) -> bool:
        """Whether an attachment's URL is on Discord's file servers (or the configured API
        host), the only place attachments are read from: a crafted attachment must not
        make the bot fetch an address inside its own network."""
        try:
            parsed = yarl.URL(url)
        except ValueError:
            return False
        api = yarl.URL(self.settings.discord_api_base)
        if parsed.scheme == "https" and parsed.host in DISCORD_FILE_HOSTS:
            return True
        return (parsed.scheme, parsed.host) == (api.scheme, api.host)

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Marks ingest work in hand, which a clean stop waits for."""
        self._working += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._working -= 1
            if self._working == 0:
                self._idle.set()

    async def setup_hook(self) -> None:
        if self._given_engine is not None:
            self.engine = self._given_engine
        else:
            self.engine = await Engine.open(self.settings.database, self.settings.engine_config())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(MoreButton)
        test_guild = self.settings.discord_test_guild_id
        if test_guild is not None:
            guild = discord.Object(id=test_guild)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        """Prefix commands are not used; the cogs listen to messages themselves."""

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # The guild's data stays until a moderator purges it; only memory is freed.
        await self.engine.unload(guild.id)

    async def close(self) -> None:
        """Let ingests in hand finish (while Discord can still be told), then disconnect
        and close the store. Work still unfinished stays written down for the next start.

        A signal and the end of ``async with`` both close: every caller waits for the
        one shutdown, so none returns while the store is still closing.
        """
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._shutdown)

    async def _close_once(self) -> None:
        if not self.is_closed():
            try:
                await asyncio.wait_for(self._idle.wait(), SHUTDOWN_GRACE_SECONDS)
            except TimeoutError:
                log.warning(
                    "stopping with %d ingest(s) unfinished; they resume at the next start",
                    self._working,
                )
        await super().close()
        if self._given_engine is None and hasattr(self, "engine"):
            await self.engine.close()


async def run_discord(settings: Settings) -> None:
    use_discord_endpoints(settings)
    async with NewsBot(settings) as bot:
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, _stop, bot, stop_signal)
        await bot.start(settings.discord_token or "")
    # ``async with`` skips closing a client already marked closed, which a signal's
    # shutdown does first; wait here until that shutdown has closed the store too.
    await bot.close()


def _stop(bot: NewsBot, stop_signal: signal.Signals) -> None:
    log.info("received %s; stopping", stop_signal.name)
    asyncio.get_running_loop().create_task(bot.close())


def run_on_discord(settings: Settings) -> int:
    """Run the bot until it is stopped; returns the process's exit status."""
    try:
        asyncio.run(run_discord(settings))
    except KeyboardInterrupt:
        return EXIT_OK
    except discord.LoginFailure:
        print("Discord refused the token: check DISCORD_TOKEN.", file=sys.stderr)
        return EXIT_USAGE
    except discord.PrivilegedIntentsRequired:
        print(
            "Discord refused the connection: switch on the Message Content intent for the bot "
            "in the developer portal (Bot > Privileged Gateway Intents).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except (aiohttp.ClientError, OSError) as error:
        print(f"Could not reach Discord: {type(error).__name__}.", file=sys.stderr)
        return EXIT_FAILED
    except StoreError as error:
        print(f"Database error: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
