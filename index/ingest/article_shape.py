"""Refusing drafts that cannot be one article: too many paragraphs, or hardly any prose.

A 2 MB ``message.txt`` of one word a line is half a million paragraphs: stored in one
transaction it held the database's write lock for half a minute, and indexing and
removing it cost seconds of work and hundreds of megabytes. Bytes alone do not bound
that (``MAX_TEXT_BYTES`` is 2 MB), so the number of paragraphs is bounded too.

``MAX_PARAGRAPHS``: the longest of 133 real news and blog pages of the
article-extraction benchmark has 254 paragraphs (the median 15); a very long feature or
a report pasted whole runs to a few hundred, at most a few thousand. 5,000 paragraphs
is also what 2 MB makes at 400 bytes a paragraph, about a short news paragraph's size.

``looks_like_prose``: a draft of at least ``LIST_CHECK_MIN_PARAGRAPHS`` paragraphs in
which more than ``MAX_TINY_SHARE`` of the paragraphs are tiny (under three words and
under 20 characters) is a word list, not an article. Among those 133 pages the largest
share of tiny paragraphs is 0.39 (a page of captions and headings, 56 paragraphs), and
SQuAD's paragraphs have none; characters as well as words are counted because a line of
Japanese or Chinese is one "word" however long it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.errors import IngestRefused

MAX_PARAGRAPHS = 5_000
LIST_CHECK_MIN_PARAGRAPHS = 100
MAX_TINY_SHARE = 0.75
TINY_WORDS = 3
TINY_CHARS = 20
_WORD = re.compile(r"\w+")


def is_tiny(paragraph: str) -> bool:
    """Under ``TINY_WORDS`` words and under ``TINY_CHARS`` characters."""
    return len(paragraph) < TINY_CHARS and len(_WORD.findall(paragraph)) < TINY_WORDS


def check_shape(paragraphs: Sequence[str], max_paragraphs: int = MAX_PARAGRAPHS) -> None:
    """Raise ``IngestRefused`` with a plain reason when ``paragraphs`` cannot be one
    article. Costs one pass over the paragraphs, and none past the limit."""
    count = len(paragraphs)
    if count > max_paragraphs:
        raise IngestRefused(
            f"it has {count:,} paragraphs; the most an article may have is "
            f"{max_paragraphs:,}: that does not look like one article"
        )
    if count >= LIST_CHECK_MIN_PARAGRAPHS:
        tiny = sum(1 for paragraph in paragraphs if is_tiny(paragraph))
        if tiny > MAX_TINY_SHARE * count:
            raise IngestRefused(
                f"{tiny:,} of its {count:,} paragraphs are only a word or two: "
                "that looks like a list, not an article"
            )
