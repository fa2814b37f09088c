from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render_discord
from bot.render_discord import render_answer
from index.models import Answer, ArticleInfo, IngestOutcome, IngestResult, Passage

# A mention Discord would turn into a ping: @everyone, @here, <@id>, <@!id>, <@&id>.
WORKING_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


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
    assert embed.footer.text == "shared by ann on 2025-11-24 · article #3"


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


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(min_size=1, max_size=3000), min_size=1, max_size=10),
    question=st.text(max_size=1500),
    title=st.text(min_size=1, max_size=400),
)
def test_any_answer_fits_discord_and_pings_nobody(texts, question, title):
    passages = tuple(passage(t, [(0, min(3, len(t)))], info=article(title)) for t in texts)
    rendered = render_answer(Answer(question, passages, ("x",)))
    assert len(rendered.content) <= render_discord.MESSAGE_LIMIT
    assert len(rendered.embeds) <= 10
    assert embed_chars(rendered.embeds) <= render_discord.EMBEDS_TOTAL_LIMIT
    for embed in rendered.embeds:
        assert len(embed.description) <= render_discord.EMBED_DESCRIPTION_LIMIT
        assert len(embed.title) <= render_discord.EMBED_TITLE_LIMIT
        assert not WORKING_MENTION.search(embed.description + embed.title)
    assert not WORKING_MENTION.search(rendered.content)
