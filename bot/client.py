"""The Discord client: a ``commands.Bot`` that builds the engine in ``setup_hook``, and
``run_on_discord``, which runs it until it is stopped and says in words why it could not
start."""

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

from bot import render_text
from bot.answers import Answers
from bot.connection import command_sync_failure, connection_failure
from bot.cooldown import UserCooldown
from bot.errors import NewsTree
from bot.settings import Settings
from bot.sharing import SharedMessages
from bot.storage import open_engine
from bot.ui import MoreButton
from index import Engine
from index.errors import StoreError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

EXTENSIONS = ("bot.cogs.ingest", "bot.cogs.questions", "bot.cogs.admin", "bot.cogs.help")
SHUTDOWN_GRACE_SECONDS = 20.0
"""How long a stop waits for ingests in hand; the rest resume at the next start."""


VOICE_WARNINGS = frozenset(
    {
        "PyNaCl is not installed, voice will NOT be supported",
        "davey is not installed, voice will NOT be supported",
    }
)
"""What discord.py logs at every start when its voice extras are missing; this bot
never joins a voice channel, so they would only alarm whoever reads the log."""


def _not_a_voice_warning(record: logging.LogRecord) -> bool:
    return record.msg not in VOICE_WARNINGS


def quiet_voice_warnings() -> None:
    """Drop exactly discord.py's two voice warnings, logged by ``discord.client``."""
    logging.getLogger("discord.client").addFilter(_not_a_voice_warning)


def use_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST API and gateway (Discord's by default)."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class NewsBot(commands.AutoShardedBot):
    """The bot. ``setup_hook`` wires what the cogs share before loading them: the
    ``engine``, ``answers`` (answer messages and their More button) and
    ``shared_messages`` (what a posted message shares, read for the engine). Cogs use
    these, never each other.

    It runs the shards ``SHARD_IDS`` of ``SHARD_COUNT`` (one shard of one by default):
    Discord sends it only the events of those shards' guilds, so the indexes it loads,
    the work it resumes and the snapshots it saves are its own guilds' alone. Other
    processes run the other shards over the same database."""

    engine: Engine
    answers: Answers
    shared_messages: SharedMessages

    def __init__(self, settings: Settings, *, engine: Engine | None = None, **options) -> None:
        quiet_voice_warnings()
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
            tree_cls=NewsTree,
            # Commands are for servers: installed to a guild, used in its channels.
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
            **options,
        )
        self.settings = settings
        self._given_engine = engine
        self.question_cooldown = UserCooldown(settings.questions_per_minute, 60.0)
        self._working = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._shutdown: asyncio.Future[None] | None = None

    def is_server_file(self, url: str) -> bool:
        """Whether an attachment's URL is on the server's own file host, the only place
        attachments are read from: a crafted attachment must not make the bot fetch an
        address inside its own network.

        The file hosts are ``ATTACHMENT_HOSTS`` (Discord's by default), over https; over
        http too when the API itself is plain http (a self-hosted server without TLS,
        where https would only lock its files out and http exposes nothing the API
        connection does not). The API's own host counts as a file host, with the API's
        scheme: the bot trusts that server with its token already, and self-hosted
        servers such as Spacebar serve their files from it, on another port.
        """
        try:
            parsed = yarl.URL(url)
            host = (parsed.raw_host or "").lower().rstrip(".")
        except ValueError:
            return False
        api = yarl.URL(self.settings.discord_api_base)
        api_host = (api.raw_host or "").lower().rstrip(".")
        if parsed.user is not None or parsed.password is not None:
            return False
        if host and host == api_host and parsed.scheme == api.scheme:
            return True
        schemes = {"https", "http"} if api.scheme == "http" else {"https"}
        return parsed.scheme in schemes and host in self.settings.attachment_hosts

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
            self.engine = await open_engine(self.settings)
        self.answers = Answers(self.engine)
        self.shared_messages = SharedMessages(self.engine, self.is_server_file)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(MoreButton)
        await self._register_commands()

    async def _register_commands(self) -> None:
        """Send the slash commands to Discord. A refusal does not stop the bot: mentions
        and shared articles need no slash command, and the next start tries again.

        Discord refuses a sync on a schema change or a rate limit; a Discord-compatible
        server (Spacebar) refuses options it does not know (``min_length``,
        ``autocomplete``, ``channel_types``, number options) with 400, code 50035.
        """
        test_guild = self.settings.discord_test_guild_id
        try:
            if test_guild is not None:
                guild = discord.Object(id=test_guild)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            else:
                await self.tree.sync()
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "Discord did not accept the slash commands (%s). Slash commands may be "
                "missing or out of date until the next start, which tries again; mentions "
                "and shared articles work as before.",
                command_sync_failure(error),
            )

    async def on_message(self, message: discord.Message) -> None:
        """Prefix commands are not used; the cogs listen to messages themselves."""

    async def on_ready(self) -> None:
        shards = ", ".join(str(shard) for shard in sorted(self.shards))
        log.info(
            "connected as %s to %d guild(s) on shard(s) %s of %s",
            self.user,
            len(self.guilds),
            shards,
            self.shard_count,
        )

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
    """Run the bot until it is stopped; returns the process's exit status: 2 when the
    token or the intents are refused (restarting would only repeat it), 1 when Discord
    could not be reached or the database failed."""
    try:
        asyncio.run(run_discord(settings))
    except KeyboardInterrupt:
        return EXIT_OK
    except (discord.LoginFailure, discord.PrivilegedIntentsRequired) as error:
        print(connection_failure(error, settings.discord_api_base), file=sys.stderr)
        return EXIT_USAGE
    except discord.ConnectionClosed as error:
        print(connection_failure(error, settings.discord_api_base), file=sys.stderr)
        return EXIT_USAGE if error.code in _REFUSED_CLOSE_CODES else EXIT_FAILED
    except StoreError as error:
        print(render_text.database_error_text(str(error)), file=sys.stderr)
        return EXIT_FAILED
    except (
        discord.HTTPException,
        discord.GatewayNotFound,
        aiohttp.ClientError,
        OSError,
        TimeoutError,
    ) as error:
        print(connection_failure(error, settings.discord_api_base), file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


_REFUSED_CLOSE_CODES = frozenset({4004, 4010, 4011, 4013, 4014})
"""Gateway close codes for a refused token, refused shard settings or refused intents."""
