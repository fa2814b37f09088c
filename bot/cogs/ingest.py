"""Ingesting what people share: watched channels, /ingest, and "Index this article".

Every ingest is admitted into the guild's bounded queue (or the poster is told to wait),
written down by the engine before it starts, and crossed out once the poster has seen
the result; whatever is still written down at the next start is resumed by the engine
(``index.ingest.pending``: attempts, giving up, and what counts as done). This cog is
the Discord side of that: reactions, replies, and finding a message again.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import store_error_text
from bot.render_discord import (
    ADDED,
    ALREADY,
    FAILED,
    WORKING,
    busy_text,
    fit,
    ingest_summary,
    outcomes_text,
    say,
    similar_summary,
)
from bot.replies import reply, send
from bot.ui import NONE
from index import Provenance
from index.errors import IngestBusy, StoreError
from index.ingest.gate import Ticket
from index.ingest.pending import MAX_ATTEMPTS, Located, Redone
from index.ingest.pending import (  # the bounds, for whoever looks for them here
    MAX_UNDELIVERED_NOTICES as MAX_UNDELIVERED_NOTICES,
)
from index.ingest.pipeline import SharedMessage
from index.models import IngestOutcome, PendingIngest

if TYPE_CHECKING:
    from bot.client import NewsBot

log = logging.getLogger(__name__)

GIVEN_UP = (
    f"{FAILED} This could not be indexed: the bot stopped while working on it "
    f"{MAX_ATTEMPTS} times. Try sharing it again."
)
BUSY_SHORT = f"{WORKING} Too many shared articles are waiting here; please try again in a minute."
SOMETHING_FAILED = "something went wrong; it was logged"


class Ingest(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.index_menu = app_commands.ContextMenu(
            name="Index this article", callback=self.index_message_menu
        )
        self.index_menu.guild_only = True
        self.bot.tree.add_command(self.index_menu)
        self._resumed = False
        self._tasks: set[asyncio.Task[None]] = set()
        """Resumed work running on its own: held here so none is collected mid-run."""

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.index_menu.name, type=self.index_menu.type)
        for task in self._tasks:
            task.cancel()

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or message.author.id == self.bot.user.id:
            return
        if self.bot.user in message.mentions:
            return  # a question; the Questions cog answers it
        try:
            config = await self.bot.engine.guild_config(message.guild.id)
        except StoreError as error:
            await self._settings_unreadable(message, error)
            return
        if not config.auto_ingest or not config.watches(message.channel.id):
            return
        if (message.author.bot or message.webhook_id) and not config.allow_bots:
            return
        shared = self.bot.shared_messages.read(message)
        if shared.shares_something:
            await self.ingest_with_reactions(message, shared)

    async def _settings_unreadable(self, message: discord.Message, error: StoreError) -> None:
        """The guild's settings could not be read (the database is away), so whether this
        channel is watched is unknown: a member who shared something is told that it was
        not indexed, and why, rather than left without a word."""
        if message.author.bot or message.webhook_id:
            return
        if not self.bot.shared_messages.read(message).shares_something:
            return
        log.error("could not read guild %s's settings: %s", message.guild.id, error)
        await _report(message, [IngestOutcome("message", error=store_error_text(error))])

    async def ingest_with_reactions(
        self, message: discord.Message, shared: SharedMessage
    ) -> list[IngestOutcome]:
        """Admit, write down and ingest a message, showing progress with reactions and
        replying on failure; crossed out once the poster was told. The outcomes are
        empty when the poster was told to wait."""
        engine = self.bot.engine
        try:
            ticket = engine.admit(message.guild.id)
        except IngestBusy as busy:
            await reply(message, busy_text(busy.waiting, "share this one again"))
            return []
        with ticket, self.bot.in_flight():
            try:
                pending_id = await engine.accept_ingest(
                    message.guild.id, channel_id=message.channel.id, message_id=message.id
                )
            except StoreError as error:
                outcomes = [IngestOutcome("message", error=store_error_text(error))]
                await _report(message, outcomes)
                return outcomes
            outcomes, told = await self._work_on(message, shared, ticket)
            if told:
                await engine.finish_ingest(message.guild.id, pending_id)
            else:
                log.warning(
                    "ingest %d: its result was not delivered; kept for the next start", pending_id
                )
            return outcomes

    async def _work_on(
        self, message: discord.Message, shared: SharedMessage, ticket: Ticket | None = None
    ) -> tuple[list[IngestOutcome], bool]:
        """Ingest accepted work (in its turn, when it has a ticket); the outcomes, and
        whether the poster was told them."""
        turn: AbstractAsyncContextManager[None] = ticket.turn() if ticket else nullcontext()
        await _react(message, WORKING)
        try:
            async with turn:
                outcomes = await self._ingest_or_store_error(message, shared)
        finally:
            await _unreact(message, WORKING)
        return outcomes, await _report(message, outcomes)

    async def _ingest_or_store_error(
        self, message: discord.Message, shared: SharedMessage
    ) -> list[IngestOutcome]:
        try:
            return await self.bot.shared_messages.ingest(message, shared, accepted=True)
        except StoreError as error:
            log.error("could not store what message %s shared: %s", message.id, error)
            return [IngestOutcome("message", error=store_error_text(error))]
        except Exception:
            log.exception("ingesting message %s failed", message.id)
            return [IngestOutcome("message", error=SOMETHING_FAILED)]

    # -- work cut short by a restart ----------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._resumed:
            return
        self._resumed = True
        # In a task: with the database away at start, it waits for it to come back.
        self._keep(self.bot.loop.create_task(self._resume_unfinished(), name="resume-unfinished"))

    async def _resume_unfinished(self) -> None:
        guild_ids = [guild.id for guild in self.bot.guilds]
        try:
            pending = await self.bot.engine.pending_ingests(guild_ids, wait_for_store=True)
        except StoreError as error:
            log.error("could not read the unfinished ingests: %s", error)
            return
        if pending:
            log.info("resuming %d ingest(s) cut short by the last stop", len(pending))
        for work in pending:
            self._keep(self.bot.loop.create_task(self._resume(work), name=f"resume-{work.id}"))

    async def _resume(self, work: PendingIngest) -> None:
        with self.bot.in_flight():
            await self.bot.engine.resume_ingest(work, ResumedWork(self, work))

    # -- commands -----------------------------------------------------------------------

    @app_commands.command(name="ingest", description="Index the article a link points to")
    @app_commands.describe(url="The article's link")
    @app_commands.guild_only()
    async def ingest_command(self, interaction: discord.Interaction, url: str) -> None:
        # A full queue (IngestBusy) and a store error are answered by the central handler
        # (bot.errors); accepted work waits for a database that went away, and what a
        # stop cuts short stays written down and is done at the next start.
        engine = self.bot.engine
        with engine.admit(interaction.guild_id) as ticket, self.bot.in_flight():
            await interaction.response.defer(thinking=True)
            provenance = Provenance(
                poster_id=interaction.user.id,
                poster_name=interaction.user.display_name,
                channel_id=interaction.channel_id,
            )
            pending_id = await engine.accept_ingest(
                interaction.guild_id, channel_id=interaction.channel_id, content=url[:2000]
            )
            async with ticket.turn():
                outcomes = await engine.ingest_accepted(
                    interaction.guild_id, engine.read_message(url), (), provenance
                )
            if not outcomes:
                await interaction.followup.send(
                    "That does not look like a link.", ephemeral=True, allowed_mentions=NONE
                )
            else:
                await interaction.followup.send(outcomes_text(outcomes), allowed_mentions=NONE)
            await engine.finish_ingest(interaction.guild_id, pending_id)

    async def index_message_menu(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        shared = self.bot.shared_messages.read(message)
        if not shared.shares_something:
            await interaction.followup.send(
                "That message has no link, article text or text file to index.", ephemeral=True
            )
            return
        outcomes = await self.ingest_with_reactions(message, shared)
        text = outcomes_text(outcomes) if outcomes else BUSY_SHORT
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)


class ResumedWork:
    """Work written down before a stop, as Discord has it: its channel, and its message
    (or, for a link given to /ingest, what was given)."""

    def __init__(self, cog: Ingest, work: PendingIngest) -> None:
        self._cog = cog
        self._work = work
        self._channel: discord.abc.Messageable | None = None
        self._message: discord.Message | None = None

    async def locate(self) -> Located:
        work = self._work
        channel = self._cog.bot.get_channel(work.channel_id) if work.channel_id else None
        if channel is None:
            log.warning("ingest %d: its channel cannot be seen; tried at the next start", work.id)
            return Located.UNREACHABLE
        self._channel = channel
        if work.message_id is not None:
            try:
                self._message = await channel.fetch_message(work.message_id)
            except discord.NotFound:
                log.info("ingest %d: message %s was deleted", work.id, work.message_id)
                return Located.GONE
            except discord.HTTPException as error:
                log.warning("ingest %d: cannot read its message: %s", work.id, error)
                return Located.UNREACHABLE
        return Located.FOUND

    async def tell_given_up(self) -> bool:
        if self._message is not None:
            return await reply(self._message, GIVEN_UP)
        assert self._channel is not None  # located
        if self._work.content:
            notice = say(GIVEN_UP + " It was: {shared}", shared=self._work.content)
            return await send(self._channel, notice)
        return await send(self._channel, GIVEN_UP)

    async def redo(self, work: PendingIngest) -> Redone:
        if self._message is not None:
            shared = self._cog.bot.shared_messages.read(self._message)
            _outcomes, told = await self._cog._work_on(self._message, shared)
            return Redone.TOLD if told else Redone.KEPT
        if not work.content:
            return Redone.NOTHING
        assert self._channel is not None  # located
        try:
            outcomes = await self._cog.bot.engine.ingest_message(
                work.guild_id, work.content, (), Provenance(channel_id=work.channel_id)
            )
        except StoreError as error:
            log.error("ingest %d: could not store it: %s", work.id, error)
            return Redone.KEPT
        text = outcomes_text(outcomes) if outcomes else "Nothing to index."
        return Redone.TOLD if await send(self._channel, text) else Redone.KEPT


async def _report(message: discord.Message, outcomes: list[IngestOutcome]) -> bool:
    """Reactions for the result, and a reply explaining any failure, or naming the
    article already indexed that an article was not added beside (nearly the same
    words: the poster may not know it is there). Returns whether the poster was told:
    False when the reply could not be posted (reactions are a courtesy; a stored article
    is not redone because one was refused)."""
    if any(o.result is not None and o.result.added for o in outcomes):
        await _react(message, ADDED)
    elif outcomes and all(o.ok for o in outcomes):
        await _react(message, ALREADY)
    lines = []
    if any(not o.ok for o in outcomes):
        await _react(message, FAILED)
        lines.append(ingest_summary([o for o in outcomes if not o.ok]))
    lines.append(similar_summary(outcomes))
    told = "\n".join(line for line in lines if line)
    if told:
        return await reply(message, fit(told))
    return True


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


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Ingest(bot))
