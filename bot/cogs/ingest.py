"""Ingesting what people share: watched channels, /ingest, and "Index this article"."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.render_discord import ADDED, ALREADY, FAILED, ingest_summary, outcomes_text
from bot.ui import NONE
from index import Provenance
from index.models import Attachment, IngestOutcome
from index.sources import file_kind, message_sources
from index.store import StoreError

log = logging.getLogger(__name__)

WORKING = "⏳"


class Ingest(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.index_menu = app_commands.ContextMenu(
            name="Index this article", callback=self.index_message_menu
        )
        self.index_menu.guild_only = True
        self.bot.tree.add_command(self.index_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.index_menu.name, type=self.index_menu.type)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or message.author.id == self.bot.user.id:
            return
        if self.bot.user in message.mentions:
            return  # a question; the Questions cog answers it
        config = await self.bot.engine.guild_config(message.guild.id)
        if not config.auto_ingest or not config.watches(message.channel.id):
            return
        if (message.author.bot or message.webhook_id) and not config.allow_bots:
            return
        if not shares_something(message):
            return
        await self.ingest_with_reactions(message)

    async def ingest_with_reactions(self, message: discord.Message) -> list[IngestOutcome]:
        """Ingest a message, showing progress with reactions and replying on failure."""
        await _react(message, WORKING)
        try:
            outcomes = await self.ingest(message)
        except StoreError as error:
            log.error("could not store what message %s shared: %s", message.id, error)
            outcomes = [IngestOutcome("message", error=str(error))]
        finally:
            await _unreact(message, WORKING)
        if any(o.result is not None and o.result.added for o in outcomes):
            await _react(message, ADDED)
        elif outcomes and all(o.ok for o in outcomes):
            await _react(message, ALREADY)
        if any(not o.ok for o in outcomes):
            await _react(message, FAILED)
            summary = ingest_summary([o for o in outcomes if not o.ok])
            if summary:
                await message.reply(summary, mention_author=False, allowed_mentions=NONE)
        return outcomes

    async def ingest(self, message: discord.Message) -> list[IngestOutcome]:
        attachments = []
        refused: list[IngestOutcome] = []
        limit = self.bot.settings.max_text_bytes
        for attachment in message.attachments:
            if file_kind(attachment.filename, attachment.content_type) == "other":
                continue  # pictures and such are not articles; say nothing about them
            if attachment.size > limit:
                refused.append(
                    IngestOutcome(
                        attachment.filename,
                        error=f"the file is larger than {limit / 1_000_000:g} MB",
                    )
                )
                continue
            try:
                data = await attachment.read()
            except discord.HTTPException:
                refused.append(
                    IngestOutcome(attachment.filename, error="it could not be downloaded")
                )
                continue
            attachments.append(Attachment(attachment.filename, data, attachment.content_type))
        provenance = Provenance(
            poster_id=message.author.id,
            poster_name=message.author.display_name,
            channel_id=message.channel.id,
            message_id=message.id,
            message_url=message.jump_url,
            posted_at=message.created_at,
        )
        outcomes = await self.bot.engine.ingest_message(
            message.guild.id, message.content, attachments, provenance
        )
        return refused + outcomes

    @app_commands.command(name="ingest", description="Index the article a link points to")
    @app_commands.describe(url="The article's link")
    @app_commands.guild_only()
    async def ingest_command(self, interaction: discord.Interaction, url: str) -> None:
        await interaction.response.defer(thinking=True)
        provenance = Provenance(
            poster_id=interaction.user.id,
            poster_name=interaction.user.display_name,
            channel_id=interaction.channel_id,
        )
        outcomes = await self.bot.engine.ingest_message(interaction.guild_id, url, (), provenance)
        if not outcomes:
            await interaction.followup.send(
                "That does not look like a link.", ephemeral=True, allowed_mentions=NONE
            )
            return
        await interaction.followup.send(outcomes_text(outcomes), allowed_mentions=NONE)

    async def index_message_menu(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        if not shares_something(message):
            await interaction.followup.send(
                "That message has no link, article text or text file to index.", ephemeral=True
            )
            return
        outcomes = await self.ingest_with_reactions(message)
        await interaction.followup.send(outcomes_text(outcomes), ephemeral=True)


def shares_something(message: discord.Message) -> bool:
    """A link, a pasted article, or a text or HTML file."""
    if any(file_kind(a.filename, a.content_type) != "other" for a in message.attachments):
        return True
    sources = message_sources(message.content)
    return bool(sources.links or sources.pasted_article)


async def _react(message: discord.Message, emoji: str) -> None:
    try:
        await message.add_reaction(emoji)
    except discord.HTTPException as error:  # no permission, message gone: not fatal
        log.debug("could not react %s: %s", emoji, error)


async def _unreact(message: discord.Message, emoji: str) -> None:
    try:
        await message.remove_reaction(emoji, message.guild.me)
    except discord.HTTPException as error:
        log.debug("could not remove reaction %s: %s", emoji, error)


async def setup(bot) -> None:
    await bot.add_cog(Ingest(bot))
