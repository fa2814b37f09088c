"""Answering: /ask, a mention, or a reply (with a mention) to an article's message.

A question may hold search operators (``index.search.query``); ``/ask``'s search options
are written as operators after the question (``bot.search_options``), so the More button,
which asks the remembered question again, keeps them. Every question is asked with the
guild's text channels by name, for ``in:#name`` typed as text.

Errors in /ask (an article that is not the guild's among them), its autocomplete and the
More button are answered by the central handler (``bot.errors``); a mention has no
interaction, so its errors are answered here, with the same words. Answer messages and
their More button are ``bot.answers``'.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import guild_channels
from bot.errors import autocomplete_errors_answered, error_text
from bot.render_discord import CHOICE_NAME_LIMIT, choice_name
from bot.replies import reply
from bot.search_options import NEWEST, BadOption, Channel, Member, SearchOptions, with_operators
from bot.ui import NONE

if TYPE_CHECKING:
    from bot.client import NewsBot

QUICK_ANSWER_SECONDS = 2.0
DM_POINTER = (
    "I answer questions about the news articles shared in a server. Ask me there: "
    "`/ask`, or mention me with your question."
)


class Questions(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    # -- /ask -------------------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask about the articles shared here")
    @app_commands.describe(
        question='Your question; may hold operators: "exact phrase", -word, site:example.com',
        article="Only search this article",
        results="How many passages to quote (1-10)",
        exclude="Leave out passages with any of these words",
        site="Only articles from this site, such as example.com",
        member="Only articles this member shared",
        channel="Only articles shared in this channel",
        after="Only articles from this day on: YYYY-MM-DD",
        before="Only articles from before this day: YYYY-MM-DD",
        order="Best match first (relevance), or newest article first",
    )
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 1000],
        article: int | None = None,
        results: app_commands.Range[int, 1, 10] | None = None,
        exclude: app_commands.Range[str, 1, 200] | None = None,
        site: app_commands.Range[str, 1, 100] | None = None,
        member: discord.User | None = None,
        channel: discord.TextChannel | None = None,
        after: app_commands.Range[str, 1, 20] | None = None,
        before: app_commands.Range[str, 1, 20] | None = None,
        order: Literal["relevance", "newest"] | None = None,
    ) -> None:
        options = SearchOptions(
            exclude=exclude,
            site=site,
            member=member and Member(member.id, member.display_name),
            channel=channel and Channel(channel.id, channel.name),
            after=after,
            before=before,
            order=NEWEST if order == "newest" else None,
        )
        try:
            searched = with_operators(question, options.operators())
            shown = with_operators(question, options.shown_operators())
        except BadOption as bad:
            await interaction.response.send_message(str(bad), ephemeral=True)
            return
        wait = self.bot.question_cooldown.retry_after(interaction.user.id)
        if wait:
            await interaction.response.send_message(_cooldown_text(wait), ephemeral=True)
            return
        work = asyncio.ensure_future(
            self.bot.engine.ask(
                interaction.guild_id,
                searched,
                article_id=article,
                limit=results,
                channels=guild_channels(interaction.guild),
            )
        )
        # Answer directly when the engine is quick (so "nothing found" can be private);
        # defer within Discord's 3 seconds when it is not (a guild's first question).
        done, _ = await asyncio.wait({work}, timeout=QUICK_ANSWER_SECONDS)
        deferred = not done
        if deferred:
            await interaction.response.defer(thinking=True)
        answer = await work
        rendered, view = await self.bot.answers.message(
            interaction.guild_id, interaction.user, answer, question=shown
        )
        if not answer.found:
            await _respond(interaction, deferred, rendered.content, ephemeral=True)
            return
        await _respond(interaction, deferred, rendered.content, embeds=rendered.embeds, view=view)

    @ask.autocomplete("site")
    @autocomplete_errors_answered
    async def site_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        sites = await self.bot.engine.sites(interaction.guild_id, current, limit=25)
        return [
            app_commands.Choice(name=site, value=site)
            for site in sites
            if len(site) <= CHOICE_NAME_LIMIT
        ]

    @ask.autocomplete("article")
    @autocomplete_errors_answered
    async def article_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        articles = await self.bot.engine.find_articles(interaction.guild_id, current, limit=25)
        return [app_commands.Choice(name=choice_name(a.id, a.title), value=a.id) for a in articles]

    # -- mentions ---------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.guild is None:
            await reply(message, DM_POINTER)
            return
        if self.bot.user not in message.mentions:
            return
        question = _without_mentions(message.content, self.bot.user.id)
        if not question:
            await reply(
                message,
                "Ask me a question after the mention, for example: "
                f"{self.bot.user.mention} who was indicted?",
            )
            return
        wait = self.bot.question_cooldown.retry_after(message.author.id)
        if wait:
            await reply(message, _cooldown_text(wait))
            return
        try:
            article_id = await self._replied_article(message)
            async with message.channel.typing():
                answer = await self.bot.engine.ask(
                    message.guild.id,
                    question,
                    article_id=article_id,
                    channels=guild_channels(message.guild),
                )
                rendered, view = await self.bot.answers.message(
                    message.guild.id, message.author, answer
                )
        except Exception as error:
            await reply(message, error_text(error))
            return
        await reply(message, rendered.content, embeds=rendered.embeds, view=view)

    async def _replied_article(self, message: discord.Message) -> int | None:
        """The article shared by the message this one replies to, if any."""
        reference = message.reference
        if reference is None or reference.message_id is None:
            return None
        article = await self.bot.engine.find_by_message(message.guild.id, reference.message_id)
        return article.id if article else None


async def _respond(
    interaction: discord.Interaction, deferred: bool, content: str, **options
) -> None:
    """Answer an interaction, deferred or not, without pinging."""
    if deferred:
        await interaction.followup.send(content, allowed_mentions=NONE, **options)
    else:
        await interaction.response.send_message(content, allowed_mentions=NONE, **options)


def _without_mentions(content: str, bot_id: int) -> str:
    return re.sub(rf"<@!?{bot_id}>", " ", content).strip()


def _cooldown_text(wait: float) -> str:
    return f"You are asking quickly; please wait {max(1, round(wait))} s and ask again."


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Questions(bot))
