"""Answers as Discord messages, and the More button that pages them: the same for /ask,
a mention, and a press of More after a restart (the question is kept by the engine, with
its search operators).

A page of More replaces the passages and keeps the message's first lines (the question
as the asker read it, the order, notes on operators), which every page shares."""

from __future__ import annotations

import discord

from bot.render_discord import RenderedAnswer, render_answer
from bot.ui import NONE, more_view
from index import Engine
from index.errors import ArticleNotFound
from index.models import Answer

NO_LONGER_AVAILABLE = "That answer is no longer available; ask again."
NOT_YOUR_ANSWER = (
    "Only the person who asked can page through this answer. Ask your own with `/ask`."
)
NO_MORE = "There are no more passages."


class Answers:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def message(
        self,
        guild_id: int,
        user: discord.abc.User,
        answer: Answer,
        offset: int = 0,
        *,
        question: str | None = None,
    ) -> tuple[RenderedAnswer, discord.ui.View | discord.utils.MISSING]:
        """The answer's message, and its More button when it found something (the
        question is remembered for it). ``question`` is the question as the asker should
        read it, when it differs from the one searched (members and channels by name)."""
        rendered = render_answer(answer, first_number=offset + 1, question=question)
        if not answer.found:
            return rendered, discord.utils.MISSING
        question_id = await self._engine.remember_question(
            guild_id, user.id, answer.question, answer.article_id
        )
        size = len(answer.passages)
        return rendered, more_view(question_id, offset + size, size)

    async def show_more(
        self, interaction: discord.Interaction, question_id: int, offset: int, size: int
    ) -> None:
        """The next ``size`` passages of a remembered answer, in place of the page shown,
        for the member who asked."""
        remembered = await self._engine.recall_question(interaction.guild_id, question_id)
        if remembered is None:
            await interaction.response.send_message(NO_LONGER_AVAILABLE, ephemeral=True)
            return
        asker, question, article_id = remembered
        if asker is not None and interaction.user.id != asker:
            await interaction.response.send_message(NOT_YOUR_ANSWER, ephemeral=True)
            return
        await interaction.response.defer()
        try:
            answer = await self._engine.ask(
                interaction.guild_id,
                question,
                article_id=article_id,
                offset=offset,
                limit=size,
                channels=guild_channels(interaction.guild),
            )
        except ArticleNotFound:  # removed since: there is nothing more to show from it
            answer = Answer(question, (), ())
        if not answer.found:
            await interaction.followup.send(NO_MORE, ephemeral=True)
            return
        rendered = render_answer(answer, first_number=offset + 1)
        view = more_view(question_id, offset + len(answer.passages), size)
        await interaction.edit_original_response(
            embeds=rendered.embeds, view=view, allowed_mentions=NONE
        )


def guild_channels(guild: discord.Guild | None) -> dict[str, int]:
    """The guild's text channels by name, lower case, for ``in:#name`` typed as text."""
    if guild is None:
        return {}
    return {channel.name.lower(): channel.id for channel in guild.text_channels}
