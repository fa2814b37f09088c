"""The deployment files agree with the bot and with each other: every process runs the
same command, the processes split Discord's shards between them exactly once, each
process's settings are accepted by the bot, and the systemd template behaves as the
single-process unit does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.__main__ import build_parser
from bot.settings import Settings
from tests.deploy.files import (
    SINGLE_UNIT,
    TEMPLATE_UNIT,
    BotService,
    MissingVariable,
    bot_arguments,
    bot_services,
    compose,
    dockerfile_command,
    dockerfile_environment,
    dockerfile_values,
    interpolate,
    is_left_out_of_the_image,
    read_unit,
    unit_command,
    unit_values,
)

ParseShardIds = Callable[[str, int], tuple[int, ...]]
VARIABLES = {"DISCORD_TOKEN": "a-token", "POSTGRES_PASSWORD": "a-password"}
"""What an operator puts in ``.env`` for the Compose file."""


@pytest.fixture
def parse_shard_ids() -> ParseShardIds:
    """The bot's own parser of ``SHARD_IDS``."""
    from bot.settings import parse_shard_ids

    return parse_shard_ids


@pytest.fixture
def services() -> list[BotService]:
    found = bot_services()
    assert found, "the Compose file has no service built from the Dockerfile"
    return found


# -- the Compose file ---------------------------------------------------------------------


def test_the_compose_file_has_a_database_and_two_bot_processes(
    services: list[BotService],
) -> None:
    assert [service.name for service in services] == ["bot-0", "bot-1"]
    assert set(compose()["services"]) == {"db", "bot-0", "bot-1"}


def test_every_process_runs_the_command_of_the_systemd_units(services: list[BotService]) -> None:
    single = bot_arguments(unit_command(SINGLE_UNIT))
    template = bot_arguments(unit_command(TEMPLATE_UNIT))
    assert single == template == ["run"]
    assert build_parser().parse_args(single).command == "run"
    for service in services:
        assert service.command == ("python", "-m", "bot", "run"), service.name
        assert service.arguments == single, service.name
    assert list(services[0].command) == dockerfile_command()


def test_every_process_has_the_same_shard_count(services: list[BotService]) -> None:
    counts = {service.name: service.environment.get("SHARD_COUNT") for service in services}
    assert len(set(counts.values())) == 1, f"SHARD_COUNT differs between processes: {counts}"
    (count,) = set(counts.values())
    # Not `auto`: each process must know the count to know which shards the others own.
    assert count is not None and count.isdigit() and int(count) >= len(services)


def test_the_processes_own_every_shard_exactly_once(
    services: list[BotService], parse_shard_ids: ParseShardIds
) -> None:
    count = int(services[0].environment["SHARD_COUNT"])
    owners = Counter(
        shard
        for service in services
        for shard in parse_shard_ids(service.environment["SHARD_IDS"], count)
    )
    assert sorted(owners) == list(range(count)), "a shard has no process"
    assert set(owners.values()) == {1}, f"a shard has two processes: {owners}"


def test_each_process_s_settings_are_accepted_by_the_bot(
    services: list[BotService], parse_shard_ids: ParseShardIds
) -> None:
    for service in services:
        environment = service.settings(VARIABLES)
        settings = Settings.load(env_file=None, environ=environment)
        count = int(environment["SHARD_COUNT"])
        assert settings.shard_count == count, service.name
        assert settings.shard_ids == parse_shard_ids(environment["SHARD_IDS"], count)
        assert settings.store_location().kind == "postgresql", service.name


def test_the_processes_wait_for_a_healthy_postgresql_they_can_reach(
    services: list[BotService],
) -> None:
    every_service = compose()["services"]
    database = every_service["db"]
    assert database["image"].startswith("postgres:")
    assert "pg_isready" in database["healthcheck"]["test"]
    volume, _, mount = database["volumes"][0].partition(":")
    assert volume in compose()["volumes"] and mount == "/var/lib/postgresql/data"
    for service in services:
        url = urlsplit(service.settings(VARIABLES)["DATABASE_URL"])
        assert url.hostname == "db" and url.path == f"/{database['environment']['POSTGRES_DB']}"
        assert url.password == VARIABLES["POSTGRES_PASSWORD"]
        assert every_service[service.name]["depends_on"]["db"]["condition"] == "service_healthy"
        assert every_service[service.name]["restart"] in ("on-failure", "unless-stopped")


