"""Buttons: the persistent "More" button of answers, confirmations, and page turning.

An error in any of them is answered like a command's (``bot.errors``): privately, in
plain words.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.errors import answer_interaction_error

NONE = discord.AllowedMentions.none()


class View(discord.ui.View):
    """A view whose errors are answered to the member who pressed the button."""

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await answer_interaction_error(interaction, error)


class MoreButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"newsbot:more:(?P<question>\d+):(?P<offset>\d+):(?P<size>\d+)",
):
    """Pages an answer to its next passages. Its state lives in its custom id, so it keeps
    working after a restart; the question itself is kept in the store."""

    def __init__(self, question_id: int, offset: int, size: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="More",
                style=discord.ButtonStyle.secondary,
                custom_id=f"newsbot:more:{question_id}:{offset}:{size}",
            )
        )
        self.question_id = question_id
        self.offset = offset
        self.size = size

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> MoreButton:
        return cls(int(match["question"]), int(match["offset"]), int(match["size"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        # discord.py only logs a dynamic item's error; the member is told here instead.
        try:
            answers = interaction.client.answers  # type: ignore[attr-defined]
            await answers.show_more(interaction, self.question_id, self.offset, self.size)
        except Exception as error:
            await answer_interaction_error(interaction, error)


def more_view(question_id: int, offset: int, size: int) -> discord.ui.View:
    view = View(timeout=None)
    view.add_item(MoreButton(question_id, offset, size))
    return view


class Confirm(View):
    """Yes/No buttons that only the member who asked may press."""

    def __init__(self, owner_id: int, *, timeout: float = 60) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.confirmed: bool | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the moderator who asked can answer this.", ephemeral=True
            )
            return False
        return True

    @discord.ui.button(label="Yes, delete everything", style=discord.ButtonStyle.danger)
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.confirmed = True
        await interaction.response.edit_message(content="Deleting…", view=None)
        self.stop()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def no(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.confirmed = False
        await interaction.response.edit_message(
            content="Cancelled; nothing was deleted.", view=None
        )
        self.stop()


PageRenderer = Callable[[int], Awaitable[tuple[str, int]]]
"""Given a page number (from 1), the page's text and the number of pages."""


class Pager(View):
    """Previous/Next buttons over pages of text, for the member who asked."""

    def __init__(self, owner_id: int, render: PageRenderer, pages: int, *, timeout: float = 300):
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.render = render
        self.page = 1
        self.pages = pages
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 1
        self.next.disabled = self.page >= self.pages

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the member who asked can turn these pages.", ephemeral=True
            )
            return False
        return True

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(1, min(self.pages, self.page + step))
        text, self.pages = await self.render(self.page)
        self._sync_buttons()
        await interaction.response.edit_message(content=text, view=self, allowed_mentions=NONE)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: Any) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: Any) -> None:
        await self._turn(interaction, 1)
