"""What a DATABASE_URL names, and that no password is ever shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.store import StoreError, parse_location, without_password
from index.store.postgres_backup import secrets_out_of_url


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("data/newsbot.sqlite3", Path("data/newsbot.sqlite3")),
        ("sqlite:///data/newsbot.sqlite3", Path("data/newsbot.sqlite3")),
        ("sqlite:////srv/newsbot.sqlite3", Path("/srv/newsbot.sqlite3")),
    ],
)
def test_paths_and_sqlite_urls_name_a_sqlite_file(value, path):
    location = parse_location(value)
    assert (location.kind, location.path) == ("sqlite", path)


def test_postgresql_urls_name_a_server_and_print_without_their_password():
    location = parse_location("postgres://bot:s3cret@db.example.org:5432/news")
    assert location.kind == "postgresql"
    assert str(location) == "postgres://bot:***@db.example.org:5432/news"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bot:s3cret@db/news",
        "postgresql://bot@db/news?password=s3cret&sslmode=require",
        "postgresql://bot@db/news?sslpassword=s3cret",
    ],
)
def test_a_password_anywhere_in_the_url_is_hidden(url):
    shown = without_password(url)
    assert "s3cret" not in shown and "***" in shown


def test_passwords_leave_the_url_for_the_environment_of_pg_dump():
    url, secrets = secrets_out_of_url(
        "postgresql://bot:a%40b@db:5432/news?password=q&sslmode=require&sslpassword=k"
    )
    assert url == "postgresql://bot@db:5432/news?sslmode=require"
    assert secrets == {"PGPASSWORD": "q", "PGSSLPASSWORD": "k"}
    assert secrets_out_of_url("postgresql://bot:a%40b@db/news") == (
        "postgresql://bot@db/news",
        {"PGPASSWORD": "a@b"},
    )


@pytest.mark.parametrize("value", ["", "mysql://db/news", "sqlite://", "postgresql:///news"])
def test_a_url_that_names_no_store_is_refused_in_words(value):
    with pytest.raises(StoreError):
        parse_location(value)
