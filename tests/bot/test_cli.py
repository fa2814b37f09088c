"""The command line as an operator uses it: real processes, a database in a temporary folder."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import build_parser, main
from index import ArticleDraft
from index.ingest.paste import fingerprint
from index.store import SQLiteStore
from tests.conftest import PROJECT, SEED, SEED_URL, store_kind
from tests.support.engines import open_engine
from tests.support.mounts import (
    environment,
    needs_mounts,
    python,
    read_only_view,
    run_in_mounts,
    small_disk,
)
from tests.support.postgres import embedded_binaries
from tests.support.stories import BUDGET, HARBOUR, RESHARE, UPDATE


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
    # A process that only reports never loads the index, and says so.
    assert "index: not in memory (loaded on the next question)" in stats.stdout

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
    assert result.returncode == 1
    assert "Database error: the database" in result.stderr and "is damaged (" in result.stderr
    assert "see 'Restoring a backup' in the README" in result.stderr
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


# -- in this process: the commands' answers ----------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """``main`` run in this process, in ``tmp_path``: returns (status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SEEDS_DIR", str(PROJECT / "seeds"))

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def stories(count: int) -> list[ArticleDraft]:
    drafts = []
    for number in range(count):
        paragraphs = (
            f"Story {number} tells how the harbour committee met on day {number} to plan "
            "the new quay, the fish market and the ferry timetable for the coming season.",
        )
        drafts.append(ArticleDraft(f"Story {number}", paragraphs, fingerprint(paragraphs)))
    return drafts


def fill(database: Path, guild: int, drafts: list[ArticleDraft]) -> None:
    async def ingest() -> None:
        async with await open_engine(database, snapshots=False) as engine:
            # The stories differ in a word or two: near-identical, which a guild skips.
            await engine.update_guild_config(guild, skip_similar=False)
            for draft in drafts:
                assert (await engine.ingest_draft(guild, draft)).added

    asyncio.run(ingest())


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["ask", "Who?"],
        ["articles"],
        ["backup", "copy.sqlite3"],
        ["export"],
        ["guilds"],
        ["remove", "1"],
        ["purge", "--yes"],
    ],
)
def test_commands_that_read_never_create_a_database(cli, tmp_path, command):
    database = tmp_path / "nested" / "folder" / "bot.sqlite3"
    status, _, err = cli(*command, "--db", str(database))
    assert status == 1 and err == f"Database error: there is no database at {database}\n"
    status, _, err = cli(*command)  # the default database, in DATA_DIR
    assert status == 1
    assert (
        err == f"Database error: there is no database at {tmp_path / 'data' / 'newsbot.sqlite3'}\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stats", "--guild", "99999999999999999999999"], "is not a server id"),
        (["stats", "--guild", "-5"], "-5 is not a server id"),
        (["stats", "--guild", "five"], "'five' is not a whole number"),
        (["remove", "0"], "0 is not an id"),
        (["remove", "-5"], "-5 is not an id"),
        (["remove", str(2**63)], "is not an id"),
        (["ask", "Who?", "--article", "-1"], "-1 is not an id"),
        (["articles", "--page", "0"], "pages are numbered from 1, not 0"),
        (["articles", "--page", "-2"], "pages are numbered from 1, not -2"),
        (["stats", "--db", "mysql://db/news"], "mysql:// is not a store this bot knows"),
        (["copy-store", "--to", "sqlite://"], "sqlite:// names no file"),
        (["copy-store", "--to", "postgresql:///news"], "names no database server"),
    ],
)
def test_ids_and_pages_are_checked_before_anything_runs(capsys, argv, message):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.splitlines()[-1].startswith("python -m bot")


def test_the_consoles_guild_and_the_largest_id_are_accepted():
    assert build_parser().parse_args(["stats", "--guild", "0"]).guild == 0
    largest = str(2**63 - 1)
    assert build_parser().parse_args(["stats", "--guild", largest]).guild == 2**63 - 1
    assert build_parser().parse_args(["remove", largest]).article == 2**63 - 1


