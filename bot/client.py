"""The Discord client: a ``commands.Bot`` that builds the engine in ``setup_hook``."""

from __future__ import annotations

import logging

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.cooldown import UserCooldown
from bot.settings import Settings
from bot.ui import MoreButton
from index import Engine

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.cogs.ingest", "bot.cogs.questions", "bot.cogs.admin")


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
        await super().close()
        if self._given_engine is None and hasattr(self, "engine"):
            await self.engine.close()


async def run_discord(settings: Settings) -> None:
    use_discord_endpoints(settings)
    async with NewsBot(settings) as bot:
        await bot.start(settings.discord_token or "")
