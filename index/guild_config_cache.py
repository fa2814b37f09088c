"""Each guild's settings (``GuildConfig``), read from the store once and kept in memory:
every question and every ingest consults them."""

from __future__ import annotations

from index.guild_config import GuildConfig
from index.store import Store

KEY_PREFIX = "config."
"""Guild settings are stored as ``config.<field>`` beside the guild's other settings."""


class GuildConfigs:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._cached: dict[int, GuildConfig] = {}

    async def get(self, guild_id: int) -> GuildConfig:
        config = self._cached.get(guild_id)
        if config is None:
            items = {}
            for key in GuildConfig.__dataclass_fields__:
                value = await self._store.get_setting(guild_id, KEY_PREFIX + key)
                if value is not None:
                    items[key] = value
            config = self._cached[guild_id] = GuildConfig.from_items(items)
        return config

    async def update(self, guild_id: int, **changes: object) -> GuildConfig:
        """Change some settings (and store them); returns the guild's settings now."""
        config = (await self.get(guild_id)).with_changes(**changes)
        for key, value in config.to_items().items():
            if key in changes:
                await self._store.set_setting(guild_id, KEY_PREFIX + key, value)
        self._cached[guild_id] = config
        return config

    def forget(self, guild_id: int) -> None:
        """Drop the guild's settings from memory (read again from the store when used)."""
        self._cached.pop(guild_id, None)
