from __future__ import annotations

from datetime import UTC, datetime

from bot import render_text
from index.models import Answer, ArticleInfo, GuildStats, IngestResult, Passage


def article(**changes) -> ArticleInfo:
    fields = dict(
        id=3,
        guild_id=1,
        title="Harbour reopens",
        source_url="https://x.org/harbour",
        canonical_url="https://x.org/harbour",
        fingerprint="f",
        note="nice",
        poster_id=None,
        poster_name="ann",
        message_url=None,
        posted_at=datetime(2025, 11, 24, tzinfo=UTC),
        paragraph_count=4,
    )
    fields.update(changes)
    return ArticleInfo(**fields)


def passage(**changes) -> Passage:
    fields = dict(
        article=article(),
        paragraph_id=9,
        position=0,
        text="The harbour reopened on Tuesday.",
        highlights=((4, 11),),
        score=3.14159,
    )
    fields.update(changes)
    return Passage(**fields)


def test_answer_quotes_with_title_link_poster_and_date():
    text = render_text.answer_text(Answer("q", (passage(),), ("harbour",)))
    assert text.splitlines() == [
        "[1] Harbour reopens",
        "    https://x.org/harbour",
        "    shared by ann on 2025-11-24 · article #3 · score 3.14",
        "    > The harbour reopened on Tuesday.",
    ]


def test_colour_marks_matched_words_and_trimming_shows_ellipses():
    text = render_text.answer_text(
        Answer("q", (passage(trimmed_start=True, trimmed_end=True),), ("harbour",)), color=True
    )
    assert f"> … The {render_text.BOLD}harbour{render_text.RESET} reopened on Tuesday. …" in text


def test_terminal_escape_sequences_in_article_text_are_not_printed():
    hostile = article(
        title="Harbour\x1b]0;owned\x07 reopens\u202e\nnext",
        poster_name="ann\x1b[2J",
        note="nice\x9b31m",
    )
    text = render_text.answer_text(
        Answer("q", (passage(article=hostile, text="The \x1b[5mharbour\x1b[0m."),), ("x",))
    )
    text += render_text.ingest_text(IngestResult("added", hostile))
    text += render_text.articles_text([hostile])
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
    assert "[1] Harbour]0;owned reopens next" in text
    assert "shared by ann[2J on" in text


def test_no_answer_and_no_words():
    assert render_text.answer_text(Answer("q", (), ("x",))) == render_text.NO_ANSWER
    assert "no words" in render_text.answer_text(Answer("the of", (), ()))


def test_article_without_link_or_poster():
    text = render_text.answer_text(
        Answer("q", (passage(article=article(source_url=None, poster_name=None)),), ("x",))
    )
    assert "http" not in text and "shared by someone" in text


def test_ingest_stats_and_lists():
    added = render_text.ingest_text(IngestResult("added", article()))
    assert added.startswith("Added article #3: Harbour reopens (4 paragraphs)")
    assert "note from the poster: nice" in added
    assert render_text.ingest_text(IngestResult("duplicate", article())).startswith(
        "Already indexed as article #3"
    )
    assert render_text.articles_text([]) == "No articles are indexed yet."
    assert "#3" in render_text.articles_text([article()])
    stats = render_text.stats_text(GuildStats(1, 4, 20, None, 2))
    assert "articles: 1" in stats and "last ingest: never" in stats