def test_a_page_past_the_end_says_how_many_there_are(cli, tmp_path):
    database = tmp_path / "bot.sqlite3"
    fill(database, 5, stories(51))
    status, out, _ = cli("articles", "--db", str(database), "--guild", "5", "--page", "2")
    assert status == 0 and out.count("#") == 1 and "Story 0" in out
    status, out, _ = cli("articles", "--db", str(database), "--guild", "5", "--page", "3")
    assert status == 1
    assert out == "page 3 is past the end: there are 51 articles (2 pages)\n"
    fill(database, 6, stories(1))
    status, out, _ = cli("articles", "--db", str(database), "--guild", "6", "--page", "2")
    assert out == "page 2 is past the end: there is 1 article (1 page)\n"
    status, out, _ = cli("articles", "--db", str(database), "--guild", "7", "--page", "2")
    assert status == 0 and out == "No articles are indexed yet.\n"


def test_guilds_lists_each_guild_with_articles(cli, tmp_path):
    database = tmp_path / "bot.sqlite3"
    status, out, _ = cli("ingest", str(SEED), "--db", str(database), "--guild", "0")
    assert status == 0
    fill(database, 1234567890123456789, stories(2))
    status, out, _ = cli("guilds", "--db", str(database))
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["guild", "articles", "paragraphs", "last", "ingest"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["0", "1", "27"],
        ["1234567890123456789", "2", "2"],
    ]
    assert all(line.endswith(" UTC") for line in lines[1:])

    empty = tmp_path / "empty.sqlite3"
    cli("ingest", str(tmp_path / "missing.txt"), "--db", str(empty))  # creates it, adds nothing
    assert cli("guilds", "--db", str(empty))[1] == "No guild has any articles yet.\n"


def test_export_prints_the_articles_or_writes_them_to_a_new_file(cli, tmp_path):
    database = tmp_path / "bot.sqlite3"
    cli("ingest", str(SEED), "--db", str(database), "--guild", "5")
    status, out, _ = cli("export", "--db", str(database), "--guild", "5")
    exported = json.loads(out)
    assert status == 0 and exported["guild_id"] == 5
    (article,) = exported["articles"]
    assert article["source_url"] == SEED_URL and len(article["paragraphs"]) == 27

    target = tmp_path / "exports" / "2026" / "guild-5.json"
    status, out, _ = cli("export", "--db", str(database), "--guild", "5", "--output", str(target))
    assert status == 0 and out == f"Exported 1 article of guild 5 to {target}\n"
    assert json.loads(target.read_text(encoding="utf-8")) == exported
    assert sorted(p.name for p in target.parent.iterdir()) == ["guild-5.json"]

    status, _, err = cli("export", "--db", str(database), "--output", str(target))
    assert status == 2 and "exists already" in err
    assert json.loads(target.read_text(encoding="utf-8")) == exported
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    status, _, err = cli("export", "--db", str(database), "--output", str(blocked / "x.json"))
    assert status == 1 and err.startswith(f"Cannot write {blocked / 'x.json'}: ")


def test_purge_asks_first_and_says_what_it_deleted(cli, tmp_path, monkeypatch):
    database = tmp_path / "bot.sqlite3"
    fill(database, 5, stories(2))
    fill(database, 6, stories(1))
    status, _, err = cli("purge", "--db", str(database), "--guild", "5")  # stdin: not a terminal
    assert status == 2 and "confirm it on a terminal, or add --yes" in err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked = []
    for reply in ("no", ""):
        monkeypatch.setattr(sys, "stdin", Terminal())
        monkeypatch.setattr(
            "builtins.input", lambda prompt, reply=reply: asked.append(prompt) or reply
        )
        status, out, _ = cli("purge", "--db", str(database), "--guild", "5")
        assert status == 1 and out == "Nothing was deleted.\n"
    assert "Delete all data of guild 5: 2 articles" in asked[0]
    assert cli("articles", "--db", str(database), "--guild", "5")[1].count("#") == 2

    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    status, out, _ = cli("purge", "--db", str(database), "--guild", "5")
    assert status == 0 and out.startswith("Deleted all data of guild 5: 2 articles")
    assert (
        cli("articles", "--db", str(database), "--guild", "5")[1]
        == "No articles are indexed yet.\n"
    )
    assert cli("articles", "--db", str(database), "--guild", "6")[1].count("#") == 1

    monkeypatch.setattr(sys, "stdin", io.StringIO())
    status, out, _ = cli("purge", "--db", str(database), "--guild", "6", "--yes")
    assert status == 0 and out.startswith("Deleted all data of guild 6: 1 article ")


