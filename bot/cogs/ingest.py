"""Ingesting what people share: watched channels, /ingest, and "Index this article".

Every ingest is admitted into the guild's bounded queue (or the poster is told to wait),
written down in the store before it starts, and crossed out once the poster has seen
the result. Whatever is still written down when the bot starts again was cut short by
a crash, or its result could not be delivered: it is done again, or, after
``MAX_ATTEMPTS``, reported as failed. A report Discord refuses keeps the work written
down for the next start; after ``MAX_UNDELIVERED_NOTICES`` such starts it is dropped,
with a line in the log, so that a notice that can never be delivered is not retried
forever.
"""

from __future__ import annotations

import dataclasses
import logging
from contextlib import nullcontext

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import store_error_text
from bot.render_discord import ADDED, ALREADY, FAILED, ingest_summary, outcomes_text, say
from bot.ui import NONE
from index import Provenance
from index.errors import IngestBusy, StoreError
from index.ingest.sources import file_kind, message_sources
from index.models import Attachment, IngestOutcome, PendingIngest

log = logging.getLogger(__name__)

WORKING = "⏳"
MAX_ATTEMPTS = 3
"""Starts of one ingest before it is given up: one that keeps crashing the bot stops."""
MAX_UNDELIVERED_NOTICES = 3
"""Further starts at which the poster could not be told that it was given up, before the
work is dropped (and logged) instead."""
GIVEN_UP = (
    f"{FAILED} This could not be indexed: the bot stopped while working on it "
    f"{MAX_ATTEMPTS} times. Try sharing it again."
)
BUSY_SHORT = f"{WORKING} Too many shared articles are waiting here; please try again in a minute."
NOT_ON_FILE_HOST = "attachments are only read from the server's own file host"


