"""Errors in slash commands, context menus, buttons and autocomplete, answered in one place.

Whatever fails while the bot handles an interaction ends as a short, plain, private reply:
every error of ``index.errors`` in words for the member (a store failure by what it
means for them: "the bot's disk is full", "storage is unavailable right now"; the
operator's details go to the log), the check's message for a refused check, and
"something went wrong; it was logged" for anything unexpected, which is logged with its
traceback. Never a traceback in Discord, never an interaction left without an answer.

discord.py routes command errors to ``CommandTree.on_error`` (``NewsTree`` below), view
errors to ``View.on_error`` (``bot.ui.View``), and only logs those of dynamic buttons and
autocomplete; ``answer_interaction_error`` and ``autocomplete_errors_answered`` cover
those two as well.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.render_discord import CHOICE_NAME_LIMIT, busy_text, fit, say
from index.errors import (
    ArticleNotFound,
    DuplicateArticle,
    IngestBusy,
    IngestRefused,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
)
from index.ingest.textio import shorten

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = "Something went wrong; it was logged."
COMMAND_CHANGED = (
    "This command has changed since Discord last registered it; it is registered again "
    "when the bot restarts."
)
ARTICLE_NOT_HERE = "That article is not in this server's list; pick one from the suggestions."
STORAGE_UNAVAILABLE = "The bot's storage is unavailable right now, try again shortly."
_NO_PINGS = discord.AllowedMentions.none()

Callback = TypeVar("Callback", bound=Callable[..., Awaitable[Any]])


class NewsTree(app_commands.CommandTree):
    """The command tree, with the one error handler for every command and context menu."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await answer_interaction_error(interaction, error)


def error_text(error: BaseException) -> str:
    """What to tell the member, in plain words; logs what needs looking into."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, StoreError):
        log.warning("a store error answered to a member: %s", error)
        return store_error_text(error)
    if isinstance(error, IngestBusy):
        return busy_text(error.waiting, "try again")
    if isinstance(error, IngestRefused):
        return say("That could not be indexed: {reason}.", reason=error.reason)
    if isinstance(error, ArticleNotFound):
        return ARTICLE_NOT_HERE
    if isinstance(error, DuplicateArticle):
        return f"That article is already indexed here, as article #{error.existing.id}."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server."
    if isinstance(error, app_commands.CheckFailure):
        return _sentence(str(error)) if str(error) else "You cannot use this command here."
    if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
        log.warning("a command Discord offered is not the bot's: %s", error)
        return COMMAND_CHANGED
    if isinstance(error, app_commands.TransformerError):
        return "One of the values given could not be understood; check it and try again."
    log.error("answering a member failed", exc_info=error)
    return SOMETHING_WENT_WRONG


def store_error_text(error: StoreError) -> str:
    """A store failure as members are told it: what it means for them, without the
    file paths and details the operator finds in the log."""
    if isinstance(error, StoreDamaged):
        return (
            "The bot's database is damaged, so nothing can be read or saved now; the bot's "
            "operator needs to restore a backup (the log says more)."
        )
    if isinstance(error, StoreReadOnly):
        return "The bot's database is read-only right now: questions work, nothing can be saved."
    if isinstance(error, StoreFull):
        return "The bot's disk is full: nothing was saved."
    if isinstance(error, StoreBusy):
        return "The bot's database is busy: nothing was saved; try again in a moment."
    if isinstance(error, StoreUnavailable):
        return STORAGE_UNAVAILABLE
    return "The bot's database could not be used; the bot's operator can see why in the log."


async def answer_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the member who used the command, button or menu that it failed, privately."""
    text = error_text(error)
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete(error_choices(interaction, text))
        elif interaction.response.is_done():
            if (
                interaction.response.type
                is discord.InteractionResponseType.deferred_channel_message
            ):
                # The first followup would replace "thinking…", publicly: remove that
                # message instead, so that the member alone sees what went wrong.
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=_NO_PINGS)
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=_NO_PINGS
            )
    except discord.HTTPException as failure:  # the interaction expired, Discord is down
        log.warning("could not tell a member that their interaction failed: %s", failure)


def error_choices(interaction: discord.Interaction, text: str) -> list[app_commands.Choice]:
    """Autocomplete cannot show a message; its one suggestion says what went wrong
    instead. Picking it asks for an article that does not exist, which is answered."""
    focused = _focused_option(interaction.data or {})
    option_type = focused.get("type") if focused else None
    value: str | int | float = (
        0
        if option_type == discord.AppCommandOptionType.integer.value
        else 0.0
        if option_type == discord.AppCommandOptionType.number.value
        else "0"
    )
    return [app_commands.Choice(name=shorten(text, CHOICE_NAME_LIMIT), value=value)]


def autocomplete_errors_answered(callback: Callback) -> Callback:
    """For an autocomplete callback: an error becomes a suggestion saying what went
    wrong (discord.py would only log it, and Discord would show "loading failed")."""

    @functools.wraps(callback)
    async def guarded(owner: Any, interaction: discord.Interaction, current: str) -> Any:
        try:
            return await callback(owner, interaction, current)
        except Exception as error:
            return error_choices(interaction, error_text(error))

    return guarded  # type: ignore[return-value]


def _focused_option(data: dict[str, Any]) -> dict[str, Any] | None:
    for option in data.get("options") or []:
        if option.get("focused"):
            return option
        nested = _focused_option(option)
        if nested is not None:
            return nested
    return None


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return fit(text[:1].upper() + text[1:]) if text else SOMETHING_WENT_WRONG