def test_backup_makes_its_folder_and_refuses_an_existing_file(cli, tmp_path):
    database = tmp_path / "bot.sqlite3"
    fill(database, 5, stories(3))
    target = tmp_path / "backups" / "2026-11-24" / "newsbot.sqlite3"
    status, out, _ = cli("backup", str(target), "--db", str(database))
    assert status == 0 and out == f"Backed up the database to {target}\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["newsbot.sqlite3"]
    assert cli("articles", "--db", str(target), "--guild", "5")[1].count("#") == 3
    before = target.read_bytes()
    status, _, err = cli("backup", str(target), "--db", str(database))
    assert status == 2 and "exists already; choose a new file name" in err
    assert target.read_bytes() == before


def test_a_read_only_database_answers_and_refuses_changes(cli, tmp_path, monkeypatch):
    """Without a read-only mount (see the tests below), the store is asked to open
    read-only as it does by itself for a read-only file or folder."""
    database = tmp_path / "bot.sqlite3"
    fill(database, 5, stories(2))
    real_init = SQLiteStore.__init__
    monkeypatch.setattr(
        SQLiteStore,
        "__init__",
        lambda self, path, **options: real_init(self, path, **options, read_only=True),
    )
    status, out, _ = cli("ask", "harbour quay ferry", "--db", str(database), "--guild", "5")
    assert status == 0 and "Story" in out
    status, out, _ = cli("articles", "--db", str(database), "--guild", "5")
    assert status == 0 and out.count("#") == 2
    for command in (["remove", "1"], ["purge", "--yes"], ["ingest", str(SEED)]):
        status, _, err = cli(*command, "--db", str(database), "--guild", "5")
        assert status == 1
        assert err == (
            f"Database error: the database file {database} (or its folder) is read-only; "
            "nothing was saved\n"
        )


# -- real read-only folders and full disks (in a mount namespace of their own) ------------

KILLED_AFTER_AN_INGEST = """
import asyncio, os, sys
from index import ArticleDraft, Engine
from tests.support.engines import open_engine
from index.ingest.paste import fingerprint

async def main(path):
    engine = await open_engine(path, snapshots=False)
    paragraphs = ("Only in the log: the ferry timetable changed again at the harbour.",)
    await engine.ingest_draft(5, ArticleDraft("Late news", paragraphs, fingerprint(paragraphs)))
    os._exit(0)  # no clean stop: the article is in the -wal file beside the database

asyncio.run(main(sys.argv[1]))
"""


@needs_mounts
@pytest.mark.parametrize("stop", ["clean", "killed"])
def test_a_database_in_a_read_only_folder_answers_and_refuses_changes(tmp_path, stop):
    source = tmp_path / "data"
    source.mkdir()
    database = source / "bot.sqlite3"
    fill(database, 5, stories(1))
    if stop == "killed":
        subprocess.run(
            [sys.executable, "-c", KILLED_AFTER_AN_INGEST, str(database)], cwd=PROJECT, check=True
        )
        assert Path(f"{database}-wal").stat().st_size > 0
    listing = {p.name: p.read_bytes() for p in source.iterdir()}
    view = tmp_path / "read-only"
    view.mkdir()
    viewed = str(view / "bot.sqlite3")
    commands = [
        ["articles", "--db", viewed, "--guild", "5"],
        ["ask", "harbour ferry timetable", "--db", viewed, "--guild", "5"],
        ["stats", "--db", viewed, "--guild", "5"],
        ["export", "--db", viewed, "--guild", "5"],
        ["guilds", "--db", viewed],
        ["ingest", str(SEED), "--db", viewed, "--guild", "5"],
        ["remove", "1", "--db", viewed, "--guild", "5"],
        ["purge", "--yes", "--db", viewed, "--guild", "5"],
        ["console", "--db", viewed, "--guild", "6"],  # a guild never seeded
    ]
    results = run_in_mounts(
        [read_only_view(source, view)],
        [python("-m", "bot", *argv) for argv in commands],
        env=environment(DATA_DIR=str(tmp_path / "unused")),
    )
    assert all("Traceback" not in result.stderr for result in results)
    articles, ask, stats, export, guilds, *changes, console = results
    held = 2 if stop == "killed" else 1
    assert articles.returncode == 0 and articles.stdout.count("#") == held
    assert ask.returncode == 0 and "harbour" in ask.stdout
    assert stats.returncode == 0 and f"articles: {held}" in stats.stdout
    assert len(json.loads(export.stdout)["articles"]) == held
    assert guilds.stdout.splitlines()[1].split()[:2] == ["5", str(held)]
    for change in changes:
        assert change.returncode == 1
        assert f"Database error: the database file {viewed} (or its folder) is read-only" in (
            change.stderr
        )
    assert console.returncode == 0 and "News console" in console.stdout
    assert "the seed articles were not loaded" in console.stderr
    assert {p.name: p.read_bytes() for p in source.iterdir()} == listing


