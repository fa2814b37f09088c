from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings, SettingsError


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
