"""Hostile and broken input, end to end: what people can post, through the engine and the
Discord renderer.

Every message below gets a short refusal or becomes a whole article; nothing is half
stored, no exception escapes, and what the bot would say back fits Discord and pings
nobody.
"""

from __future__ import annotations

import gzip
import io
import random
import re
import time
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot import render_discord
from bot.render_discord import escape, ingest_summary, outcomes_text, render_answer
from index import Engine
from index.ingest.extract import Extractor
from index.ingest.fetch import Fetcher, FetchLimits
from index.ingest.netpolicy import AddressPolicy
from index.models import Attachment, IngestOutcome, Provenance
from tests.support.discord_limits import (
    HIDDEN_CHARACTERS,
    LINE_BREAKS,
    assert_fits_discord,
    assert_safe_line,
)
from tests.support.engines import open_engine
from tests.support.web import WebServer, serve

pytestmark = pytest.mark.asyncio(loop_scope="module")

GUILD = 31
MB = 1_000_000
BODY = (
    "The city harbour reopened on Tuesday after a storm closed it for three days, the port "
    "authority said.\n"
    "Fishing boats returned to the docks as cranes resumed unloading grain from two ships.\n"
    "Officials said repairs to the sea wall will cost about four million dollars.\n"
)
HARBOUR = "Harbour reopens after storm\n" + BODY
MENTIONS_ARTICLE = (
    "Council meeting descends into chaos\n"
    "A member shouted @everyone and @here into the microphone while <@&123456789> and "
    "<@!42> were named as the culprits behind the leaked budget.\n"
    "Residents were urged to [click here](https://evil.example/phish) for the full budget, "
    "a link the council says it never published.\n"
    "The mayor said the meeting would resume next week after a security review.\n"
)
SQL_TITLE = "Robert'); DROP TABLE articles;--"
CONTROL_TITLE = "\u202eHarbour\x07 reopens\u2066 after\x1b storm\u2069\x9b"
CLEAN_TITLE = "Harbour reopens after storm"
CONTROL_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>&#x202E;Harbour\u2067 reopens"
    " after storm&#x202C;</title></head><body><article><h1>&#x202E;Harbour reopens after "
    "storm</h1>"
    + "".join(f"<p>{line}\u202e</p>" for line in BODY.splitlines())
    + "</article></body></html>"
)
HOSTILE_FILE_NAME = "@everyone <@&99> \u202etxt.exe.txt"
BLANK_TITLE = "\u3164\u2800\u200b\u0301\u115f"
OPENING_WORDS = "The city harbour reopened on Tuesday after a storm closed it for…"
BLANK_HTML = (
    f"<!doctype html><html><head><meta charset='utf-8'><title>{BLANK_TITLE}</title></head>"
    f"<body><article><h1>&#x3164;</h1>"
    + "".join(f"<p>{line}</p>" for line in BODY.splitlines())
    + "</article></body></html>"
)
CLASS_NAME = re.compile(r"\w+(?:Error|Exception)\b|Exception")


def _compressible(size: int) -> bytes:
    return b"<html><body><p>" + b"a" * size


def _gzip_bomb() -> bytes:
    return gzip.compress(_compressible(20 * MB), compresslevel=9)


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", _compressible(20 * MB))
    return buffer.getvalue()


Message = tuple[str, tuple[Attachment, ...]]


def message_text(content: str) -> Callable[[WebServer], Message]:
    return lambda web: (content, ())


def message_file(
    name: str, data: Callable[[], bytes], content_type: str | None = None
) -> Callable[[WebServer], Message]:
    """A message carrying one file, made only when the test runs."""
    return lambda web: ("", (Attachment(name, data(), content_type),))


@dataclass(frozen=True)
class HostileMessage:
    build: Callable[[WebServer], Message]
    """The message's text and attachments (links may point at the local web server)."""
    refusals: tuple[str, ...] = ()
    """A part of each refusal's reason, in the order the outcomes come."""
    added: int = 0
    duplicates: int = 0
    fetches: int = 0
    """Requests the local web server should see."""
    title: str | None = None
    """The title the added article should be stored under."""


