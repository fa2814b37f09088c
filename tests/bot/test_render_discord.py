from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render_discord
from bot.render_discord import render_answer
from index.models import Answer, ArticleInfo, GuildStats, IngestOutcome, IngestResult, Passage
from tests.support.discord_limits import (
    WORKING_MENTION,
    assert_fits_discord,
    assert_safe_line,
    assert_safe_text,
)


def article(title: str = "Harbour reopens", url: str | None = "https://x.org/h") -> ArticleInfo:
    return ArticleInfo(
        id=3,
        guild_id=1,
        title=title,
        source_url=url,
        canonical_url=url,
        fingerprint="f",
        note=None,
        poster_id=7,
        poster_name="ann",
        message_url=None,
        posted_at=datetime(2025, 11, 24, tzinfo=UTC),
        paragraph_count=4,
    )


def passage(text: str, highlights=(), info: ArticleInfo | None = None, **flags) -> Passage:
    return Passage(
        article=info or article(),
        paragraph_id=1,
        position=0,
        text=text,
        highlights=tuple(highlights),
        score=2.5,
        **flags,
    )


def embed_chars(embeds) -> int:
    return sum(
        len(e.title or "") + len(e.description or "") + len(e.footer.text or "") for e in embeds
    )


def test_answer_has_title_link_quote_bold_and_footer():
    rendered = render_answer(
        Answer("when did it reopen?", (passage("It reopened on Tuesday.", [(3, 11)]),), ("x",))
    )
    assert rendered.content == "**Q:** when did it reopen?"
    (embed,) = rendered.embeds
    assert embed.title == "1. Harbour reopens" and embed.url == "https://x.org/h"
    assert embed.description == "> It **reopened** on Tuesday."
    assert embed.footer.text == "shared by ann on 24 Nov 2025 · article #3"


def test_article_text_cannot_ping_or_format():
    hostile = "Hey @everyone and @here, <@123> <@&456> [free](https://evil.example) **bold** `x`"
    rendered = render_answer(Answer("q @everyone", (passage(hostile),), ("x",)))
    shown = rendered.content + rendered.embeds[0].description
    assert not WORKING_MENTION.search(shown)
    assert "](" not in shown.replace("\\](", "").replace("\\(", "")
    assert "\\[free\\]" in shown and "\\*\\*bold\\*\\*" in shown


def test_titles_cannot_ping_either():
    rendered = render_answer(Answer("q", (passage("x", info=article("@everyone <@1> news")),), ()))
    assert not WORKING_MENTION.search(rendered.embeds[0].title)


def test_nothing_found_and_no_words():
    assert render_answer(Answer("q", (), ("x",))).content == render_discord.NO_ANSWER
    assert render_answer(Answer("the", (), ())).content == render_discord.NO_TERMS


def test_long_passages_are_shortened_at_word_boundaries_within_limits():
    words = " ".join(f"word{i}" for i in range(2000))
    passages = tuple(passage(words, [(0, 5)]) for _ in range(10))
    rendered = render_answer(Answer("q", passages, ("x",)))
    assert len(rendered.embeds) == 10
    assert embed_chars(rendered.embeds) <= render_discord.EMBEDS_TOTAL_LIMIT
    for embed in rendered.embeds:
        body = embed.description
        assert len(body) <= render_discord.EMBED_DESCRIPTION_LIMIT
        assert body.endswith(" …")
        last_word = body[2:-2].split()[-1]
        assert re.fullmatch(r"word\d+", last_word), last_word  # never a cut word


def test_links_are_never_cut():
    url = "https://example.org/" + "a" * 50
    text = " ".join([url] * 200)
    body = render_discord.quote(passage(text), limit=500)
    for token in body[2:].replace(" …", "").split():
        assert token == url.replace("/", "/") or token == "…"


def test_titles_and_non_web_sources():
    rendered = render_answer(
        Answer("q", (passage("Text.", info=article("T" * 400, "javascript:alert(1)")),), ("x",))
    )
    embed = rendered.embeds[0]
    assert len(embed.title) <= 256 and embed.url is None


