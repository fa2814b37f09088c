from __future__ import annotations

import io

import pytest
from prompt_toolkit.history import InMemoryHistory

from bot.console import (
    PASTE_START,
    SOMETHING_WENT_WRONG,
    Console,
    QuestionHistory,
    open_history,
    run_console,
)
from bot.render_text import BOLD, RESET, visible_width
from index import Engine
from index.store import StoreError
from tests.conftest import SEED, SEED_URL
from tests.support.engines import open_engine
from tests.support.languages import GERMAN
from tests.support.stories import BUDGET, FOUR_MILLION, HARBOUR, RESHARE

GUILD = 0


@pytest.fixture
async def engine(tmp_path):
    engine = await open_engine(tmp_path / "console.sqlite3")
    yield engine
    await engine.close()


async def converse(engine: Engine, *lines: str) -> str:
    out = io.StringIO()
    await run_console(
        engine, GUILD, stdin=io.StringIO("".join(f"{line}\n" for line in lines)), out=out
    )
    return out.getvalue()


async def test_seed_questions_are_answered_with_quote_and_link(engine, seed_questions):
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    for question, expected in seed_questions:
        output = await converse(engine, question)
        if expected == "NO_ANSWER":
            assert "Nothing in the indexed articles answers that." in output
            continue
        first = output.split("[2]")[0]
        assert any(phrase in first for phrase in expected.split("|")), (question, output)
        assert SEED_URL in first


async def test_paste_an_article_then_ask_about_it(engine):
    output = await converse(
        engine,
        "/paste",
        "Harbour reopens after storm",
        "The city harbour reopened on Tuesday after a storm closed it for three days.",
        "Fishing boats returned to the docks as cranes resumed unloading grain from two ships.",
        "https://news.example.org/harbourGreat news",
        ".",
        "When did the harbour reopen?",
        "/articles",
        "/stats",
    )
    assert output.index(PASTE_START) < output.index("Added article #1")
    assert "Added article #1: Harbour reopens after storm (2 paragraphs)" in output
    assert "> The city harbour reopened on Tuesday" in output
    assert "https://news.example.org/harbour" in output
    assert "articles: 1" in output


async def test_admin_commands_and_bad_input(engine, tmp_path):
    bad = tmp_path / "picture.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    output = await converse(
        engine,
        f"/ingest {SEED}",
        f"/ingest {SEED}",
        f"/ingest {bad}",
        f"/ingest {tmp_path / 'missing.txt'}",
        "/show 1",
        "/in 1 How many troops are in Puerto Rico?",
        "/in 7 anything",
        "/remove x",
        "/remove 1",
        "/remove 1",
        "/frobnicate",
        "look at this https://localhost/a-story",
        "/help",
        "/quit",
        "this line is never read",
    )
    assert "Added article #1" in output
    assert "Already indexed as article #1" in output
    assert f"{bad}: not indexed: picture.png is not a file the bot can read" in output
    assert f"{tmp_path / 'missing.txt'}: cannot read it: No such file or directory." in output
    assert "note from the poster: New update my fellas. War stuff" in output
    assert "as many as 10,000 troops" in output
    assert "There is no article #7 in this server." in output
    assert "Usage: /remove ID" in output
    assert "Removed article #1" in output
    assert "Unknown command /frobnicate" in output
    assert "https://localhost/a-story: not indexed: that address is not public." in output
    assert "/articles [PAGE]" in output
    assert "never read" not in output
    assert (await engine.stats(GUILD)).articles == 0


class TerminalText(io.StringIO):
    """Output that says it is a terminal, as a real one would."""

    def isatty(self) -> bool:
        return True


