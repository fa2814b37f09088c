from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings, SettingsError, shard_of


def test_defaults_without_environment():
    settings = Settings.load(env_file=None, environ={})
    assert settings.discord_token is None
    assert settings.database == Path("data") / "newsbot.sqlite3"
    assert settings.seeds_dir == PROJECT_ROOT / "seeds"
    assert settings.engine_config().bm25.k1 == 1.2


def test_env_file_and_environment_override(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DISCORD_TOKEN=from-file\nRESULTS_PER_ANSWER=5\nBM25_B=0.5\n")
    settings = Settings.load(env_file=env_file, environ={"RESULTS_PER_ANSWER": "2"})
    assert settings.discord_token == "from-file"
    assert settings.results_per_answer == 2
    assert settings.engine_config().bm25.b == 0.5


def test_example_file_documents_every_setting():
    example = (PROJECT_ROOT / ".env.example").read_text()
    documented = {
        line.split("=")[0]
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    }
    fields = {name.upper() for name in Settings.__dataclass_fields__}
    assert documented == fields
    # Every example value is accepted as it stands.
    Settings.load(env_file=PROJECT_ROOT / ".env.example", environ={})


@pytest.mark.parametrize(
    "environ",
    [
        {"RESULTS_PER_ANSWER": "0"},
        {"BM25_B": "2"},
        {"LOG_LEVEL": "LOUD"},
        {"CONSOLE_GUILD_ID": "x"},
    ],
)
def test_invalid_values_are_refused(environ):
    with pytest.raises(SettingsError):
        Settings.load(env_file=None, environ=environ)


def test_attachment_hosts_default_to_discords_file_hosts():
    settings = Settings.load(env_file=None, environ={})
    assert settings.attachment_hosts == ("cdn.discordapp.com", "media.discordapp.net")


def test_attachment_hosts_are_read_as_a_list_of_host_names():
    raw = " Files.Example.org , cdn.example.org.,files.example.org,192.0.2.7, [2001:db8::1],"
    settings = Settings.load(env_file=None, environ={"ATTACHMENT_HOSTS": raw})
    assert settings.attachment_hosts == (
        "files.example.org",
        "cdn.example.org",
        "192.0.2.7",
        "2001:db8::1",
    )


@pytest.mark.parametrize(
    "value",
    [
        "https://cdn.example.org",
        "cdn.example.org:443",
        "cdn.example.org/files",
        "*.example.org",
        "cdn example.org",
        "cdn_files.example.org",
        "-cdn.example.org",
        " , ,",
    ],
)
def test_attachment_hosts_that_are_not_host_names_are_refused(value):
    with pytest.raises(SettingsError) as refused:
        Settings.load(env_file=None, environ={"ATTACHMENT_HOSTS": value})
    assert str(refused.value).startswith("ATTACHMENT_HOSTS")


def test_the_store_is_a_sqlite_file_by_default_with_its_snapshots_beside_it():
    settings = Settings.load(env_file=None, environ={"DATA_DIR": "state"})
    location = settings.store_location()
    assert location.kind == "sqlite"
    assert location.path == Path("state/newsbot.sqlite3")
    assert settings.snapshot_dir(location) == Path("state/newsbot.sqlite3.index")


def test_database_url_wins_over_the_older_database_path():
    environ = {"DATABASE_PATH": "old.sqlite3", "DATABASE_URL": "sqlite:///new.sqlite3"}
    location = Settings.load(env_file=None, environ=environ).store_location()
    assert location.path == Path("new.sqlite3")


def test_each_postgresql_database_has_its_own_snapshot_folder():
    def folder(url: str) -> Path:
        settings = Settings.load(env_file=None, environ={"DATABASE_URL": url})
        return settings.snapshot_dir(settings.store_location())

    first = folder("postgresql://bot:secret@db.example.org/news")
    assert first == Path("data/index/db.example.org-5432-news")
    assert folder("postgresql://bot:secret@db.example.org:6432/news") != first
    assert folder("postgresql://bot:secret@db.example.org/other") != first
    assert "secret" not in str(first)
    environ = {"DATABASE_URL": "postgresql://db.example.org/news", "INDEX_DIR": "cache"}
    settings = Settings.load(env_file=None, environ=environ)
    assert settings.snapshot_dir(settings.store_location()) == Path("cache")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("mysql://db.example.org/news", "not a store this bot knows"),
        ("sqlite://", "names no file"),
        ("postgresql:///news", "names no database server"),
    ],
)
def test_a_database_url_that_names_no_store_is_refused_in_words(value, words):
    with pytest.raises(SettingsError, match=words) as refused:
        Settings.load(env_file=None, environ={"DATABASE_URL": value})
    assert "DATABASE_URL" in str(refused.value)


# -- shards and the memory budget ---------------------------------------------------------


def test_one_shard_of_one_with_no_memory_limit_by_default():
    settings = Settings.load(env_file=None, environ={})
    assert (settings.shard_count, settings.shard_ids, settings.index_memory_mb) == (1, None, None)


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        ("4", "0-3", (0, 1, 2, 3)),
        ("8", "4,5", (4, 5)),
        ("8", " 6 , 0-1 ,1", (0, 1, 6)),
        ("2", "1", (1,)),
    ],
)
def test_shard_ids_are_numbers_and_ranges_below_the_count(count, ids, expected):
    settings = Settings.load(env_file=None, environ={"SHARD_COUNT": count, "SHARD_IDS": ids})
    assert settings.shard_count == int(count)
    assert settings.shard_ids == expected


def test_auto_asks_discord_for_the_shard_count():
    assert Settings.load(env_file=None, environ={"SHARD_COUNT": "auto"}).shard_count is None
    assert Settings.load(env_file=None, environ={"SHARD_COUNT": "AUTO"}).shard_count is None


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT='two' is not a number"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be auto or a number from 1"),
        ({"SHARD_COUNT": "0", "SHARD_IDS": "0"}, "SHARD_COUNT must be auto or a number from 1"),
        (
            {"SHARD_COUNT": "99999999999999", "SHARD_IDS": "0-99999999999"},
            "SHARD_COUNT must be auto or a number from 1",
        ),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "outside 0-1"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3-1"}, "runs backwards"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "a-b"}, "not a shard number or a range"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": ","}, "lists no shard"),
        ({"SHARD_COUNT": "auto", "SHARD_IDS": "0"}, "SHARD_IDS needs SHARD_COUNT as a number"),
        ({"SHARD_IDS": "1"}, "outside 0-0"),
        ({"INDEX_MEMORY_MB": "0"}, "INDEX_MEMORY_MB must be at least 1"),
        ({"INDEX_MEMORY_MB": "lots"}, "INDEX_MEMORY_MB='lots' is not a valid value"),
    ],
)
def test_shard_and_memory_settings_that_cannot_work_are_refused_in_words(environ, says):
    with pytest.raises(SettingsError, match=re.escape(says)):
        Settings.load(env_file=None, environ=environ)


def test_a_guild_belongs_to_the_shard_discord_sends_its_events_to():
    # Discord's documented example: this guild is on shard 0 of 1 and (>> 22) % 2 of 2.
    guild = 197_038_439_483_310_086
    assert shard_of(guild, 1) == 0
    assert shard_of(guild, 2) == (guild >> 22) % 2
    assert {shard_of(guild + (n << 22), 4) for n in range(4)} == {0, 1, 2, 3}