def test_ingest_summary():
    ok = IngestOutcome("https://a", IngestResult("added", article()))
    dup = IngestOutcome("https://b", IngestResult("duplicate", article()))
    bad = IngestOutcome("https://c/@everyone", error="that address is not public")
    assert render_discord.ingest_summary([ok]) is None
    summary = render_discord.ingest_summary([dup, bad])
    assert "Already indexed as article #3" in summary
    assert "that address is not public" in summary
    assert not WORKING_MENTION.search(summary)


def test_a_reason_ending_its_own_sentence_gets_one_full_stop():
    told = IngestOutcome("message", error="The bot's storage is unavailable right now.")
    summary = render_discord.ingest_summary([told])
    assert summary == "Could not index message: The bot's storage is unavailable right now."


def test_a_full_queue_is_told_with_how_many_wait_and_what_to_do():
    text = render_discord.busy_text(20, "share this one again")
    assert text.startswith(render_discord.WORKING)
    assert "20 shared articles are already waiting to be indexed" in text
    assert text.endswith("Please share this one again in a minute.")


def test_titles_and_footers_drop_control_and_bidi_characters():
    title = "\u202eHarbour\x07 reopens\u2066 after\x1b[31m storm\u2069\nsecond line"
    info = dataclasses.replace(article(title), poster_name="ann\u202e\x9b@everyone\n" * 50)
    rendered = render_answer(Answer("q\u202e", (passage("Text.", info=info),), ("x",)))
    (embed,) = rendered.embeds
    assert embed.title == "1. Harbour reopens after\\[31m storm second line"
    assert embed.footer.text.startswith("shared by ann@\u200beveryone ann@")
    assert len(embed.footer.text) < 200  # a long name is shortened
    assert_fits_discord(rendered.content, rendered.embeds)


def test_links_discord_would_reject_are_not_used_as_embed_links():
    for url in [
        "https://exa mple.org/a",
        "https://\u202eexample.org/a",
        "https://",
        "https://example.org:99999/a",
        "https://example.org/" + "a" * 3000,
        "ftp://example.org/a",
    ]:
        embed = render_answer(Answer("q", (passage("T.", info=article(url=url)),), ("x",)))
        assert embed.embeds[0].url is None, url
        assert url not in render_discord.article_line(article(url=url))


def test_more_passages_than_discord_allows_are_cut_to_ten_embeds():
    passages = tuple(passage(f"Passage {i}.", [(0, 7)]) for i in range(14))
    rendered = render_answer(Answer("q", passages, ("x",)))
    assert [embed.title[:3] for embed in rendered.embeds][-1] == "10."
    assert_fits_discord(rendered.content, rendered.embeds)


def test_a_refusal_reason_survives_a_very_long_source():
    bad = IngestOutcome("https://example.org/" + "a" * 10_000, error="that link is too long")
    for reply in (render_discord.outcomes_text([bad]), render_discord.ingest_summary([bad])):
        assert reply is not None and "that link is too long" in reply
        assert len(reply) <= 200


# -- dates, other articles, notes ---------------------------------------------------------


def other(article_id: int, title: str, url: str | None, **changes) -> ArticleInfo:
    return dataclasses.replace(article(title, url), id=article_id, **changes)


def test_a_quote_says_the_date_it_reports_from_and_which_date_it_is():
    published = dataclasses.replace(article(), published="2025-11-20T08:00:00+00:00")
    (embed,) = render_answer(Answer("q", (passage("T.", info=published),), ("x",))).embeds
    assert embed.footer.text == "published 20 Nov 2025 · shared by ann · article #3"
    unreadable = dataclasses.replace(article(), published="sometime last week")
    (embed,) = render_answer(Answer("q", (passage("T.", info=unreadable),), ("x",))).embeds
    assert embed.footer.text == "shared by ann on 24 Nov 2025 · article #3"


def test_also_in_links_web_articles_names_the_others_and_counts_the_rest():
    others = (
        other(5, "Storm [closes] harbour", "https://b.example/storm_(update)"),
        other(6, "Pasted copy", None),
        other(7, "Odd link", "javascript:alert(1)"),
        other(8, "Fourth", "https://d.example/4"),
        other(9, "Fifth", "https://e.example/5"),
    )
    (embed,) = render_answer(Answer("q", (passage("T.", also_in=others),), ("x",))).embeds
    quote, below = embed.description.split("\n\n")
    assert quote == "> T."
    assert below == (
        "Also in: [Storm \\[closes\\] harbour](https://b.example/storm_%28update%29), "
        "#6 Pasted copy, #7 Odd link, and 2 more"
    )


