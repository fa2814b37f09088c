"""The store contract: what every store does the same, run on each of them.

Every test here goes through the ``store`` fixture (a SQLite file and a PostgreSQL
database) and only through the ``Store`` interface: no SQL, no private attributes. What
only one store has (SQLite's file checks, backups to a file, WAL) is tested beside it.

Ids are Discord-sized (past 2**60) wherever Discord gives them, so a store that keeps them
in a column too small fails here, not in production.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from index.ingest.paste import fingerprint
from index.models import ArticleDraft, ArticleInfo, Provenance, StoredParagraph
from index.store import (
    DuplicateArticle,
    Store,
    StoreDamaged,
    StoreError,
    open_store,
    parse_location,
)
from index.store.columns import ARTICLES, AUDIT, DATA_TABLES, PARAGRAPHS, PENDING, Columns
from tests.conftest import STORE_KINDS

GUILD = 1_180_000_000_000_000_001
OTHER_GUILD = 1_180_000_000_000_000_002
SMALL_GUILD = 4
POSTER = 990_000_000_000_000_005
CHANNEL = 1_200_000_000_000_000_007
WHEN = datetime(2025, 11, 24, 12, 0, 5, tzinfo=UTC)
SETTING_KEYS = ("config.results", "seeded")
COUNTER_KEYS = ("questions_answered", "articles_added")


def draft(title: str, *paragraphs: str, url: str | None = None, **fields: Any) -> ArticleDraft:
    return ArticleDraft(
        title=title,
        paragraphs=paragraphs,
        fingerprint=fingerprint(paragraphs),
        source_url=url,
        canonical_url=url,
        **fields,
    )


def shared_by(message_id: int | None = None, **fields: Any) -> Provenance:
    return Provenance(
        poster_id=POSTER,
        poster_name="ann",
        channel_id=CHANNEL,
        message_id=message_id,
        message_url=f"https://discord.com/channels/1/2/{message_id}" if message_id else None,
        posted_at=WHEN,
        **fields,
    )


def now_to_the_second() -> datetime:
    """Now, as a store that keeps whole seconds may write it."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Filled:
    """The ids a guild got from ``fill``."""

    articles: list[ArticleInfo]
    paragraphs: list[StoredParagraph]
    message_ids: list[int]
    question_ids: list[int]
    pending_ids: list[int]


async def fill(store: Store, guild_id: int, tag: int) -> Filled:
    """One or more rows of every kind for ``guild_id``; ``tag`` keeps the texts and the
    caller-chosen ids of different guilds apart."""
    message_ids = [1_300_000_000_000_000_000 + tag * 10 + n for n in range(3)]
    articles, paragraphs = [], []
    for number, message_id in enumerate(message_ids):
        info, stored = await store.add_article(
            guild_id,
            draft(
                f"Story {number} of {tag}: Ünïcode — ✓",
                f"First paragraph {number} of {tag}.",
                f"Second paragraph {number} of {tag}, with “quotes” and émojis 🎉.",
                url=f"https://news.example/{tag}/{number}",
                note=f"note {number}",
                site_name="Example News",
                author="Reporter",
                published="2025-11-24",
            ),
            shared_by(message_id),
        )
        articles.append(info)
        paragraphs.extend(stored)
    for key in SETTING_KEYS:
        await store.set_setting(guild_id, key, f"{key} of {tag}")
    await store.increment_counter(guild_id, COUNTER_KEYS[0], 3 + tag)
    await store.add_audit(guild_id, POSTER, "mod", "purge", f"detail {tag}")
    await store.add_audit(guild_id, None, None, "seed", "")
    question_ids = [1_400_000_000_000_000_000 + tag * 10 + n for n in range(2)]
    await store.add_question(guild_id, question_ids[0], POSTER, f"what happened {tag}?", None)
    await store.add_question(guild_id, question_ids[1], None, "and then?", articles[0].id)
    pending_ids = [
        await store.add_pending_ingest(guild_id, CHANNEL, message_ids[0], ""),
        await store.add_pending_ingest(guild_id, None, None, f"https://news.example/{tag}/x"),
    ]
    return Filled(articles, paragraphs, message_ids, question_ids, pending_ids)


async def everything_of(store: Store, guild_id: int, filled: Filled) -> dict[str, object]:
    """All that the interface shows of one guild, to compare before and after."""
    articles = await store.list_articles(guild_id, limit=1000)
    article_ids = [a.id for a in articles]
    return {
        "articles": articles,
        "by id": await store.articles_by_id(guild_id, article_ids),
        "whole articles": [await store.article_paragraphs(guild_id, i) for i in article_ids],
        "paragraphs": await store.paragraphs(guild_id, [p.id for p in filled.paragraphs]),
        "iterated": [row async for row in store.iter_paragraphs(guild_id)],
        "signature": await store.paragraph_signature(guild_id),
        "counts": await store.counts(guild_id),
        "settings": [await store.get_setting(guild_id, key) for key in SETTING_KEYS],
        "counters": [await store.get_counter(guild_id, key) for key in COUNTER_KEYS],
        "audit": await store.audit_entries(guild_id, limit=1000),
        "questions": [await store.get_question(guild_id, i) for i in filled.question_ids],
        "pending": await store.pending_ingests([guild_id]),
        "messages": [await store.find_by_message(guild_id, m) for m in filled.message_ids],
        "titles": await store.search_titles(guild_id, "Story"),
    }


