"""The shipped deployment files, read as their tools read them.

The tests of those files check what they say; the tests that start the bot as several
processes take each process's command and settings from here (``bot_services()``), so
that they run what a deployment runs rather than a copy that could drift from it.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
SINGLE_UNIT = DEPLOY / "newsbot.service"
TEMPLATE_UNIT = DEPLOY / "newsbot@.service"
DOCKERFILE = PROJECT / "Dockerfile"
DOCKERIGNORE = PROJECT / ".dockerignore"

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?+])(?P<word>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(KeyError):
    """A ``${NAME:?message}`` whose variable is not given; the message says which."""


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with Compose's ``$NAME``, ``${NAME}``, ``${NAME:-default}``,
    ``${NAME-default}``, ``${NAME:?message}``, ``${NAME:+other}`` and ``$$`` replaced
    as Compose replaces them, from ``variables``."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        operator, word = match["operator"] or "", match["word"] or ""
        # With a colon, an empty value counts as not set.
        is_set = name in variables and (variables[name] != "" or not operator.startswith(":"))
        value = variables.get(name, "")
        if operator.endswith("-"):
            return value if is_set else word
        if operator.endswith("?") and not is_set:
            raise MissingVariable(f"{name}: {word or 'required'}")
        if operator.endswith("+"):
            return word if is_set else ""
        return value

    return _VARIABLE.sub(replace, text)


def bot_arguments(command: Sequence[str]) -> list[str]:
    """The arguments after ``python -m bot`` in a command; refuses any other program."""
    words = list(command)
    if not Path(words[0]).name.startswith("python") or words[1:3] != ["-m", "bot"]:
        raise ValueError(f"not a `python -m bot` command: {shlex.join(words)}")
    return words[3:]


@dataclass(frozen=True)
class BotService:
    """One bot process of the Compose file: its command and environment as written."""

    name: str
    command: tuple[str, ...]
    environment: Mapping[str, str]
    """As written: ``${NAME}`` references are left for ``settings``."""

    @property
    def arguments(self) -> list[str]:
        """What follows ``python -m bot``: ``["run"]``."""
        return bot_arguments(self.command)

    def argv(self, python: str = sys.executable) -> list[str]:
        """The command, run by ``python`` (this interpreter by default)."""
        return [python, "-m", "bot", *self.arguments]

    def settings(self, variables: Mapping[str, str]) -> dict[str, str]:
        """The environment the process gets, ``${NAME}`` taken from ``variables``."""
        return {name: interpolate(value, variables) for name, value in self.environment.items()}

    @property
    def shard_settings(self) -> dict[str, str]:
        """``SHARD_COUNT`` and ``SHARD_IDS``, which need no variables."""
        return {name: self.environment[name] for name in ("SHARD_COUNT", "SHARD_IDS")}


def compose() -> dict[str, Any]:
    """The Compose file as YAML (anchors and merge keys resolved)."""
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def bot_services() -> list[BotService]:
    """Every service built from the project's Dockerfile, in the file's order."""
    return [
        BotService(
            name=name,
            command=_command(service["command"]),
            environment=_environment(service.get("environment", {})),
        )
        for name, service in compose()["services"].items()
        if "build" in service
    ]


def _command(command: str | list[Any]) -> tuple[str, ...]:
    return tuple(shlex.split(command) if isinstance(command, str) else map(str, command))


def _environment(environment: Mapping[str, Any] | list[str]) -> dict[str, str]:
    """Compose's two forms, ``{NAME: value}`` and ``["NAME=value"]``, as one mapping."""
    if isinstance(environment, list):
        return dict(entry.partition("=")[::2] for entry in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def read_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit file: each section's settings in order, repeated keys kept (a
    unit may have several ``Environment=`` lines; ``configparser`` keeps only one)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    entries: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            entries = sections.setdefault(line[1:-1], [])
            continue
        key, separator, value = line.partition("=")
        if not separator:
            raise ValueError(f"{path.name}: not a setting: {raw!r}")
        entries.append((key.strip(), value.strip()))
    return sections


def unit_values(unit: Mapping[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    """Every value ``key`` has in ``section``, in order."""
    return [value for name, value in unit.get(section, []) if name == key]


def unit_command(path: Path) -> list[str]:
    """A unit's ``ExecStart``, split into words."""
    (exec_start,) = unit_values(read_unit(path), "Service", "ExecStart")
    return shlex.split(exec_start)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions in order, continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def dockerfile_values(keyword: str) -> list[str]:
    return [rest for name, rest in dockerfile_instructions() if name == keyword]


def dockerfile_command() -> list[str]:
    """The image's ``CMD``, in its JSON form."""
    return json.loads(dockerfile_values("CMD")[-1])


def dockerfile_environment() -> dict[str, str]:
    """Every ``ENV NAME=value`` of the Dockerfile, later ones winning."""
    environment: dict[str, str] = {}
    for rest in dockerfile_values("ENV"):
        environment.update(word.partition("=")[::2] for word in shlex.split(rest))
    return environment


def is_left_out_of_the_image(path: str) -> bool:
    """Whether ``.dockerignore`` leaves ``path`` (relative to the project) out of the
    build context; the last matching pattern decides, ``!`` bringing a path back."""
    left_out = False
    parts = Path(path).parts
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        keep = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip("/")
        anywhere = pattern.startswith("**/")
        pattern = pattern.removeprefix("**/")
        if any(fnmatch.fnmatchcase(part, pattern) for part in _leading_parts(parts, anywhere)):
            left_out = not keep
    return left_out


def _leading_parts(parts: tuple[str, ...], anywhere: bool) -> list[str]:
    """``a``, ``a/b``, ``a/b/c`` for ``a/b/c``: a pattern matching a folder leaves out
    everything in it. With ``anywhere`` (``**/``), the same from every part on."""
    starts = range(len(parts)) if anywhere else range(1)
    return [
        "/".join(parts[start:end]) for start in starts for end in range(start + 1, len(parts) + 1)
    ]