def test_an_as_of_note_names_the_newer_article_with_its_date():
    newer = other(14, "Harbour fully reopened", "https://x.org/h2", published="2025-12-03")
    (embed,) = render_answer(Answer("q", (passage("T.", newer=newer),), ("x",))).embeds
    assert embed.description.endswith(
        "\n\nAs of 24 Nov 2025. Newer: [Harbour fully reopened](https://x.org/h2) "
        "(published 3 Dec 2025)"
    )
    unlinked = dataclasses.replace(newer, source_url="https://x.org/@everyone")
    (embed,) = render_answer(Answer("q", (passage("T.", newer=unlinked),), ("x",))).embeds
    assert "Newer: #14 Harbour fully reopened (published 3 Dec 2025)" in embed.description
    assert_fits_discord(None, [embed])


def test_notes_and_the_order_are_shown_to_the_asker_found_or_not():
    answer = Answer(
        "harbour after:2025-13-01",
        (passage("T."),),
        ("harbour",),
        notes=("after:2025-13-01 was read as words: write dates like after:2025-11-01",),
        newest_first=True,
    )
    assert render_answer(answer).content.splitlines() == [
        "**Q:** harbour after:2025-13-01",
        "-# Newest first.",
        "-# Note: after:2025-13-01 was read as words: write dates like after:2025-11-01.",
    ]
    nothing = Answer("q in:#nowhere", (), ("q",), notes=("no article here matches those filters",))
    assert render_answer(nothing).content == (
        render_discord.NO_ANSWER + "\n-# Note: no article here matches those filters."
    )


def test_the_question_is_shown_as_the_asker_should_read_it():
    answer = Answer("harbour from:<@21>", (passage("T."),), ("harbour",))
    rendered = render_answer(answer, question="harbour from:@alice")
    assert rendered.content == "**Q:** harbour from:@alice"
    assert_fits_discord(render_answer(answer).content)  # the id is never a working mention


def test_long_titles_and_many_other_articles_stay_within_every_limit():
    long_title = "Harbour " * 100
    crowd = tuple(
        other(100 + i, long_title, f"https://news{i}.example/" + "a" * 250) for i in range(40)
    )
    newer = other(99, long_title, "https://later.example/" + "b" * 250)
    info = dataclasses.replace(article(long_title), poster_name="n" * 500)
    words = " ".join(f"word{i}" for i in range(2000))
    for count in (1, 3, 10):
        passages = tuple(
            passage(words, [(0, 5)], info=info, also_in=crowd, newer=newer) for _ in range(count)
        )
        rendered = render_answer(Answer("q " * 800, passages, ("x",), notes=("n " * 400,) * 9))
        assert_fits_discord(rendered.content, rendered.embeds)
        for embed in rendered.embeds:
            assert "Also in" in embed.description, count  # named, or at least counted
            assert embed.description.startswith("> **word0** word1")  # the quote comes first


def test_similar_articles_are_named_in_ingest_replies():
    similar = IngestOutcome("https://b", IngestResult("similar", article("Harbour *reopens*")))
    expected = "Looks like article #3 (“Harbour \\*reopens\\*”), already indexed."
    assert render_discord.similar_summary([similar]) == expected
    assert (
        render_discord.outcomes_text([similar]) == f"{render_discord.ALREADY} https://b: {expected}"
    )
    assert render_discord.ingest_summary([similar]) == expected
    added = IngestOutcome("https://a", IngestResult("added", article()))
    assert render_discord.similar_summary([added]) is None


def test_help_lists_every_operator_within_a_message():
    from index.search.query import OPERATOR_HELP

    text = render_discord.operators_help()
    for syntax, _meaning in OPERATOR_HELP:
        assert f"`{syntax}`" in text
    assert "exclude" in text and "order" in text
    assert_fits_discord(text)


# -- property tests ----------------------------------------------------------------------

