"""Posting the bot's words in a channel: never pinging anyone, and a post Discord refuses
(no permission, the message deleted, Discord down) logged and reported, never raised."""

from __future__ import annotations

import logging

import discord

from bot.ui import NONE

log = logging.getLogger(__name__)


async def reply(message: discord.Message, content: str, **options) -> bool:
    """Reply to ``message`` without pinging; False (and logged) when Discord refuses it."""
    try:
        await message.reply(content, mention_author=False, allowed_mentions=NONE, **options)
    except discord.HTTPException as error:
        log.warning("could not reply to message %s: %s", message.id, error)
        return False
    return True


async def send(channel: discord.abc.Messageable, content: str) -> bool:
    """Post in ``channel`` without pinging; False (and logged) when Discord refuses it."""
    try:
        await channel.send(content, allowed_mentions=NONE)
    except discord.HTTPException as error:
        log.warning("could not post in channel %s: %s", getattr(channel, "id", "?"), error)
        return False
    return True