async def all_rows(store: Store, columns: Columns) -> list[tuple[object, ...]]:
    return [row async for batch in store.copy_rows(columns) for row in batch]


# -- articles ---------------------------------------------------------------------------


async def test_an_article_comes_back_as_it_was_stored(store):
    before = now_to_the_second()
    info, paragraphs = await store.add_article(
        GUILD,
        draft(
            "Title — Ünïcode",
            "First.",
            "Second, 🎉.",
            url="https://x.com/a",
            note="a note",
            site_name="X",
            author="Writer",
            published="2025-11-24",
        ),
        shared_by(1_300_000_000_000_000_001),
    )
    assert (info.guild_id, info.title, info.paragraph_count) == (GUILD, "Title — Ünïcode", 2)
    assert (info.source_url, info.canonical_url) == ("https://x.com/a", "https://x.com/a")
    assert (info.note, info.site_name, info.author, info.published) == (
        "a note",
        "X",
        "Writer",
        "2025-11-24",
    )
    assert (info.poster_id, info.poster_name, info.posted_at) == (POSTER, "ann", WHEN)
    assert info.message_url == "https://discord.com/channels/1/2/1300000000000000001"
    assert [(p.article_id, p.position, p.text) for p in paragraphs] == [
        (info.id, 0, "First."),
        (info.id, 1, "Second, 🎉."),
    ]
    assert await store.get_article(GUILD, info.id) == info
    assert await store.article_paragraphs(GUILD, info.id) == paragraphs
    articles, paragraph_count, last_ingest = await store.counts(GUILD)
    assert (articles, paragraph_count) == (1, 2)
    assert last_ingest is not None and before <= last_ingest <= datetime.now(UTC)


async def test_an_article_without_optional_fields_is_stored(store):
    info, _ = await store.add_article(GUILD, draft("Bare", "Only text."), Provenance())
    assert await store.get_article(GUILD, info.id) == info
    assert (info.source_url, info.poster_id, info.message_url, info.note) == (None,) * 4
    assert info.posted_at.tzinfo is not None


async def test_remove_article_returns_what_was_removed(store):
    info, paragraphs = await store.add_article(GUILD, draft("Gone", "a.", "b."), Provenance())
    kept, _ = await store.add_article(GUILD, draft("Kept", "c."), Provenance())
    assert await store.remove_article(GUILD, info.id) == (info, paragraphs)
    assert await store.get_article(GUILD, info.id) is None
    assert await store.paragraphs(GUILD, [p.id for p in paragraphs]) == {}
    assert await store.article_paragraphs(GUILD, info.id) == []
    assert await store.remove_article(GUILD, info.id) is None
    assert await store.list_articles(GUILD) == [kept]
    assert (await store.counts(GUILD))[:2] == (1, 1)


async def test_articles_stored_without_a_language_are_given_theirs_once(store):
    old, _ = await store.add_article(GUILD, draft("Alt", "Ein alter Artikel."), Provenance())
    other, _ = await store.add_article(GUILD, draft("Old", "Another one."), Provenance())
    known, _ = await store.add_article(
        GUILD, draft("Neu", "Ein neuer Artikel.", language="de"), Provenance()
    )
    elsewhere, _ = await store.add_article(OTHER_GUILD, draft("Alt", "Alter."), Provenance())
    assert await store.article_languages(GUILD) == {old.id: None, other.id: None, known.id: "de"}
    start = await store.latest_change()

    asked = {old.id: "de", known.id: "fr", elsewhere.id: "de"}
    assert await store.settle_article_languages(GUILD, asked) == 1
    assert await store.article_languages(GUILD) == {old.id: "de", other.id: None, known.id: "de"}
    assert (await store.get_article(GUILD, old.id)).language == "de"
    assert await store.article_languages(OTHER_GUILD) == {elsewhere.id: None}
    changes = (await store.changes_since(start)).changes
    assert [(c.guild_id, c.kind) for c in changes] == [(GUILD, "replaced")]
    assert await store.integrity_problems() == []

    again = await store.latest_change()
    assert await store.settle_article_languages(GUILD, {old.id: "es"}) == 0
    assert await store.settle_article_languages(GUILD, {}) == 0
    assert (await store.changes_since(again)).changes == []
    assert (await store.get_article(GUILD, old.id)).language == "de"


async def test_list_articles_pages_newest_first(store):
    added = [
        (await store.add_article(GUILD, draft(f"A{n}", f"Text {n}."), Provenance()))[0]
        for n in range(5)
    ]
    newest_first = list(reversed(added))
    assert await store.list_articles(GUILD) == newest_first
    assert await store.list_articles(GUILD, limit=2) == newest_first[:2]
    assert await store.list_articles(GUILD, offset=2, limit=2) == newest_first[2:4]
    assert await store.list_articles(GUILD, offset=4, limit=2) == newest_first[4:]
    assert await store.list_articles(GUILD, offset=10) == []