class Ingest(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.index_menu = app_commands.ContextMenu(
            name="Index this article", callback=self.index_message_menu
        )
        self.index_menu.guild_only = True
        self.bot.tree.add_command(self.index_menu)
        self._resumed = False

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

    async def ingest_with_reactions(
        self, message: discord.Message, pending: PendingIngest | None = None
    ) -> list[IngestOutcome]:
        """Ingest a message, showing progress with reactions and replying on failure.

        ``pending`` is work accepted before a restart; it is not admitted or written down
        again. The returned outcomes are empty when the poster was told to wait.
        """
        engine = self.bot.engine
        ticket = None
        if pending is None:
            try:
                ticket = engine.admit(message.guild.id)
            except IngestBusy as busy:
                await _reply(message, _busy_text(busy, "share this one again"))
                return []
        with ticket or nullcontext(), self.bot.in_flight():
            if pending is not None:
                pending_id = pending.id
            else:
                try:
                    pending_id = await engine.accept_ingest(
                        message.guild.id, channel_id=message.channel.id, message_id=message.id
                    )
                except StoreError as error:
                    outcomes = [IngestOutcome("message", error=store_error_text(error))]
                    await _report(message, outcomes)
                    return outcomes
            await _react(message, WORKING)
            try:
                async with ticket.turn() if ticket else nullcontext():
                    outcomes = await self._ingest_or_store_error(message)
            finally:
                await _unreact(message, WORKING)
            if await _report(message, outcomes):
                await _finish(engine, message.guild.id, pending_id)
            else:
                log.warning(
                    "ingest %d: its result was not delivered; kept for the next start", pending_id
                )
            return outcomes

    async def _ingest_or_store_error(self, message: discord.Message) -> list[IngestOutcome]:
        try:
            outcomes = await self.ingest(message)
        except StoreError as error:
            log.error("could not store what message %s shared: %s", message.id, error)
            return [IngestOutcome("message", error=store_error_text(error))]
        except Exception:
            log.exception("ingesting message %s failed", message.id)
            return [IngestOutcome("message", error="something went wrong; it was logged")]
        # Done again after a restart, the article this very message shared is not a
        # duplicate of another: it is this ingest's own, stored just before the stop.
        return [
            dataclasses.replace(o, result=dataclasses.replace(o.result, status="added"))
            if o.result is not None
            and o.result.status == "duplicate"
            and o.result.article.message_url == message.jump_url
            else o
            for o in outcomes
        ]

    # -- work cut short by a restart ----------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._resumed:
            return
        self._resumed = True
        engine = self.bot.engine
        try:
            pending = await engine.pending_ingests([guild.id for guild in self.bot.guilds])
        except StoreError as error:
            log.error("could not read the unfinished ingests: %s", error)
            return
        if pending:
            log.info("resuming %d ingest(s) cut short by the last stop", len(pending))
        for work in pending:
            self.bot.loop.create_task(self.resume(work), name=f"resume-ingest-{work.id}")

    async def resume(self, work: PendingIngest) -> None:
        """Do accepted work again, or report it failed once it has been tried enough.

        Every start counts an attempt, also one that could not read the message or tell
        the poster, so each piece of work ends after a bounded number of starts.
        """
        engine = self.bot.engine
        if work.attempts >= MAX_ATTEMPTS + MAX_UNDELIVERED_NOTICES:
            log.warning(
                "ingest %d dropped: the poster could not be told it failed, at %d starts",
                work.id,
                MAX_UNDELIVERED_NOTICES,
            )
            await _finish(engine, work.guild_id, work.id)
            return
        channel = self.bot.get_channel(work.channel_id) if work.channel_id else None
        message: discord.Message | None = None
        if channel is not None and work.message_id is not None:
            try:
                message = await channel.fetch_message(work.message_id)
            except discord.NotFound:
                log.info("ingest %d: message %s was deleted; dropped", work.id, work.message_id)
                await _finish(engine, work.guild_id, work.id)
                return
            except discord.HTTPException as error:
                log.warning("ingest %d: cannot read its message: %s", work.id, error)
                await _count_start(engine, work)  # still written down; tried at the next start
                return
        if work.attempts >= MAX_ATTEMPTS:
            await self._give_up(work, channel, message)
            return
        if not await _count_start(engine, work):
            return
        work = dataclasses.replace(work, attempts=work.attempts + 1)
        if message is not None:
            await self.ingest_with_reactions(message, pending=work)
        elif channel is not None and work.content:
            with self.bot.in_flight():
                try:
                    outcomes = await engine.ingest_message(
                        work.guild_id, work.content, (), Provenance(channel_id=work.channel_id)
                    )
                except StoreError as error:
                    log.error("ingest %d: could not store it: %s", work.id, error)
                    return  # still written down; tried again at the next start
                text = outcomes_text(outcomes) if outcomes else "Nothing to index."
                if await _send(channel, text):
                    await _finish(engine, work.guild_id, work.id)
        elif channel is None:
            log.warning("ingest %d: its channel cannot be seen; tried at the next start", work.id)
        else:
            log.info("ingest %d: nothing is left to ingest; dropped", work.id)
            await _finish(engine, work.guild_id, work.id)

    async def _give_up(
        self,
        work: PendingIngest,
        channel: discord.abc.Messageable | None,
        message: discord.Message | None,
    ) -> None:
        """Tell the poster the work failed; cross it out only once they were told."""
        if message is not None:
            told = await _reply(message, GIVEN_UP)
        elif channel is not None and work.content:
            told = await _send(channel, say(GIVEN_UP + " It was: {shared}", shared=work.content))
        elif channel is not None:
            told = await _send(channel, GIVEN_UP)
        else:
            told = False
        if told:
            log.warning("ingest %d given up after %d attempts", work.id, work.attempts)
            await _finish(self.bot.engine, work.guild_id, work.id)
        else:
            log.warning("ingest %d: could not tell the poster it was given up", work.id)
            await _count_start(self.bot.engine, work)

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
            if not self.bot.is_server_file(attachment.url):
                log.warning(
                    "attachment %s is not on the server's file host: not read", attachment.id
                )
                refused.append(IngestOutcome(attachment.filename, error=NOT_ON_FILE_HOST))
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
        engine = self.bot.engine
        try:
            ticket = engine.admit(interaction.guild_id)
        except IngestBusy as busy:
            await interaction.response.send_message(_busy_text(busy, "try again"), ephemeral=True)
            return
        with ticket, self.bot.in_flight():
            await interaction.response.defer(thinking=True)
            provenance = Provenance(
                poster_id=interaction.user.id,
                poster_name=interaction.user.display_name,
                channel_id=interaction.channel_id,
            )
            # A store error is answered by the central handler (bot.errors); work accepted
            # and not reported stays written down, and is done at the next start.
            pending_id = await engine.accept_ingest(
                interaction.guild_id, channel_id=interaction.channel_id, content=url[:2000]
            )
            async with ticket.turn():
                outcomes = await engine.ingest_message(interaction.guild_id, url, (), provenance)
            if not outcomes:
                await interaction.followup.send(
                    "That does not look like a link.", ephemeral=True, allowed_mentions=NONE
                )
            else:
                await interaction.followup.send(outcomes_text(outcomes), allowed_mentions=NONE)
            await _finish(engine, interaction.guild_id, pending_id)

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
        text = outcomes_text(outcomes) if outcomes else BUSY_SHORT
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)


