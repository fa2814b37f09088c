"""``/help``: how to use the bot, for everyone, answered privately."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.render_discord import operators_help
from bot.ui import NONE

if TYPE_CHECKING:
    from bot.client import NewsBot


@app_commands.guild_only()
class Help(commands.GroupCog, group_name="help", group_description="How to use the news bot"):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="search", description="The search operators a question may hold")
    async def search(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            operators_help(), ephemeral=True, allowed_mentions=NONE
        )


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Help(bot))
