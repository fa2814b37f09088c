"""What in a message is an article: links, a pasted article, and the poster's remark."""

from __future__ import annotations

import time

from index.paste import MAX_NOTE_CHARS
from index.sources import MAX_LINKS_PER_MESSAGE, message_sources


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