def shares_something(message: discord.Message) -> bool:
    """A link, a pasted article, or a text or HTML file."""
    if any(file_kind(a.filename, a.content_type) != "other" for a in message.attachments):
        return True
    sources = message_sources(message.content)
    return bool(sources.links or sources.pasted_article)


def _busy_text(busy: IngestBusy, again: str) -> str:
    return (
        f"{WORKING} {busy.waiting} shared articles are already waiting to be indexed "
        f"in this server. Please {again} in a minute."
    )


async def _report(message: discord.Message, outcomes: list[IngestOutcome]) -> bool:
    """Reactions for the result, and a reply explaining any failure. Returns whether the
    poster was told: False when the reply a failure needs could not be posted (reactions
    are a courtesy; a stored article is not redone because one was refused)."""
    if any(o.result is not None and o.result.added for o in outcomes):
        await _react(message, ADDED)
    elif outcomes and all(o.ok for o in outcomes):
        await _react(message, ALREADY)
    if any(not o.ok for o in outcomes):
        await _react(message, FAILED)
        summary = ingest_summary([o for o in outcomes if not o.ok])
        if summary:
            return await _reply(message, summary)
    return True


async def _count_start(engine, work: PendingIngest) -> bool:
    """Count a start of ``work``; False (and logged) when the store cannot."""
    try:
        await engine.retry_ingest(work.guild_id, work.id)
    except StoreError as error:
        log.error("ingest %d: could not count the attempt: %s", work.id, error)
        return False
    return True


async def _finish(engine, guild_id: int, pending_id: int) -> None:
    try:
        await engine.finish_ingest(guild_id, pending_id)
    except StoreError as error:  # it will be found again at the next start, as a duplicate
        log.error("could not cross out finished ingest %d: %s", pending_id, error)


async def _reply(message: discord.Message, text: str) -> bool:
    """Reply without pinging; False (and logged) when Discord refuses it."""
    try:
        await message.reply(text, mention_author=False, allowed_mentions=NONE)
    except discord.HTTPException as error:
        log.warning("could not reply to message %s: %s", message.id, error)
        return False
    return True


async def _send(channel, text: str) -> bool:
    """Post without pinging; False (and logged) when Discord refuses it."""
    try:
        await channel.send(text, allowed_mentions=NONE)
    except discord.HTTPException as error:
        log.warning("could not post in channel %s: %s", getattr(channel, "id", "?"), error)
        return False
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


async def setup(bot) -> None:
    await bot.add_cog(Ingest(bot))
