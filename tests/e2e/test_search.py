"""Search operators, near-duplicates and dates, through the fake Discord with the real bot:
what a member types or picks in ``/ask`` changes what is quoted, and the answer says what
it did."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime

import pytest

from tests.e2e.test_bot import (
    ALICE,
    APP_ID,
    BOB,
    BOT_ID,
    GUILD,
    MOD,
    NEWS,
    ON_SQLITE_ONLY,
    TOKEN,
)
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, Perm
from tests.support.stories import BUDGET, FOUR_MILLION, HARBOUR, RESHARE, UPDATE
from tests.support.web import serve

WORLD = 12


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """One guild with two text channels, #news and #world, and its members."""
    bot_user = {"id": str(BOT_ID), "username": "newsbot"}
    async with FakeDiscord(app_id=APP_ID, bot_user=bot_user, token=TOKEN) as fake:
        fake.add_guild(GUILD, "News Guild", MOD)
        fake.add_channel(GUILD, NEWS, "news")
        fake.add_channel(GUILD, WORLD, "world")
        fake.add_member(GUILD, ALICE, "alice")
        fake.add_member(GUILD, BOB, "bob")
        fake.add_member(GUILD, MOD, "mod", permissions=Perm.MANAGE_GUILD)
        yield fake


async def share(fake: FakeDiscord, text: str, user: int = ALICE, channel: int = NEWS) -> dict:
    """Post ``text`` as a member would, and wait until it is indexed."""
    message = await fake.user_message(GUILD, channel, user, text)
    await fake.wait_for_reaction(int(message["id"]), "✅")
    return message


async def ask(fake: FakeDiscord, options: dict, user: int = BOB) -> dict:
    interaction = await fake.slash(GUILD, NEWS, user, "ask", options)
    return await fake.wait_for_reply(interaction)


def quotes(reply: dict) -> list[str]:
    """Each embed's description, without the bold marks of matched words."""
    return [embed["description"].replace("**", "") for embed in reply.get("embeds") or []]


def sources(reply: dict) -> list[str | None]:
    return [embed.get("url") for embed in reply.get("embeds") or []]


def footers(reply: dict) -> list[str]:
    return [embed["footer"]["text"] for embed in reply.get("embeds") or []]


async def mention_answer(fake: FakeDiscord, question: str) -> dict:
    asked = await fake.user_message(GUILD, NEWS, BOB, question, mentions_bot=True)
    return await fake.wait_for_message(
        NEWS, lambda m: (m.get("message_reference") or {}).get("message_id") == asked["id"]
    )


def all_in(values: Sequence[str | None], wanted: str) -> bool:
    return bool(values) and all(value is not None and wanted in value for value in values)


@ON_SQLITE_ONLY
async def test_a_phrase_and_an_exclusion_change_which_passage_is_quoted(fake, bot):
    await share(fake, HARBOUR)
    words = await ask(fake, {"question": "sea wall painted"})
    assert quotes(words)[0].startswith("> Volunteers painted the old wall along the sea front")
    phrase = await ask(fake, {"question": '"sea wall" painted'})
    assert [FOUR_MILLION in quote for quote in quotes(phrase)] == [True]
    typed = await ask(fake, {"question": "sea wall painted -volunteers"})
    assert FOUR_MILLION in quotes(typed)[0]
    assert not any("Volunteers" in quote for quote in quotes(typed))
    picked = await ask(fake, {"question": "sea wall painted", "exclude": "volunteers"})
    assert quotes(picked) == quotes(typed)
    assert picked["content"].startswith("**Q:** sea wall painted -volunteers")


async def test_site_member_channel_and_dates_filter_what_is_quoted(fake, bot):
    await share(fake, HARBOUR, ALICE, NEWS)
    await share(fake, BUDGET, BOB, WORLD)
    typed = await ask(fake, {"question": "harbour repairs site:daily.example"})
    assert all_in(sources(typed), "https://daily.example/budget")

    typing = await fake.autocomplete(
        GUILD, NEWS, BOB, "ask", {"question": "x", "site": "da"}, focused="site"
    )
    choices = (await fake.wait_for_response(typing)).choices
    assert [c["value"] for c in choices] == ["daily.example"]
    picked = await ask(fake, {"question": "harbour repairs", "site": "daily.example"})
    assert all_in(sources(picked), "https://daily.example/budget")

    by_bob = await ask(fake, {"question": "harbour repairs", "member": BOB})
    assert all_in(footers(by_bob), "shared by bob") and all_in(sources(by_bob), "daily.example")
    assert by_bob["content"].startswith("**Q:** harbour repairs from:@bob")
    in_news = await ask(fake, {"question": "harbour repairs", "channel": NEWS})
    assert all_in(sources(in_news), "https://coast.example/harbour")
    assert in_news["content"].startswith("**Q:** harbour repairs in:#news")

    later = await ask(fake, {"question": "harbour repairs", "after": "2025-11-24"})
    assert all_in(footers(later), "published 25 Nov 2025")
    earlier = await ask(fake, {"question": "harbour repairs", "before": "2025-11-24"})
    assert all_in(footers(earlier), "published 20 Nov 2025")

    # A channel typed by name in a mention: the bot knows the guild's channels.
    in_world = await mention_answer(fake, "harbour repairs in:#world")
    assert all_in(sources(in_world), "https://daily.example/budget")


