"""A fake Discord (REST API + gateway + attachment CDN) for end-to-end tests of a discord.py bot.

Everything runs in-process on 127.0.0.1 (random free port) as one aiohttp application:

* ``/api/v10/...``          the REST API, as far as a bot needs it;
* ``/gateway``              the websocket gateway (HELLO, heartbeats, IDENTIFY, RESUME, ...);
* ``/attachments/{id}/{f}`` the files behind attachment URLs.

A test defines the world (guilds, roles, channels, members) *before* the bot connects, points
discord.py at the fake with :meth:`FakeDiscord.patch_discord` (or :meth:`FakeDiscord.run_bot`),
then acts as the users (``user_message``, ``slash``, ``click``, ...) and waits for what the bot
does (``wait_for_message``, ``wait_for_response``, ...).  Every wait has a timeout and raises a
plain ``AssertionError`` that says what was expected and what was seen instead.

Sharding works as on Discord, so that several bot processes (or one process running several
shards) can share one fake: each IDENTIFY with ``shard: [id, count]`` opens that shard's session
beside the others (an IDENTIFY without it is the unsharded session, holding every guild), and a
session is sent only the guilds, and the guild events, of its shard; events outside guilds
(DMs) go to shard 0.  ``GET /gateway/bot`` recommends a shard count (``guilds_per_shard``), and
a session that would hold more than ``max_guilds_per_session`` guilds is refused (4011).

Facts about discord.py 2.7 this fake relies on (checked against its source and by the self-tests
in ``tests/e2e/test_fake_discord.py``):

* REST goes to ``discord.http.Route.BASE`` (read when each ``Route`` is built, also by the
  interaction/webhook adapter); the gateway URL is ``DiscordWebSocket.DEFAULT_GATEWAY`` plus
  ``?v=10&encoding=json&compress=zlib-stream``.  A plain ``Client``/``Bot`` never calls
  ``GET /gateway`` or ``/gateway/bot`` (only ``AutoShardedClient`` calls ``/gateway/bot``); both
  are served anyway.
* Startup: ``GET /users/@me``, ``GET /oauth2/applications/@me``, then the websocket.  The READY
  ``resume_gateway_url`` is where the client goes to RESUME.
* Text frames are accepted although the client asks for zlib-stream (only binary frames are
  decompressed); ``gateway_compression=True`` sends real zlib-stream frames instead.
* JSON replies must have ``Content-Type: application/json`` exactly, else discord.py hands the
  raw text to its callers.  ``web.json_response`` *and* ``web.Response(text=...,
  content_type=...)`` both append ``; charset=utf-8``; ``web.Response(body=bytes,
  content_type="application/json")`` does not, and is what :func:`_json` uses.
* A 429 is only retried if the reply has a ``Via`` header (else discord.py assumes a Cloudflare
  ban and raises); the wait comes from the JSON body's ``retry_after``.
* Interaction callbacks are posted with ``?with_response=1`` and discord.py parses the reply as an
  InteractionCallbackResponse: ``interaction`` (id, type, response_message_id, ...) is required
  for every callback type, ``resource`` (type, message) is optional.
* Unless a bot asks for the GUILD_MEMBERS intent, GUILD_CREATE carries only the bot's own member
  (as on Discord); without MESSAGE_CONTENT, other users' messages arrive with empty content
  unless they mention the bot.
* Sharding (``shard.py``, ``gateway.py``, ``state.py``): every shard is its own websocket and
  session.  IDENTIFY carries ``shard: [id, count]`` whenever the client has a shard id and a
  shard count (an ``AutoShardedClient`` always does; a plain ``Client`` given ``shard_id`` and
  ``shard_count`` too).  The sharded connection state reads ``READY.shard[0]`` to know which
  shard is ready, so READY must echo ``shard``.  A guild's shard is ``(guild_id >> 22) %
  shard_count`` (``Guild.shard_id``; ``AutoShardedClient`` sends a guild's gateway requests,
  such as REQUEST_MEMBERS, on that shard's websocket).  The parsers share one cache across
  shards, so only the server's routing keeps a process from seeing other shards' guilds.
* ``AutoShardedClient`` with ``shard_count`` connects to ``DEFAULT_GATEWAY``; without it, it
  calls ``GET /gateway/bot`` and uses the ``shards`` and ``url`` of the answer.  It launches
  ``shard_ids`` (default all) one after the other, and ``before_identify_hook`` sleeps 5 s
  before every IDENTIFY but the process's first (a test client may override it).
* Close codes 4004 and 4010-4014 are not reconnected: ``start()`` raises
  ``ConnectionClosed`` carrying the code (4014 becomes ``PrivilegedIntentsRequired``), for a
  plain client from its connect loop, for an ``AutoShardedClient`` through the shard's worker.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import copy
import datetime as dt
import json
import logging
import math
import re
import secrets
import time
import traceback
import urllib.parse
import uuid
import zlib
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yarl
from aiohttp import WSMsgType, web

__all__ = [
    "SPACEBAR_COMMAND_REFUSAL",
    "CommandRefusal",
    "ErrorCapture",
    "FakeDiscord",
    "FakeInteraction",
    "Guild",
    "Intent",
    "InteractionResponse",
    "Mark",
    "Perm",
    "Reaction",
    "RestCall",
    "UploadedFile",
    "overwrite",
    "parse_emoji",
]

JSON = dict[str, Any]
T = TypeVar("T")

log = logging.getLogger("fake_discord")

DISCORD_EPOCH_MS = 1_420_070_400_000
_GUILD_ID_BASE_MS = 284_000_000_000
"""Milliseconds after Discord's epoch (January 2024) where the timestamps of
``FakeDiscord.guild_id_on_shard`` ids begin."""
API_VERSION = 10
MAX_CONTENT = 2000


class Perm:
    """Permission bits (the subset tests usually need)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    CREATE_PUBLIC_THREADS = 1 << 35
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 53) - 1

    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS
    )
    BOT_DEFAULT = EVERYONE_DEFAULT | MANAGE_MESSAGES


class Intent:
    """Gateway intent bits the fake uses to filter events, as Discord does."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15


class Op:
    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE = 3
    VOICE_STATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


# Interaction types and callback types (Discord API numbers).
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CB_MESSAGE, CB_DEFERRED, CB_DEFERRED_UPDATE, CB_UPDATE, CB_AUTOCOMPLETE, CB_MODAL = 4, 5, 6, 7, 8, 9
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
COMPONENTS_V2 = 1 << 15


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _perm_value(value: int | str | Any) -> int:
    """Accept an int, a decimal string or anything with ``.value`` (discord.Permissions)."""
    if hasattr(value, "value"):
        return int(value.value)
    return int(value)


def _snowflake_time(snowflake: int) -> str:
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat()


def _id_of(obj: int | str | Mapping[str, Any]) -> int:
    """An id from an int, a string or a Discord object (dict with ``id``)."""
    if isinstance(obj, Mapping):
        return int(obj["id"])
    return int(obj)


ShardKey = tuple[int, int] | None
"""A session's ``(shard id, shard count)`` from its IDENTIFY, or None when unsharded."""


def _shard_of(guild_id: int, count: int) -> int:
    """Discord's rule: the shard that holds a guild among ``count`` shards."""
    return (int(guild_id) >> 22) % int(count)


def _event_guild(event: str, data: Mapping[str, Any]) -> int | None:
    """The guild a dispatch belongs to (which decides its shard), None outside guilds."""
    if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        return int(data["id"])
    if data.get("guild_id") is not None:
        return int(data["guild_id"])
    return None


def _shard_key(shard: Any) -> ShardKey:
    """An IDENTIFY's ``shard`` as ``(id, count)``, None when absent; ValueError when it is
    not two integers, the count is below 1 or the id outside ``0..count-1``."""
    if shard is None:
        return None
    two_ints = isinstance(shard, list | tuple) and len(shard) == 2
    if not two_ints or not all(type(part) is int for part in shard):
        raise ValueError(f"not a shard: {shard!r}")
    shard_id, count = shard
    if count < 1 or not 0 <= shard_id < count:
        raise ValueError(f"no shard {shard_id} of {count}")
    return (shard_id, count)


def _identified_shard(shard: Any) -> tuple[Any, ...] | None:
    """An IDENTIFY's ``shard`` as sent, as a tuple (None when absent)."""
    if shard is None:
        return None
    return tuple(shard) if isinstance(shard, list | tuple) else (shard,)


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON reply whose Content-Type is exactly ``application/json`` (discord.py needs that)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _error(status: int, code: int, message: str, errors: JSON | None = None) -> web.Response:
    body: JSON = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return _json(body, status)


def _no_content() -> web.Response:
    return web.Response(status=204)


def _form_error(key: str, message: str) -> web.Response:
    return _error(
        400,
        50035,
        "Invalid Form Body",
        {key: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}},
    )


def parse_emoji(text: str) -> tuple[str, JSON]:
    """A reaction emoji as (key, emoji object): ``"👀"`` stays as it is, custom emojis
    (``name:id``, ``:name:id``, ``<a:name:id>``) become ``"name:id"``."""
    parts = text.strip("<>").split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        name, emoji_id = parts[-2], parts[-1]
        animated = len(parts) == 3 and parts[0] == "a"
        return f"{name}:{emoji_id}", {"id": emoji_id, "name": name, "animated": animated}
    return text, {"id": None, "name": text}


def _emoji_key(emoji: JSON) -> str:
    return f"{emoji['name']}:{emoji['id']}" if emoji.get("id") else str(emoji.get("name"))


def overwrite(target_id: int, *, allow: int = 0, deny: int = 0, member: bool = False) -> JSON:
    """A channel permission overwrite for a role (default) or a member."""
    return {
        "id": str(target_id),
        "type": 1 if member else 0,
        "allow": str(_perm_value(allow)),
        "deny": str(_perm_value(deny)),
    }


# --------------------------------------------------------------------------------------------
# Records a test inspects
# --------------------------------------------------------------------------------------------


@dataclass
class UploadedFile:
    filename: str
    data: bytes
    content_type: str | None
    index: int = 0
    """n of the multipart part ``files[n]``."""


@dataclass
class RestCall:
    """One REST request the bot made."""

    method: str
    path: str
    """Path below /api/v10, e.g. ``/channels/10/messages``."""
    query: dict[str, str]
    body: Any
    """The JSON body (or multipart ``payload_json``), or None."""
    files: list[UploadedFile] = field(default_factory=list)
    status: int = 0