async def test_paragraphs_and_articles_by_id_return_only_what_was_asked(store):
    first, first_paragraphs = await store.add_article(GUILD, draft("One", "a.", "b."), Provenance())
    second, second_paragraphs = await store.add_article(GUILD, draft("Two", "c."), Provenance())
    wanted = [first_paragraphs[1], second_paragraphs[0]]
    asked = [p.id for p in wanted] + [wanted[0].id, 987_654_321]  # a repeat, an unknown id
    assert await store.paragraphs(GUILD, asked) == {p.id: p for p in wanted}
    assert await store.paragraphs(GUILD, []) == {}
    assert await store.articles_by_id(GUILD, [second.id, second.id, 987_654_321]) == {
        second.id: second
    }
    assert await store.articles_by_id(GUILD, [first.id, second.id]) == {
        first.id: first,
        second.id: second,
    }
    assert await store.articles_by_id(GUILD, []) == {}
    assert await store.article_paragraphs(GUILD, first.id) == first_paragraphs
    assert await store.article_paragraphs(GUILD, 987_654_321) == []


async def test_paragraphs_come_by_article_and_position_with_their_titles(store):
    first, _ = await store.add_article(GUILD, draft("One", "a.", "b.", "c."), Provenance())
    second, _ = await store.add_article(GUILD, draft("Two", "d."), Provenance())
    third, _ = await store.add_article(GUILD, draft("Three", "e.", "f."), Provenance())
    await store.remove_article(GUILD, second.id)
    rows = [
        (p.article_id, p.position, p.text, title) async for p, title in store.iter_paragraphs(GUILD)
    ]
    assert rows == [
        (first.id, 0, "a.", "One"),
        (first.id, 1, "b.", "One"),
        (first.id, 2, "c.", "One"),
        (third.id, 0, "e.", "Three"),
        (third.id, 1, "f.", "Three"),
    ]
    assert [row async for row in store.iter_paragraphs(OTHER_GUILD)] == []


async def test_the_paragraph_signature_follows_every_add_and_remove(store):
    assert await store.paragraph_signature(GUILD) == (0, 0, 0)
    first, first_paragraphs = await store.add_article(GUILD, draft("A", "x.", "y."), Provenance())
    _, second_paragraphs = await store.add_article(GUILD, draft("B", "z."), Provenance())

    def signature_of(paragraphs: list[StoredParagraph]) -> tuple[int, int, int]:
        ids = [p.id for p in paragraphs]
        return len(ids), max(ids, default=0), sum(ids)

    both = await store.paragraph_signature(GUILD)
    assert both == signature_of(first_paragraphs + second_paragraphs)
    await store.remove_article(GUILD, first.id)
    assert await store.paragraph_signature(GUILD) == signature_of(second_paragraphs)
    _, third_paragraphs = await store.add_article(GUILD, draft("C", "w.", "v."), Provenance())
    after = await store.paragraph_signature(GUILD)
    assert after == signature_of(second_paragraphs + third_paragraphs)
    assert len({both, after}) == 2
    iterated = [p async for p, _ in store.iter_paragraphs(GUILD)]
    assert after == signature_of(iterated)


async def test_ids_are_never_reused(store):
    first, paragraphs = await store.add_article(GUILD, draft("A", "x.", "y."), Provenance())
    await store.remove_article(GUILD, first.id)
    second, again = await store.add_article(GUILD, draft("B", "z."), Provenance())
    assert second.id > first.id and again[0].id > paragraphs[-1].id
    assert (await store.get_article(GUILD, second.id)).title == "B"
    pending = await store.add_pending_ingest(GUILD, None, None, "a")
    await store.remove_pending_ingest(GUILD, pending)
    assert await store.add_pending_ingest(GUILD, None, None, "b") > pending


async def test_find_by_message_finds_the_article_a_message_shared(store):
    message = 1_300_000_000_000_000_042
    info, _ = await store.add_article(GUILD, draft("Shared", "Text."), shared_by(message))
    await store.add_article(GUILD, draft("Other", "Other text."), shared_by(message + 1))
    assert await store.find_by_message(GUILD, message) == info
    assert await store.find_by_message(GUILD, message + 2) is None
    assert await store.find_by_message(OTHER_GUILD, message) is None


async def test_a_message_that_shared_several_articles_finds_the_first(store):
    message = 1_300_000_000_000_000_042
    first, _ = await store.add_article(GUILD, draft("First link", "One."), shared_by(message))
    await store.add_article(GUILD, draft("Second link", "Two."), shared_by(message))
    assert await store.find_by_message(GUILD, message) == first


async def test_search_titles_finds_parts_of_titles_literally_newest_first(store):
    sure, _ = await store.add_article(GUILD, draft("100% sure_thing", "One."), Provenance())
    other, _ = await store.add_article(GUILD, draft("1000 surething", "Two."), Provenance())
    slash, _ = await store.add_article(GUILD, draft(r"a\b Ünïcode", "Three."), Provenance())
    assert await store.search_titles(GUILD, "100%") == [sure]
    assert await store.search_titles(GUILD, "e_t") == [sure]
    assert await store.search_titles(GUILD, "SURE") == [other, sure]
    assert await store.search_titles(GUILD, "sure", limit=1) == [other]
    assert await store.search_titles(GUILD, "a\\b") == [slash]
    assert await store.search_titles(GUILD, "nïc") == [slash]
    assert await store.search_titles(GUILD, "nothing like it") == []
    assert await store.search_titles(GUILD, "") == [slash, other, sure]


