"""What a Discord message shares, read for the engine: the message is read once
(``Engine.read_message``), and its attachments are downloaded only when they are
articles (text or HTML), within the engine's size limit, and on the server's own file
host (a crafted attachment must not make the bot fetch an address inside its network).

Used by everything that ingests a posted message: the watched channels, "Index this
article", work resumed after a restart, and the moderators' backfill.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord

from index import Engine, Provenance
from index.ingest.pipeline import SharedFile, SharedMessage
from index.models import IngestOutcome

log = logging.getLogger(__name__)

NOT_ON_FILE_HOST = "attachments are only read from the server's own file host"
NOT_DOWNLOADED = "it could not be downloaded"


class SharedMessages:
    def __init__(self, engine: Engine, is_server_file: Callable[[str], bool]) -> None:
        self._engine = engine
        self._is_server_file = is_server_file

    def read(self, message: discord.Message) -> SharedMessage:
        """The message's links, pasted article and files (``shares_something`` says
        whether there is anything to ingest)."""
        return self._engine.read_message(message.content, message.attachments)

    async def ingest(
        self, message: discord.Message, shared: SharedMessage, *, accepted: bool = False
    ) -> list[IngestOutcome]:
        """Ingest what ``message`` shares (``shared``, from ``read``). ``accepted`` work
        counts this very message's article, stored already, as added (see
        ``Engine.ingest_accepted``). Attachments that were not read come first."""
        refused: list[IngestOutcome] = []
        read: list[tuple[SharedFile, bytes]] = []
        for file, attachment in zip(shared.files, message.attachments, strict=True):
            if not file.readable:
                continue  # pictures and such are not articles; say nothing about them
            if file.refusal is not None:
                refused.append(IngestOutcome(file.filename, error=file.refusal))
                continue
            if not self._is_server_file(attachment.url):
                log.warning("attachment %s is not on the server's file host", attachment.id)
                refused.append(IngestOutcome(file.filename, error=NOT_ON_FILE_HOST))
                continue
            try:
                data = await attachment.read()
            except discord.HTTPException:
                refused.append(IngestOutcome(file.filename, error=NOT_DOWNLOADED))
                continue
            read.append((file, data))
        provenance = Provenance(
            poster_id=message.author.id,
            poster_name=message.author.display_name,
            channel_id=message.channel.id,
            message_id=message.id,
            message_url=message.jump_url,
            posted_at=message.created_at,
        )
        ingest = self._engine.ingest_accepted if accepted else self._engine.ingest_shared
        return refused + await ingest(message.guild.id, shared, read, provenance)