_hostile_pieces = st.sampled_from(
    [
        "@everyone",
        "@here",
        "<@123>",
        "<@!45>",
        "<@&67>",
        "@",
        "<",
        ">",
        "!",
        "&",
        "1234",
        "[click](https://evil.example)",
        "**",
        "`",
        "||",
        "\\",
        "> ",
        "# ",
        "-# ",
        "\u202e",
        "\u2066",
        "\u200f",
        "\x1b[31m",
        "\x9b",
        "\x00",
        "\t",
        "\n",
        "\r",
        "\u2028",
        "\x85",
        " ",
        "word",
        "https://example.org/a-b",
    ]
)
hostile_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_hostile_pieces, st.text(max_size=8)), max_size=40).map("".join),
)
# Long passages from few draws: words and hostile pieces, joined by spaces.
long_hostile_text = st.lists(
    st.one_of(_hostile_pieces, st.sampled_from(["harbour", "reopened", "x" * 40, "1,000"])),
    min_size=1,
    max_size=400,
).map(" ".join)
hostile_urls = st.one_of(
    st.none(),
    st.sampled_from(["https://x.org/h", "javascript:alert(1)", "https://", "https://a b.org/"]),
    st.text(max_size=50).map(lambda tail: "https://example.org/" + tail),
)


@st.composite
def passages(draw: st.DrawFn) -> Passage:
    text = draw(st.one_of(hostile_text, long_hostile_text, st.text(min_size=1, max_size=300)))
    bounds = draw(st.lists(st.integers(0, len(text)), max_size=8))
    highlights = [
        (min(a, b), max(a, b)) for a, b in zip(bounds[::2], bounds[1::2], strict=False) if a != b
    ]
    info = dataclasses.replace(
        article(draw(hostile_text), draw(hostile_urls)),
        id=draw(st.integers(1, 10**12)),
        poster_name=draw(st.none() | hostile_text),
    )
    others = draw(st.lists(other_articles(), max_size=6))
    return passage(
        text,
        highlights,
        info=info,
        trimmed_start=draw(st.booleans()),
        trimmed_end=draw(st.booleans()),
        also_in=tuple(others),
        newer=draw(st.none() | other_articles()),
    )


@st.composite
def other_articles(draw: st.DrawFn) -> ArticleInfo:
    """Articles named under a quote ("also in", "as of"): any title, link and date."""
    return dataclasses.replace(
        article(draw(st.one_of(hostile_text, long_hostile_text)), draw(hostile_urls)),
        id=draw(st.integers(1, 10**12)),
        published=draw(st.none() | st.sampled_from(["2026-12-03T10:00:00Z", "not a date", ""])),
    )


@settings(max_examples=200, deadline=None)
@given(
    answer_passages=st.lists(passages(), min_size=1, max_size=11),
    question=st.one_of(hostile_text, st.text(max_size=1500)),
    first_number=st.integers(1, 1000),
    notes=st.lists(st.one_of(hostile_text, long_hostile_text), max_size=6),
    newest_first=st.booleans(),
)
def test_any_answer_fits_discord_and_pings_nobody(
    answer_passages: list[Passage],
    question: str,
    first_number: int,
    notes: list[str],
    newest_first: bool,
) -> None:
    answer = Answer(
        question, tuple(answer_passages), ("x",), notes=tuple(notes), newest_first=newest_first
    )
    rendered = render_answer(answer, first_number=first_number)
    assert rendered.embeds
    assert_fits_discord(rendered.content, rendered.embeds)


@st.composite
def outcomes(draw: st.DrawFn) -> IngestOutcome:
    source = draw(st.one_of(hostile_text, st.text(max_size=200)))
    if draw(st.booleans()):
        return IngestOutcome(source, error=draw(hostile_text))
    info = dataclasses.replace(article(draw(hostile_text), draw(hostile_urls)))
    status = draw(st.sampled_from(["added", "duplicate", "similar"]))
    return IngestOutcome(source, IngestResult(status, info))


@settings(max_examples=200, deadline=None)
@given(st.lists(outcomes(), max_size=8))
def test_ingest_replies_fit_a_message_and_ping_nobody(results: list[IngestOutcome]) -> None:
    for reply in (
        render_discord.outcomes_text(results),
        render_discord.ingest_summary(results),
        render_discord.similar_summary(results),
    ):
        if reply is not None:
            assert_fits_discord(reply)