async def test_a_long_article_is_stored_whole_and_read_back_in_order(store):
    """More paragraphs than a store reads in one batch."""
    texts = [f"Paragraph number {n}." for n in range(6001)]
    info, paragraphs = await store.add_article(GUILD, draft("Long", *texts), Provenance())
    assert info.paragraph_count == len(texts)
    assert [p.text async for p, _ in store.iter_paragraphs(GUILD)] == texts
    assert await store.article_paragraphs(GUILD, info.id) == paragraphs
    copied = await all_rows(store, PARAGRAPHS)
    assert [row[0] for row in copied] == [p.id for p in paragraphs]
    assert (await store.remove_article(GUILD, info.id))[1] == paragraphs
    assert await store.paragraph_signature(GUILD) == (0, 0, 0)


@pytest.mark.parametrize(
    "text", ["nul \x00 inside", "lone surrogate \ud800 inside"], ids=["nul", "lone-surrogate"]
)
async def test_text_a_store_cannot_keep_is_refused_in_words_and_nothing_is_saved(store, text):
    """Either a text comes back as it was given, or it is refused with a ``StoreError``
    (never a driver's own error) and nothing of that write is kept."""
    writes = {
        "article": lambda: store.add_article(GUILD, draft(text, "Fine.", text), Provenance()),
        "question": lambda: store.add_question(GUILD, 1, None, text, None),
        "setting": lambda: store.set_setting(GUILD, "seeded", text),
        "audit": lambda: store.add_audit(GUILD, None, text, "remove", text),
        "pending": lambda: store.add_pending_ingest(GUILD, None, None, text),
    }
    for what, write in writes.items():
        try:
            await write()
        except StoreError:
            continue
        except Exception as error:
            pytest.fail(f"storing {what} raised {type(error).__name__}: {error}")
    stored = await store.list_articles(GUILD)
    assert [a.title for a in stored] in ([], [text])
    if stored:
        paragraphs = await store.article_paragraphs(GUILD, stored[0].id)
        assert [p.text for p in paragraphs] == ["Fine.", text]
    else:
        assert await store.paragraph_signature(GUILD) == (0, 0, 0)
    assert await store.get_question(GUILD, 1) in (None, (None, text, None))
    assert await store.get_setting(GUILD, "seeded") in (None, text)
    audit = [(e.user_name, e.detail) for e in await store.audit_entries(GUILD)]
    assert audit in ([], [(text, text)])
    assert [p.content for p in await store.pending_ingests([GUILD])] in ([], [text])
    assert await store.integrity_problems() == []


async def test_search_titles_ignores_the_case_of_letters_beyond_ascii(store):
    """Members type "über" for "Über die Grenze" in autocomplete."""
    german, _ = await store.add_article(GUILD, draft("Über die Grenze", "One."), Provenance())
    greek, _ = await store.add_article(GUILD, draft("Ελλάδα σήμερα", "Two."), Provenance())
    assert await store.search_titles(GUILD, "über") == [german]
    assert await store.search_titles(GUILD, "ΕΛΛΆΔΑ") == [greek]


# -- one transaction per ingest, duplicates ---------------------------------------------


async def test_a_failed_ingest_leaves_nothing_half_written(store):
    kept, _ = await store.add_article(GUILD, draft("Kept", "Kept words."), Provenance())
    before = (
        await store.list_articles(GUILD),
        await store.paragraph_signature(GUILD),
        await store.counts(GUILD),
    )
    texts = [f"Paragraph {n}." for n in range(30)]
    bad = ArticleDraft(title="T", paragraphs=(*texts, object()), fingerprint="f")  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - what matters is that nothing stays written
        await store.add_article(GUILD, bad, shared_by(1_300_000_000_000_000_077))
    assert (
        await store.list_articles(GUILD),
        await store.paragraph_signature(GUILD),
        await store.counts(GUILD),
    ) == before
    assert await store.find_by_message(GUILD, 1_300_000_000_000_000_077) is None
    assert await store.find_duplicate(GUILD, None, "f") is None
    assert [p.article_id async for p, _ in store.iter_paragraphs(GUILD)] == [kept.id]
    # The store goes on working, and the same article can be stored once it is sound.
    info, paragraphs = await store.add_article(GUILD, draft("T", *texts), Provenance())
    assert len(paragraphs) == 30 and (await store.counts(GUILD))[:2] == (2, 31)
    assert await store.integrity_problems() == []
    assert info.id > kept.id


async def test_a_duplicate_by_text_is_refused_and_nothing_is_written(store):
    first, _ = await store.add_article(GUILD, draft("A", "Same words here."), Provenance())
    signature = await store.paragraph_signature(GUILD)
    with pytest.raises(DuplicateArticle) as same_text:
        await store.add_article(
            GUILD, draft("B", "same  words, here!", url="https://x.com/b"), shared_by(5)
        )
    assert same_text.value.existing == first
    assert await store.list_articles(GUILD) == [first]
    assert await store.paragraph_signature(GUILD) == signature
    assert await store.find_by_message(GUILD, 5) is None
    assert await store.find_duplicate(GUILD, None, first.fingerprint) == first


