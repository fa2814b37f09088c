"""The checks every store makes on what it reads, so damage is never served as data.

Whatever keeps the rows, an article must come with exactly the paragraphs it lists,
numbered from 0, and a guild's paragraphs read in order must come article by article.
A store raises ``DamageFound`` from these checks and turns it into ``StoreDamaged`` in
its own words (naming its file or its database).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from index.models import StoredParagraph


class DamageFound(Exception):
    """The store's own checks found data that cannot be right; ``detail`` says what."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def check_whole(article_id: int, listed: int, paragraphs: Sequence[StoredParagraph]) -> None:
    """The paragraphs read for one article are exactly the ``listed`` ones, in order."""
    if [paragraph.position for paragraph in paragraphs] != list(range(listed)):
        raise DamageFound(f"article {article_id} does not have the paragraphs it lists")


class ParagraphOrder:
    """Follows a guild's paragraphs read by article and position, giving each its
    article's title, and raises ``DamageFound`` at the first one out of place."""

    def __init__(self, articles: Mapping[int, tuple[str, int]]) -> None:
        """``articles``: each article of the guild, as (title, paragraphs it lists)."""
        self._articles = articles
        self._done: set[int] = set()
        self._current: int | None = None
        self._next_position = 0

    def title_of(self, paragraph: StoredParagraph) -> str:
        if paragraph.article_id != self._current:
            self._close_current()
            if paragraph.article_id in self._done or paragraph.article_id not in self._articles:
                raise DamageFound(f"paragraph {paragraph.id} is not in order with its article")
            self._current = paragraph.article_id
            self._next_position = 0
        if paragraph.position != self._next_position:
            raise DamageFound(f"paragraph {paragraph.id} is out of place in its article")
        self._next_position += 1
        return self._articles[paragraph.article_id][0]

    def finish(self) -> None:
        """After the last paragraph: every article had all of its paragraphs."""
        self._close_current()
        for article_id, (_title, listed) in self._articles.items():
            if article_id not in self._done and listed != 0:
                raise DamageFound(f"article {article_id} does not have the paragraphs it lists")

    def _close_current(self) -> None:
        if self._current is None:
            return
        if self._articles[self._current][1] != self._next_position:
            raise DamageFound(f"article {self._current} does not have the paragraphs it lists")
        self._done.add(self._current)
