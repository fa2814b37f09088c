"""All settings, read once from the environment and an optional ``.env`` file."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from index.engine import EngineConfig
from index.errors import StoreError
from index.search.bm25 import BM25Params
from index.store.location import StoreLocation, parse_location

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DISCORD_ATTACHMENT_HOSTS = ("cdn.discordapp.com", "media.discordapp.net")
"""Where Discord serves the files attached to messages."""
MAX_SHARDS = 65_536
"""A ceiling far above any bot's shard count, to catch a mistyped number."""
T = TypeVar("T")

_HOST_NAME = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    discord_token: str | None = None
    data_dir: Path = Path("data")
    database_url: str | None = None
    """``DATABASE_URL``: a SQLite path (or ``sqlite:///path``) or a ``postgresql://`` URL."""
    database_path: Path | None = None
    """``DATABASE_PATH``, the older name for a SQLite file; ``DATABASE_URL`` wins."""
    index_dir: Path | None = None
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    console_guild_id: int = 0
    results_per_answer: int = 3
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    bm25_epsilon: float = 0.25
    max_text_bytes: int = 2_000_000
    log_level: str = "WARNING"
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg"
    discord_test_guild_id: int | None = None
    questions_per_minute: int = 6
    attachment_hosts: tuple[str, ...] = DISCORD_ATTACHMENT_HOSTS
    shard_count: int | None = 1
    """``SHARD_COUNT``: how many shards the whole deployment has (every process must be
    told the same); None (``auto``) asks Discord for its recommendation."""
    shard_ids: tuple[int, ...] | None = None
    """``SHARD_IDS``: the shards this process runs; None runs every shard."""
    index_memory_mb: int | None = None
    """``INDEX_MEMORY_MB``: the most the guild indexes of this process may hold; None
    sets no limit."""

    @property
    def database(self) -> str | Path:
        """The configured store: a URL, or the SQLite file."""
        return self.database_url or self.database_path or self.data_dir / "newsbot.sqlite3"

    def store_location(self, database: str | Path | None = None) -> StoreLocation:
        """Where the store is (``database`` overrides the setting, as ``--db`` does)."""
        try:
            return parse_location(database or self.database)
        except StoreError as error:
            raise SettingsError(f"DATABASE_URL: {error}") from None

    def snapshot_dir(self, location: StoreLocation) -> Path:
        """Where index snapshots are cached: ``INDEX_DIR``, else beside a SQLite file
        (``<file>.index``), else ``<DATA_DIR>/index/<host>-<port>-<database>``."""
        if self.index_dir is not None:
            return self.index_dir
        if location.path is not None:
            return location.path.with_name(location.path.name + ".index")
        # One folder per database: a snapshot is checked against its store by paragraph
        # ids, which two databases may share.
        return self.data_dir / "index" / _folder_name(location.url or "")

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            bm25=BM25Params(k1=self.bm25_k1, b=self.bm25_b, epsilon=self.bm25_epsilon),
            results=self.results_per_answer,
            max_text_bytes=self.max_text_bytes,
            index_memory_bytes=(
                None if self.index_memory_mb is None else self.index_memory_mb * 2**20
            ),
        )

    @classmethod
    def load(
        cls, env_file: str | Path | None = ".env", environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from ``environ`` (the process environment by default) over ``env_file``."""
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str, parse: Callable[[str], T], default: T) -> T:
            raw = values.get(name, "").strip()
            if not raw:
                return default
            try:
                return parse(raw)
            except SettingsError:
                raise
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not a valid value") from None

        defaults = cls()
        settings = cls(
            discord_token=get("DISCORD_TOKEN", str, None),
            data_dir=get("DATA_DIR", Path, defaults.data_dir),
            database_url=get("DATABASE_URL", str, None),
            database_path=get("DATABASE_PATH", Path, None),
            index_dir=get("INDEX_DIR", Path, None),
            seeds_dir=get("SEEDS_DIR", Path, defaults.seeds_dir),
            console_guild_id=get("CONSOLE_GUILD_ID", int, defaults.console_guild_id),
            results_per_answer=get("RESULTS_PER_ANSWER", int, defaults.results_per_answer),
            bm25_k1=get("BM25_K1", float, defaults.bm25_k1),
            bm25_b=get("BM25_B", float, defaults.bm25_b),
            bm25_epsilon=get("BM25_EPSILON", float, defaults.bm25_epsilon),
            max_text_bytes=get("MAX_TEXT_BYTES", int, defaults.max_text_bytes),
            log_level=get("LOG_LEVEL", str.upper, defaults.log_level),
            discord_api_base=get("DISCORD_API_BASE", str, defaults.discord_api_base),
            discord_gateway_url=get("DISCORD_GATEWAY_URL", str, defaults.discord_gateway_url),
            discord_test_guild_id=get("DISCORD_TEST_GUILD_ID", int, None),
            questions_per_minute=get("QUESTIONS_PER_MINUTE", int, defaults.questions_per_minute),
            attachment_hosts=get("ATTACHMENT_HOSTS", parse_host_list, defaults.attachment_hosts),
            shard_count=get("SHARD_COUNT", parse_shard_count, defaults.shard_count),
            index_memory_mb=get("INDEX_MEMORY_MB", int, None),
        )
        shard_ids = values.get("SHARD_IDS", "").strip()
        if shard_ids:
            if settings.shard_count is None:
                raise SettingsError(
                    "SHARD_IDS needs SHARD_COUNT as a number (the same in every process), "
                    "not auto: which shards a process runs depends on how many there are"
                )
            settings = replace(settings, shard_ids=parse_shard_ids(shard_ids, settings.shard_count))
        settings.validate()
        return settings

    def validate(self) -> None:
        self.store_location()
        if not 1 <= self.results_per_answer <= 10:
            raise SettingsError("RESULTS_PER_ANSWER must be between 1 and 10")
        if self.bm25_k1 < 0 or not 0 <= self.bm25_b <= 1 or self.bm25_epsilon < 0:
            raise SettingsError("BM25_K1 must be >= 0, BM25_B within 0..1, BM25_EPSILON >= 0")
        if self.max_text_bytes < 1_000:
            raise SettingsError("MAX_TEXT_BYTES must be at least 1000")
        if self.questions_per_minute < 1:
            raise SettingsError("QUESTIONS_PER_MINUTE must be at least 1")
        for name in ("discord_api_base", "discord_gateway_url"):
            if not getattr(self, name).startswith(("http://", "https://", "ws://", "wss://")):
                raise SettingsError(f"{name.upper()} must be an http(s) or ws(s) URL")
        if not self.attachment_hosts:
            raise SettingsError("ATTACHMENT_HOSTS must list at least one host name")
        if self.shard_count is not None and not 1 <= self.shard_count <= MAX_SHARDS:
            raise SettingsError(f"SHARD_COUNT must be auto or a number from 1 to {MAX_SHARDS}")
        if self.index_memory_mb is not None and self.index_memory_mb < 1:
            raise SettingsError("INDEX_MEMORY_MB must be at least 1 (or empty for no limit)")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")


def parse_shard_count(raw: str) -> int | None:
    """``SHARD_COUNT``: a whole number, or ``auto`` (None: Discord's recommendation)."""
    if raw.lower() == "auto":
        return None
    try:
        count = int(raw)
    except ValueError:
        raise SettingsError(
            f"SHARD_COUNT={raw!r} is not a number; write a whole number such as 4, or auto"
        ) from None
    if not 1 <= count <= MAX_SHARDS:
        raise SettingsError(f"SHARD_COUNT must be auto or a number from 1 to {MAX_SHARDS}")
    return count


def parse_shard_ids(raw: str, count: int) -> tuple[int, ...]:
    """``SHARD_IDS``: shard numbers and ranges separated by commas (``0-3``, ``4,5``,
    ``0-1,6``), each below ``count``; returns them sorted, each once."""
    shards: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        low, dash, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise SettingsError(
                f"SHARD_IDS: {part!r} is not a shard number or a range such as 0-3"
            ) from None
        if first > last:
            raise SettingsError(f"SHARD_IDS: the range {part!r} runs backwards")
        if first < 0 or last >= count:
            raise SettingsError(
                f"SHARD_IDS: {part!r} is outside 0-{count - 1}, the shards SHARD_COUNT={count} has"
            )
        shards.update(range(first, last + 1))
    if not shards:
        raise SettingsError("SHARD_IDS lists no shard; leave it empty to run every shard")
    return tuple(sorted(shards))


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard whose connection receives a guild's events, as Discord assigns it."""
    return (guild_id >> 22) % shard_count


def parse_host_list(raw: str) -> tuple[str, ...]:
    """``"cdn.example.org, files.example.org"`` -> the host names, lower case; a URL, a
    port, a path or a wildcard is refused with a message that says what to write."""
    hosts = []
    for entry in raw.split(","):
        host = entry.strip().lower().rstrip(".")
        if not host:
            continue
        if not (_HOST_NAME.fullmatch(host) or _is_ip_address(host)):
            raise SettingsError(
                f"ATTACHMENT_HOSTS: {entry.strip()!r} is not a host name; list host names "
                "separated by commas, without https:// or a port, such as "
                + ",".join(DISCORD_ATTACHMENT_HOSTS)
            )
        hosts.append(host.strip("[]"))
    if not hosts:
        raise SettingsError(
            "ATTACHMENT_HOSTS lists no host name; leave it empty for Discord's file hosts"
        )
    return tuple(dict.fromkeys(hosts))


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _folder_name(url: str) -> str:
    """``host-port-database`` of a PostgreSQL URL, safe as a folder name."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    database = parts.path.lstrip("/") or parts.username or "postgres"
    name = f"{parts.hostname or 'localhost'}-{port}-{database}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)
