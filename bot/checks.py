"""Who may use the moderator commands."""

from __future__ import annotations

import discord
from discord import app_commands

from index.guild_config import GuildConfig


def is_moderator(member: discord.Member | discord.User, config: GuildConfig) -> bool:
    """Manage Server, or the guild's moderator role when one is set."""
    if not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild:
        return True
    return config.moderator_role is not None and any(
        role.id == config.moderator_role for role in member.roles
    )


class NotModerator(app_commands.CheckFailure):
    """Raised by the admin group's check; answered with a short ephemeral message."""
