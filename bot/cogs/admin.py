"""Moderator commands: the /admin group. Each action is written to the audit log.

A refused check (``NotModerator``) and any error are answered by the central handler
(``bot.errors``).
"""

from __future__ import annotations

import io
import json
import math
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import NotModerator, is_moderator
from bot.errors import autocomplete_errors_answered
from bot.languages import (
    NotOneLanguage,
    UnknownLanguages,
    language_changes,
    languages_line,
    suggest_language,
    suggest_languages,
)
from bot.render_discord import (
    article_line,
    article_page,
    choice_name,
    escape,
    fit,
    ingest_summary,
    reindex_message,
    say,
    shown,
    stats_message,
)
from bot.ui import NONE, Confirm, Pager
from index.errors import ArticleNotFound
from index.guild_config import normalise_domain

if TYPE_CHECKING:
    from bot.client import NewsBot

PAGE_SIZE = 10
BACKFILL_PROGRESS_SECONDS = 2.0


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Admin(commands.GroupCog, group_name="admin", group_description="Moderate the news bot"):
    """Visible to members with Manage Server by default; re-checked when used."""

    channels = app_commands.Group(name="channels", description="Which channels are watched")
    articles = app_commands.Group(name="articles", description="The indexed articles")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise NotModerator("These commands work in a server.")
        config = await self.bot.engine.guild_config(interaction.guild.id)
        if not is_moderator(interaction.user, config):
            raise NotModerator("Only moderators (Manage Server) can use this command.")
        return True

    async def _audit(self, interaction: discord.Interaction, action: str, detail: str = "") -> None:
        await self.bot.engine.audit(
            interaction.guild_id, interaction.user.id, str(interaction.user), action, detail
        )

    # -- channels ---------------------------------------------------------------------

    @channels.command(name="add", description="Watch a channel for articles")
    async def channels_add(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        config = await self.bot.engine.guild_config(interaction.guild_id)
        watched = tuple(dict.fromkeys((*config.watched_channels, channel.id)))
        await self.bot.engine.update_guild_config(interaction.guild_id, watched_channels=watched)
        await self._audit(interaction, "channels.add", str(channel.id))
        await interaction.response.send_message(
            fit(
                f"Watching {channel.mention}. Only watched channels are read now: "
                f"{_channel_list(watched)}."
            ),
            ephemeral=True,
        )

    @channels.command(name="remove", description="Stop watching a channel")
    async def channels_remove(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        config = await self.bot.engine.guild_config(interaction.guild_id)
        watched = tuple(c for c in config.watched_channels if c != channel.id)
        await self.bot.engine.update_guild_config(interaction.guild_id, watched_channels=watched)
        await self._audit(interaction, "channels.remove", str(channel.id))
        tail = _channel_list(watched) if watched else "none listed, so every channel is read again"
        await interaction.response.send_message(
            fit(f"No longer watching {channel.mention}. Watched: {tail}."), ephemeral=True
        )

    @channels.command(name="list", description="Show which channels are watched")
    async def channels_list(self, interaction: discord.Interaction) -> None:
        config = await self.bot.engine.guild_config(interaction.guild_id)
        text = (
            f"Watched channels: {_channel_list(config.watched_channels)}."
            if config.watched_channels
            else "No channel is listed, so every channel I can read is watched."
        )
        if not config.auto_ingest:
            text += " Automatic indexing is off (`/admin config auto_ingest:True`)."
        await interaction.response.send_message(fit(text), ephemeral=True)

    # -- articles ---------------------------------------------------------------------

    @articles.command(name="list", description="List the indexed articles, newest first")
    async def articles_list(self, interaction: discord.Interaction) -> None:
        guild_id = interaction.guild_id

        async def render(page: int) -> tuple[str, int]:
            stats = await self.bot.engine.stats(guild_id)
            pages = max(1, math.ceil(stats.articles / PAGE_SIZE))
            page = min(page, pages)
            articles = await self.bot.engine.list_articles(
                guild_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
            )
            return article_page(articles, page, pages), pages

        text, pages = await render(1)
        view = Pager(interaction.user.id, render, pages)
        await interaction.response.send_message(
            text, view=view, ephemeral=True, allowed_mentions=NONE
        )

    @articles.command(name="show", description="Show an article and its source")
    async def articles_show(self, interaction: discord.Interaction, article: int) -> None:
        info = await self.bot.engine.get_article(interaction.guild_id, article)
        if info is None:
            await interaction.response.send_message("No such article here.", ephemeral=True)
            return
        paragraphs = await self.bot.engine.article_paragraphs(interaction.guild_id, info.id)
        lines = [article_line(info)]
        if info.note:
            lines.append(f"Note from the poster: {escape(info.note)}")
        if info.message_url:
            lines.append(f"Shared in: {info.message_url}")
        preview = " ".join(p.text for p in paragraphs[:2])
        lines.append("> " + escape(preview[:700]) + ("…" if len(preview) > 700 else ""))
        await interaction.response.send_message(
            fit("\n".join(lines)), ephemeral=True, allowed_mentions=NONE
        )

    @articles.command(name="remove", description="Remove an article from the index")
    async def articles_remove(self, interaction: discord.Interaction, article: int) -> None:
        try:
            info = await self.bot.engine.remove_article(interaction.guild_id, article)
        except ArticleNotFound:
            await interaction.response.send_message("No such article here.", ephemeral=True)
            return
        await self._audit(interaction, "articles.remove", f"{info.id} {info.title}")
        await interaction.response.send_message(
            say("Removed article #{id}: {title}", id=info.id, title=info.title),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @articles_show.autocomplete("article")
    @articles_remove.autocomplete("article")
    @autocomplete_errors_answered
    async def article_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        articles = await self.bot.engine.find_articles(interaction.guild_id, current, limit=25)
        return [app_commands.Choice(name=choice_name(a.id, a.title), value=a.id) for a in articles]

    # -- maintenance ------------------------------------------------------------------

    @app_commands.command(name="reindex", description="Rebuild the search index from storage")
    async def reindex(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        engine = self.bot.engine
        settled = await engine.settle_languages(interaction.guild_id)
        paragraphs = await engine.reindex(interaction.guild_id)
        await self._audit(interaction, "reindex", str(paragraphs))
        await interaction.followup.send(reindex_message(paragraphs, settled), ephemeral=True)

    @app_commands.command(name="backfill", description="Index articles from a channel's history")
    @app_commands.describe(channel="The channel to read", limit="How many messages (1-1000)")
    async def backfill(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        limit: app_commands.Range[int, 1, 1000] = 200,
    ) -> None:
        await interaction.response.send_message(
            f"Reading the last {limit} messages of {channel.mention}…", ephemeral=True
        )
        await self._audit(interaction, "backfill", f"{channel.id} {limit}")
        messages = self.bot.shared_messages
        counts = {"messages": 0, "added": 0, "already": 0, "failed": 0}
        failures = []
        last_update = time.monotonic()
        async for message in channel.history(limit=limit, oldest_first=False):
            counts["messages"] += 1
            if message.author.id == self.bot.user.id:
                continue
            shared = messages.read(message)
            if not shared.shares_something:
                continue
            outcomes = await messages.ingest(message, shared)
            for outcome in outcomes:
                if outcome.result is None:
                    counts["failed"] += 1
                    failures.append(outcome)
                elif outcome.result.added:
                    counts["added"] += 1
                else:
                    counts["already"] += 1
            if time.monotonic() - last_update > BACKFILL_PROGRESS_SECONDS:
                last_update = time.monotonic()
                await interaction.edit_original_response(content=_progress(channel, counts))
        text = _progress(channel, counts, done=True)
        summary = ingest_summary(failures[:5])
        if summary:
            text += "\n" + summary
        await interaction.edit_original_response(content=fit(text), allowed_mentions=NONE)

    @app_commands.command(name="stats", description="Articles, paragraphs and questions")
    async def stats(self, interaction: discord.Interaction) -> None:
        stats = await self.bot.engine.stats(interaction.guild_id)
        await interaction.response.send_message(stats_message(stats), ephemeral=True)

    @app_commands.command(name="config", description="Show or change this server's settings")
    @app_commands.describe(
        results="Passages per answer (1-10)",
        min_score="Leave out passages scoring below this (0 or less: keep all)",
        auto_ingest="Index shared articles automatically",
        allow_bots="Also index posts from bots and webhooks",
        allow_domain="Only read links to this site (repeat to add more)",
        block_domain="Never read links to this site",
        clear_domains="Forget the allowed and blocked sites",
        moderator_role="A role that may use these commands besides Manage Server",
        skip_similar="Report an article with nearly the same words as one indexed, not add it",
        language="The main language (code or English name): questions are read in it first",
        languages="Other languages to expect, separated by commas; none clears the list",
    )
    async def config(
        self,
        interaction: discord.Interaction,
        results: app_commands.Range[int, 1, 10] | None = None,
        min_score: float | None = None,
        auto_ingest: bool | None = None,
        allow_bots: bool | None = None,
        allow_domain: str | None = None,
        block_domain: str | None = None,
        clear_domains: bool | None = None,
        moderator_role: discord.Role | None = None,
        skip_similar: bool | None = None,
        language: str | None = None,
        languages: str | None = None,
    ) -> None:
        engine = self.bot.engine
        current = await engine.guild_config(interaction.guild_id)
        changes: dict[str, object] = {}
        if results is not None:
            changes["results"] = results
        if min_score is not None:
            changes["min_score"] = min_score if min_score > 0 else None
        if auto_ingest is not None:
            changes["auto_ingest"] = auto_ingest
        if allow_bots is not None:
            changes["allow_bots"] = allow_bots
        if skip_similar is not None:
            changes["skip_similar"] = skip_similar
        if clear_domains:
            changes["allowed_domains"] = ()
            changes["blocked_domains"] = ()
        for option, field in ((allow_domain, "allowed_domains"), (block_domain, "blocked_domains")):
            if option is None:
                continue
            domain = normalise_domain(option)
            if not domain or "." not in domain:
                await interaction.response.send_message(
                    say("{option} is not a site name such as example.com.", option=option),
                    ephemeral=True,
                    allowed_mentions=NONE,
                )
                return
            existing = changes.get(field, getattr(current, field))
            changes[field] = tuple(dict.fromkeys((*existing, domain)))
        if moderator_role is not None:
            changes["moderator_role"] = moderator_role.id
        try:
            changes.update(language_changes(current, language, languages))
        except (UnknownLanguages, NotOneLanguage) as problem:
            await interaction.response.send_message(
                say("{problem}", problem=str(problem)), ephemeral=True, allowed_mentions=NONE
            )
            return
        if changes:
            current = await engine.update_guild_config(interaction.guild_id, **changes)
            await self._audit(interaction, "config", json.dumps(changes, default=str))
        default_results = engine.config.results
        role = f"<@&{current.moderator_role}>" if current.moderator_role else "none"
        text = say(
            ("Saved. " if changes else "") + f"results: {current.results or default_results} · "
            f"min score: {current.min_score if current.min_score is not None else 'none'} · "
            f"auto-ingest: {'on' if current.auto_ingest else 'off'} · "
            f"bots: {'yes' if current.allow_bots else 'no'} · "
            f"near-identical articles: {'skipped' if current.skip_similar else 'added'} · "
            f"{languages_line(current)} · "
            "allowed sites: {allowed} · blocked sites: {blocked} · "
            f"moderator role: {role}",
            allowed=", ".join(current.allowed_domains) or "any",
            blocked=", ".join(current.blocked_domains) or "none",
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @config.autocomplete("language")
    @autocomplete_errors_answered
    async def language_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=v) for n, v in suggest_language(current)]

    @config.autocomplete("languages")
    @autocomplete_errors_answered
    async def languages_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=v) for n, v in suggest_languages(current)]

    @app_commands.command(name="export", description="Download this server's articles as JSON")
    async def export(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.bot.engine.export(interaction.guild_id)
        payload = json.dumps(data, ensure_ascii=False, indent=1).encode()
        await self._audit(interaction, "export", str(len(data["articles"])))
        await interaction.followup.send(
            f"{len(data['articles'])} article(s).",
            file=discord.File(
                io.BytesIO(payload), filename=f"articles-{interaction.guild_id}.json"
            ),
            ephemeral=True,
        )

    @app_commands.command(name="purge", description="Delete all of this server's data")
    async def purge(self, interaction: discord.Interaction) -> None:
        view = Confirm(interaction.user.id)
        await interaction.response.send_message(
            "This deletes every article, setting and statistic of this server. Sure?",
            view=view,
            ephemeral=True,
        )
        await view.wait()
        if not view.confirmed:
            if view.confirmed is None:
                await interaction.edit_original_response(
                    content="No answer; nothing was deleted.", view=None
                )
            return
        deleted = await self.bot.engine.purge(interaction.guild_id)
        await self._audit(interaction, "purge", str(deleted))
        await interaction.edit_original_response(
            content=f"Deleted {deleted} article(s) and this server's settings.", view=None
        )

    @app_commands.command(name="audit", description="Recent moderator actions")
    async def audit(self, interaction: discord.Interaction) -> None:
        entries = await self.bot.engine.audit_entries(interaction.guild_id, limit=15)
        lines = [
            f"{discord.utils.format_dt(e.created_at, 'f')} {shown(e.user_name or '?', 80)}: "
            f"{e.action} {shown(e.detail or '', 80)}"
            for e in entries
        ]
        await interaction.response.send_message(
            fit("\n".join(lines)) or "No moderator actions yet.",
            ephemeral=True,
            allowed_mentions=NONE,
        )


def _progress(channel: discord.TextChannel, counts: dict[str, int], done: bool = False) -> str:
    state = "Done" if done else "Reading"
    return (
        f"{state}: {counts['messages']} messages of {channel.mention} · "
        f"{counts['added']} added · {counts['already']} already indexed · "
        f"{counts['failed']} failed"
    )


def _channel_list(channel_ids) -> str:
    """Channel mentions (shown as names; they ping nobody), cut to fit by the caller."""
    return ", ".join(f"<#{c}>" for c in channel_ids)


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Admin(bot))
