"""What a member is told when their command, button or menu fails."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import discord
import pytest
from discord import app_commands

from bot.checks import NotModerator
from bot.errors import (
    COMMAND_CHANGED,
    SOMETHING_WENT_WRONG,
    autocomplete_errors_answered,
    error_choices,
    error_text,
)
from index.store import StoreBusy, StoreDamaged, StoreError, StoreFull, StoreReadOnly


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