@needs_mounts
def test_on_a_full_disk_changes_fail_plainly_and_a_backup_leaves_nothing(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    database = disk / "bot.sqlite3"
    fill(database, 5, stories(2))
    words = SEED.read_text(encoding="utf-8").split()
    big = tmp_path / "long-report.txt"
    lines = ["A very long report on the harbour"]
    lines += [" ".join(words[i % 400 : i % 400 + 60]) + f" (part {i})" for i in range(3000)]
    big.write_text("\n".join(lines), encoding="utf-8")
    backups = disk / "backups"
    # Room to open the database (its -shm file), not to copy it.
    fill_up = f"""
import os
room = os.statvfs({str(disk)!r})
with open({str(disk / "filler")!r}, "wb") as filler:
    filler.write(bytes(room.f_bavail * room.f_frsize - 48 * 1024))
"""
    commands = [
        python("-m", "bot", "ingest", str(big), "--db", str(database), "--guild", "5"),
        python("-m", "bot", "articles", "--db", str(database), "--guild", "5"),
        python("-c", fill_up),
        python("-m", "bot", "backup", str(backups / "copy.sqlite3"), "--db", str(database)),
        ["ls", "-A", str(backups)],
        python("-m", "bot", "ask", "harbour quay ferry", "--db", str(database), "--guild", "5"),
        ["sh", "-c", f"cat /dev/zero > {disk / 'the-rest'}"],
        python("-m", "bot", "stats", "--db", str(database), "--guild", "5"),
    ]
    ingest, articles, filler, backup, left, ask, _, stats = run_in_mounts(
        [small_disk(disk, "400k")], commands, env=environment(DATA_DIR=str(tmp_path / "unused"))
    )
    assert ingest.returncode == 1
    assert "Database error: the disk is full; nothing was saved" in ingest.stderr
    assert articles.stdout.count("#") == 2  # nothing of the long report was kept
    assert filler.returncode == 0, filler.stderr
    assert ask.returncode == 0 and "Story" in ask.stdout
    assert backup.returncode == 1
    assert "Database error: cannot write the backup" in backup.stderr
    assert "the disk is full" in backup.stderr
    assert left.stdout == ""  # the folder was made, and nothing is left in it
    # Not a byte left: SQLite cannot even make the file it needs to read the database.
    assert stats.returncode == 1
    assert "Database error: the disk is full: there is no room for the bot.sqlite3-shm" in (
        stats.stderr
    )
    assert all("Traceback" not in result.stderr for result in (ingest, ask, backup, stats))


# -- every store: PostgreSQL as well as SQLite -------------------------------------------

SEED_ASKED = (
    ("How many people have been killed in the boat strikes?", "At least 83 people"),
    ("Who talked Trump out of military action in 2019?", "Rubio talked the president out"),
)


def test_ingest_then_ask_answers_alike_on_every_store(tmp_path, store_url, new_store_url):
    """``DATABASE_URL=… python -m bot ingest seeds/… && … ask "…"``, as an operator runs it."""
    answers = {}
    compared = [] if store_kind(store_url) == "sqlite" else [new_store_url("sqlite")]
    for url in [store_url, *compared]:
        ingest = run_bot("ingest", str(SEED), cwd=tmp_path, DATABASE_URL=url)
        assert ingest.returncode == 0, ingest.stderr
        assert ingest.stdout.startswith(f"{SEED}: Added article #1: Scoop: Trump ready to talk")
        answers[url] = []
        for question, expected in SEED_ASKED:
            ask = run_bot("ask", question, cwd=tmp_path, DATABASE_URL=url)
            assert ask.returncode == 0, ask.stderr
            assert expected in ask.stdout and SEED_URL in ask.stdout
            answers[url].append(ask.stdout)
    assert len(set(map(tuple, answers.values()))) == 1  # word for word as on SQLite


def test_every_command_works_on_every_store(cli, store_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", store_url)
    status, out, _ = cli("ingest", str(SEED), "--guild", "5")
    assert status == 0 and "Added article #1" in out
    fill(store_url, 6, stories(2))
    status, out, _ = cli("ask", "Who talked Trump out of military action?", "--guild", "5")
    assert status == 0 and "Rubio talked the president out of it" in out
    assert cli("ask", "harbour quay ferry", "--guild", "6")[1].count("Story") >= 1
    assert cli("articles", "--guild", "6")[1].count("#") == 2
    assert "paragraphs: 27" in cli("stats", "--guild", "5")[1]
    guilds = cli("guilds")[1].splitlines()
    assert [line.split()[:3] for line in guilds[1:]] == [["5", "1", "27"], ["6", "2", "2"]]
    exported = json.loads(cli("export", "--guild", "5")[1])
    assert len(exported["articles"][0]["paragraphs"]) == 27
    status, out, _ = cli("remove", "2", "--guild", "6")
    assert status == 0 and out == "Removed article #2: Story 0\n"
    status, out, _ = cli("purge", "--yes", "--guild", "6")
    assert status == 0 and out.startswith("Deleted all data of guild 6: 1 article ")
    assert cli("articles", "--guild", "6")[1] == "No articles are indexed yet.\n"

    backup = tmp_path / "backups" / "newsbot.backup"
    status, out, err = cli("backup", str(backup))
    assert "Traceback" not in err and "Error" not in err.replace("Database error", "")
    if status == 0:
        assert out == f"Backed up the database to {backup}\n" and backup.stat().st_size > 0
    else:  # a store whose own tool makes backups says how to use it
        assert status == 1 and err.startswith("Database error: ") and "pg_dump" in err
        assert not backup.exists()


COPIES = [
    pytest.param("sqlite", "sqlite", id="sqlite-to-sqlite"),
    pytest.param("sqlite", "postgresql", id="sqlite-to-postgresql", marks=pytest.mark.postgresql),
    pytest.param("postgresql", "sqlite", id="postgresql-to-sqlite", marks=pytest.mark.postgresql),
]


@pytest.mark.parametrize(("source_kind", "target_kind"), COPIES)
def test_copy_store_moves_everything_and_answers_alike(
    cli, new_store_url, seed_questions, source_kind, target_kind
):
    source, target = new_store_url(source_kind), new_store_url(target_kind)
    assert cli("ingest", str(SEED), "--db", source, "--guild", "5")[0] == 0
    fill(source, 6, stories(3))

    status, out, err = cli("copy-store", "--to", target, "--db", source)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Copying ") and "  paragraphs: 30 rows copied" in lines
    assert [line.split()[:3] for line in lines if line.split()[0] in ("5", "6")] == [
        ["5", "1", "27"],
        ["6", "3", "3"],
    ]
    assert lines[-1].startswith("Verified: every table of the copy holds the rows of ")
    assert lines[-1].endswith("each of the 2 guilds has the same articles and paragraphs in both.")

    for question, _expected in seed_questions:
        asked = cli("ask", question, "--db", source, "--guild", "5")
        assert cli("ask", question, "--db", target, "--guild", "5") == asked
    assert cli("export", "--db", target, "--guild", "6") == cli(
        "export", "--db", source, "--guild", "6"
    )

    # And back, into a new store of the first kind: the same again.
    back = new_store_url(source_kind)
    status, out, err = cli("copy-store", "--to", back, "--db", target)
    assert status == 0 and "Verified" in out, err
    assert cli("guilds", "--db", back) == cli("guilds", "--db", source)

    status, out, err = cli("copy-store", "--to", target, "--db", source)
    assert status == 1 and "Traceback" not in err
    assert err.startswith("Database error: ") and "already holds data" in err
    assert "nothing was copied" in err


def test_copy_store_refuses_what_it_cannot_do_in_plain_words(cli, tmp_path):
    source = tmp_path / "bot.sqlite3"
    missing = tmp_path / "missing.sqlite3"
    target = tmp_path / "copy.sqlite3"

    status, _, err = cli("copy-store", "--to", str(target), "--db", str(missing))
    assert status == 1 and err == f"Database error: there is no database at {missing}\n"
    assert not missing.exists() and not target.exists()

    cli("ingest", str(tmp_path / "nothing.txt"), "--db", str(source))  # an empty database
    status, _, err = cli("copy-store", "--to", str(target), "--db", str(source))
    assert status == 1 and err == f"{source} holds no data: there is nothing to copy.\n"
    assert not target.exists()

    with pytest.raises(SystemExit) as stopped:
        cli("copy-store", "--to", "mysql://db/news", "--db", str(source))
    assert stopped.value.code == 2
    with pytest.raises(SystemExit):
        cli("copy-store", "--db", str(source))  # --to is required


@pytest.mark.parametrize("target_exists", [False, True])
def test_a_copy_stopped_with_ctrl_c_fails_and_says_what_is_left(
    cli, tmp_path, monkeypatch, target_exists
):
    source, target = tmp_path / "bot.sqlite3", tmp_path / "copy.sqlite3"
    fill(source, 5, stories(1))
    if target_exists:
        cli("ingest", str(tmp_path / "nothing.txt"), "--db", str(target))  # empty, existing

    async def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("bot.__main__.copy_to", interrupted)
    status, _, err = cli("copy-store", "--to", str(target), "--db", str(source))
    assert status == 1
    if target_exists:
        assert err == (
            f"The copy was stopped: {target} may hold part of the data; empty it before "
            "copying again.\n"
        )
    else:
        assert err == f"The copy was stopped; nothing was written to {target}.\n"


def test_copy_store_to_a_server_that_is_not_there_says_so(cli, tmp_path):
    source = tmp_path / "bot.sqlite3"
    fill(source, 5, stories(1))
    unreachable = "postgresql://newsbot:secret@127.0.0.1:9/news"
    status, out, err = cli("copy-store", "--to", unreachable, "--db", str(source))
    assert status == 1 and err.startswith("Database error: ")
    assert "Traceback" not in err and "secret" not in out + err


@pytest.mark.postgresql
def test_copy_store_into_a_database_that_does_not_exist_says_so(cli, tmp_path, postgres_server):
    source = tmp_path / "bot.sqlite3"
    fill(source, 5, stories(1))
    status, _, err = cli(
        "copy-store", "--to", postgres_server.url("no_such_database"), "--db", str(source)
    )
    assert status == 1 and err.startswith("Database error: ") and "Traceback" not in err
    assert "no_such_database" in err


@pytest.mark.postgresql
def test_backup_on_postgresql_runs_pg_dump_or_says_how(
    cli, monkeypatch, tmp_path, new_store_url, postgres_server
):
    database = new_store_url("postgresql")
    fill(database, 5, stories(2))
    target = tmp_path / "backups" / "newsbot.dump"

    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    status, out, err = cli("backup", str(target), "--db", database)
    assert status == 1 and out == "" and "Traceback" not in err
    assert err.startswith("Database error: a PostgreSQL database is backed up with its own tool")
    assert "run pg_dump --format=custom against" in err
    assert not target.exists()

    programs = embedded_binaries()
    monkeypatch.setenv("PATH", str(programs))
    status, out, err = cli("backup", str(target), "--db", database)
    assert status == 0 and out == f"Backed up the database to {target}\n", err
    assert sorted(p.name for p in target.parent.iterdir()) == ["newsbot.dump"]

    # The dump restores, as the README says, into a new database that answers the same.
    restored = new_store_url("postgresql")
    subprocess.run(
        [str(programs / "pg_restore"), "--no-owner", f"--dbname={restored}", str(target)],
        check=True,
        capture_output=True,
    )
    assert cli("guilds", "--db", restored) == cli("guilds", "--db", database)
    question = ("ask", "harbour quay ferry", "--guild", "5")
    assert cli(*question, "--db", restored) == cli(*question, "--db", database)


def test_ask_reads_operators_in_the_question_and_orders_newest_first(cli, tmp_path):
    db = str(tmp_path / "search.sqlite3")
    for name, article in (("harbour", HARBOUR), ("budget", BUDGET), ("update", UPDATE)):
        (tmp_path / f"{name}.txt").write_text(article, encoding="utf-8")
        assert cli("ingest", str(tmp_path / f"{name}.txt"), "--db", db, "--guild", "5")[0] == 0
    (tmp_path / "copy.txt").write_text(RESHARE, encoding="utf-8")
    status, out, _ = cli("ingest", str(tmp_path / "copy.txt"), "--db", db, "--guild", "5")
    assert status == 0
    assert out.endswith("Looks like article #1 (“Harbour reopens after storm”), already indexed.\n")

    status, out, _ = cli("ask", "harbour repairs site:daily.example", "--db", db, "--guild", "5")
    assert status == 0 and "https://daily.example/budget" in out and "coast.example" not in out
    status, out, _ = cli(
        "ask", "harbour", "--newest", "--results", "10", "--db", db, "--guild", "5"
    )
    assert status == 0 and out.startswith("Newest first.\n")
    assert out.index("published 2 Dec 2025") < out.index("published 20 Nov 2025")