async def test_a_duplicate_by_canonical_url_is_refused_and_nothing_is_written(store):
    first, _ = await store.add_article(
        GUILD, draft("C", "Words.", url="https://x.com/c"), Provenance()
    )
    signature = await store.paragraph_signature(GUILD)
    with pytest.raises(DuplicateArticle) as same_url:
        await store.add_article(
            GUILD, draft("D", "New words.", url="https://x.com/c"), Provenance()
        )
    assert same_url.value.existing == first
    assert await store.list_articles(GUILD) == [first]
    assert await store.paragraph_signature(GUILD) == signature
    assert await store.find_duplicate(GUILD, "https://x.com/c", "no such fingerprint") == first
    assert await store.find_duplicate(GUILD, "https://x.com/other", "nor this") is None


async def test_a_draft_matching_two_articles_is_a_duplicate_of_the_older(store):
    older, _ = await store.add_article(
        GUILD, draft("A", "Old.", url="https://x.com/a"), Provenance()
    )
    await store.add_article(GUILD, draft("B", "New.", url="https://x.com/b"), Provenance())
    for url, text in (("https://x.com/b", "Old."), ("https://x.com/a", "New.")):
        with pytest.raises(DuplicateArticle) as refused:
            await store.add_article(GUILD, draft("C", text, url=url), Provenance())
        assert refused.value.existing == older


async def test_articles_without_a_url_are_not_duplicates_of_each_other(store):
    first, _ = await store.add_article(GUILD, draft("A", "One text."), Provenance())
    second, _ = await store.add_article(GUILD, draft("B", "Another text."), Provenance())
    assert await store.list_articles(GUILD) == [second, first]
    assert await store.find_duplicate(GUILD, None, "no such fingerprint") is None


async def test_duplicates_are_per_guild(store):
    mine, _ = await store.add_article(
        GUILD, draft("Mine", "Text.", url="https://x.com/m"), Provenance()
    )
    theirs, _ = await store.add_article(
        OTHER_GUILD, draft("Mine", "Text.", url="https://x.com/m"), Provenance()
    )
    assert theirs.id != mine.id and theirs.guild_id == OTHER_GUILD
    assert await store.find_duplicate(OTHER_GUILD, "https://x.com/m", None) == theirs


async def test_the_same_article_added_at_once_is_stored_once(store):
    article = draft("Raced", "Words sent twice at once.", url="https://x.com/raced")
    results = await asyncio.gather(
        *(store.add_article(GUILD, article, Provenance()) for _ in range(6)),
        return_exceptions=True,
    )
    stored = [result[0] for result in results if isinstance(result, tuple)]
    refused = [result for result in results if isinstance(result, DuplicateArticle)]
    assert len(stored) == 1 and len(refused) == 5, results
    assert all(duplicate.existing == stored[0] for duplicate in refused)
    assert (await store.counts(GUILD))[:2] == (1, 1)


async def test_ingests_of_many_guilds_at_once_are_all_stored(store):
    guilds = [GUILD + n for n in range(8)]
    results = await asyncio.gather(
        *(
            store.add_article(g, draft(f"G{g}", f"Text of {g}.", "More."), Provenance())
            for g in guilds
        )
    )
    assert len({info.id for info, _ in results}) == len(guilds)
    for guild_id, (info, paragraphs) in zip(guilds, results, strict=True):
        assert await store.list_articles(guild_id) == [info]
        assert [p async for p, _ in store.iter_paragraphs(guild_id)] == paragraphs


# -- guild isolation --------------------------------------------------------------------


async def test_no_read_of_one_guild_returns_another_guilds_rows(store):
    mine = await fill(store, GUILD, 1)
    assert await store.list_articles(OTHER_GUILD) == []
    for info in mine.articles:
        assert await store.get_article(OTHER_GUILD, info.id) is None
        assert await store.article_paragraphs(OTHER_GUILD, info.id) == []
    assert await store.articles_by_id(OTHER_GUILD, [a.id for a in mine.articles]) == {}
    assert await store.paragraphs(OTHER_GUILD, [p.id for p in mine.paragraphs]) == {}
    assert [row async for row in store.iter_paragraphs(OTHER_GUILD)] == []
    assert await store.paragraph_signature(OTHER_GUILD) == (0, 0, 0)
    assert await store.counts(OTHER_GUILD) == (0, 0, None)
    assert await store.search_titles(OTHER_GUILD, "Story") == []
    assert (
        await store.find_duplicate(
            OTHER_GUILD, mine.articles[0].canonical_url, mine.articles[0].fingerprint
        )
        is None
    )
    for message_id in mine.message_ids:
        assert await store.find_by_message(OTHER_GUILD, message_id) is None
    for question_id in mine.question_ids:
        assert await store.get_question(OTHER_GUILD, question_id) is None
    for key in SETTING_KEYS:
        assert await store.get_setting(OTHER_GUILD, key) is None
    assert await store.get_counter(OTHER_GUILD, COUNTER_KEYS[0]) == 0
    assert await store.audit_entries(OTHER_GUILD) == []
    assert await store.pending_ingests([OTHER_GUILD]) == []