@ON_SQLITE_ONLY
async def test_a_malformed_operator_is_read_as_words_answered_and_noted(fake, bot):
    await share(fake, HARBOUR)
    reply = await ask(fake, {"question": "harbour reopened after:yesterday"})
    assert reply["embeds"] and "harbour reopened" in quotes(reply)[0].lower()
    notes = [line for line in reply["content"].splitlines() if line.startswith("-# Note: ")]
    assert len(notes) == 1 and "after:yesterday was read as words" in notes[0]

    refused = await fake.slash(
        GUILD, NEWS, BOB, "ask", {"question": "harbour", "after": "yesterday"}
    )
    told = await fake.wait_for_reply(refused)
    assert told["content"].startswith("after needs a date written YYYY-MM-DD")
    assert int(told.get("flags") or 0) & EPHEMERAL and not told.get("embeds")

    nowhere = await mention_answer(fake, "harbour in:#nowhere")
    notes = [line for line in nowhere["content"].splitlines() if line.startswith("-# Note: ")]
    assert len(notes) == 1 and "#nowhere" in notes[0] and nowhere["embeds"]

    helped = await fake.slash(GUILD, NEWS, BOB, "help search")
    text = (await fake.wait_for_reply(helped))["content"]
    assert "`site:example.com`" in text and "`-word`" in text and helped.callback.ephemeral


@ON_SQLITE_ONLY
async def test_order_newest_puts_the_newest_article_first_and_more_keeps_it(fake, bot):
    await share(fake, HARBOUR)
    await share(fake, BUDGET)
    await share(fake, UPDATE)
    typed = await ask(fake, {"question": "harbour order:newest", "results": 5})
    assert "-# Newest first." in typed["content"].splitlines()
    days = [reported_day(footer) for footer in footers(typed)]
    assert days[0] == date(2025, 12, 2) and days == sorted(days, reverse=True)
    assert date(2025, 11, 20) in days  # older articles follow, not left out

    asked = await fake.slash(
        GUILD, NEWS, BOB, "ask", {"question": "harbour", "order": "newest", "results": 1}
    )
    first = await fake.wait_for_reply(asked)
    assert [reported_day(footer) for footer in footers(first)] == [date(2025, 12, 2)]
    assert "-# Newest first." in first["content"].splitlines()
    more = first["components"][0]["components"][0]["custom_id"]
    clicked = await fake.click(GUILD, NEWS, BOB, first, more)
    page = (await fake.wait_for_edit(clicked)).message
    assert quotes(page) != quotes(first)
    assert page["embeds"][0]["title"].startswith("2. ")
    assert reported_day(footers(page)[0]) <= date(2025, 12, 2)
    assert page["content"] == first["content"]  # the question and its order stay


def reported_day(footer: str) -> date:
    """The day a footer says its quote reports from ("published 2 Dec 2025 · …")."""
    words = footer.split(" · ")[0].split()
    if words[0] == "published":
        return datetime.strptime(" ".join(words[1:4]), "%d %b %Y").date()
    return datetime.strptime(" ".join(words[-3:]), "%d %b %Y").date()


@ON_SQLITE_ONLY
async def test_a_paragraph_in_two_articles_is_quoted_once_with_also_in(fake, bot):
    await share(fake, HARBOUR)
    await share(fake, BUDGET)
    reply = await ask(fake, {"question": "sea wall repairs four million dollars"})
    holding = [quote for quote in quotes(reply) if FOUR_MILLION in quote]
    assert len(holding) == 1
    (quoted,) = holding
    also = quoted.split("\n\n")[-1]
    assert also in (
        "Also in: [Council approves winter budget](https://daily.example/budget)",
        "Also in: [Harbour reopens after storm](https://coast.example/harbour)",
    )


async def test_a_near_identical_reshare_is_reported_unless_the_guild_turns_that_off(fake, bot):
    await share(fake, HARBOUR)
    again = await fake.user_message(GUILD, NEWS, BOB, RESHARE)
    await fake.wait_for_reaction(int(again["id"]), "🔁")
    told = await fake.wait_for_message(
        NEWS, lambda m: (m.get("message_reference") or {}).get("message_id") == again["id"]
    )
    assert told["content"] == (
        "Looks like article #1 (“Harbour reopens after storm”), already indexed."
    )
    assert (await bot.engine.stats(GUILD)).articles == 1

    shown = await fake.slash(GUILD, NEWS, MOD, "admin config")
    assert "near-identical articles: skipped" in (await fake.wait_for_reply(shown))["content"]
    turned_off = await fake.slash(GUILD, NEWS, MOD, "admin config", {"skip_similar": False})
    saved = (await fake.wait_for_reply(turned_off))["content"]
    assert saved.startswith("Saved.") and "near-identical articles: added" in saved

    added = await fake.user_message(GUILD, NEWS, BOB, RESHARE)
    await fake.wait_for_reaction(int(added["id"]), "✅")
    assert (await bot.engine.stats(GUILD)).articles == 2


@ON_SQLITE_ONLY
async def test_quotes_show_their_dates_and_an_as_of_note_names_the_newer_article(fake, bot):
    async with serve() as web:
        page = await fake.user_message(GUILD, NEWS, ALICE, f"Harbour news {web.url('/article')}")
        await fake.wait_for_reaction(int(page["id"]), "✅")
    await share(fake, UPDATE)
    reply = await ask(fake, {"question": "sea wall repairs four million dollars", "results": 1})
    # The page's <meta property="article:published_time"> is its date.
    assert footers(reply) == ["published 20 Nov 2025 · shared by alice · article #1"]
    assert quotes(reply)[0].endswith(
        "\n\nAs of 20 Nov 2025. Newer: [Harbour reopens after storm]"
        "(https://coast.example/harbour-update) (published 2 Dec 2025)"
    )
    newest = await ask(fake, {"question": "every berth open to shipping", "results": 1})
    # The paste's date line is its date; nothing newer tells the story.
    assert footers(newest) == ["published 2 Dec 2025 · shared by alice · article #2"]
    assert "As of" not in quotes(newest)[0]
