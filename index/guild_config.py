"""Per-guild settings that moderators change, stored as key/value pairs in the store."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from index.search.languages import DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class GuildConfig:
    watched_channels: tuple[int, ...] = ()
    """Channels whose posts are ingested. Empty: every channel the bot can read."""
    results: int | None = None
    """Passages per answer; None uses the bot-wide default."""
    min_score: float | None = None
    auto_ingest: bool = True
    allow_bots: bool = False
    """Ingest posts from bots and webhooks too."""
    allowed_domains: tuple[str, ...] = ()
    """When not empty, only links to these sites (and their subdomains) are read."""
    blocked_domains: tuple[str, ...] = ()
    moderator_role: int | None = None
    """Members with this role may use the moderator commands, besides Manage Server."""
    skip_similar: bool = True
    """An article with nearly the same words as one already indexed (the same wire story
    from another outlet, a re-share) is reported as already indexed, not added again."""
    language: str = DEFAULT_LANGUAGE
    """The guild's main language (ISO 639-1 code): questions are read in it first, and
    an article whose language cannot be told (too short, or unclear) is taken to be in it."""
    languages: tuple[str, ...] = ()
    """Other languages to expect: questions are also read in them, and detection chooses
    among these and ``language`` when it is unsure. The languages of the articles
    indexed are expected too, without being listed here."""

    def expected_languages(self) -> tuple[str, ...]:
        """``language`` first, then ``languages``, without repeats."""
        return tuple(dict.fromkeys((self.language, *self.languages)))

    def watches(self, channel_id: int) -> bool:
        return not self.watched_channels or channel_id in self.watched_channels

    def domain_refusal(self, url: str) -> str | None:
        """Why a link may not be read on this guild, or None when it may."""
        try:
            host = (urlsplit(url).hostname or "").lower().rstrip(".")
        except ValueError:
            return "that is not a valid link"
        if any(_within(host, domain) for domain in self.blocked_domains):
            return f"links to {host} are blocked on this server"
        if self.allowed_domains and not any(_within(host, d) for d in self.allowed_domains):
            return f"links to {host} are not on this server's list of allowed sites"
        return None

    def to_items(self) -> dict[str, str]:
        return {f.name: json.dumps(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_items(cls, items: dict[str, str]) -> GuildConfig:
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in items:
                value = json.loads(items[f.name])
                values[f.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)

    def with_changes(self, **changes: Any) -> GuildConfig:
        return replace(self, **changes)


def normalise_domain(text: str) -> str:
    """``https://www.Example.com/x`` or ``Example.com`` -> ``example.com``."""
    text = text.strip().lower()
    host = urlsplit(text if "//" in text else "//" + text).hostname or ""
    return host.removeprefix("www.").rstrip(".")


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)