@settings(max_examples=200, deadline=None)
@given(
    titles=st.lists(hostile_text, min_size=1, max_size=20),
    urls=hostile_urls,
    poster=st.none() | hostile_text,
)
def test_article_pages_fit_a_message_and_ping_nobody(
    titles: list[str], urls: str | None, poster: str | None
) -> None:
    infos = [dataclasses.replace(article(t, urls), poster_name=poster) for t in titles]
    page = render_discord.article_page(infos, 1, 1)
    assert_fits_discord(page)
    for info in infos:
        assert_safe_line(render_discord.article_line(info))
    assert page.count("\n") >= 1  # at least one article line above the page marker


# -- messages that carry what someone wrote ------------------------------------------------


def test_say_escapes_what_was_written_and_keeps_the_bots_own_words():
    text = render_discord.say(
        "**Removed** #{id}: {title}", id=3, title="<@&123> **x** ||y|| [a](https://evil.example)"
    )
    assert text.startswith("**Removed** #3: ")
    assert r"\*\*x\*\*" in text and r"\|\|y\|\|" in text and r"\[a\]\(" in text
    assert not WORKING_MENTION.search(text)


def test_say_cuts_the_longest_value_so_that_the_message_fits():
    link = "https://news.example.com/" + "slug-" * 500
    text = render_discord.say("Given up ({when}): {link}", when="today", link=link)
    assert len(text) <= render_discord.MESSAGE_LIMIT
    assert "(today)" in text and text.endswith("…")
    many = {f"v{i}": "w" * 400 for i in range(10)}
    template = " ".join(f"{{v{i}}}" for i in range(10))
    assert len(render_discord.say(template, **many)) <= render_discord.MESSAGE_LIMIT


def test_a_cut_never_leaves_a_backslash_to_escape_what_follows():
    escaped = render_discord.escape("a" * 9 + "*" * 20)
    for limit in range(5, 30):
        cut = render_discord.fit(escaped, limit)
        assert len(cut) <= limit
        body = cut.removesuffix("…")
        assert (len(body) - len(body.rstrip("\\"))) % 2 == 0, cut


def test_choice_names_are_plain_short_single_lines():
    name = render_discord.choice_name(12, "Title\nwith a\u202e break " + "x" * 200)
    assert name.startswith("#12 Title with a break") and len(name) <= 100
    assert_safe_line(name)


@settings(max_examples=200, deadline=None)
@given(
    template_words=st.text(max_size=300).map(lambda t: t.replace("{", "").replace("}", "")),
    values=st.lists(st.one_of(hostile_text, long_hostile_text), min_size=1, max_size=5),
)
def test_any_message_made_with_say_fits_and_pings_nobody(
    template_words: str, values: list[str]
) -> None:
    template = template_words + " ".join(f"{{v{i}}}" for i in range(len(values)))
    text = render_discord.say(template, **{f"v{i}": v for i, v in enumerate(values)})
    assert len(text) <= render_discord.MESSAGE_LIMIT
    written = text[len(template_words) :]
    assert_safe_text(written)


def test_stats_say_whether_the_index_is_in_memory_and_its_size():
    posted = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    held = render_discord.stats_message(GuildStats(3, 27, 480, posted, 2, 5 * 1024**2))
    assert "**Index:** in memory, 5.0 MiB, 480 distinct terms" in held.splitlines()
    assert "**Articles:** 3" in held and f"<t:{int(posted.timestamp())}:R>" in held
    cold = render_discord.stats_message(GuildStats(3, 27, None, None, 2))
    assert "**Index:** not in memory (loaded on the next question)" in cold.splitlines()
    assert "**Last ingest:** never" in cold and len(cold) <= render_discord.MESSAGE_LIMIT


def test_the_reindex_message_counts_articles_now_read_in_their_own_language():
    assert render_discord.reindex_message(12, 0) == "Re-indexed 12 paragraphs."
    assert render_discord.reindex_message(12, 3) == (
        "Re-indexed 12 paragraphs. 3 articles shared before languages were told apart are "
        "now read in their own languages."
    )
