"""What in a message is an article: links, a pasted article, and the poster's remark."""

from __future__ import annotations

import time

import pytest

from index.ingest.paste import MAX_NOTE_CHARS, parse_paste
from index.ingest.sources import MAX_LINKS_PER_MESSAGE, ONE_LINE_ARTICLE_WORDS, message_sources


def test_a_remark_is_kept_short_like_a_pasted_note() -> None:
    remark = "so true " * 2000
    sources = message_sources(f"https://example.org/story {remark}")
    assert sources.links == ("https://example.org/story",)
    assert sources.remark is not None and len(sources.remark) <= MAX_NOTE_CHARS
    assert sources.remark.startswith("so true so true")


def test_hundreds_of_links_are_counted_not_all_kept_and_quickly() -> None:
    content = " and ".join(f"https://example.org/story-{n}" for n in range(5000))
    started = time.perf_counter()
    sources = message_sources(content)
    assert time.perf_counter() - started < 2.0
    assert len(sources.links) == MAX_LINKS_PER_MESSAGE
    assert sources.extra_links == 5000 - MAX_LINKS_PER_MESSAGE
    assert sources.remark is not None and set(sources.remark.rstrip("…").split()) == {"and"}


LINK = "https://example.org/news/harbour-reopens"
ONE_LINE_ARTICLE = (
    "The city harbour reopened on Tuesday after a storm closed it for three days, the port "
    "authority said in a statement. Fishing boats returned to the docks as cranes resumed "
    "unloading grain from two ships that had waited offshore since the weekend. Officials "
    "said repairs to the damaged sea wall will cost about four million dollars and take "
    "most of the winter."
)


def test_a_one_line_article_ending_in_its_link_is_offered_as_the_article_text() -> None:
    content = f"{ONE_LINE_ARTICLE} {LINK}"
    sources = message_sources(content)
    assert sources.links == (LINK,)
    assert sources.pasted_article is None
    assert sources.article_text == content
    assert sources.remark is None  # the article is not the poster's remark


@pytest.mark.parametrize("lead_in", ["Read more at", "Source:", "Continue reading at"])
def test_the_remark_after_a_one_line_article_is_the_posters_words(lead_in: str) -> None:
    sources = message_sources(f"{ONE_LINE_ARTICLE} {lead_in} <{LINK}> wow, finally")
    assert sources.article_text is not None and ONE_LINE_ARTICLE in sources.article_text
    assert sources.remark == "wow, finally"


def test_a_remark_with_a_link_is_not_an_article() -> None:
    sources = message_sources(f"The harbour is open again, great news for the town {LINK}")
    assert sources.article_text is None
    assert sources.remark == "The harbour is open again, great news for the town"


def test_a_lead_in_is_not_kept_as_the_remark() -> None:
    sources = message_sources(f"Harbour open again! Read more at {LINK}")
    assert sources.remark == "Harbour open again!"
    assert message_sources(f"Source: {LINK}").remark is None


def test_the_article_text_comes_with_one_link_only() -> None:
    other = "https://example.org/news/another-story"
    sources = message_sources(f"{ONE_LINE_ARTICLE} {LINK} {other}")
    assert sources.links == (LINK, other)
    assert sources.article_text is None
    # The same link twice is still one link.
    assert message_sources(f"{LINK} {ONE_LINE_ARTICLE} {LINK}?utm_source=x").article_text


def test_a_one_line_article_needs_more_words_than_a_remark_has() -> None:
    words = ONE_LINE_ARTICLE.split()
    assert len(words) >= ONE_LINE_ARTICLE_WORDS
    short = " ".join(words[: ONE_LINE_ARTICLE_WORDS - 1])
    assert message_sources(f"{short} {LINK}").article_text is None
    enough = " ".join(words[:ONE_LINE_ARTICLE_WORDS])
    assert message_sources(f"{enough} {LINK}").article_text is not None
    # More words after the link than before it: the link opens the text, not closes it.
    assert message_sources(f"Look: {LINK} {ONE_LINE_ARTICLE}").article_text is None


def test_the_article_text_becomes_the_article_under_its_link() -> None:
    """What the engine does with it when the link cannot be read."""
    sources = message_sources(f"{ONE_LINE_ARTICLE} Read more at {LINK} so sad")
    assert sources.article_text is not None
    draft = parse_paste(sources.article_text)
    assert draft.paragraphs == (ONE_LINE_ARTICLE,)
    assert draft.source_url == LINK
    assert draft.note == "so sad"
    assert draft.title == "The city harbour reopened on Tuesday after a storm closed it for…"


def test_a_multi_line_paste_is_still_the_pasted_article() -> None:
    content = f"Harbour reopens\n{ONE_LINE_ARTICLE}\n{LINK}"
    sources = message_sources(content)
    assert sources.pasted_article == content
    assert sources.links == () and sources.article_text is None


def test_words_of_fillers_do_not_make_an_article() -> None:
    content = "\u3164 " * 80 + "\n" + "\u3164 " * 80 + LINK
    sources = message_sources(content)
    assert sources.pasted_article is None and sources.article_text is None
    assert sources.links == (LINK,) and sources.remark is None