async def test_no_write_to_one_guild_changes_another_guilds_rows(store):
    mine = await fill(store, GUILD, 1)
    theirs = await fill(store, OTHER_GUILD, 2)
    before = await everything_of(store, GUILD, mine)

    for info in mine.articles:
        assert await store.remove_article(OTHER_GUILD, info.id) is None
    for pending_id in mine.pending_ids:
        await store.retry_pending_ingest(OTHER_GUILD, pending_id)
        await store.remove_pending_ingest(OTHER_GUILD, pending_id)
    for key in SETTING_KEYS:
        await store.set_setting(OTHER_GUILD, key, "changed")
    await store.set_setting(OTHER_GUILD, SETTING_KEYS[0], None)
    for key in COUNTER_KEYS:
        await store.increment_counter(OTHER_GUILD, key, 100)
    await store.add_audit(OTHER_GUILD, 1, "other", "remove", "1")
    await store.add_question(OTHER_GUILD, 1_500_000_000_000_000_001, 1, "theirs?", None)
    await store.add_pending_ingest(OTHER_GUILD, CHANNEL, mine.message_ids[0], "")
    await store.add_article(
        OTHER_GUILD,
        draft(
            "Story 0 of 1: Ünïcode — ✓", "First paragraph 0 of 1.", url="https://news.example/1/0"
        ),
        shared_by(mine.message_ids[0]),
    )
    for info in theirs.articles:
        await store.remove_article(OTHER_GUILD, info.id)
    assert await everything_of(store, GUILD, mine) == before

    assert await store.purge_guild(OTHER_GUILD) == 1
    assert await everything_of(store, GUILD, mine) == before


# -- settings, counters, questions, audit -----------------------------------------------


async def test_settings_are_set_overwritten_and_cleared(store):
    assert await store.get_setting(GUILD, "results") is None
    await store.set_setting(GUILD, "results", "5")
    await store.set_setting(GUILD, "results", "4")
    await store.set_setting(GUILD, "channel", "")
    await store.set_setting(OTHER_GUILD, "results", "9")
    assert await store.get_setting(GUILD, "results") == "4"
    assert await store.get_setting(GUILD, "channel") == ""
    await store.set_setting(GUILD, "results", None)
    await store.set_setting(GUILD, "never set", None)
    assert await store.get_setting(GUILD, "results") is None
    assert await store.get_setting(GUILD, "never set") is None
    assert await store.get_setting(GUILD, "channel") == ""
    assert await store.get_setting(OTHER_GUILD, "results") == "9"


async def test_counters_start_at_zero_and_add_up(store):
    assert await store.get_counter(GUILD, "questions_answered") == 0
    await store.increment_counter(GUILD, "questions_answered")
    await store.increment_counter(GUILD, "questions_answered", 41)
    await store.increment_counter(GUILD, "articles_added", 2)
    await store.increment_counter(OTHER_GUILD, "questions_answered", 7)
    assert await store.get_counter(GUILD, "questions_answered") == 42
    assert await store.get_counter(GUILD, "articles_added") == 2
    assert await store.get_counter(OTHER_GUILD, "questions_answered") == 7


async def test_counters_incremented_at_once_lose_no_increment(store):
    await asyncio.gather(*(store.increment_counter(GUILD, "questions_answered") for _ in range(20)))
    assert await store.get_counter(GUILD, "questions_answered") == 20


async def test_questions_are_kept_under_the_callers_id_for_their_guild_only(store):
    info, _ = await store.add_article(GUILD, draft("About", "Text."), Provenance())
    first, second = 1_400_000_000_000_000_001, 1_400_000_000_000_000_002
    await store.add_question(GUILD, first, POSTER, "what happened — and why?", info.id)
    await store.add_question(GUILD, second, None, "who?", None)
    assert await store.get_question(GUILD, first) == (POSTER, "what happened — and why?", info.id)
    assert await store.get_question(GUILD, second) == (None, "who?", None)
    assert await store.get_question(OTHER_GUILD, first) is None
    assert await store.get_question(GUILD, 1_400_000_000_000_000_003) is None


async def test_the_audit_log_lists_newest_first_per_guild(store):
    before = now_to_the_second()
    await store.add_audit(GUILD, POSTER, "mod", "remove", "article 1")
    await store.add_audit(GUILD, None, None, "purge", "")
    await store.add_audit(OTHER_GUILD, 1, "other", "remove", "article 9")
    entries = await store.audit_entries(GUILD)
    assert [(e.user_id, e.user_name, e.action, e.detail) for e in entries] == [
        (None, None, "purge", ""),
        (POSTER, "mod", "remove", "article 1"),
    ]
    assert all(before <= e.created_at <= datetime.now(UTC) for e in entries)
    assert [e.action for e in await store.audit_entries(GUILD, limit=1)] == ["purge"]
    assert [e.detail for e in await store.audit_entries(OTHER_GUILD)] == ["article 9"]


# -- pending work -----------------------------------------------------------------------


