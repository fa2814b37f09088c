"""What Discord accepts in one message, and what must never reach it, as test assertions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import discord

CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBEDS_TOTAL_LIMIT = 6000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_LIMIT = 256

# A mention Discord would turn into a ping: @everyone, @here, <@id>, <@!id>, <@&id>.
WORKING_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")
# Control characters (tab and newline aside) and bidirectional embeddings, overrides and
# isolates: they hide text or make it display as something it does not say.
HIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINE_BREAKS = re.compile(r"[\n\r\x85\u2028\u2029]")


def assert_safe_text(text: str) -> None:
    """Text that pings nobody and hides nothing."""
    mention = WORKING_MENTION.search(text)
    assert mention is None, f"working mention {mention.group()!r} in {text[:200]!r}"
    hidden = HIDDEN_CHARACTERS.search(text)
    assert hidden is None, f"hidden character {hidden.group()!r} in {text[:200]!r}"


def assert_safe_line(text: str) -> None:
    """``assert_safe_text`` for a title, a name or a footer: one line, too."""
    assert_safe_text(text)
    assert not LINE_BREAKS.search(text), f"line break in {text[:200]!r}"


def assert_fits_discord(content: str | None, embeds: Sequence[discord.Embed] = ()) -> None:
    """A message Discord would accept, that pings nobody and hides nothing."""
    if content is not None:
        assert len(content) <= CONTENT_LIMIT
        assert_safe_text(content)
    assert len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(len(embed) for embed in embeds) <= EMBEDS_TOTAL_LIMIT
    for embed in embeds:
        assert len(embed.title or "") <= EMBED_TITLE_LIMIT
        assert_safe_line(embed.title or "")
        assert len(embed.description or "") <= EMBED_DESCRIPTION_LIMIT
        assert_safe_text(embed.description or "")
        assert len(embed.fields) <= EMBED_FIELDS_LIMIT
        for field in embed.fields:
            assert len(field.name or "") <= EMBED_FIELD_NAME_LIMIT
            assert len(field.value or "") <= EMBED_FIELD_VALUE_LIMIT
            assert_safe_text(f"{field.name} {field.value}")
        assert len(embed.footer.text or "") <= EMBED_FOOTER_LIMIT
        assert_safe_line(embed.footer.text or "")
        assert len(embed.author.name or "") <= EMBED_AUTHOR_LIMIT
        assert_safe_line(embed.author.name or "")
        if embed.url is not None:
            assert_embed_url(embed.url)


def assert_embed_url(url: str) -> None:
    """A link Discord takes as an embed's URL: http(s), with a host, nothing hidden."""
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.hostname, url
    assert not re.search(r"\s", url), url
    assert not HIDDEN_CHARACTERS.search(url), url