HOSTILE_MESSAGES = {
    "a message.txt of 25 MB": HostileMessage(
        message_file("message.txt", lambda: b"word " * (5 * MB)),
        refusals=("message.txt is larger than 2 MB",),
    ),
    "a message.txt of 25 MB beside its article's link": HostileMessage(
        lambda web: (web.url("/article"), (Attachment("message.txt", b"word " * (5 * MB)),)),
        refusals=("the file is larger than 2 MB",),
        added=1,
        fetches=1,
        title=CLEAN_TITLE,
    ),
    "random bytes named message.txt": HostileMessage(
        message_file("message.txt", lambda: random.Random(7).randbytes(64_000)),
        refusals=("the file does not look like text",),
    ),
    "a PNG image named message.txt": HostileMessage(
        message_file(
            "message.txt", lambda: b"\x89PNG\r\n\x1a\n" + random.Random(8).randbytes(9000)
        ),
        refusals=("the file does not look like text",),
    ),
    "a gzip bomb named page.html": HostileMessage(
        message_file("page.html", _gzip_bomb, "text/html"),
        refusals=("does not look like a web page",),
    ),
    "a zip bomb named page.html": HostileMessage(
        message_file("page.html", _zip_bomb, "text/html"),
        refusals=("does not look like a web page",),
    ),
    "a link of 10,000 characters": HostileMessage(
        lambda web: (web.url("/article?q=" + "a" * 10_000), ()),
        refusals=("that link is too long",),
    ),
    "500 links in one message": HostileMessage(
        lambda web: (" ".join(web.url(f"/article?n={n}") for n in range(500)), ()),
        refusals=("only the first 5 links of a message are read",),
        added=1,
        duplicates=4,
        fetches=5,
        title=CLEAN_TITLE,
    ),
    "control characters and bidi overrides in a pasted title": HostileMessage(
        message_text(CONTROL_TITLE + "\n" + BODY), added=1, title=CLEAN_TITLE
    ),
    "control characters and bidi overrides in an HTML file's title": HostileMessage(
        message_file("story.html", CONTROL_HTML.encode), added=1, title=CLEAN_TITLE
    ),
    "SQL in the title and the text": HostileMessage(
        message_text(f"{SQL_TITLE}\n{BODY}'); DELETE FROM paragraphs; --\n"),
        added=1,
        title=SQL_TITLE,
    ),
    "mentions and masked links in an article": HostileMessage(
        message_text(MENTIONS_ARTICLE), added=1, title="Council meeting descends into chaos"
    ),
    "an empty file whose name pings and reverses": HostileMessage(
        message_file(HOSTILE_FILE_NAME, bytes), refusals=("the file is empty",)
    ),
    "a pasted title of fillers and blanks": HostileMessage(
        message_text(BLANK_TITLE + "\n" + BODY), added=1, title=OPENING_WORDS
    ),
    "an HTML file whose title and headline are fillers": HostileMessage(
        message_file("story.html", BLANK_HTML.encode), added=1, title=OPENING_WORDS
    ),
    "a Markdown file with a heading for a title": HostileMessage(
        message_file("story.md", lambda: f"# **{CLEAN_TITLE}**\n===\n\n{BODY}".encode()),
        added=1,
        title=CLEAN_TITLE,
    ),
    "a link whose host is a number in octal": HostileMessage(
        lambda web: (web.url("/article").replace("127.0.0.1", "0177.0.0.2"), ()),
        refusals=("that address is not public",),
    ),
    "a link whose host has five numbers": HostileMessage(
        message_text("look http://1.2.3.4.5/story"), refusals=("that is not a valid link",)
    ),
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web() -> AsyncIterator[WebServer]:
    async with serve() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def extractor() -> AsyncIterator[Extractor]:
    async with Extractor(time_limit=30) as extractor:
        yield extractor


@pytest_asyncio.fixture(loop_scope="module")
async def engine(tmp_path: Path, extractor: Extractor) -> AsyncIterator[Engine]:
    fetcher = Fetcher(
        AddressPolicy.allowing(["127.0.0.1/32"], any_port=True),
        FetchLimits(total_seconds=3, read_seconds=2),
    )
    engine = await open_engine(tmp_path / "hostile.sqlite3", fetcher=fetcher, extractor=extractor)
    yield engine
    await engine.close()
    await fetcher.close()


def assert_short_human_reason(reason: str) -> None:
    assert reason and reason == reason.strip()
    assert len(reason) <= 120, reason
    assert not LINE_BREAKS.search(reason) and "Traceback" not in reason, reason
    assert not CLASS_NAME.search(reason), reason


async def assert_nothing_half_stored(engine: Engine, articles: int) -> None:
    """The store holds exactly ``articles`` whole articles, and the index the same."""
    stats = await engine.stats(GUILD)
    listed = await engine.list_articles(GUILD)
    assert stats.articles == len(listed) == articles
    stored = [await engine.article_paragraphs(GUILD, info.id) for info in listed]
    assert [len(paragraphs) for paragraphs in stored] == [info.paragraph_count for info in listed]
    assert stats.paragraphs == sum(len(paragraphs) for paragraphs in stored)
    for info, paragraphs in zip(listed, stored, strict=True):
        assert paragraphs and all(p.text.strip() for p in paragraphs)
        # Every stored paragraph can be found through the index.
        ranked = await engine.rank(GUILD, paragraphs[0].text[:200], k=50, article_id=info.id)
        assert paragraphs[0].id in {hit.paragraph_id for hit in ranked}


def assert_replies_fit_and_explain(outcomes: list[IngestOutcome]) -> None:
    summary = ingest_summary(outcomes)
    replies = [outcomes_text(outcomes)] + ([summary] if summary is not None else [])
    for reply in replies:
        assert_fits_discord(reply)
        for outcome in outcomes:
            if outcome.error is not None:
                assert escape(outcome.error) in reply


@pytest.mark.parametrize("case", HOSTILE_MESSAGES.values(), ids=HOSTILE_MESSAGES.keys())
async def test_hostile_message_is_refused_or_stored_whole(
    case: HostileMessage, web: WebServer, engine: Engine
) -> None:
    content, attachments = case.build(web)
    requests_before = sum(web.hits.values())

    outcomes = await engine.ingest_message(
        GUILD, content, attachments, Provenance(poster_name="\u202e@everyone")
    )

    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(errors) == len(case.refusals), errors
    for error, expected in zip(errors, case.refusals, strict=True):
        assert expected in error
        assert_short_human_reason(error)
    results = [outcome.result for outcome in outcomes if outcome.result is not None]
    assert sum(result.added for result in results) == case.added
    assert sum(not result.added for result in results) == case.duplicates
    assert sum(web.hits.values()) - requests_before == case.fetches
    await assert_nothing_half_stored(engine, case.added)
    if case.title is not None:
        (stored,) = await engine.list_articles(GUILD)
        assert stored.title == case.title
    for info in await engine.list_articles(GUILD):
        assert not HIDDEN_CHARACTERS.search(info.title) and not LINE_BREAKS.search(info.title)
        assert_safe_line(render_discord.article_line(info))
    assert_replies_fit_and_explain(outcomes)


@dataclass(frozen=True)
class HostileQuestion:
    question: str
    found: bool
    reply: str | None = None
    """What the bot says when nothing is quoted."""


HOSTILE_QUESTIONS = {
    "a question of 100,000 characters": HostileQuestion(
        ("Where did the storm close the harbour? " * 2600)[:100_000], found=True
    ),
    "only stop words": HostileQuestion(
        "What is it that they were doing, and why?", found=False, reply=render_discord.NO_TERMS
    ),
    "only emoji": HostileQuestion(
        "🔥🙂 🤔?! 🇺🇸 👍🏽 👨‍👩‍👧", found=False, reply=render_discord.NO_TERMS
    ),
    "SQL": HostileQuestion(
        "'); DROP TABLE articles;--", found=False, reply=render_discord.NO_ANSWER
    ),
    "mentions around a real question": HostileQuestion(
        "@everyone <@&123> <@!4> when did the harbour reopen? @here", found=True
    ),
    "control characters and bidi overrides": HostileQuestion(
        "\u202ewhen did the\x1b[2J harbour\u2066 reopen?\x00", found=True
    ),
}


@pytest.mark.parametrize("case", HOSTILE_QUESTIONS.values(), ids=HOSTILE_QUESTIONS.keys())
async def test_hostile_question_gets_a_sensible_answer(
    case: HostileQuestion, engine: Engine
) -> None:
    await engine.ingest_text(GUILD, HARBOUR)

    answer = await engine.ask(GUILD, case.question)

    assert answer.found == case.found
    rendered = render_answer(answer)
    assert_fits_discord(rendered.content, rendered.embeds)
    if case.reply is not None:
        assert rendered.content == case.reply and not rendered.embeds
    if case.found:
        assert "harbour" in answer.passages[0].text
        assert rendered.content.startswith("**Q:** ")
    await assert_nothing_half_stored(engine, 1)


async def test_articles_that_try_to_ping_or_phish_are_quoted_as_plain_text(
    engine: Engine,
) -> None:
    await engine.ingest_text(GUILD, MENTIONS_ARTICLE, Provenance(poster_name="<@1> \u202eann"))

    # One question for each hostile paragraph, so both are quoted whatever the ranking
    # leaves out after the best passage.
    quoted = []
    for question in ("who shouted into the microphone?", "which link was never published?"):
        rendered = render_answer(await engine.ask(GUILD, question))
        assert_fits_discord(rendered.content, rendered.embeds)
        assert rendered.embeds[0].footer.text.startswith("shared by <@\u200b1> ann on ")
        quoted.append(rendered.embeds[0].description or "")
    assert "@\u200beveryone" in quoted[0] and "\\<@\u200b&123456789\\>" in quoted[0]
    assert "\\[click here\\]\\(https://evil.example/phish\\)" in quoted[1]


async def test_control_characters_in_a_title_never_reach_discord(engine: Engine) -> None:
    await engine.ingest_text(GUILD, CONTROL_TITLE + "\n" + BODY)

    rendered = render_answer(await engine.ask(GUILD, "storm harbour"))

    assert rendered.embeds[0].title == f"1. {CLEAN_TITLE}"
    assert_fits_discord(rendered.content, rendered.embeds)


async def test_a_two_megabyte_paragraph_is_stored_and_answered_in_bounded_time(
    engine: Engine,
) -> None:
    # A message.txt just under the size limit, all on one line of tiny sentences that all
    # match the question: quoting it once took time in the square of its length.
    result = await engine.ingest_file(GUILD, "message.txt", b"Endless\n" + b"Ab cat. " * 240_000)
    assert result.added and result.article.title == "Endless"
    await assert_nothing_half_stored(engine, 1)

    started = time.perf_counter()
    answer = await engine.ask(GUILD, "cat")
    elapsed = time.perf_counter() - started

    assert elapsed < 10, f"{elapsed:.1f} s"
    assert answer.passages[0].text == "Ab cat."
    rendered = render_answer(answer)
    assert_fits_discord(rendered.content, rendered.embeds)
