"""What a member is told when their command, button or menu fails."""

from __future__ import annotations

import inspect
import logging
import re
from types import SimpleNamespace

import discord
import pytest
from discord import app_commands

from bot.checks import NotModerator
from bot.errors import (
    ARTICLE_NOT_HERE,
    COMMAND_CHANGED,
    SOMETHING_WENT_WRONG,
    STORAGE_UNAVAILABLE,
    answer_interaction_error,
    autocomplete_errors_answered,
    error_choices,
    error_text,
)
from index import errors as index_errors
from index.errors import (
    ArticleNotFound,
    DuplicateArticle,
    IngestBusy,
    IngestRefused,
    StoreMissing,
    StoreUnavailable,
)
from index.store import StoreBusy, StoreDamaged, StoreError, StoreFull, StoreReadOnly
from tests.bot.test_render_discord import article

CLASS_NAME = re.compile(r"\b\w*(Error|Exception|Failure|Closed|Busy|Refused|Found)\b")


def invoke_error(original: Exception) -> app_commands.CommandInvokeError:
    command = SimpleNamespace(name="ask", qualified_name="ask")
    return app_commands.CommandInvokeError(command, original)


def test_a_store_error_is_told_by_what_it_means_for_the_member():
    full = invoke_error(StoreFull("the disk is full; nothing was saved"))
    assert error_text(full) == "The bot's disk is full: nothing was saved."
    damaged = StoreDamaged("the database /srv/bot.sqlite3 is damaged (malformed)")
    assert "restore a backup" in error_text(damaged)
    assert "read-only" in error_text(StoreReadOnly("the database /srv/x is read-only"))
    assert "try again" in error_text(StoreBusy("the database is busy"))
    assert "log" in error_text(StoreError("cannot open the database /srv/x"))


def test_a_refused_check_says_why():
    assert error_text(NotModerator("Only moderators can.")) == "Only moderators can."
    assert error_text(app_commands.CheckFailure()) == "You cannot use this command here."


def test_a_command_that_changed_since_it_was_registered_is_explained(caplog):
    command = SimpleNamespace(name="ask", qualified_name="ask")
    with caplog.at_level(logging.WARNING, logger="bot"):
        assert error_text(app_commands.CommandSignatureMismatch(command)) == COMMAND_CHANGED
    assert caplog.records


def test_anything_else_is_logged_with_its_traceback_and_told_plainly(caplog):
    try:
        raise RuntimeError("a bug")
    except RuntimeError as bug:
        error = invoke_error(bug)
    with caplog.at_level(logging.ERROR, logger="bot"):
        assert error_text(error) == SOMETHING_WENT_WRONG
    (record,) = caplog.records
    assert record.exc_info is not None and "a bug" in caplog.text


@pytest.mark.parametrize(
    ("option_type", "value"),
    [
        (discord.AppCommandOptionType.integer.value, 0),
        (discord.AppCommandOptionType.number.value, 0.0),
        (discord.AppCommandOptionType.string.value, "0"),
    ],
)
def test_an_autocomplete_error_becomes_one_suggestion_of_the_options_type(option_type, value):
    data = {"options": [{"name": "article", "type": option_type, "focused": True, "value": ""}]}
    interaction = SimpleNamespace(data=data)
    (choice,) = error_choices(interaction, "The database is damaged: " + "x" * 200)
    assert choice.name.startswith("The database is damaged") and len(choice.name) <= 100
    assert choice.value == value and type(choice.value) is type(value)


async def test_an_autocomplete_callback_that_fails_answers_with_the_error():
    class Owner:
        @autocomplete_errors_answered
        async def suggest(self, interaction, current):
            raise StoreBusy("the database is busy; try again")

    interaction = SimpleNamespace(data={"options": [{"type": 4, "focused": True}]})
    (choice,) = await Owner().suggest(interaction, "Sc")
    assert choice.name.startswith("The bot's database is busy") and choice.value == 0


def test_a_store_message_never_shows_the_operator_s_paths():
    for error in (
        StoreDamaged("the database /srv/news_bot/newsbot.sqlite3 is damaged"),
        StoreReadOnly("the database /srv/news_bot/newsbot.sqlite3 is read-only"),
        StoreError("cannot open the database /srv/news_bot/newsbot.sqlite3"),
    ):
        assert "/srv" not in error_text(error)


def test_storage_that_cannot_be_reached_is_told_to_try_again_shortly(caplog):
    unreachable = StoreUnavailable(
        "the database postgresql://bot@10.0.0.5/news cannot be reached right now"
    )
    with caplog.at_level(logging.WARNING, logger="bot"):
        text = error_text(invoke_error(unreachable))
    assert text == STORAGE_UNAVAILABLE
    assert "storage is unavailable right now" in text and "try again shortly" in text
    assert "10.0.0.5" not in text and "postgresql" not in text
    assert "cannot be reached" in caplog.text  # the operator's details are in the log


def test_the_engines_refusals_are_told_in_their_own_words():
    busy = error_text(invoke_error(IngestBusy(20)))
    assert "20 shared articles are already waiting" in busy and "try again" in busy
    refused = error_text(IngestRefused("that is not a valid link"))
    assert refused == "That could not be indexed: that is not a valid link."
    assert error_text(ArticleNotFound(10, 3)) == ARTICLE_NOT_HERE
    assert "#3" in error_text(DuplicateArticle(article()))


def _index_errors() -> list[type[BaseException]]:
    return [
        value
        for value in vars(index_errors).values()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__ == index_errors.__name__
    ]


def _an(error_type: type[BaseException]) -> BaseException:
    if error_type is IngestBusy:
        return IngestBusy(4)
    if error_type is ArticleNotFound:
        return ArticleNotFound(10, 3)
    if error_type is DuplicateArticle:
        return DuplicateArticle(article())
    if error_type is IngestRefused:  # its reason is written for the member
        return IngestRefused("that is not a valid link")
    return error_type("the database /srv/bot.sqlite3 failed: details for the operator")


@pytest.mark.parametrize("error_type", _index_errors(), ids=lambda t: t.__name__)
async def test_every_engine_error_is_answered_privately_in_plain_words(error_type):
    """Whatever ``index.errors`` raises in a command ends as an ephemeral reply that
    names no class, shows no path, and is not the answer for a bug."""
    sent: list[tuple[str, dict]] = []

    async def send_message(text, **options):
        sent.append((text, options))

    interaction = SimpleNamespace(
        type=discord.InteractionType.application_command,
        response=SimpleNamespace(is_done=lambda: False, send_message=send_message),
    )
    await answer_interaction_error(interaction, invoke_error(_an(error_type)))
    ((text, options),) = sent
    assert options["ephemeral"] is True
    assert text != SOMETHING_WENT_WRONG
    assert "/srv" not in text and not CLASS_NAME.search(text)
    assert "Traceback" not in text


def test_every_engine_error_is_covered():
    assert {StoreMissing, StoreUnavailable, IngestBusy, DuplicateArticle} <= set(_index_errors())