@dataclass(frozen=True)
class CommandRefusal:
    """Command options a Discord-compatible server does not know: a bulk command
    overwrite that uses one is answered 400, code 50035 (Invalid Form Body), naming the
    command, the option and the field, as Discord words a form error."""

    fields: frozenset[str] = frozenset()
    """Option fields refused wherever they appear, e.g. ``min_length``, ``autocomplete``."""
    option_types: frozenset[int] = frozenset()
    """Option types refused, e.g. 10 (number)."""

    def first_problem(self, commands: Sequence[JSON]) -> JSON | None:
        """The form-error tree for the first refused option, or None when all pass."""
        for index, command in enumerate(commands):
            problem = self._in_options(command.get("options") or [])
            if problem is not None:
                return {str(index): problem}
        return None

    def _in_options(self, options: Sequence[JSON]) -> JSON | None:
        for index, option in enumerate(options):
            refused = sorted(self.fields.intersection(option))
            if refused:
                error = {"code": "UNKNOWN_FIELD", "message": "This field is not allowed."}
                return {"options": {str(index): {refused[0]: {"_errors": [error]}}}}
            if int(option.get("type", 0)) in self.option_types:
                error = {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of 1-9."}
                return {"options": {str(index): {"type": {"_errors": [error]}}}}
            nested = self._in_options(option.get("options") or [])
            if nested is not None:
                return {"options": {str(index): nested}}
        return None


SPACEBAR_COMMAND_REFUSAL = CommandRefusal(
    fields=frozenset({"min_length", "autocomplete", "channel_types"}),
    option_types=frozenset({10}),
)
"""What Spacebar, a self-hosted Discord-compatible server, refuses in command options."""


@dataclass
class Reaction:
    """A reaction the bot added (``added=True``) or removed."""

    channel_id: int
    message_id: int
    emoji: str
    """The unicode emoji, or ``name:id`` for a custom one."""
    user_id: int
    added: bool = True
    at: float = field(default_factory=time.monotonic, compare=False)
    """When the fake handled the call (``time.monotonic()``, the event loop's clock)."""


@dataclass
class InteractionResponse:
    """One thing the bot did with an interaction, in order.

    ``kind`` is ``"callback"`` (the initial response, ``type`` 4-9), ``"followup"``,
    ``"edit"`` (PATCH of @original or of a followup) or ``"delete"``.
    """

    kind: str
    type: int | None
    data: JSON
    message: JSON | None = None
    """A snapshot of the resulting message, if the response produced or changed one."""
    target: str | None = None
    """For edits and deletes: ``"@original"`` or the message id."""
    _claimed: bool = field(default=False, repr=False)
    at: float = field(default_factory=time.monotonic, compare=False)
    """When the fake handled the call (``time.monotonic()``, the event loop's clock)."""

    @property
    def content(self) -> str | None:
        if self.message is not None:
            return self.message.get("content")
        return self.data.get("content")

    @property
    def embeds(self) -> list[JSON]:
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        return list(self.data.get("components") or [])

    @property
    def flags(self) -> int:
        if self.message is not None:
            return int(self.message.get("flags") or 0)
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return self.kind == "callback" and self.type in (CB_DEFERRED, CB_DEFERRED_UPDATE)

    @property
    def allowed_mentions(self) -> JSON | None:
        return self.data.get("allowed_mentions")

    @property
    def attachments(self) -> list[JSON]:
        if self.message is not None:
            return list(self.message.get("attachments") or [])
        return list(self.data.get("attachments") or [])

    @property
    def choices(self) -> list[JSON]:
        """Autocomplete choices (callback type 8)."""
        return list(self.data.get("choices") or [])


@dataclass
class FakeInteraction:
    """An interaction a test started, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: JSON
    created_at: float
    responses: list[InteractionResponse] = field(default_factory=list)
    messages: dict[int, JSON] = field(default_factory=dict)
    """Messages of this interaction by id: the original response and the followups."""
    original_id: int | None = None
    late_callbacks: int = 0

    @property
    def acknowledged(self) -> bool:
        return any(r.kind == "callback" for r in self.responses)

    @property
    def callback(self) -> InteractionResponse | None:
        return next((r for r in self.responses if r.kind == "callback"), None)

    @property
    def original(self) -> JSON | None:
        """The current state of the original response message (None if there is none)."""
        return None if self.original_id is None else self.messages.get(self.original_id)

    @property
    def followups(self) -> list[InteractionResponse]:
        return [r for r in self.responses if r.kind == "followup"]

    @property
    def edits(self) -> list[InteractionResponse]:
        return [r for r in self.responses if r.kind == "edit"]


@dataclass
class Guild:
    """A guild as the fake keeps it: plain Discord JSON objects keyed by id."""

    id: int
    name: str
    owner_id: int
    joined: bool
    joined_at: str
    roles: dict[int, JSON] = field(default_factory=dict)
    channels: dict[int, JSON] = field(default_factory=dict)
    members: dict[int, JSON] = field(default_factory=dict)
    permission_overrides: dict[int, int] = field(default_factory=dict)
    """Per-member permissions given to ``add_member(permissions=...)``; they replace the
    role-based computation everywhere."""


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    compressor: Any = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: _Session | None = None
    sent_seq: int = 0

    async def send(self, payload: JSON) -> None:
        """Send one frame; the caller holds ``lock``."""
        text = json.dumps(payload)
        if self.compressor is None:
            await self.ws.send_str(text)
        else:
            data = self.compressor.compress(text.encode())
            data += self.compressor.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(data)


@dataclass(eq=False)
class _Session:
    id: str
    intents: int
    shard: ShardKey
    events: list[JSON] = field(default_factory=list)
    """The dispatches of this session not forgotten yet; the frame at index i has
    sequence ``base + i + 1``."""
    conn: _Connection | None = None
    base: int = 0
    """How many of the session's first dispatches were forgotten (``forget_before``)."""

    @property
    def seq(self) -> int:
        return self.base + len(self.events)

    @property
    def shard_id(self) -> int:
        """The shard id; an unsharded session is shard 0 (of 1), as Discord counts it."""
        return 0 if self.shard is None else self.shard[0]

    def owns(self, guild_id: int | None) -> bool:
        """Whether this session gets the guild's events (``None``: events outside guilds,
        such as DMs, which go to shard 0)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return _shard_of(guild_id, count) == shard_id


@dataclass
class _PendingDispatch:
    """A dispatch made while no session held its guild: sent after the next READY of a
    session that does."""

    event: str
    data: JSON
    guild_id: int | None


@dataclass(frozen=True)
class Mark:
    """A point in the fake's history (:meth:`FakeDiscord.mark`), for
    :meth:`FakeDiscord.forget_before`."""

    snowflake: int
    """Messages, files and other objects with a smaller id were made before the mark."""
    time: float
    """``time.monotonic()`` at the mark."""
    records: Mapping[str, int]
    """How many entries each record list had held in all at the mark."""
    session_id: str | None
    seq: int
    """The most recent gateway session's sequence number at the mark."""
    sequences: Mapping[str, int] = field(default_factory=dict)
    """The sequence number of every current session (one per shard) at the mark, by
    session id."""


@dataclass
class _RateLimitRule:
    method: str
    pattern: re.Pattern[str]
    retry_after: float
    count: int
    is_global: bool


@dataclass
class _Request:
    call: RestCall
    params: dict[str, str]
    query: Mapping[str, str]

    @property
    def body(self) -> Any:
        return self.call.body

    @property
    def files(self) -> list[UploadedFile]:
        return self.call.files


class _HTTPError(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


# --------------------------------------------------------------------------------------------
# Error capture for the bot under test
# --------------------------------------------------------------------------------------------


class ErrorCapture(logging.Handler):
    """Collects ERROR log records of discord.py (and of the fake itself).

    discord.py only *logs* exceptions raised in event handlers, commands and views, so a test
    would pass although the bot crashed.  Install this before the bot starts and call
    :meth:`assert_clean` at teardown::

        capture = ErrorCapture().install()
        try:
            ...
        finally:
            capture.uninstall()
        capture.assert_clean()
    """

    def __init__(
        self,
        loggers: Sequence[str] = ("discord", "fake_discord"),
        level: int = logging.ERROR,
    ) -> None:
        super().__init__(level)
        self.logger_names = tuple(loggers)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def install(self) -> ErrorCapture:
        for name in self.logger_names:
            logging.getLogger(name).addHandler(self)
        return self

    def uninstall(self) -> None:
        for name in self.logger_names:
            logging.getLogger(name).removeHandler(self)

    def __enter__(self) -> ErrorCapture:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def clear(self) -> None:
        self.records.clear()

    def format_records(self) -> str:
        parts = []
        for record in self.records:
            text = f"{record.name}: {record.getMessage()}"
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            parts.append(text)
        return "\n".join(parts)

    def assert_clean(self) -> None:
        if self.records:
            raise AssertionError(
                f"{len(self.records)} error(s) were logged:\n{self.format_records()}"
            )


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


Handler = Callable[[_Request], Awaitable[web.Response]]

_RECORD_LISTS = (
    "messages",
    "edits",
    "deleted",
    "reactions",
    "typing",
    "requests",
    "rate_limited",
    "interactions",
    "gateway_received",
)
"""The record lists that grow with every action, which ``forget_before`` trims."""


class FakeDiscord:
    """A fake Discord server for one bot (one process or several, each running some of its
    shards).  See the module docstring for the overall picture."""

    def __init__(
        self,
        *,
        app_id: int = 900_000_000_000_000_001,
        bot_user: Mapping[str, Any] | None = None,
        owner_id: int = 900_000_000_000_000_009,
        token: str | None = None,
        timeout: float = 5.0,
        heartbeat_interval: float = 41.25,
        gateway_compression: bool = False,
        interaction_deadline: float | None = 3.0,
        command_refusal: CommandRefusal | None = None,
        attachment_host: str | None = None,
        guilds_per_shard: int = 1000,
        max_guilds_per_session: int = 2500,
    ) -> None:
        """
        app_id: the application id (also what synced commands belong to).
        bot_user: the bot's user object; missing keys get defaults (id, username "FakeBot").
        owner_id: the application owner (``bot.is_owner``).
        token: if given, REST calls and IDENTIFY with another token are refused (401 / 4004).
        timeout: default timeout, in seconds, of every ``wait_*`` helper.
        heartbeat_interval: seconds, sent in HELLO.
        gateway_compression: send zlib-stream binary frames when the client asks for them
            (discord.py accepts plain text frames too, which is the default).
        interaction_deadline: seconds within which the initial interaction response must
            arrive, as on Discord (after it: 404 Unknown interaction); None for no limit.
        command_refusal: command options this server refuses in a bulk overwrite (see
            ``SPACEBAR_COMMAND_REFUSAL``); None accepts every option, as Discord does.
            May be changed at any time through the attribute of the same name.
        attachment_host: the host name in the URLs of attachments (the fake serves them
            all the same), e.g. ``"localhost"`` for files on a host other than the API's;
            None uses the address the fake listens on. Also an attribute, read whenever
            an attachment is made.
        guilds_per_shard: how many joined guilds one shard should hold in the shard count
            ``GET /gateway/bot`` recommends (Discord suggests about one shard per 1000).
        max_guilds_per_session: the most joined guilds one session may hold: an IDENTIFY
            that would hold more is closed with 4011 (Sharding required), as on Discord.
            Both are attributes too, read when used.
        """
        if guilds_per_shard < 1 or max_guilds_per_session < 1:
            raise ValueError("guilds_per_shard and max_guilds_per_session must be at least 1")
        self.app_id = int(app_id)
        user: JSON = {
            "id": "900000000000000002",
            "username": "FakeBot",
            "discriminator": "0000",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "system": False,
            "public_flags": 0,
            "flags": 0,
            "verified": True,
            "mfa_enabled": False,
        }
        user.update(bot_user or {})
        user["id"] = str(user["id"])
        self.bot_user: JSON = user
        self.bot_id = int(user["id"])
        self.owner_id = int(owner_id)
        self.token = token
        self.timeout = timeout
        self.heartbeat_interval = heartbeat_interval
        self.gateway_compression = gateway_compression
        self.interaction_deadline = interaction_deadline
        self.command_refusal = command_refusal
        self.attachment_host = attachment_host
        self.guilds_per_shard = guilds_per_shard
        self.max_guilds_per_session = max_guilds_per_session

        self.guilds: dict[int, Guild] = {}
        self.users: dict[int, JSON] = {self.bot_id: self.bot_user}
        self.dm_channels: dict[int, JSON] = {}
        """DM channels by channel id."""

        # What the bot did.
        self.messages: list[JSON] = []
        """Messages the bot posted with POST /channels/{id}/messages (live objects: edits
        show).  Interaction responses are on the interaction records instead."""
        self.edits: list[JSON] = []
        """Snapshots of channel messages after each bot edit (PATCH /channels/.../messages)."""
        self.deleted: list[int] = []
        """Ids of messages the bot deleted."""
        self.reactions: list[Reaction] = []
        self.typing: list[int] = []
        """Channel ids the bot sent a typing indicator to."""
        self.requests: list[RestCall] = []
        self.unhandled: list[RestCall] = []
        """REST calls the fake has no route for (each also logged at ERROR)."""
        self.rate_limited: list[RestCall] = []
        self.interactions: list[FakeInteraction] = []
        self.sync_calls: list[tuple[int | None, list[JSON]]] = []
        """Each command sync as (guild id or None, commands as sent)."""
        self.refused_syncs: list[tuple[int | None, list[JSON]]] = []
        """The command syncs refused because of ``command_refusal``, likewise."""
        self.identify_payloads: list[JSON] = []
        """Every IDENTIFY's ``d``, in order, also the refused ones (bad token or shard)."""
        self.gateway_queries: list[dict[str, str]] = []
        """The query string of every gateway connection (v, encoding, compress)."""
        self.gateway_received: list[JSON] = []
        """Every gateway payload from the client except heartbeats."""
        self.resume_count = 0

        self._global_commands: list[JSON] = []
        self._guild_commands: dict[int, list[JSON]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self._history: dict[int, list[JSON]] = {}
        self._messages_by_id: dict[int, JSON] = {}
        self._files: dict[int, UploadedFile] = {}
        self._interactions_by_id: dict[int, FakeInteraction] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        self._claimed_messages: set[int] = set()
        self._rate_limits: list[_RateLimitRule] = []
        self._current: dict[ShardKey, _Session] = {}
        """The current session of each shard, oldest IDENTIFY first: a new IDENTIFY of a
        shard replaces that shard's session (and moves it to the end)."""
        self._sessions: dict[str, _Session] = {}
        """Every session not forgotten yet, current or replaced, by id (RESUME looks here)."""
        self._pending: list[_PendingDispatch] = []
        self._connections: set[_Connection] = set()
        self._waiters: set[asyncio.Event] = set()
        self._replies: dict[int, list[JSON]] = {}
        """Bot messages posted as replies, by the id of the message they reply to."""
        self._bot_reactions: dict[int, list[Reaction]] = {}
        """The entries of ``reactions`` by message id."""
        self._posted_at: dict[int, float] = {}
        """When the bot posted each channel message (``time.monotonic()``)."""
        self._forgotten: dict[str, int] = dict.fromkeys(_RECORD_LISTS, 0)
        self._last_id = 0
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = self._build_routes()

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/attachments/{file_id}/{filename}", self._handle_attachment)
        app.router.add_route("*", "/api/v{version:\\d+}/{tail:.*}", self._handle_rest)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        """Stop the server.  Close the bot first; this is robust against it anyway."""
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=1001), 2.0)
        self._connections.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeDiscord is not started: await fake.start() first")
        return self._base_url

    @property
    def rest_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> yarl.URL:
        """Value for ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``."""
        return yarl.URL(self.base_url.replace("http://", "ws://", 1) + "/gateway")

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py at this fake (REST base and gateway URL) and restore on exit."""
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = self.rest_base
        DiscordWebSocket.DEFAULT_GATEWAY = self.gateway_url
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved

    @contextlib.asynccontextmanager
    async def run_bot(
        self, bot: Any, token: str = "fake-token", *, timeout: float | None = None
    ) -> AsyncIterator[Any]:
        """Patch discord.py, start ``bot`` and wait until it is ready; close it on exit.

        Raises AssertionError if the bot stops or is not ready in time.
        """
        timeout = self.timeout if timeout is None else timeout
        with self.patch_discord():
            task = asyncio.create_task(bot.start(token), name="bot-under-test")
            try:
                await self.wait_until(
                    lambda: bot.is_ready() or task.done() or None,
                    "the bot to be ready",
                    timeout=timeout,
                )
                if task.done():
                    task.result()
                    raise AssertionError("the bot stopped before it was ready")
                yield bot
            finally:
                await bot.close()
                try:
                    await asyncio.wait_for(task, timeout)
                except (asyncio.CancelledError, TimeoutError):
                    task.cancel()

    # ---------------------------------------------------------------- defining the world

    def add_user(self, user_id: int, name: str, *, bot: bool = False) -> JSON:
        user = {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
        }
        self.users[int(user_id)] = user
        return user

    def add_guild(
        self,
        guild_id: int,
        name: str,
        owner_id: int,
        *,
        joined: bool = True,
        everyone_permissions: int | str = Perm.EVERYONE_DEFAULT,
        bot_permissions: int | str = Perm.BOT_DEFAULT,
    ) -> Guild:
        """A guild with its @everyone role (id == guild id) and the bot as a member (with a
        managed role holding ``bot_permissions``).  ``joined=False`` keeps it hidden until
        :meth:`join_guild`."""
        guild = Guild(
            id=int(guild_id),
            name=name,
            owner_id=int(owner_id),
            joined=joined,
            joined_at=_snowflake_time(self._next_id()),
        )
        self.guilds[guild.id] = guild
        self.add_role(guild.id, guild.id, "@everyone", everyone_permissions, position=0)
        bot_role_id = self._next_id()
        role = self.add_role(guild.id, bot_role_id, self.bot_user["username"], bot_permissions)
        role["managed"] = True
        role["tags"] = {"bot_id": str(self.bot_id)}
        guild.members[self.bot_id] = self._member_object(guild, self.bot_user, [bot_role_id])
        return guild

    def add_role(
        self,
        guild_id: int,
        role_id: int,
        name: str,
        permissions: int | str = 0,
        *,
        position: int | None = None,
    ) -> JSON:
        guild = self._guild(guild_id)
        role = {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": len(guild.roles) if position is None else position,
            "permissions": str(_perm_value(permissions)),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        guild.roles[int(role_id)] = role
        return role

    def add_channel(
        self,
        guild_id: int,
        channel_id: int,
        name: str,
        *,
        type: int = 0,
        topic: str | None = None,
        position: int | None = None,
        permission_overwrites: Sequence[JSON] = (),
        parent_id: int | None = None,
        nsfw: bool = False,
    ) -> JSON:
        """A channel (type 0 = text, 2 = voice, 4 = category, 5 = news)."""
        guild = self._guild(guild_id)
        channel = {
            "id": str(channel_id),
            "type": type,
            "guild_id": str(guild.id),
            "name": name,
            "position": len(guild.channels) if position is None else position,
            "permission_overwrites": [dict(o) for o in permission_overwrites],
            "topic": topic,
            "nsfw": nsfw,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None if parent_id is None else str(parent_id),
            "flags": 0,
        }
        guild.channels[int(channel_id)] = channel
        self._history.setdefault(int(channel_id), [])
        return channel

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        name: str,
        roles: Sequence[int] = (),
        permissions: int | str | None = None,
        *,
        bot: bool = False,
        nick: str | None = None,
    ) -> JSON:
        """A member (and its user).  ``permissions``, if given, replaces the permissions
        computed from roles and overwrites for this member (in interaction payloads too)."""
        guild = self._guild(guild_id)
        user = self.users.get(int(user_id)) or self.add_user(user_id, name, bot=bot)
        for role_id in roles:
            if int(role_id) not in guild.roles:
                raise ValueError(f"role {role_id} is not defined in guild {guild.id}")
        member = self._member_object(guild, user, [int(r) for r in roles], nick=nick)
        guild.members[int(user_id)] = member
        if permissions is not None:
            guild.permission_overrides[int(user_id)] = _perm_value(permissions)
        return member

    def add_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        description: str | None = None,
    ) -> JSON:
        """An attachment object whose ``url`` this fake serves (needs ``start()`` first)."""
        return self._store_file(UploadedFile(filename, bytes(data), content_type), description)

    def file_data(self, attachment: Mapping[str, Any] | int) -> bytes:
        """The bytes behind an attachment (one a test added, or one the bot uploaded)."""
        return self._files[_id_of(attachment)].data

    def add_message(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        content: str,
        *,
        attachments: Sequence[Mapping[str, Any]] = (),
        at: dt.datetime | None = None,
    ) -> JSON:
        """Put a user message into the channel history *without* dispatching it (history
        that existed before the bot came online; ``at`` sets its timestamp and id)."""
        guild = self._guild(guild_id)
        self._channel(channel_id, guild)
        msg = self._new_message(
            channel_id,
            guild_id=guild.id,
            author=self._user(user_id),
            content=content,
            attachments=[dict(a) for a in attachments],
            message_id=self._id_at(at) if at else None,
        )
        self._store_message(msg)
        return msg

    async def join_guild(self, guild_id: int) -> None:
        """The bot joins a guild defined with ``add_guild(..., joined=False)``: GUILD_CREATE."""
        guild = self._guild(guild_id)
        guild.joined = True
        guild.joined_at = _snowflake_time(self._next_id())
        await self.dispatch("GUILD_CREATE", self._guild_create_payload(guild, Intent.GUILD_MEMBERS))

    async def leave_guild(self, guild_id: int) -> None:
        """The bot is removed from a guild: GUILD_DELETE."""
        guild = self._guild(guild_id)
        guild.joined = False
        await self.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    # ---------------------------------------------------------------- acting as users

    async def user_message(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        content: str,
        attachments: Sequence[Mapping[str, Any]] = (),
        mentions_bot: bool = False,
        reply_to: Mapping[str, Any] | int | None = None,
        mention_everyone: bool = False,
        *,
        embeds: Sequence[JSON] = (),
    ) -> JSON:
        """A user posts a message: it is stored (history) and MESSAGE_CREATE is dispatched.

        ``mentions_bot`` puts the bot in ``mentions`` (and ``<@bot_id>`` in front of the
        content if it is not there); ``mention_everyone`` likewise with ``@everyone``;
        ``reply_to`` (a message or its id) makes it a reply, with ``referenced_message``.
        Mentions written as ``<@id>`` in the content are resolved too.
        """
        guild = self._guild(guild_id)
        self._channel(channel_id, guild)
        author = self._user(user_id)
        if int(user_id) not in guild.members:
            raise AssertionError(f"user {user_id} is not a member of guild {guild.id}")
        bot_mention = f"<@{self.bot_id}>"
        if mentions_bot and bot_mention not in content and f"<@!{self.bot_id}>" not in content:
            content = f"{bot_mention} {content}"
        if mention_everyone and "@everyone" not in content:
            content = f"@everyone {content}"
        msg = self._new_message(
            channel_id,
            guild_id=guild.id,
            author=author,
            content=content,
            attachments=[dict(a) for a in attachments],
            embeds=[dict(e) for e in embeds],
        )
        msg["mention_everyone"] = mention_everyone
        mentioned = self._mentioned_ids(content, None)
        if reply_to is not None:
            ref = self._message(_id_of(reply_to))
            msg["type"] = 19
            msg["message_reference"] = {
                "type": 0,
                "message_id": ref["id"],
                "channel_id": ref["channel_id"],
                "guild_id": str(guild.id),
            }
            msg["referenced_message"] = copy.deepcopy(ref)
            mentioned.append(int(ref["author"]["id"]))
        msg["mentions"] = self._mention_objects(guild, mentioned)
        self._store_message(msg)
        await self._dispatch_message("MESSAGE_CREATE", msg)
        return msg

    async def user_dm(self, user_id: int, content: str) -> JSON:
        """A user sends the bot a direct message."""
        channel = self._dm_channel_for(int(user_id))
        msg = self._new_message(int(channel["id"]), None, self._user(user_id), content)
        self._store_message(msg)
        await self._dispatch_message("MESSAGE_CREATE", msg)
        return msg

    async def user_reaction(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        message: Mapping[str, Any] | int,
        emoji: str,
        *,
        remove: bool = False,
    ) -> None:
        """A user adds (or removes) a reaction: MESSAGE_REACTION_ADD/REMOVE."""
        guild = self._guild(guild_id)
        msg = self._message(_id_of(message))
        _, emoji_object = parse_emoji(emoji)
        self._apply_reaction(msg, emoji, int(user_id), added=not remove)
        data: JSON = {
            "user_id": str(user_id),
            "channel_id": str(channel_id),
            "message_id": msg["id"],
            "guild_id": str(guild.id),
            "emoji": emoji_object,
            "burst": False,
            "type": 0,
        }
        if not remove:
            data["member"] = self._member_payload(guild, int(user_id))
            data["message_author_id"] = msg["author"]["id"]
        await self.dispatch("MESSAGE_REACTION_REMOVE" if remove else "MESSAGE_REACTION_ADD", data)

    async def slash(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON] | None = None,
        *,
        member_permissions: int | str | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user runs a synced slash command.

        ``name`` may be a path, ``"admin stats"`` for a subcommand (or subcommand group).
        ``options`` is either a mapping ``{option name: value}``, converted with the synced
        command's option types (users, channels, roles and attachments given as ids or
        objects get ``resolved`` data), or the raw Discord option list, e.g.
        ``[{"type": 1, "name": "stats", "options": []}]`` with ``name="admin"``.
        """
        parts = name.split()
        command = self._find_command(parts[0], 1, guild_id)
        self._check_can_use(command, guild_id, user_id, member_permissions)
        raw = self._build_options(command, parts, options, focused=None)
        data: JSON = {"id": command["id"], "name": command["name"], "type": 1, "options": raw}
        self._add_resolved(data, guild_id, raw)
        return await self._start_interaction(
            APPLICATION_COMMAND,
            guild_id,
            channel_id,
            user_id,
            data,
            command,
            member_permissions,
            locale,
        )

    async def autocomplete(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON],
        *,
        focused: str | None = None,
    ) -> FakeInteraction:
        """The user is typing option ``focused`` of a slash command (interaction type 4).

        With a raw option list, mark one option ``"focused": True`` yourself.
        """
        parts = name.split()
        command = self._find_command(parts[0], 1, guild_id)
        if isinstance(options, Mapping) and focused not in options:
            raise ValueError("name the option being typed: focused=<one of the options>")
        raw = self._build_options(command, parts, options, focused=focused)
        data: JSON = {"id": command["id"], "name": command["name"], "type": 1, "options": raw}
        return await self._start_interaction(
            AUTOCOMPLETE, guild_id, channel_id, user_id, data, command, None, "en-US"
        )

    async def message_command(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        target_message: Mapping[str, Any] | int,
    ) -> FakeInteraction:
        """A user runs a message context-menu command on ``target_message``."""
        command = self._find_command(name, 3, guild_id)
        self._check_can_use(command, guild_id, user_id, None)
        target = self._message(_id_of(target_message))
        data: JSON = {
            "id": command["id"],
            "name": command["name"],
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: copy.deepcopy(target)}},
        }
        return await self._start_interaction(
            APPLICATION_COMMAND, guild_id, channel_id, user_id, data, command, None, "en-US"
        )

    async def user_command(
        self, guild_id: int, channel_id: int, user_id: int, name: str, target_user_id: int
    ) -> FakeInteraction:
        """A user runs a user context-menu command on another member."""
        command = self._find_command(name, 2, guild_id)
        self._check_can_use(command, guild_id, user_id, None)
        guild = self._guild(guild_id)
        target = str(target_user_id)
        resolved: JSON = {"users": {target: self._user(target_user_id)}}
        if int(target_user_id) in guild.members:
            member = self._member_payload(guild, int(target_user_id))
            member.pop("user", None)
            resolved["members"] = {target: member}
        data = {
            "id": command["id"],
            "name": command["name"],
            "type": 2,
            "target_id": target,
            "resolved": resolved,
        }
        return await self._start_interaction(
            APPLICATION_COMMAND, guild_id, channel_id, user_id, data, command, None, "en-US"
        )

    async def click(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        message: Mapping[str, Any] | int,
        custom_id: str,
        *,
        values: Sequence[str] | None = None,
    ) -> FakeInteraction:
        """A user clicks the button ``custom_id`` on ``message`` (or picks ``values`` in the
        select menu ``custom_id``).  The component must exist on the message and be enabled."""
        msg = self._messages_by_id.get(_id_of(message))
        if msg is None:
            if not isinstance(message, Mapping):
                raise AssertionError(f"unknown message {message}")
            msg = dict(message)
        component = self._find_component(msg.get("components") or [], custom_id)
        if component is None:
            raise AssertionError(
                f"message {msg['id']} has no component with custom_id {custom_id!r}; it has "
                f"{self._custom_ids(msg.get('components') or [])}"
            )
        if component.get("disabled"):
            raise AssertionError(f"component {custom_id!r} is disabled")
        data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = list(values)
        return await self._start_interaction(
            MESSAGE_COMPONENT, guild_id, channel_id, user_id, data, None, None, "en-US", message=msg
        )

    async def submit_modal(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        custom_id: str,
        values: Mapping[str, str],
        *,
        message: Mapping[str, Any] | None = None,
    ) -> FakeInteraction:
        """A user submits the modal ``custom_id`` with text input values by custom_id."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        return await self._start_interaction(
            MODAL_SUBMIT, guild_id, channel_id, user_id, data, None, None, "en-US", message=message
        )

    # ---------------------------------------------------------------- gateway control

    @property
    def connected(self) -> bool:
        """Whether the most recently identified current session has a live websocket (the
        bot's only session, when it does not shard); see :meth:`is_connected` for one
        shard and :attr:`connected_shards` for all."""
        return self.is_connected()

    def is_connected(self, shard: int | None = None) -> bool:
        """Whether shard ``shard`` (None: the most recently identified one) has an
        identified session with a live websocket."""
        session = self._session_of(shard)
        return session is not None and session.conn is not None

    @property
    def connected_shards(self) -> set[int]:
        """The shard ids that have an identified session with a live websocket (an
        unsharded session counts as shard 0, as on Discord)."""
        return {s.shard_id for s in self._current.values() if s.conn is not None}

    @property
    def identified_shards(self) -> list[tuple[Any, ...] | None]:
        """The ``shard`` of every IDENTIFY, in order, as a tuple (``(1, 2)``), or None for
        an unsharded one; refused ones included (their payloads: ``identify_payloads``)."""
        return [_identified_shard(p.get("shard")) for p in self.identify_payloads]

    @property
    def dispatches(self) -> list[JSON]:
        """Every dispatch frame (op 0, with ``t``, ``s``, ``d``) of the most recently
        identified current session, in sequence order, whether the bot has received it yet
        or not (since the last :meth:`forget_before`, which drops delivered ones)."""
        return self.dispatches_of()

    def dispatches_of(self, shard: int | None = None) -> list[JSON]:
        """:attr:`dispatches` of the current session of shard ``shard`` (None: the most
        recently identified one); [] if it has none."""
        session = self._session_of(shard)
        return [] if session is None else list(session.events)

    @staticmethod
    def shard_of(guild_id: int, count: int) -> int:
        """The shard that holds a guild when the bot runs ``count`` shards:
        ``(guild_id >> 22) % count``, as Discord and discord.py compute it."""
        return _shard_of(guild_id, count)

    @staticmethod
    def guild_id_on_shard(shard: int, count: int, n: int = 0) -> int:
        """A snowflake-like guild id that lands on ``shard`` of ``count`` shards; ``n``
        numbers a series of them (0, 1, 2, ...).  Ids differ for different ``(shard,
        count, n)``; their timestamps lie in January 2024, long before the ids the fake
        makes for new objects."""
        if count < 1 or not 0 <= shard < count or n < 0:
            raise ValueError(f"no shard {shard} of {count} (or a negative n: {n})")
        timestamp = _GUILD_ID_BASE_MS // count * count + n * count + shard
        return (timestamp << 22) | count

    @property
    def recommended_shards(self) -> int:
        """The shard count ``GET /gateway/bot`` recommends: one per ``guilds_per_shard``
        joined guilds, rounded up, at least 1."""
        joined = sum(guild.joined for guild in self.guilds.values())
        return max(1, math.ceil(joined / self.guilds_per_shard))

    def guilds_of_shard(self, shard: int, count: int) -> list[int]:
        """The ids of the joined guilds that shard ``shard`` of ``count`` holds."""
        return [g.id for g in self.guilds.values() if g.joined and _shard_of(g.id, count) == shard]

    async def dispatch(self, event: str, data: JSON) -> int | None:
        """Send a dispatch (op 0) to the bot: to every current session whose shard holds
        the event's guild (``guild_id``, or ``id`` for GUILD_CREATE/UPDATE/DELETE), or to
        shard 0 for events outside guilds (DMs).  Returns its sequence number in the first
        such session, or None if the bot's intents filter it out or no session holds the
        guild yet (then it is delivered right after the READY of the next session that
        does).  While a session is disconnected, it is queued there for RESUME."""
        guild_id = _event_guild(event, data)
        owners = [s for s in self._current.values() if s.owns(guild_id)]
        if not owners:
            self._pending.append(_PendingDispatch(event, copy.deepcopy(data), guild_id))
            return None
        sequences = [await self._dispatch_to(session, event, data) for session in owners]
        return next((seq for seq in sequences if seq is not None), None)

    async def send_reconnect(self, *, shard: int | None = None) -> None:
        """Send op 7 RECONNECT to shard ``shard`` (None: the most recently identified
        session): the client closes and RESUMEs; dispatches sent meanwhile are queued and
        replayed on resume."""
        session, conn = self._live_connection(shard)
        async with conn.lock:
            session.conn = None
            await conn.send({"op": Op.RECONNECT, "d": None, "s": None, "t": None})
        self._notify()

    async def drop_connection(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close shard ``shard``'s websocket (None: the most recently identified session's)
        from the server side (4000 is resumable for discord.py)."""
        session, conn = self._live_connection(shard)
        async with conn.lock:
            session.conn = None
        await conn.ws.close(code=code)
        self._notify()

    async def invalidate_session(
        self, resumable: bool = False, *, shard: int | None = None
    ) -> None:
        """Send op 9 INVALID_SESSION to shard ``shard`` (None: the most recently identified
        session); unless resumable, that shard must IDENTIFY anew."""
        session, conn = self._live_connection(shard)
        async with conn.lock:
            session.conn = None
            if not resumable:
                self._sessions.pop(session.id, None)
                if self._current.get(session.shard) is session:
                    del self._current[session.shard]
            await conn.send({"op": Op.INVALID_SESSION, "d": resumable, "s": None, "t": None})
        self._notify()

    # ---------------------------------------------------------------- REST behaviour

    def rate_limit_next(
        self,
        method: str,
        path_regex: str,
        retry_after: float = 0.2,
        count: int = 1,
        *,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``count`` REST calls whose method matches (``"*"`` = any) and
        whose path below /api/v10 matches ``path_regex`` (``re.search``) with a 429."""
        self._rate_limits.append(
            _RateLimitRule(method.upper(), re.compile(path_regex), retry_after, count, is_global)
        )

    @property
    def commands(self) -> list[JSON]:
        """Currently synced commands: global ones, then guild ones."""
        result = list(self._global_commands)
        for commands in self._guild_commands.values():
            result.extend(commands)
        return result

    def channel_history(self, channel_id: int) -> list[JSON]:
        """All messages in a channel, oldest first (user, bot and interaction messages)."""
        return list(self._history.get(int(channel_id), []))

    def replies_to(self, message: Mapping[str, Any] | int) -> list[JSON]:
        """The messages the bot posted as replies to ``message`` (``POST .../messages``
        with a ``message_reference``), oldest first; live objects, as in ``messages``."""
        return list(self._replies.get(_id_of(message), ()))

    def reactions_on(self, message: Mapping[str, Any] | int) -> list[Reaction]:
        """The bot's reactions to ``message``, added and removed, in the order made."""
        return list(self._bot_reactions.get(_id_of(message), ()))

    def posted_at(self, message: Mapping[str, Any] | int) -> float | None:
        """When (``time.monotonic()``) the bot posted a channel message, None if it did not."""
        return self._posted_at.get(_id_of(message))

    # ---------------------------------------------------------------- long runs

    def mark(self) -> Mark:
        """The current point in the fake's history, for :meth:`forget_before`."""
        session = self._session_of(None)
        return Mark(
            snowflake=self._next_id(),
            time=time.monotonic(),
            records={
                name: self._forgotten[name] + len(getattr(self, name)) for name in _RECORD_LISTS
            },
            session_id=None if session is None else session.id,
            seq=0 if session is None else session.seq,
            sequences={s.id: s.seq for s in self._current.values()},
        )

    def forget_before(self, mark: Mark, *, keep: Iterable[int] = ()) -> int:
        """Drop what the fake recorded before ``mark``, so that a long run (a soak test)
        does not make the fake grow.  Returns how many stored messages were dropped.

        Dropped: the entries of the record lists (``messages``, ``reactions``, ``requests``,
        ``interactions``, ...) made before the mark; stored messages and files made before
        it, except the messages whose ids are in ``keep`` and their attachments (and files
        still attached to a stored message); interactions started before it; the
        dispatches the bot had been sent by then (on every shard); replaced gateway
        sessions.  Afterwards a forgotten message is unknown to REST calls and a forgotten
        interaction's token is invalid, as if they had expired, and a RESUME from before a
        forgotten dispatch gets INVALID_SESSION.  Forget only what has settled: the bot
        must be done with it.
        """
        kept = {int(k) for k in keep}
        for name in _RECORD_LISTS:
            records: list[Any] = getattr(self, name)
            count = min(mark.records[name] - self._forgotten[name], len(records))
            if count <= 0:
                continue
            if name == "interactions":
                for interaction in records[:count]:
                    self._interactions_by_id.pop(interaction.id, None)
                    self._interactions_by_token.pop(interaction.token, None)
            del records[:count]
            self._forgotten[name] += count

        dropped = 0
        for channel_id, history in self._history.items():
            cut = bisect.bisect_left([int(m["id"]) for m in history], mark.snowflake)
            if cut == 0:
                continue
            old = history[:cut]
            survivors = [m for m in old if int(m["id"]) in kept]
            for msg in old:
                if int(msg["id"]) not in kept:
                    self._messages_by_id.pop(int(msg["id"]), None)
                    dropped += 1
            self._history[channel_id] = survivors + history[cut:]
        attached = {
            int(a["id"])
            for history in self._history.values()
            for msg in history
            for a in msg.get("attachments") or []
        }
        for file_id in [f for f in self._files if f < mark.snowflake and f not in attached]:
            del self._files[file_id]

        self._claimed_messages = {m for m in self._claimed_messages if m >= mark.snowflake}
        self._posted_at = {
            m: at for m, at in self._posted_at.items() if m >= mark.snowflake or m in kept
        }
        for index in (self._replies, self._bot_reactions):
            for key in [k for k in index if k < mark.snowflake and k not in kept]:
                del index[key]
        for key in kept:
            if key in self._replies:
                self._replies[key] = [
                    m for m in self._replies[key] if int(m["id"]) >= mark.snowflake
                ]
            if key in self._bot_reactions:
                self._bot_reactions[key] = [
                    r for r in self._bot_reactions[key] if r.at >= mark.time
                ]

        current = {session.id for session in self._current.values()}
        for session_id in [s for s in self._sessions if s not in current]:
            del self._sessions[session_id]
        for session in self._current.values():
            marked = mark.sequences.get(session.id)
            if marked is None or session.conn is None:
                continue
            # Only what the live connection has been sent: the rest is still to deliver.
            count = min(marked, session.conn.sent_seq) - session.base
            if count > 0:
                del session.events[:count]
                session.base += count
        self._notify()
        return dropped

    # ---------------------------------------------------------------- waiting

    async def wait_until(
        self,
        probe: Callable[[], T | None],
        description: str,
        *,
        timeout: float | None = None,
        details: Callable[[], str] | None = None,
    ) -> T:
        """Wait until ``probe()`` returns something truthy, and return that.

        Re-checks after every change the fake records and at least every 50 ms.
        """
        timeout = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = probe()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                extra = f"\n{details()}" if details else ""
                raise AssertionError(
                    f"timed out after {timeout:g}s waiting for {description}{extra}"
                )
            event = asyncio.Event()
            self._waiters.add(event)
            try:
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(event)

    async def wait_for_message(
        self,
        channel_id: int | None = None,
        predicate: Callable[[JSON], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> JSON:
        """The next message the bot posted to a channel (``fake.messages``) matching the
        channel and predicate.  Each message is returned at most once by this method, so
        successive calls return successive messages."""

        def probe() -> JSON | None:
            for msg in self.messages:
                if int(msg["id"]) in self._claimed_messages:
                    continue
                if channel_id is not None and int(msg["channel_id"]) != int(channel_id):
                    continue
                if predicate is not None and not predicate(msg):
                    continue
                self._claimed_messages.add(int(msg["id"]))
                return msg
            return None

        where = f" in channel {channel_id}" if channel_id is not None else ""
        return await self.wait_until(
            probe,
            f"a bot message{where}",
            timeout=timeout,
            details=lambda: self._describe_messages(),
        )

    async def wait_for_reaction(
        self,
        message_id: int | Mapping[str, Any],
        emoji: str | None = None,
        *,
        timeout: float | None = None,
    ) -> Reaction:
        """A reaction the bot added to a message (with that emoji, if given)."""
        target = _id_of(message_id)
        wanted = None if emoji is None else parse_emoji(emoji)[0]

        def probe() -> Reaction | None:
            for reaction in self._bot_reactions.get(target, ()):
                if reaction.added and (wanted is None or reaction.emoji == wanted):
                    return reaction
            return None

        return await self.wait_until(
            probe,
            f"reaction {emoji or '(any)'} on message {target}",
            timeout=timeout,
            details=lambda: f"reactions so far: {self.reactions}",
        )

    async def wait_for_response(
        self, interaction: FakeInteraction, *, timeout: float | None = None
    ) -> InteractionResponse:
        """The initial response (callback) to an interaction."""
        return await self.wait_until(
            lambda: interaction.callback,
            f"the response to interaction {interaction.id}",
            timeout=timeout,
            details=lambda: self._describe_interaction(interaction),
        )

    async def wait_for_followup(
        self,
        interaction: FakeInteraction,
        predicate: Callable[[InteractionResponse], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> InteractionResponse:
        """The next followup of an interaction (each is returned once)."""
        return await self._wait_for_kind(interaction, "followup", predicate, timeout)

    async def wait_for_edit(
        self,
        interaction: FakeInteraction,
        predicate: Callable[[InteractionResponse], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> InteractionResponse:
        """The next edit of an interaction's messages (each is returned once)."""
        return await self._wait_for_kind(interaction, "edit", predicate, timeout)

    async def wait_for_reply(
        self, interaction: FakeInteraction, *, timeout: float | None = None
    ) -> JSON:
        """The first message the user gets to see for an interaction, however the bot made
        it: a type 4/7 response, or a deferral resolved by an edit or a followup.  Returns a
        snapshot of that message."""

        def probe() -> JSON | None:
            for response in interaction.responses:
                msg = response.message
                if msg is not None and not int(msg.get("flags") or 0) & LOADING:
                    return msg
            return None

        return await self.wait_until(
            probe,
            f"a visible reply to interaction {interaction.id}",
            timeout=timeout,
            details=lambda: self._describe_interaction(interaction),
        )

    # ================================================================ internals: model

    def _notify(self) -> None:
        for event in self._waiters:
            event.set()

    def _next_id(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(candidate, self._last_id + 1)
        return self._last_id

    def _id_at(self, at: dt.datetime) -> int:
        base = (int(at.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22
        while base in self._messages_by_id:
            base += 1
        return base

    def _guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[int(guild_id)]
        except KeyError:
            raise ValueError(f"guild {guild_id} is not defined (fake.add_guild)") from None

    def _channel(self, channel_id: int, guild: Guild | None = None) -> JSON:
        cid = int(channel_id)
        if guild is not None:
            if cid not in guild.channels:
                raise ValueError(f"channel {cid} is not defined in guild {guild.id}")
            return guild.channels[cid]
        found = self._find_channel(cid)
        if found is None:
            raise ValueError(f"channel {cid} is not defined")
        return found[0]

    def _find_channel(self, channel_id: int) -> tuple[JSON, Guild | None] | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id], guild
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id], None
        return None

    def _user(self, user_id: int) -> JSON:
        try:
            return self.users[int(user_id)]
        except KeyError:
            raise ValueError(f"user {user_id} is not defined (fake.add_member)") from None

    def _message(self, message_id: int) -> JSON:
        try:
            return self._messages_by_id[int(message_id)]
        except KeyError:
            raise ValueError(f"message {message_id} is unknown to the fake") from None

    def _member_object(
        self, guild: Guild, user: JSON, roles: list[int], nick: str | None = None
    ) -> JSON:
        return {
            "user": user,
            "nick": nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in roles],
            "joined_at": guild.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def _member_payload(self, guild: Guild, user_id: int, channel: JSON | None = None) -> JSON:
        """A member object with ``permissions`` (as in interactions)."""
        member = copy.deepcopy(guild.members[user_id])
        member["permissions"] = str(self._permissions(guild, user_id, channel))
        return member

    def _permissions(self, guild: Guild, user_id: int, channel: JSON | None = None) -> int:
        """Discord's permission computation: base from roles, then channel overwrites."""
        if user_id in guild.permission_overrides:
            return guild.permission_overrides[user_id]
        if user_id == guild.owner_id:
            return Perm.ALL
        member = guild.members.get(user_id)
        if member is None:
            return 0
        role_ids = [guild.id] + [int(r) for r in member["roles"]]
        perms = 0
        for role_id in role_ids:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= int(role["permissions"])
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        if channel is None:
            return perms
        overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites", [])}
        everyone = overwrites.get(guild.id)
        if everyone is not None:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for role_id in role_ids[1:]:
            ow = overwrites.get(role_id)
            if ow is not None and ow.get("type", 0) == 0:
                allow |= int(ow["allow"])
                deny |= int(ow["deny"])
        perms = (perms & ~deny) | allow
        own = overwrites.get(user_id)
        if own is not None and own.get("type") == 1:
            perms = (perms & ~int(own["deny"])) | int(own["allow"])
        return perms

    def _store_file(self, upload: UploadedFile, description: str | None = None) -> JSON:
        file_id = self._next_id()
        self._files[file_id] = upload
        attachment = self._attachment_object(file_id, upload)
        if description is not None:
            attachment["description"] = description
        return attachment

    def _attachment_object(self, file_id: int, upload: UploadedFile) -> JSON:
        quoted = urllib.parse.quote(upload.filename)
        base = yarl.URL(self.base_url)
        if self.attachment_host is not None:
            base = base.with_host(self.attachment_host)
        url = f"{str(base).rstrip('/')}/attachments/{file_id}/{quoted}"
        attachment: JSON = {
            "id": str(file_id),
            "filename": upload.filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
        }
        if upload.content_type:
            attachment["content_type"] = upload.content_type
        return attachment

    def _new_message(
        self,
        channel_id: int,
        guild_id: int | None,
        author: JSON,
        content: str,
        *,
        attachments: list[JSON] | None = None,
        embeds: list[JSON] | None = None,
        message_id: int | None = None,
    ) -> JSON:
        mid = message_id or self._next_id()
        msg: JSON = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": copy.deepcopy(author),
            "content": content,
            "timestamp": _snowflake_time(mid),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments or [],
            "embeds": embeds or [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if guild_id is not None:
            msg["guild_id"] = str(guild_id)
        return msg

    def _store_message(self, msg: JSON) -> None:
        mid = int(msg["id"])
        self._messages_by_id[mid] = msg
        history = self._history.setdefault(int(msg["channel_id"]), [])
        if not history or int(history[-1]["id"]) < mid:
            history.append(msg)  # the usual case: the newest message
        else:
            ids = [int(m["id"]) for m in history]
            history.insert(bisect.bisect(ids, mid), msg)
        found = self._find_channel(int(msg["channel_id"]))
        if found is not None:
            found[0]["last_message_id"] = msg["id"]
        self._notify()

    def _unstore_message(self, msg: JSON) -> None:
        self._messages_by_id.pop(int(msg["id"]), None)
        history = self._history.get(int(msg["channel_id"]), [])
        if msg in history:
            history.remove(msg)

    def _mentioned_ids(self, content: str, allowed: JSON | None) -> list[int]:
        """User ids mentioned in content, as Discord resolves them under allowed_mentions."""
        ids = [int(m) for m in re.findall(r"<@!?(\d+)>", content)]
        if allowed is None:
            return ids
        if "users" in (allowed.get("parse") or []):
            return ids
        permitted = {int(u) for u in allowed.get("users") or []}
        return [i for i in ids if i in permitted]

    def _mention_objects(self, guild: Guild | None, user_ids: list[int]) -> list[JSON]:
        result = []
        for user_id in dict.fromkeys(user_ids):
            user = self.users.get(user_id)
            if user is None:
                continue
            obj = copy.deepcopy(user)
            if guild is not None and user_id in guild.members:
                member = copy.deepcopy(guild.members[user_id])
                member.pop("user", None)
                obj["member"] = member
            result.append(obj)
        return result

    def _dm_channel_for(self, user_id: int) -> JSON:
        for channel in self.dm_channels.values():
            if int(channel["recipients"][0]["id"]) == user_id:
                return channel
        channel_id = self._next_id()
        channel = {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "recipients": [self._user(user_id)],
            "flags": 0,
        }
        self.dm_channels[channel_id] = channel
        self._history.setdefault(channel_id, [])
        return channel

    def _apply_reaction(self, msg: JSON, emoji: str, user_id: int, added: bool) -> None:
        key, emoji_object = parse_emoji(emoji)
        reactions: list[JSON] = msg.setdefault("reactions", [])
        entry = next((r for r in reactions if _emoji_key(r["emoji"]) == key), None)
        me = user_id == self.bot_id
        if added:
            if entry is None:
                entry = {
                    "count": 0,
                    "count_details": {"burst": 0, "normal": 0},
                    "me": False,
                    "me_burst": False,
                    "burst_colors": [],
                    "emoji": emoji_object,
                }
                reactions.append(entry)
            entry["count"] += 1
            entry["count_details"]["normal"] += 1
            entry["me"] = entry["me"] or me
        elif entry is not None:
            entry["count"] -= 1
            entry["count_details"]["normal"] -= 1
            if me:
                entry["me"] = False
            if entry["count"] <= 0:
                reactions.remove(entry)
        if not reactions:
            msg.pop("reactions", None)

    # ---------------------------------------------------------------- commands & interactions

    def _find_command(self, name: str, type_: int, guild_id: int | None) -> JSON:
        candidates = []
        if guild_id is not None:
            candidates.extend(self._guild_commands.get(int(guild_id), []))
        candidates.extend(self._global_commands)
        for command in candidates:
            if command["name"] == name and int(command.get("type", 1)) == type_:
                return command
        synced = [(c["name"], c.get("type", 1), c.get("guild_id")) for c in self.commands]
        raise AssertionError(
            f"no synced command {name!r} of type {type_} for guild {guild_id} "
            f"(did the bot call tree.sync()?); synced: {synced}"
        )

    def _check_can_use(
        self, command: JSON, guild_id: int, user_id: int, override: int | str | None
    ) -> None:
        required = command.get("default_member_permissions")
        if not required:
            return
        guild = self._guild(guild_id)
        perms = (
            _perm_value(override)
            if override is not None
            else self._permissions(guild, int(user_id))
        )
        if perms & Perm.ADMINISTRATOR:
            return
        if perms & int(required) != int(required):
            raise AssertionError(
                f"user {user_id} lacks the permissions ({required}) that command "
                f"{command['name']!r} requires; Discord would not offer it"
            )

    def _build_options(
        self,
        command: JSON,
        parts: list[str],
        options: Mapping[str, Any] | Sequence[JSON] | None,
        focused: str | None,
    ) -> list[JSON]:
        if options is not None and not isinstance(options, Mapping):
            if len(parts) > 1:
                raise ValueError("give either a subcommand path or a raw option list")
            return [dict(o) for o in options]
        schema: list[JSON] = command.get("options") or []
        path: list[JSON] = []
        for part in parts[1:]:
            sub = next((o for o in schema if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise AssertionError(f"command {command['name']!r} has no subcommand {part!r}")
            path.append(sub)
            schema = sub.get("options") or []
        values: list[JSON] = []
        for key, value in (options or {}).items():
            spec = next((o for o in schema if o["name"] == key), None)
            if spec is None:
                names = [o["name"] for o in schema]
                raise AssertionError(f"command {' '.join(parts)!r} has no option {key!r}: {names}")
            values.append(self._option_value(spec, value, focused == key))
        if focused is None:
            given = {v["name"] for v in values}
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in given]
            if missing:
                command_path = " ".join(parts)
                raise AssertionError(f"required option(s) missing for /{command_path}: {missing}")
        for sub in reversed(path):
            values = [{"type": sub["type"], "name": sub["name"], "options": values}]
        return values

    def _option_value(self, spec: JSON, value: Any, focused: bool) -> JSON:
        kind = int(spec["type"])
        if focused:
            return {"type": kind, "name": spec["name"], "value": str(value), "focused": True}
        if kind in (6, 7, 8, 9, 11):  # user, channel, role, mentionable, attachment
            value = str(_id_of(value))
        elif kind == 4:
            value = int(value)
        elif kind == 10:
            value = float(value)
        elif kind == 5:
            value = bool(value)
        else:
            value = str(value)
        choices = spec.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise AssertionError(f"{value!r} is not a choice of option {spec['name']!r}")
        return {"type": kind, "name": spec["name"], "value": value}

    def _add_resolved(self, data: JSON, guild_id: int, options: list[JSON]) -> None:
        guild = self._guild(guild_id)
        resolved: dict[str, JSON] = {}

        def walk(opts: list[JSON]) -> None:
            for opt in opts:
                if opt.get("type") in (1, 2):
                    walk(opt.get("options") or [])
                    continue
                if opt.get("focused") or "value" not in opt:
                    continue
                kind, key = opt["type"], str(opt["value"])
                if kind in (6, 9) and int(key) in self.users:
                    resolved.setdefault("users", {})[key] = copy.deepcopy(self.users[int(key)])
                    if int(key) in guild.members:
                        member = self._member_payload(guild, int(key))
                        member.pop("user")
                        resolved.setdefault("members", {})[key] = member
                elif kind in (8, 9) and int(key) in guild.roles:
                    resolved.setdefault("roles", {})[key] = copy.deepcopy(guild.roles[int(key)])
                elif kind == 7 and int(key) in guild.channels:
                    channel = guild.channels[int(key)]
                    resolved.setdefault("channels", {})[key] = {
                        "id": key,
                        "name": channel["name"],
                        "type": channel["type"],
                        "parent_id": channel.get("parent_id"),
                        "permissions": str(self._permissions(guild, self.bot_id, channel)),
                    }
                elif kind == 11 and int(key) in self._files:
                    attachment = self._attachment_object(int(key), self._files[int(key)])
                    resolved.setdefault("attachments", {})[key] = attachment

        walk(options)
        if resolved:
            data["resolved"] = resolved

    async def _start_interaction(
        self,
        type_: int,
        guild_id: int,
        channel_id: int,
        user_id: int,
        data: JSON,
        command: JSON | None,
        member_permissions: int | str | None,
        locale: str,
        *,
        message: Mapping[str, Any] | None = None,
    ) -> FakeInteraction:
        guild = self._guild(guild_id)
        channel = self._channel(channel_id, guild)
        if int(user_id) not in guild.members:
            raise AssertionError(f"user {user_id} is not a member of guild {guild.id}")
        if command is not None and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        interaction_id = self._next_id()
        token = f"aW50ZXJhY3Rpb24.{secrets.token_urlsafe(24)}"
        member = self._member_payload(guild, int(user_id), channel)
        if member_permissions is not None:
            member["permissions"] = str(_perm_value(member_permissions))
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": type_,
            "data": data,
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "guild_id": str(guild.id),
            "channel": {
                **copy.deepcopy(channel),
                "permissions": member["permissions"],
            },
            "channel_id": str(channel_id),
            "member": member,
            "token": token,
            "version": 1,
            "app_permissions": str(self._permissions(guild, self.bot_id, channel)),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = copy.deepcopy(dict(message))
        record = FakeInteraction(
            id=interaction_id,
            token=token,
            type=type_,
            guild_id=guild.id,
            channel_id=int(channel_id),
            user_id=int(user_id),
            payload=payload,
            created_at=asyncio.get_running_loop().time(),
        )
        self.interactions.append(record)
        self._interactions_by_id[interaction_id] = record
        self._interactions_by_token[token] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    def _find_component(self, components: list[JSON], custom_id: str) -> JSON | None:
        for component in components:
            if component.get("custom_id") == custom_id:
                return component
            for key in ("components", "accessory", "component"):
                child = component.get(key)
                children = child if isinstance(child, list) else [child] if child else []
                found = self._find_component(children, custom_id)
                if found is not None:
                    return found
        return None

    def _custom_ids(self, components: list[JSON]) -> list[str]:
        found: list[str] = []
        for component in components:
            if "custom_id" in component:
                found.append(component["custom_id"])
            for key in ("components", "accessory", "component"):
                child = component.get(key)
                children = child if isinstance(child, list) else [child] if child else []
                found.extend(self._custom_ids(children))
        return found

    async def _wait_for_kind(
        self,
        interaction: FakeInteraction,
        kind: str,
        predicate: Callable[[InteractionResponse], bool] | None,
        timeout: float | None,
    ) -> InteractionResponse:
        def probe() -> InteractionResponse | None:
            for response in interaction.responses:
                if response.kind != kind or response._claimed:
                    continue
                if predicate is not None and not predicate(response):
                    continue
                response._claimed = True
                return response
            return None

        return await self.wait_until(
            probe,
            f"a {kind} of interaction {interaction.id}",
            timeout=timeout,
            details=lambda: self._describe_interaction(interaction),
        )

    def _describe_interaction(self, interaction: FakeInteraction) -> str:
        seen = [(r.kind, r.type, r.content) for r in interaction.responses]
        lines = [f"responses so far (kind, type, content): {seen}"]
        if interaction.late_callbacks:
            lines.append(
                f"{interaction.late_callbacks} callback(s) came after the "
                f"{self.interaction_deadline}s deadline and were refused"
            )
        if not self.connected:
            lines.append("the bot is not connected to the gateway")
        return "\n".join(lines)

    def _describe_messages(self) -> str:
        seen = [(m["channel_id"], m["content"][:80]) for m in self.messages]
        text = f"bot messages so far (channel, content): {seen}"
        if self.unhandled:
            text += f"\nunhandled REST calls: {[(c.method, c.path) for c in self.unhandled]}"
        if not self.connected:
            text += "\nthe bot is not connected to the gateway"
        return text

    # ================================================================ internals: gateway

    def _session_of(self, shard: int | None) -> _Session | None:
        """The current session of shard ``shard`` (the most recently identified one if
        several shard counts have that id), or with None the most recently identified."""
        sessions = [s for s in self._current.values() if shard is None or s.shard_id == shard]
        return sessions[-1] if sessions else None

    def _session_holding(self, guild_id: int | None) -> _Session | None:
        """The most recently identified current session that gets a guild's events."""
        owners = [s for s in self._current.values() if s.owns(guild_id)]
        return owners[-1] if owners else None

    def _live_connection(self, shard: int | None) -> tuple[_Session, _Connection]:
        session = self._session_of(shard)
        if session is None or session.conn is None:
            which = "" if shard is None else f" on shard {shard}"
            raise AssertionError(f"the bot is not connected to the fake gateway{which}")
        return session, session.conn

    def _required_intent(self, event: str, data: JSON) -> int:
        in_guild = "guild_id" in data
        if event in ("GUILD_CREATE", "GUILD_DELETE", "GUILD_UPDATE") or event.startswith(
            ("GUILD_ROLE_", "CHANNEL_")
        ):
            return Intent.GUILDS
        if event in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"):
            return Intent.GUILD_MEMBERS
        if event.startswith("MESSAGE_REACTION_"):
            return Intent.GUILD_MESSAGE_REACTIONS if in_guild else Intent.DIRECT_MESSAGE_REACTIONS
        if event.startswith("MESSAGE_"):
            return Intent.GUILD_MESSAGES if in_guild else Intent.DIRECT_MESSAGES
        if event == "TYPING_START":
            return Intent.GUILD_MESSAGE_TYPING if in_guild else Intent.DIRECT_MESSAGE_TYPING
        return 0

    def _strip_content(self, data: JSON) -> None:
        """What Discord does without the MESSAGE_CONTENT intent."""
        author = data.get("author") or {}
        if "guild_id" not in data or str(author.get("id")) == str(self.bot_id):
            return
        if any(str(m.get("id")) == str(self.bot_id) for m in data.get("mentions") or []):
            return
        data["content"] = ""
        data["embeds"] = []
        data["attachments"] = []
        data["components"] = []
        data.pop("poll", None)

    async def _dispatch_to(self, session: _Session, event: str, data: JSON) -> int | None:
        required = self._required_intent(event, data)
        if required and not session.intents & required:
            return None
        payload = copy.deepcopy(data)
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not (
            session.intents & Intent.MESSAGE_CONTENT
        ):
            self._strip_content(payload)
        session.events.append({"op": Op.DISPATCH, "t": event, "s": session.seq + 1, "d": payload})
        seq = session.seq
        await self._flush(session)
        self._notify()
        return seq

    async def _flush(self, session: _Session) -> None:
        """Send the session's dispatches its connection has not had yet, in order."""
        conn = session.conn
        if conn is None:
            return
        async with conn.lock:
            while session.conn is conn and conn.sent_seq < session.seq:
                frame = session.events[conn.sent_seq - session.base]
                try:
                    await conn.send(frame)
                except Exception:  # the socket went away: keep the events for RESUME
                    session.conn = None
                    return
                conn.sent_seq += 1

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, timeout=2.0)
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        compress = self.gateway_compression and request.query.get("compress") == "zlib-stream"
        conn = _Connection(ws=ws, compressor=zlib.compressobj() if compress else None)
        self._connections.add(conn)
        try:
            async with conn.lock:
                hello = {"heartbeat_interval": int(self.heartbeat_interval * 1000)}
                await conn.send({"op": Op.HELLO, "d": hello, "s": None, "t": None})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_payload(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.BINARY:
                    log.error("fake gateway got a binary frame; only JSON text is supported")
        except Exception:
            log.exception("fake gateway failed")
        finally:
            self._connections.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
            self._notify()
        return ws

    async def _on_gateway_payload(self, conn: _Connection, payload: JSON) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == Op.HEARTBEAT:
            async with conn.lock:
                await conn.send({"op": Op.HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            return
        self.gateway_received.append(payload)
        if op == Op.IDENTIFY:
            await self._identify(conn, data)
        elif op == Op.RESUME:
            await self._resume(conn, data)
        elif op == Op.REQUEST_MEMBERS:
            await self._request_members(conn, data)
        elif op in (Op.PRESENCE, Op.VOICE_STATE):
            pass
        else:
            log.error("fake gateway got an unsupported op %s: %s", op, payload)
        self._notify()

    async def _identify(self, conn: _Connection, data: JSON) -> None:
        self.identify_payloads.append(data)
        if self.token is not None and data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        try:
            shard = _shard_key(data.get("shard"))
        except ValueError:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        session = _Session(id=uuid.uuid4().hex, intents=int(data.get("intents", 0)), shard=shard)
        held = [g for g in self.guilds.values() if g.joined and session.owns(g.id)]
        if len(held) > self.max_guilds_per_session:
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        old = self._current.pop(shard, None)
        if old is not None:
            old.conn = None
        self._sessions[session.id] = session
        self._current[shard] = session
        conn.session = session
        conn.sent_seq = 0
        session.conn = conn
        ready: JSON = {
            "v": API_VERSION,
            "user": copy.deepcopy(self.bot_user),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in held],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": str(self.gateway_url),
            "application": {"id": str(self.app_id), "flags": self._application_flags()},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake-discord"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await self._dispatch_to(session, "READY", ready)
        for guild in held:
            await self._dispatch_to(
                session, "GUILD_CREATE", self._guild_create_payload(guild, session.intents)
            )
        delivered = [p for p in self._pending if session.owns(p.guild_id)]
        self._pending = [p for p in self._pending if not session.owns(p.guild_id)]
        for pending in delivered:
            await self._dispatch_to(session, pending.event, pending.data)

    async def _resume(self, conn: _Connection, data: JSON) -> None:
        session = self._sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if (
            session is None
            or self._current.get(session.shard) is not session
            or not isinstance(seq, int)
            or not session.base <= seq <= session.seq
        ):
            async with conn.lock:
                await conn.send({"op": Op.INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        old = session.conn
        if old is not None and old is not conn:
            session.conn = None
            with contextlib.suppress(Exception):
                await old.ws.close(code=4000)
        conn.session = session
        conn.sent_seq = seq
        session.conn = conn
        self.resume_count += 1
        # The flush inside sends the missed dispatches first, then RESUMED.
        await self._dispatch_to(session, "RESUMED", {"_trace": ["fake-discord"]})

    async def _request_members(self, conn: _Connection, data: JSON) -> None:
        """Answer op 8 on the session that asked, which must hold the guild."""
        session = conn.session
        guild = self.guilds.get(int(data["guild_id"]))
        if session is None or guild is None:
            return
        if not session.owns(guild.id):
            log.error(
                "shard %s asked for the members of guild %s, which another shard holds",
                session.shard,
                guild.id,
            )
            return
        members = list(guild.members.values())
        user_ids = data.get("user_ids")
        if user_ids is not None:
            wanted = {int(u) for u in ([user_ids] if isinstance(user_ids, str | int) else user_ids)}
            members = [m for m in members if int(m["user"]["id"]) in wanted]
        elif data.get("query"):
            query = str(data["query"]).lower()
            members = [m for m in members if m["user"]["username"].lower().startswith(query)]
        if data.get("limit"):
            members = members[: int(data["limit"])]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": copy.deepcopy(members),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    def _application_flags(self) -> int:
        gateway_message_content = 1 << 18
        gateway_guild_members = 1 << 14
        return gateway_message_content | gateway_guild_members

    def _guild_create_payload(self, guild: Guild, intents: int) -> JSON:
        if intents & Intent.GUILD_MEMBERS:
            members = list(guild.members.values())
        else:
            members = [guild.members[self.bot_id]]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "application_id": None,
            "incidents_data": None,
            "features": [],
            "roles": copy.deepcopy(list(guild.roles.values())),
            "emojis": [],
            "stickers": [],
            "channels": copy.deepcopy(list(guild.channels.values())),
            "members": copy.deepcopy(members),
            "member_count": len(guild.members),
            "joined_at": guild.joined_at,
            "large": False,
            "lazy": True,
            "unavailable": False,
            "voice_states": [],
            "presences": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    async def _dispatch_message(self, event: str, msg: JSON) -> None:
        """MESSAGE_CREATE/UPDATE for a stored message, with ``member`` in guilds."""
        payload = copy.deepcopy(msg)
        if "guild_id" in msg:
            guild = self.guilds.get(int(msg["guild_id"]))
            author_id = int(msg["author"]["id"])
            if guild is not None and author_id in guild.members:
                member = copy.deepcopy(guild.members[author_id])
                member.pop("user", None)
                payload["member"] = member
        await self.dispatch(event, payload)

    # ================================================================ internals: REST

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/users/(?P<user_id>\d+)", self._get_user),
            ("GET", r"/applications/(?P<app_id>\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(?P<app_id>\d+)/commands", self._put_commands),
            (
                "GET",
                r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands",
                self._get_commands,
            ),
            (
                "PUT",
                r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands",
                self._put_commands,
            ),
            ("GET", r"/guilds/(?P<guild_id>\d+)", self._get_guild),
            ("GET", r"/guilds/(?P<guild_id>\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(?P<guild_id>\d+)/roles", self._get_guild_roles),
            ("GET", r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)", self._get_member),
            ("GET", r"/channels/(?P<channel_id>\d+)", self._get_channel),
            ("GET", r"/channels/(?P<channel_id>\d+)/messages", self._get_messages),
            ("POST", r"/channels/(?P<channel_id>\d+)/messages", self._post_message),
            (
                "GET",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)",
                self._get_message,
            ),
            (
                "PATCH",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)",
                self._patch_message,
            ),
            (
                "DELETE",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)",
                self._delete_message,
            ),
            (
                "PUT",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)"
                r"/reactions/(?P<emoji>[^/]+)/@me",
                self._put_reaction,
            ),
            (
                "DELETE",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)"
                r"/reactions/(?P<emoji>[^/]+)/@me",
                self._delete_reaction,
            ),
            ("POST", r"/channels/(?P<channel_id>\d+)/typing", self._post_typing),
            (
                "POST",
                r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
                self._interaction_callback,
            ),
            ("POST", r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)", self._webhook_execute),
            (
                "GET",
                r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
                self._webhook_get_message,
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
                self._webhook_edit_message,
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
                self._webhook_delete_message,
            ),
        ]
        return [
            (method, re.compile(pattern + r"/?"), handler) for method, pattern, handler in table
        ]

    async def _handle_attachment(self, request: web.Request) -> web.StreamResponse:
        upload = self._files.get(int(request.match_info["file_id"]))
        if upload is None:
            return web.Response(status=404, text="not found")
        # As a header, not ``content_type=``: aiohttp refuses a charset in that argument, and
        # Discord serves message.txt as "text/plain; charset=utf-8".
        content_type = upload.content_type or "application/octet-stream"
        return web.Response(body=upload.data, headers={"Content-Type": content_type})

    async def _handle_rest(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.split("?", 1)[0]
        path = "/" + raw_path.split("/", 3)[3] if raw_path.count("/") >= 3 else "/"
        call = RestCall(request.method, urllib.parse.unquote(path), dict(request.query), None)
        try:
            await self._read_body(request, call)
        except Exception as exc:
            log.error("fake REST could not read the body of %s %s: %s", call.method, path, exc)
            return _error(400, 50109, "The request body contains invalid JSON.")
        self.requests.append(call)
        response = await self._route(request, call, path)
        call.status = response.status
        self._notify()
        return response

    async def _read_body(self, request: web.Request, call: RestCall) -> None:
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            files: dict[int, UploadedFile] = {}
            while (part := await reader.next()) is not None:
                name = getattr(part, "name", None) or ""
                if name == "payload_json":
                    call.body = json.loads(await part.text())  # type: ignore[union-attr]
                elif match := re.fullmatch(r"files\[(\d+)\]", name):
                    data = await part.read(decode=False)  # type: ignore[union-attr]
                    content_type = part.headers.get("Content-Type")
                    filename = getattr(part, "filename", None) or f"file{match.group(1)}"
                    index = int(match.group(1))
                    files[index] = UploadedFile(filename, bytes(data), content_type, index)
            call.files = [files[i] for i in sorted(files)]
        elif request.can_read_body:
            text = await request.text()
            if text:
                call.body = json.loads(text)

    async def _route(self, request: web.Request, call: RestCall, path: str) -> web.Response:
        rule = self._take_rate_limit(call)
        if rule is not None:
            self.rate_limited.append(call)
            return self._too_many_requests(rule)
        for method, pattern, handler in self._routes:
            if method != call.method:
                continue
            match = pattern.fullmatch(path)
            if match is None:
                continue
            params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
            # Interaction callbacks and webhooks are authorised by their token in the URL.
            token_in_url = path.startswith(("/interactions/", "/webhooks/"))
            if not token_in_url and not self._authorized(request):
                return _error(401, 0, "401: Unauthorized")
            try:
                return await handler(_Request(call, params, request.query))
            except _HTTPError as exc:
                return exc.response
            except Exception:
                log.exception("fake Discord failed to handle %s %s", call.method, path)
                return _error(400, 0, "fake Discord internal error (see the log)")
        self.unhandled.append(call)
        log.error("fake Discord has no route for %s %s", call.method, path)
        return _error(404, 0, "404: Not Found")

    def _take_rate_limit(self, call: RestCall) -> _RateLimitRule | None:
        for rule in self._rate_limits:
            method_matches = rule.method in ("*", call.method)
            if rule.count > 0 and method_matches and rule.pattern.search(call.path):
                rule.count -= 1
                return rule
        return None

    def _authorized(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        return request.headers.get("Authorization") == f"Bot {self.token}"

    def _too_many_requests(self, rule: _RateLimitRule) -> web.Response:
        reset = time.time() + rule.retry_after
        headers = {
            "Retry-After": str(max(1, math.ceil(rule.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{reset:.3f}",
            "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "global" if rule.is_global else "user",
            # discord.py treats a 429 without Via as a Cloudflare ban and does not retry.
            "Via": "1.1 google",
        }
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": rule.retry_after,
            "global": rule.is_global,
            "code": 0,
        }
        return _json(body, 429, headers)

    # ---------------------------------------------------------------- REST: basics

    async def _get_gateway(self, req: _Request) -> web.Response:
        return _json({"url": str(self.gateway_url)})

    async def _get_gateway_bot(self, req: _Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return _json(
            {
                "url": str(self.gateway_url),
                "shards": self.recommended_shards,
                "session_start_limit": limit,
            }
        )

    async def _get_me(self, req: _Request) -> web.Response:
        return _json(self.bot_user)

    async def _get_application(self, req: _Request) -> web.Response:
        owner = self.users.get(self.owner_id) or {
            "id": str(self.owner_id),
            "username": "owner",
            "discriminator": "0",
            "global_name": "owner",
            "avatar": None,
            "public_flags": 0,
        }
        return _json(
            {
                "id": str(self.app_id),
                "name": self.bot_user["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot": self.bot_user,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner,
                "team": None,
                "verify_key": "0" * 64,
                "flags": self._application_flags(),
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
                "approximate_guild_count": sum(g.joined for g in self.guilds.values()),
                "integration_types_config": {"0": {}},
            }
        )

    async def _get_user(self, req: _Request) -> web.Response:
        user = self.users.get(int(req.params["user_id"]))
        if user is None:
            return _error(404, 10013, "Unknown User")
        return _json(user)

    async def _create_dm(self, req: _Request) -> web.Response:
        recipient = int((req.body or {}).get("recipient_id", 0))
        if recipient not in self.users:
            return _error(400, 50007, "Cannot send messages to this user")
        return _json(self._dm_channel_for(recipient))

    async def _get_guild(self, req: _Request) -> web.Response:
        guild = self._rest_guild(req)
        payload = self._guild_create_payload(guild, 0)
        for key in ("channels", "members", "voice_states", "presences", "threads", "joined_at"):
            payload.pop(key, None)
        return _json(payload)

    async def _get_guild_channels(self, req: _Request) -> web.Response:
        return _json(list(self._rest_guild(req).channels.values()))

    async def _get_guild_roles(self, req: _Request) -> web.Response:
        return _json(list(self._rest_guild(req).roles.values()))

    async def _get_member(self, req: _Request) -> web.Response:
        guild = self._rest_guild(req)
        member = guild.members.get(int(req.params["user_id"]))
        if member is None:
            return _error(404, 10007, "Unknown Member")
        return _json(member)

    def _rest_guild(self, req: _Request) -> Guild:
        guild = self.guilds.get(int(req.params["guild_id"]))
        if guild is None or not guild.joined:
            raise _HTTPError(_error(404, 10004, "Unknown Guild"))
        return guild

    # ---------------------------------------------------------------- REST: commands

    async def _get_commands(self, req: _Request) -> web.Response:
        if "guild_id" in req.params:
            return _json(self._guild_commands.get(int(req.params["guild_id"]), []))
        return _json(self._global_commands)

    async def _put_commands(self, req: _Request) -> web.Response:
        if int(req.params["app_id"]) != self.app_id:
            return _error(403, 50001, "Missing Access")
        guild_id = int(req.params["guild_id"]) if "guild_id" in req.params else None
        if guild_id is not None:
            self._rest_guild(req)
        sent = list(req.body or [])
        if self.command_refusal is not None:
            problem = self.command_refusal.first_problem(sent)
            if problem is not None:
                self.refused_syncs.append((guild_id, copy.deepcopy(sent)))
                return _error(400, 50035, "Invalid Form Body", problem)
        self.sync_calls.append((guild_id, copy.deepcopy(sent)))
        echoed = []
        for command in sent:
            type_ = int(command.get("type", 1))
            key = (guild_id, command["name"], type_)
            command_id = self._command_ids.setdefault(key, self._next_id())
            item = copy.deepcopy(command)
            item.update(
                {
                    "id": str(command_id),
                    "application_id": str(self.app_id),
                    "version": str(self._next_id()),
                    "type": type_,
                    "description": command.get("description", ""),
                    "default_member_permissions": command.get("default_member_permissions"),
                    "nsfw": command.get("nsfw", False),
                }
            )
            if guild_id is not None:
                item["guild_id"] = str(guild_id)
            echoed.append(item)
        if guild_id is None:
            self._global_commands = echoed
        else:
            self._guild_commands[guild_id] = echoed
        return _json(echoed)

    # ---------------------------------------------------------------- REST: channels & messages

    def _rest_channel(self, req: _Request, *needed: int) -> tuple[JSON, Guild | None]:
        found = self._find_channel(int(req.params["channel_id"]))
        if found is None or (found[1] is not None and not found[1].joined):
            raise _HTTPError(_error(404, 10003, "Unknown Channel"))
        channel, guild = found
        if guild is not None and needed:
            perms = self._permissions(guild, self.bot_id, channel)
            if perms & Perm.VIEW_CHANNEL == 0:
                raise _HTTPError(_error(403, 50001, "Missing Access"))
            for bit in needed:
                if perms & bit != bit:
                    raise _HTTPError(_error(403, 50013, "Missing Permissions"))
        return channel, guild

    def _rest_message(self, req: _Request) -> JSON:
        msg = self._messages_by_id.get(int(req.params["message_id"]))
        if msg is None or msg["channel_id"] != req.params["channel_id"]:
            raise _HTTPError(_error(404, 10008, "Unknown Message"))
        return msg

    def _visible(self, msg: JSON) -> JSON:
        """A message as the bot may read it over REST (content intent applies here too:
        that of the session holding the message's guild)."""
        result = copy.deepcopy(msg)
        guild_id = int(msg["guild_id"]) if msg.get("guild_id") is not None else None
        session = self._session_holding(guild_id) or self._session_of(None)
        if session is not None and not session.intents & Intent.MESSAGE_CONTENT:
            self._strip_content(result)
        return result

    async def _get_channel(self, req: _Request) -> web.Response:
        channel, _ = self._rest_channel(req, Perm.VIEW_CHANNEL)
        return _json(channel)

    async def _get_messages(self, req: _Request) -> web.Response:
        channel, _ = self._rest_channel(req, Perm.VIEW_CHANNEL, Perm.READ_MESSAGE_HISTORY)
        history = self._history.get(int(channel["id"]), [])
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        if "after" in req.query:
            after = int(req.query["after"])
            selected = [m for m in history if int(m["id"]) > after][:limit]
        elif "around" in req.query:
            position = bisect.bisect_left([int(m["id"]) for m in history], int(req.query["around"]))
            start = max(0, position - limit // 2)
            selected = history[start : start + limit]
        else:
            before = int(req.query["before"]) if "before" in req.query else None
            candidates = [m for m in history if before is None or int(m["id"]) < before]
            selected = candidates[-limit:]
        newest_first = sorted(selected, key=lambda m: int(m["id"]), reverse=True)
        return _json([self._visible(m) for m in newest_first])

    async def _get_message(self, req: _Request) -> web.Response:
        self._rest_channel(req, Perm.VIEW_CHANNEL, Perm.READ_MESSAGE_HISTORY)
        return _json(self._visible(self._rest_message(req)))

    async def _post_message(self, req: _Request) -> web.Response:
        payload: JSON = dict(req.body or {})
        needed = [Perm.SEND_MESSAGES] + ([Perm.ATTACH_FILES] if req.files else [])
        channel, guild = self._rest_channel(req, *needed)
        self._validate_message(payload, req.files, creating=True)
        msg = self._new_message(
            int(channel["id"]), None if guild is None else guild.id, self.bot_user, ""
        )
        self._apply_message_payload(msg, payload, req.files, guild)
        reference = payload.get("message_reference")
        if reference:
            ref_id = int(reference.get("message_id", 0))
            referenced = self._messages_by_id.get(ref_id)
            if referenced is None and reference.get("fail_if_not_exists", True):
                return _form_error("message_reference", "Unknown message")
            msg["type"] = 19
            msg["message_reference"] = {
                "type": reference.get("type", 0),
                "message_id": str(ref_id),
                "channel_id": str(reference.get("channel_id", channel["id"])),
                **({"guild_id": str(guild.id)} if guild else {}),
            }
            msg["referenced_message"] = copy.deepcopy(referenced) if referenced else None
            allowed = payload.get("allowed_mentions")
            if referenced and (allowed is None or allowed.get("replied_user", False)):
                msg["mentions"].extend(
                    self._mention_objects(guild, [int(referenced["author"]["id"])])
                )
        for key in ("nonce", "tts"):
            if key in payload:
                msg[key] = payload[key]
        self._store_message(msg)
        self.messages.append(msg)
        self._posted_at[int(msg["id"])] = time.monotonic()
        if reference:
            self._replies.setdefault(int(msg["message_reference"]["message_id"]), []).append(msg)
        self._notify()
        await self._dispatch_message("MESSAGE_CREATE", msg)
        return _json(msg)

    async def _patch_message(self, req: _Request) -> web.Response:
        _, guild = self._rest_channel(req, Perm.VIEW_CHANNEL)
        msg = self._rest_message(req)
        if msg["author"]["id"] != self.bot_user["id"]:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        payload: JSON = dict(req.body or {})
        self._validate_message(payload, req.files, creating=False)
        self._apply_message_payload(msg, payload, req.files, guild, editing=True)
        msg["edited_timestamp"] = dt.datetime.now(dt.UTC).isoformat()
        self.edits.append(copy.deepcopy(msg))
        self._notify()
        await self._dispatch_message("MESSAGE_UPDATE", msg)
        return _json(msg)

    async def _delete_message(self, req: _Request) -> web.Response:
        _, guild = self._rest_channel(req, Perm.VIEW_CHANNEL)
        msg = self._rest_message(req)
        if msg["author"]["id"] != self.bot_user["id"] and guild is not None:
            can_manage = self._permissions(guild, self.bot_id) & Perm.MANAGE_MESSAGES
            if not can_manage:
                return _error(403, 50013, "Missing Permissions")
        await self._delete(msg)
        return _no_content()

    async def _delete(self, msg: JSON) -> None:
        self._unstore_message(msg)
        self.deleted.append(int(msg["id"]))
        self._notify()
        data = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        await self.dispatch("MESSAGE_DELETE", data)

    async def _put_reaction(self, req: _Request) -> web.Response:
        return await self._react(req, added=True)

    async def _delete_reaction(self, req: _Request) -> web.Response:
        return await self._react(req, added=False)

    async def _react(self, req: _Request, added: bool) -> web.Response:
        needed = [Perm.READ_MESSAGE_HISTORY] + ([Perm.ADD_REACTIONS] if added else [])
        channel, guild = self._rest_channel(req, *needed)
        msg = self._rest_message(req)
        emoji, emoji_object = parse_emoji(req.params["emoji"])
        self._apply_reaction(msg, emoji, self.bot_id, added)
        reaction = Reaction(int(channel["id"]), int(msg["id"]), emoji, self.bot_id, added)
        self.reactions.append(reaction)
        self._bot_reactions.setdefault(reaction.message_id, []).append(reaction)
        self._notify()
        data: JSON = {
            "user_id": str(self.bot_id),
            "channel_id": channel["id"],
            "message_id": msg["id"],
            "emoji": emoji_object,
            "burst": False,
            "type": 0,
        }
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if added:
                data["member"] = copy.deepcopy(guild.members[self.bot_id])
        await self.dispatch("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE", data)
        return _no_content()

    async def _post_typing(self, req: _Request) -> web.Response:
        channel, _ = self._rest_channel(req, Perm.SEND_MESSAGES)
        self.typing.append(int(channel["id"]))
        self._notify()
        return _no_content()

    def _validate_message(self, payload: JSON, files: list[UploadedFile], creating: bool) -> None:
        content = payload.get("content") or ""
        if len(content) > MAX_CONTENT:
            raise _HTTPError(_form_error("content", f"Must be {MAX_CONTENT} or fewer in length."))
        embeds = payload.get("embeds") or []
        if len(embeds) > 10:
            raise _HTTPError(_form_error("embeds", "Must be 10 or fewer in length."))
        limits = {"title": 256, "description": 4096}
        for index, embed in enumerate(embeds):
            for key, limit in limits.items():
                if len(embed.get(key) or "") > limit:
                    raise _HTTPError(
                        _form_error(f"embeds.{index}.{key}", f"Must be {limit} or fewer in length.")
                    )
            fields = embed.get("fields") or []
            if len(fields) > 25:
                raise _HTTPError(_form_error(f"embeds.{index}.fields", "Too many fields."))
            for f_index, item in enumerate(fields):
                if len(item.get("name") or "") > 256 or len(item.get("value") or "") > 1024:
                    raise _HTTPError(
                        _form_error(f"embeds.{index}.fields.{f_index}", "Field too long.")
                    )
        components = payload.get("components") or []
        if not int(payload.get("flags") or 0) & COMPONENTS_V2 and len(components) > 5:
            raise _HTTPError(_form_error("components", "Must be 5 or fewer in length."))
        if creating and not (
            content
            or embeds
            or files
            or components
            or payload.get("sticker_ids")
            or payload.get("poll")
        ):
            raise _HTTPError(_error(400, 50006, "Cannot send an empty message"))

    def _apply_message_payload(
        self,
        msg: JSON,
        payload: JSON,
        files: list[UploadedFile],
        guild: Guild | None,
        *,
        editing: bool = False,
    ) -> None:
        """Copy a create/edit message payload (JSON or multipart) onto a message."""
        if "content" in payload or not editing:
            msg["content"] = payload.get("content") or ""
        for key in ("embeds", "components"):
            if key in payload or not editing:
                msg[key] = copy.deepcopy(payload.get(key) or [])
        if "allowed_mentions" in payload:
            msg["allowed_mentions"] = copy.deepcopy(payload["allowed_mentions"])
        if "flags" in payload and payload["flags"] is not None:
            msg["flags"] = int(payload["flags"])
        if payload.get("poll"):
            msg["poll"] = copy.deepcopy(payload["poll"])
        if "attachments" in payload or files:
            msg["attachments"] = self._resolve_attachments(msg, payload, files)
        allowed = payload.get("allowed_mentions", msg.get("allowed_mentions"))
        mentioned = self._mentioned_ids(msg["content"], allowed)
        msg["mentions"] = self._mention_objects(guild, mentioned)
        parse = None if allowed is None else allowed.get("parse") or []
        msg["mention_everyone"] = "@everyone" in msg["content"] and (
            parse is None or "everyone" in parse
        )

    def _resolve_attachments(
        self, msg: JSON, payload: JSON, files: list[UploadedFile]
    ) -> list[JSON]:
        """Attachments of a message: kept existing ones (by id) and uploaded ``files[n]``."""
        uploads = {f.index: f for f in files}
        existing = {a["id"]: a for a in msg.get("attachments") or []}
        result = []
        described = payload.get("attachments")
        if described is None:
            described = [{"id": f.index} for f in files]
        for item in described:
            key = item.get("id")
            if str(key) in existing and not (isinstance(key, int) and key in uploads):
                result.append(existing[str(key)])
                continue
            upload = uploads.get(int(key)) if key is not None and str(key).isdigit() else None
            if upload is None:
                continue
            filename = item.get("filename") or upload.filename
            stored = self._store_file(UploadedFile(filename, upload.data, upload.content_type))
            if item.get("description"):
                stored["description"] = item["description"]
            result.append(stored)
        return result

    # ---------------------------------------------------------------- REST: interactions

    def _interaction_for_token(self, req: _Request) -> FakeInteraction:
        interaction = self._interactions_by_token.get(req.params["token"])
        if interaction is None or int(req.params["app_id"]) != self.app_id:
            raise _HTTPError(_error(404, 10015, "Unknown Webhook"))
        return interaction

    def _interaction_message(
        self, interaction: FakeInteraction, payload: JSON, files: list[UploadedFile], flags: int
    ) -> JSON:
        guild = self.guilds.get(interaction.guild_id) if interaction.guild_id else None
        msg = self._new_message(interaction.channel_id, interaction.guild_id, self.bot_user, "")
        self._apply_message_payload(msg, payload, files, guild)
        msg["flags"] = flags
        msg["webhook_id"] = str(self.app_id)
        msg["application_id"] = str(self.app_id)
        user = copy.deepcopy(self.users[interaction.user_id])
        msg["interaction_metadata"] = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": user,
            "authorizing_integration_owners": interaction.payload["authorizing_integration_owners"],
        }
        if interaction.type == APPLICATION_COMMAND:
            data = interaction.payload["data"]
            msg["type"] = 20 if data.get("type", 1) == 1 else 23
            msg["interaction_metadata"]["name"] = data["name"]
        return msg

    async def _publish(self, msg: JSON) -> None:
        """Store a new interaction message (unless ephemeral) and dispatch it."""
        if int(msg.get("flags") or 0) & EPHEMERAL:
            return
        self._store_message(msg)
        await self._dispatch_message("MESSAGE_CREATE", msg)

    async def _update(self, msg: JSON, payload: JSON, files: list[UploadedFile]) -> None:
        guild = self.guilds.get(int(msg["guild_id"])) if "guild_id" in msg else None
        was_loading = int(msg.get("flags") or 0) & LOADING
        self._validate_message(payload, files, creating=False)
        flags = int(msg.get("flags") or 0)
        self._apply_message_payload(msg, payload, files, guild, editing=True)
        msg["flags"] = flags & ~LOADING
        if was_loading:
            msg["edited_timestamp"] = None
        else:
            msg["edited_timestamp"] = dt.datetime.now(dt.UTC).isoformat()
        if int(msg["id"]) in self._messages_by_id:
            await self._dispatch_message("MESSAGE_UPDATE", msg)

    async def _interaction_callback(self, req: _Request) -> web.Response:
        interaction = self._interactions_by_id.get(int(req.params["interaction_id"]))
        if interaction is None or interaction.token != req.params["token"]:
            return _error(404, 10062, "Unknown interaction")
        if interaction.acknowledged:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        age = asyncio.get_running_loop().time() - interaction.created_at
        if self.interaction_deadline is not None and age > self.interaction_deadline:
            interaction.late_callbacks += 1
            log.error(
                "interaction %s answered after %.2fs (deadline %ss)",
                interaction.id,
                age,
                self.interaction_deadline,
            )
            self._notify()
            return _error(404, 10062, "Unknown interaction")
        body: JSON = dict(req.body or {})
        cb_type = int(body.get("type", 0))
        data: JSON = dict(body.get("data") or {})
        message: JSON | None = None
        if cb_type == CB_MESSAGE:
            self._validate_message(data, req.files, creating=True)
            message = self._interaction_message(
                interaction, data, req.files, int(data.get("flags") or 0) & ~LOADING
            )
            interaction.messages[int(message["id"])] = message
            interaction.original_id = int(message["id"])
            await self._publish(message)
        elif cb_type == CB_DEFERRED:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = self._interaction_message(interaction, {}, [], flags)
            interaction.messages[int(message["id"])] = message
            interaction.original_id = int(message["id"])
            await self._publish(message)
        elif cb_type in (CB_DEFERRED_UPDATE, CB_UPDATE):
            if interaction.type not in (MESSAGE_COMPONENT, MODAL_SUBMIT) or (
                "message" not in interaction.payload
            ):
                return _form_error("type", "This interaction has no message to update")
            target_id = int(interaction.payload["message"]["id"])
            target = self._messages_by_id.get(target_id) or interaction.payload["message"]
            interaction.messages[target_id] = target
            interaction.original_id = target_id
            if cb_type == CB_UPDATE:
                await self._update(target, data, req.files)
                message = target
        elif cb_type == CB_AUTOCOMPLETE:
            if interaction.type != AUTOCOMPLETE:
                return _form_error("type", "Autocomplete results need an autocomplete interaction")
        elif cb_type == CB_MODAL:
            if interaction.type == MODAL_SUBMIT:
                return _form_error("type", "Cannot answer a modal submit with a modal")
        else:
            return _form_error("type", f"Unsupported callback type {cb_type}")
        interaction.responses.append(
            InteractionResponse(
                "callback", cb_type, data, copy.deepcopy(message) if message else None
            )
        )
        self._notify()
        if req.query.get("with_response") not in ("1", "true", "True"):
            return _no_content()
        return _json(self._callback_response(interaction, cb_type, message))

    def _callback_response(
        self, interaction: FakeInteraction, cb_type: int, message: JSON | None
    ) -> JSON:
        info: JSON = {
            "id": str(interaction.id),
            "type": interaction.type,
            "response_message_loading": cb_type == CB_DEFERRED,
            "response_message_ephemeral": bool(
                message and int(message.get("flags") or 0) & EPHEMERAL
            ),
        }
        if message is not None:
            info["response_message_id"] = message["id"]
        resource: JSON = {"type": cb_type}
        if message is not None and cb_type in (CB_MESSAGE, CB_UPDATE):
            resource["message"] = message
        return {"interaction": info, "resource": resource}

    async def _webhook_execute(self, req: _Request) -> web.Response:
        interaction = self._interaction_for_token(req)
        if not interaction.acknowledged:
            return _error(404, 10015, "Unknown Webhook")
        payload: JSON = dict(req.body or {})
        original = interaction.original
        callback = interaction.callback
        deferred = callback is not None and callback.type == CB_DEFERRED
        if deferred and original is not None and int(original.get("flags") or 0) & LOADING:
            # The first followup after a "thinking" deferral replaces the loading message.
            await self._update(original, payload, req.files)
            message = original
        else:
            self._validate_message(payload, req.files, creating=True)
            kept = EPHEMERAL | COMPONENTS_V2 | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS
            flags = int(payload.get("flags") or 0) & kept
            message = self._interaction_message(interaction, payload, req.files, flags)
            interaction.messages[int(message["id"])] = message
            await self._publish(message)
        interaction.responses.append(
            InteractionResponse("followup", None, payload, copy.deepcopy(message))
        )
        self._notify()
        if req.query.get("wait") in ("1", "true", "True"):
            return _json(message)
        return _no_content()

    def _webhook_target(self, req: _Request) -> tuple[FakeInteraction, JSON]:
        interaction = self._interaction_for_token(req)
        key = req.params["message_id"]
        message_id = interaction.original_id if key == "@original" else int(key)
        message = interaction.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise _HTTPError(_error(404, 10008, "Unknown Message"))
        return interaction, message

    async def _webhook_get_message(self, req: _Request) -> web.Response:
        _, message = self._webhook_target(req)
        return _json(message)

    async def _webhook_edit_message(self, req: _Request) -> web.Response:
        interaction, message = self._webhook_target(req)
        payload: JSON = dict(req.body or {})
        await self._update(message, payload, req.files)
        interaction.responses.append(
            InteractionResponse(
                "edit", None, payload, copy.deepcopy(message), target=req.params["message_id"]
            )
        )
        self._notify()
        return _json(message)

    async def _webhook_delete_message(self, req: _Request) -> web.Response:
        interaction, message = self._webhook_target(req)
        interaction.messages.pop(int(message["id"]), None)
        if int(message["id"]) in self._messages_by_id:
            await self._delete(message)
        interaction.responses.append(
            InteractionResponse("delete", None, {}, None, target=req.params["message_id"])
        )
        self._notify()
        return _no_content()