def test_the_token_and_the_password_must_be_given(services: list[BotService]) -> None:
    for missing in VARIABLES:
        given = {name: value for name, value in VARIABLES.items() if name != missing}
        with pytest.raises(MissingVariable, match=missing):
            services[0].settings(given)


def test_the_processes_keep_their_files_in_the_image_s_data_volume(
    services: list[BotService],
) -> None:
    (volume_path,) = (value.strip('[]"') for value in dockerfile_values("VOLUME"))
    image_environment = dockerfile_environment()
    assert image_environment["DATA_DIR"] == volume_path
    assert image_environment["NUMBA_CACHE_DIR"].startswith(volume_path + "/")
    for service in services:
        volume, _, mount = compose()["services"][service.name]["volumes"][0].partition(":")
        assert volume in compose()["volumes"] and mount == volume_path


# -- the image -----------------------------------------------------------------------------


def test_the_image_runs_as_a_user_other_than_root() -> None:
    user = dockerfile_values("USER")[-1]
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    assert dockerfile_values("FROM") == ["python:3.11-slim"]
    assert any(step.startswith("pip install .") for step in dockerfile_values("RUN"))


def test_the_build_gets_the_project_but_not_its_settings_or_data() -> None:
    for needed in ("pyproject.toml", "README.md", "bot/__main__.py", "index/engine.py"):
        assert not is_left_out_of_the_image(needed), needed
    for private in (".env", ".venv/bin/python", "data/newsbot.sqlite3", ".git/HEAD"):
        assert is_left_out_of_the_image(private), private
    for cache in ("bench-results/README.md", ".pytest_cache/v", "index/__pycache__/x.pyc"):
        assert is_left_out_of_the_image(cache), cache


def test_every_copied_path_is_in_the_build() -> None:
    for copy in dockerfile_values("COPY"):
        *sources, _target = copy.split()
        for source in sources:
            assert not is_left_out_of_the_image(source), f"COPY {source} is left out"


# -- the systemd units ---------------------------------------------------------------------


def test_the_template_sets_shard_ids_from_its_instance_name() -> None:
    environment = unit_values(read_unit(TEMPLATE_UNIT), "Service", "Environment")
    # %i is the instance name as written; %I would turn the dash of `0-3` into a slash.
    assert "SHARD_IDS=%i" in environment
    assert not any(
        value.startswith("SHARD_IDS=")
        for value in unit_values(read_unit(SINGLE_UNIT), "Service", "Environment")
    )


@pytest.mark.parametrize(("instance", "shards"), [("0-3", (0, 1, 2, 3)), ("4-7", (4, 5, 6, 7))])
def test_an_instance_name_is_a_shard_range_the_bot_reads(
    instance: str, shards: tuple[int, ...], parse_shard_ids: ParseShardIds
) -> None:
    assert parse_shard_ids(instance, 8) == shards


@pytest.mark.parametrize("unit", [SINGLE_UNIT, TEMPLATE_UNIT], ids=lambda path: path.name)
def test_a_unit_restarts_after_a_failure_but_not_after_a_settings_problem(unit: Path) -> None:
    service = read_unit(unit)["Service"]
    assert ("Restart", "on-failure") in service
    assert ("RestartPreventExitStatus", "2") in service


def test_the_template_runs_as_the_single_unit_does() -> None:
    """Same user, folders, command, stop, restart and hardening: only SHARD_IDS is added."""
    single, template = read_unit(SINGLE_UNIT), read_unit(TEMPLATE_UNIT)
    added = [("Environment", "SHARD_IDS=%i")]
    assert Counter(template["Service"]) == Counter(single["Service"] + added)
    assert template["Install"] == single["Install"]
    assert ("Conflicts", SINGLE_UNIT.name) in template["Unit"]


# -- the helpers themselves ----------------------------------------------------------------


def test_interpolation_reads_variables_as_compose_does() -> None:
    variables = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET}/$SET/$$SET", variables) == "x/x/$SET"
    assert interpolate("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}", variables) == "d||d"
    assert interpolate("${SET:+y}|${EMPTY:+y}", variables) == "y|"
    with pytest.raises(MissingVariable, match="EMPTY: say so"):
        interpolate("${EMPTY:?say so}", variables)
