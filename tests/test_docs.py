"""The operator's documents agree with the code: every setting is documented, and the
shipped systemd units run commands the command line accepts."""

from __future__ import annotations

import re
import shlex
from configparser import ConfigParser
from pathlib import Path

import pytest

from bot.__main__ import build_parser

PROJECT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (PROJECT / "bot" / "settings.py").read_text(encoding="utf-8")
README = (PROJECT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (PROJECT / ".env.example").read_text(encoding="utf-8")
DEPLOY = PROJECT / "deploy"

SETTING_NAMES = sorted(set(re.findall(r'get\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS_SOURCE)))


def _settings_table() -> str:
    start = README.index("## Settings")
    return README[start : README.index("\n## ", start + 1)]


def test_the_settings_are_found_in_the_source() -> None:
    assert "DISCORD_TOKEN" in SETTING_NAMES and len(SETTING_NAMES) >= 10


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_every_setting_is_in_the_readme_table_and_the_example(name: str) -> None:
    first_column = re.compile(rf"^\|[^|\n]*`{name}`[^|\n]*\|", re.MULTILINE)
    assert first_column.search(_settings_table()), f"{name} not in the README's settings table"
    assert re.search(rf"^{name}=", ENV_EXAMPLE, re.MULTILINE), f"{name} not in .env.example"


def _unit(name: str) -> ConfigParser:
    parser = ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def _bot_arguments(exec_start: str) -> list[str]:
    """The arguments after ``-m bot`` in a unit's command (systemd's ``%%`` is ``%``)."""
    words = shlex.split(exec_start.replace("%%", "%"))
    if words[0] == "/bin/sh":
        words = shlex.split(words[-1].removeprefix("exec "))
    at = words.index("-m")
    assert words[at + 1] == "bot"
    return words[at + 2 :]


def test_the_service_runs_the_bot_and_stops_it_with_sigterm() -> None:
    service = _unit("newsbot.service")["Service"]
    arguments = build_parser().parse_args(_bot_arguments(service["ExecStart"]))
    assert arguments.command == "run"
    assert service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    # A refused token or setting exits with 2: restarting would only repeat it.
    assert service["RestartPreventExitStatus"] == "2"
    assert service["ReadWritePaths"].startswith(service["WorkingDirectory"])


def test_the_backup_service_runs_a_backup_the_timer_starts() -> None:
    service = _unit("newsbot-backup.service")["Service"]
    arguments = build_parser().parse_args(_bot_arguments(service["ExecStart"]))
    assert arguments.command == "backup"
    assert str(arguments.path).startswith("data/backups/newsbot-")
    timer = _unit("newsbot-backup.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"