async def converse_on_terminal(engine: Engine, monkeypatch, *lines: str, **environ: str) -> str:
    for name in ("NO_COLOR", "TERM", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    out = TerminalText()
    await run_console(
        engine, GUILD, stdin=io.StringIO("".join(f"{line}\n" for line in lines)), out=out
    )
    return out.getvalue()


QUESTION = "How many troops are stationed in Puerto Rico?"


async def test_on_a_terminal_answers_are_coloured_and_fit_its_width(engine, monkeypatch):
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    output = await converse_on_terminal(
        engine, monkeypatch, QUESTION, TERM="xterm-256color", COLUMNS="60"
    )
    assert f"{BOLD}troops{RESET}" in output
    lines = output.splitlines()
    assert all(visible_width(line) <= 60 for line in lines if SEED_URL not in line)
    assert f"    {SEED_URL}" in lines  # a link is never broken
    quote = next(n for n, line in enumerate(lines) if line.startswith("    > "))
    assert lines[quote + 1].startswith("      ") and lines[quote + 1][6] != " "


@pytest.mark.parametrize("environ", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
async def test_no_colour_when_asked_not_to(engine, monkeypatch, environ):
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    output = await converse_on_terminal(engine, monkeypatch, QUESTION, **environ)
    assert "troops" in output and "\x1b" not in output


async def test_each_answer_is_fitted_to_the_width_the_terminal_has_then(engine):
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    widths = iter([40, 120])
    out = io.StringIO()
    console = Console(engine, GUILD, out=out, columns=lambda: next(widths))
    await console.handle(QUESTION)
    narrow = out.getvalue()
    out.seek(0), out.truncate()
    await console.handle(QUESTION)
    wide = out.getvalue()
    prose = lambda text: [line for line in text.splitlines() if SEED_URL not in line]  # noqa: E731
    assert max(map(visible_width, prose(narrow))) <= 40
    assert max(map(visible_width, prose(wide))) > 40
    assert narrow.split() == wide.split()


async def test_article_list_and_article_show_plain_links_and_indented_lines(engine):
    await engine.ingest_file(GUILD, "message.txt", SEED.read_bytes())
    out = io.StringIO()
    console = Console(engine, GUILD, out=out, columns=lambda: 60)
    await console.handle("/articles")
    await console.handle("/show 1")
    output = out.getvalue()
    assert "<" not in output and ">" not in output
    lines = output.splitlines()
    assert lines[0].startswith("#1    Scoop: Trump ready to talk with Maduro")
    assert all(line.startswith("      ") for line in lines[1 : lines.index(SEED_LINK)])
    assert lines.count(SEED_LINK) == 2  # once in the list, once in the article
    first = next(n for n, line in enumerate(lines) if line.startswith("   1. "))
    assert lines[first + 1].startswith("      ") and lines[first + 1][6] != " "
    assert any(line.startswith("  27. ") for line in lines)
    assert all(visible_width(line) <= 60 for line in lines if SEED_URL not in line)


SEED_LINK = f"      {SEED_URL}"


async def test_paste_ends_at_a_dot_or_at_the_end_of_input(engine):
    output = await converse(
        engine,
        "/paste",
        "Harbour reopens after storm",
        "The city harbour reopened on Tuesday after a storm closed it for three days.",
        "Fishing boats returned to the docks as cranes resumed unloading grain from two ships.",
    )
    assert PASTE_START in output
    assert "Added article #1: Harbour reopens after storm (2 paragraphs)" in output


async def test_failures_are_told_in_plain_words(engine, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("'NoneType' object has no attribute 'rows'")

    async def locked(*args, **kwargs):
        raise StoreError("the database is locked; try again in a moment")

    monkeypatch.setattr(engine, "ask", broken)
    output = await converse(engine, QUESTION)
    assert SOMETHING_WENT_WRONG in output
    assert "NoneType" not in output and "RuntimeError" not in output
    monkeypatch.setattr(engine, "ask", locked)
    output = await converse(engine, QUESTION, "/stats")
    assert "Database error: the database is locked; try again in a moment\n" in output
    assert "articles: 0" in output  # the console carried on


def test_history_keeps_questions_and_commands_once_in_a_row_not_articles(tmp_path):
    path = tmp_path / "state" / "console-history"
    history = open_history(path)
    for line in ["/stats", "/stats", "Who?", "Title\nBody", "x" * 400, " ", "/help"]:
        history.append_string(line)
    assert history.get_strings() == ["/stats", "Who?", "/help"]
    assert list(QuestionHistory(path).load_history_strings()) == ["/help", "Who?", "/stats"]
    assert path.stat().st_mode & 0o777 == 0o600


def test_history_that_cannot_be_written_is_kept_in_memory(tmp_path):
    (tmp_path / "a-file").write_text("")
    history = open_history(tmp_path / "a-file" / "console-history")
    history.append_string("/stats")
    assert isinstance(history, InMemoryHistory) and history.get_strings() == ["/stats"]


# -- search operators, dates, similar articles ---------------------------------------------


def pasted(article: str) -> list[str]:
    """``/paste``, the article's lines, and the line that ends it."""
    return ["/paste", *article.strip().splitlines(), "."]


async def test_help_lists_the_search_operators_with_an_example(engine):
    output = await converse(engine, "/help")
    for operator in ('"exact phrase"', "-word", "site:example.com", "after:2025-11-01"):
        assert f"  {operator}  " in output
    assert "sea wall cost -storm site:example.com" in output


async def test_operators_dates_and_near_identical_articles_in_the_console(engine):
    output = await converse(
        engine,
        *pasted(HARBOUR),
        *pasted(RESHARE),
        *pasted(BUDGET),
        '"sea wall" painted',
        "harbour reopened after:yesterday",
        "harbour repairs site:daily.example",
    )
    assert "Added article #1: Harbour reopens after storm" in output
    assert "Looks like article #1 (“Harbour reopens after storm”), already indexed." in output
    phrase, words, site = output.split("\n[1] ")[1:4]
    assert FOUR_MILLION in phrase and "Volunteers" not in phrase and "[2]" not in phrase
    assert "    published 20 Nov 2025 · shared by console · article #1" in phrase
    assert "also in: #2 Council approves winter budget https://daily.example/budget" in phrase
    assert "Note: after:yesterday was read as words" in output
    assert "harbour reopened" in words.lower()
    assert "https://daily.example/budget" in site and "coast.example" not in site


async def test_the_languages_are_shown_and_set_by_code_or_name(engine):
    output = await converse(
        engine,
        "/language",
        "/language German",
        "/languages fr, Spanish",
        "/languages Klingon, es",
        "/language de, fr",
        "/languages none",
    )
    lines = output.splitlines()
    assert "Main language: English · other languages: none" in lines
    assert "Main language: German · other languages: none" in lines
    assert "Main language: German · other languages: French, Spanish" in lines
    assert "Not a language I know: “Klingon”. Use a code such as de or pt" in output
    assert "The main language is one language" in output
    assert lines.count("Main language: German · other languages: none") == 2
    config = await engine.guild_config(GUILD)
    assert (config.language, config.languages) == ("de", ())


async def test_a_german_question_finds_a_german_paste(engine):
    await engine.ingest_text(GUILD, GERMAN.paste)
    output = await converse(engine, "/articles", GERMAN.question)
    assert " · German · " in output
    assert GERMAN.answer_words in output