async def test_pending_work_is_written_before_it_starts_and_listed_oldest_first(store):
    before = now_to_the_second()
    first = await store.add_pending_ingest(GUILD, CHANNEL, 1_300_000_000_000_000_001, "")
    other = await store.add_pending_ingest(OTHER_GUILD, None, None, "https://example.org/a")
    second = await store.add_pending_ingest(GUILD, None, None, "pasted text")
    assert first < other < second
    pending = await store.pending_ingests([GUILD])
    assert [
        (p.id, p.guild_id, p.channel_id, p.message_id, p.content, p.attempts) for p in pending
    ] == [
        (first, GUILD, CHANNEL, 1_300_000_000_000_000_001, "", 1),
        (second, GUILD, None, None, "pasted text", 1),
    ]
    assert all(before <= p.accepted_at <= datetime.now(UTC) for p in pending)
    assert [p.id for p in await store.pending_ingests([OTHER_GUILD, GUILD])] == [
        first,
        other,
        second,
    ]
    assert await store.pending_ingests([]) == []
    assert await store.pending_ingests([SMALL_GUILD]) == []


async def test_pending_work_is_retried_and_removed_in_its_own_guild_only(store):
    first = await store.add_pending_ingest(GUILD, 11, 111, "")
    theirs = await store.add_pending_ingest(OTHER_GUILD, 21, 211, "https://example.org/a")
    await store.retry_pending_ingest(GUILD, first)
    await store.retry_pending_ingest(GUILD, first)
    await store.retry_pending_ingest(OTHER_GUILD, first)  # another guild's id: not touched
    await store.retry_pending_ingest(GUILD, 987_654_321)  # none such: nothing happens
    assert [(p.id, p.attempts) for p in await store.pending_ingests([GUILD, OTHER_GUILD])] == [
        (first, 3),
        (theirs, 1),
    ]
    await store.remove_pending_ingest(OTHER_GUILD, first)  # wrong guild: nothing happens
    assert len(await store.pending_ingests([GUILD, OTHER_GUILD])) == 2
    await store.remove_pending_ingest(GUILD, first)
    await store.remove_pending_ingest(GUILD, first)  # twice: still nothing wrong
    assert [p.id for p in await store.pending_ingests([GUILD, OTHER_GUILD])] == [theirs]


# -- whole guilds, whole stores ---------------------------------------------------------


async def test_guild_summaries_count_each_guild_with_articles_by_guild_id(store):
    assert await store.guild_summaries() == []
    await store.add_article(GUILD, draft("A", "x.", "y."), Provenance())
    await store.add_article(SMALL_GUILD, draft("B", "z."), Provenance())
    await store.add_article(GUILD, draft("C", "w."), Provenance())
    await store.set_setting(OTHER_GUILD, "seeded", "1")  # settings alone are not articles
    await store.add_pending_ingest(OTHER_GUILD, None, None, "")
    summaries = await store.guild_summaries()
    assert [(s.guild_id, s.articles, s.paragraphs) for s in summaries] == [
        (SMALL_GUILD, 1, 1),
        (GUILD, 2, 3),
    ]
    assert all(s.last_ingest is not None and s.last_ingest.tzinfo for s in summaries)
    assert await store.counts(GUILD) == (2, 3, summaries[1].last_ingest)


async def test_purge_guild_deletes_the_guilds_data_and_keeps_its_audit_log(store):
    mine = await fill(store, GUILD, 1)
    theirs = await fill(store, OTHER_GUILD, 2)
    kept = await everything_of(store, OTHER_GUILD, theirs)
    audit = await store.audit_entries(GUILD)
    await store.remove_article(GUILD, mine.articles[0].id)

    assert await store.purge_guild(GUILD) == 2
    assert await store.list_articles(GUILD) == []
    assert [row async for row in store.iter_paragraphs(GUILD)] == []
    assert await store.paragraphs(GUILD, [p.id for p in mine.paragraphs]) == {}
    assert await store.counts(GUILD) == (0, 0, None)
    assert await store.paragraph_signature(GUILD) == (0, 0, 0)
    assert [await store.get_setting(GUILD, key) for key in SETTING_KEYS] == [None, None]
    assert await store.get_counter(GUILD, COUNTER_KEYS[0]) == 0
    assert [await store.get_question(GUILD, i) for i in mine.question_ids] == [None, None]
    assert await store.pending_ingests([GUILD]) == []
    assert await store.audit_entries(GUILD) == audit  # who purged, and what came before
    assert [s.guild_id for s in await store.guild_summaries()] == [OTHER_GUILD]
    assert await everything_of(store, OTHER_GUILD, theirs) == kept
    assert await store.purge_guild(GUILD) == 0


async def test_a_sound_store_reports_no_problems(store):
    assert await store.integrity_problems() == []
    filled = await fill(store, GUILD, 1)
    await fill(store, OTHER_GUILD, 2)
    await store.remove_article(GUILD, filled.articles[1].id)
    assert await store.integrity_problems() == []


async def test_a_new_store_is_empty(store):
    assert await store.is_empty()


@pytest.mark.parametrize(
    "first_row",
    ["article", "setting", "counter", "audit", "question", "pending"],
)
async def test_any_row_of_any_guild_makes_a_store_not_empty(store, first_row):
    writes = {
        "article": lambda: store.add_article(GUILD, draft("A", "x."), Provenance()),
        "setting": lambda: store.set_setting(GUILD, "seeded", "1"),
        "counter": lambda: store.increment_counter(GUILD, "questions_answered"),
        "audit": lambda: store.add_audit(GUILD, None, None, "purge", "0"),
        "question": lambda: store.add_question(GUILD, 1, None, "why?", None),
        "pending": lambda: store.add_pending_ingest(GUILD, None, None, ""),
    }
    await writes[first_row]()
    assert not await store.is_empty()


