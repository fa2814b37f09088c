"""The command line as an operator uses it: real processes, a database in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT, SEED, SEED_URL


def run_bot(*args: str, cwd, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    environment.update({"DATA_DIR": str(cwd / "data"), "SEEDS_DIR": str(PROJECT / "seeds")}, **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )


def test_run_without_token_opens_the_console_with_the_seed_loaded(tmp_path):
    first = run_bot(cwd=tmp_path, stdin="How many people have been killed in the boat strikes?\n")
    assert first.returncode == 0, first.stderr
    assert "Added article #1: Scoop: Trump ready to talk with Maduro" in first.stdout
    assert "At least 83 people have been killed" in first.stdout
    assert SEED_URL in first.stdout
    assert (tmp_path / "data" / "newsbot.sqlite3").exists()

    # The seed is loaded once: removing it sticks across restarts.
    second = run_bot(cwd=tmp_path, stdin="/remove 1\n")
    assert "Removed article #1" in second.stdout and "Added article" not in second.stdout
    third = run_bot(cwd=tmp_path, stdin="/stats\n")
    assert "articles: 0" in third.stdout


def test_scripting_subcommands(tmp_path):
    db = str(tmp_path / "ops.sqlite3")
    ingest = run_bot("ingest", str(SEED), "--db", db, "--guild", "5", cwd=tmp_path)
    assert ingest.returncode == 0 and "Added article #1" in ingest.stdout

    ask = run_bot(
        "ask",
        "Who talked Trump out of military action in 2019?",
        "--db",
        db,
        "--guild",
        "5",
        "--results",
        "1",
        cwd=tmp_path,
    )
    assert ask.returncode == 0
    assert "Rubio talked the president out of it" in ask.stdout and "[2]" not in ask.stdout

    nothing = run_bot(
        "ask", "What is the capital of Australia?", "--db", db, "--guild", "5", cwd=tmp_path
    )
    assert nothing.returncode == 1 and "Nothing in the indexed articles" in nothing.stdout

    other_guild = run_bot("articles", "--db", db, "--guild", "6", cwd=tmp_path)
    assert "No articles are indexed yet." in other_guild.stdout
    listing = run_bot("articles", "--db", db, "--guild", "5", cwd=tmp_path)
    assert "#1" in listing.stdout and SEED_URL in listing.stdout
    stats = run_bot("stats", "--db", db, "--guild", "5", cwd=tmp_path)
    assert "articles: 1" in stats.stdout and "paragraphs: 27" in stats.stdout

    backup = run_bot("backup", str(tmp_path / "copy.sqlite3"), "--db", db, cwd=tmp_path)
    assert backup.returncode == 0 and (tmp_path / "copy.sqlite3").exists()

    removed = run_bot("remove", "1", "--db", db, "--guild", "5", cwd=tmp_path)
    assert removed.returncode == 0 and "Removed article #1" in removed.stdout
    missing = run_bot("remove", "1", "--db", db, "--guild", "5", cwd=tmp_path)
    assert missing.returncode == 1 and "no article #1" in missing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "missing.txt"], "cannot read it"),
        (["ingest", "https://localhost/story"], "that address is not public"),
        (["ingest", "http://169.254.169.254/latest/meta-data"], "that address is not public"),
    ],
)
def test_ingest_failures_are_explained(tmp_path, args, message):
    result = run_bot(*args, "--db", str(tmp_path / "x.sqlite3"), cwd=tmp_path)
    assert result.returncode == 1 and message in result.stdout


def test_bad_settings_and_damaged_database_are_reported(tmp_path):
    bad = run_bot("stats", cwd=tmp_path, RESULTS_PER_ANSWER="many")
    assert bad.returncode == 2 and "RESULTS_PER_ANSWER='many' is not a valid value" in bad.stderr

    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"garbage" * 1000)
    result = run_bot("stats", "--db", str(damaged), cwd=tmp_path)
    assert result.returncode == 1 and "damaged or not a database" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_means_discord_mode_and_failures_do_not_leak_it(tmp_path):
    result = run_bot(
        cwd=tmp_path,
        DISCORD_TOKEN="abc.def.ghi",
        DISCORD_API_BASE="http://127.0.0.1:1/api/v10",
        LOG_LEVEL="DEBUG",
    )
    assert result.returncode == 1
    assert "Could not reach Discord" in result.stderr
    assert "abc.def.ghi" not in result.stdout + result.stderr
    assert "News console" not in result.stdout