async def test_a_store_that_had_its_only_rows_removed_is_empty_again(store):
    info, _ = await store.add_article(GUILD, draft("A", "x."), Provenance())
    await store.set_setting(GUILD, "seeded", "1")
    await store.remove_article(GUILD, info.id)
    await store.set_setting(GUILD, "seeded", None)
    assert await store.is_empty()


async def test_the_location_is_the_database_without_a_password(store, store_url):
    assert store.location == str(parse_location(store_url))


async def test_data_is_shared_by_every_store_opened_on_the_same_database(store, store_url):
    """Two processes over one database: each sees what the other wrote."""
    info, _ = await store.add_article(GUILD, draft("Kept", "It stays."), Provenance())
    await store.set_setting(GUILD, "seeded", "1")
    await store.increment_counter(GUILD, "questions", 2)
    second = await open_store(store_url)
    try:
        assert await second.get_article(GUILD, info.id) == info
        assert [(p.text, title) async for p, title in second.iter_paragraphs(GUILD)] == [
            ("It stays.", "Kept")
        ]
        assert await second.get_setting(GUILD, "seeded") == "1"
        assert await second.get_counter(GUILD, "questions") == 2
        other, _ = await second.add_article(GUILD, draft("New", "New words."), Provenance())
        await second.increment_counter(GUILD, "questions")
    finally:
        await second.close()
    assert await store.get_article(GUILD, other.id) == other
    assert await store.get_counter(GUILD, "questions") == 3
    assert other.id > info.id


async def test_damage_found_by_a_caller_stops_the_store(store):
    await store.add_article(GUILD, draft("A", "x."), Provenance())
    error = store.report_damage("guild 1's paragraphs do not fit together")
    assert isinstance(error, StoreDamaged)
    assert "guild 1's paragraphs do not fit together" in str(error)
    for later in (
        store.list_articles(GUILD),
        store.set_setting(GUILD, "seeded", "1"),
        store.add_article(GUILD, draft("B", "y."), Provenance()),
    ):
        with pytest.raises(StoreDamaged, match="do not fit together"):
            await later


# -- copying a store into another -------------------------------------------------------


@pytest.mark.parametrize(
    "target_kind",
    [
        pytest.param(
            kind, id=f"into-{kind}", marks=[pytest.mark.postgresql] * (kind == "postgresql")
        )
        for kind in STORE_KINDS
    ],
)
async def test_copied_rows_load_into_another_store_as_they_were(store, new_store_url, target_kind):
    mine = await fill(store, GUILD, 1)
    theirs = await fill(store, OTHER_GUILD, 2)
    await store.remove_article(GUILD, mine.articles[1].id)  # a gap in the ids
    mine.articles.pop(1)
    await store.retry_pending_ingest(GUILD, mine.pending_ids[0])
    source_rows = {columns.table: await all_rows(store, columns) for columns in DATA_TABLES}
    for columns in DATA_TABLES:
        rows = source_rows[columns.table]
        assert rows, f"the test left {columns.table} empty"
        assert all(len(row) == len(columns.names) for row in rows)
        for name in columns.timestamps:
            at = columns.names.index(name)
            assert all(isinstance(row[at], datetime) and row[at].tzinfo for row in rows)
        keys = [row[0] if columns.has_id else row[:2] for row in rows]
        assert keys == sorted(keys), f"{columns.table} is not copied in the order of its key"

    target = await open_store(new_store_url(target_kind))
    try:
        assert await target.is_empty()
        for columns in DATA_TABLES:
            async for batch in store.copy_rows(columns):
                await target.load_rows(columns, batch)
        for columns in DATA_TABLES:
            assert await all_rows(target, columns) == source_rows[columns.table], columns.table
        assert not await target.is_empty()
        assert await target.integrity_problems() == []
        for guild_id, filled in ((GUILD, mine), (OTHER_GUILD, theirs)):
            assert await everything_of(target, guild_id, filled) == await everything_of(
                store, guild_id, filled
            )
        assert await target.guild_summaries() == await store.guild_summaries()

        # Rows added after the load get ids past the loaded ones.
        largest = {
            c.table: max(row[0] for row in source_rows[c.table]) for c in DATA_TABLES if c.has_id
        }
        info, paragraphs = await target.add_article(
            GUILD, draft("After", "New words."), Provenance()
        )
        assert info.id > largest[ARTICLES.table]
        assert paragraphs[0].id > largest[PARAGRAPHS.table]
        assert await target.add_pending_ingest(GUILD, None, None, "") > largest[PENDING.table]
        await target.add_audit(GUILD, None, None, "after", "")
        assert max(row[0] for row in await all_rows(target, AUDIT)) > largest[AUDIT.table]
        with pytest.raises(DuplicateArticle):  # the loaded rows count as duplicates
            await target.add_article(
                GUILD, draft("Again", "x.", url=mine.articles[0].canonical_url), Provenance()
            )
    finally:
        await target.close()


async def test_a_copy_of_an_empty_store_has_no_rows(store):
    for columns in DATA_TABLES:
        assert await all_rows(store, columns) == []
