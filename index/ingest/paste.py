"""Pasted articles: a message body or a ``message.txt`` attachment turned into an article.

People paste an article as its title, then one paragraph per line, and usually glue the
source link and a remark of their own onto the end. The parser separates those parts:
the link becomes the article's source, the remark becomes the poster's note (kept, but
not indexed), and the rest becomes the title and the paragraphs. What only dresses the
text is left out: a "Read more at" left hanging before the source link, Markdown heading
markers and emphasis, lines with no visible word (rules such as ``---``). A date line near
the top ("Published 3 December 2026") becomes the article's publication date.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from index.errors import IngestRefused
from index.ingest.article_shape import check_shape
from index.ingest.dates import without_date_lines
from index.ingest.textio import (
    MAX_TITLE_CHARS,
    article_title,
    clean_text,
    count_words,
    has_words,
    is_visible,
    strip_invisible,
    without_heading_marker,
)
from index.ingest.urls import FoundUrl, canonical_url, find_urls
from index.models import ArticleDraft

__all__ = [
    "MAX_NOTE_CHARS",
    "MAX_TITLE_CHARS",
    "MIN_WORDS",
    "fingerprint",
    "parse_paste",
    "without_lead_in",
]

MIN_WORDS = 25
MAX_NOTE_CHARS = 500
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")
_WORD = re.compile(r"\w+")
_OPENING_WRAPPERS = "(<[‹«"
_CLOSING_WRAPPERS = ")>]›»"
_PUNCTUATION = " .,;:!?-—–()<>[]\"'“”‘’‹›«»"
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
# Words that only lead to the link after them ("Read more at", "Source:", "Via"), with
# their decorations: alone on the last line, or after the last sentence on it.
_LEAD_IN_WORDS = r"""
    (?:read|see|view|continue\s++reading|keep\s++reading|learn\s++more|find\s++out\s++more)
        (?:\s++(?:more|it|this|all|the|rest|full|whole|complete|entire|original
                 |story|article|report|piece|post|text))*+
  | (?:the\s++)?(?:full|whole|complete|entire|original)
        \s++(?:story|article|report|piece|post|text)
  | (?:original(?:ly)?\s++|first\s++)?
        (?:sources?|published|posted|link|article|story|report|piece)
        (?:\s++(?:link|to\s++(?:the\s++)?(?:full\s++)?(?:article|story)))?
  | via | more | h/t | hat\s++tip
"""
_LEAD_IN = re.compile(
    r"(?:^|(?<=[.!?…\"'”’)\]])\s++)(?:[^\w\s]++\s*+)?"
    rf"(?:{_LEAD_IN_WORDS})"
    r"(?:\s++(?:at|on|in|here|from|via|over\s++at|below))*+"
    r"[\s:;,.…\-–—>→»|(\[]*+$",
    re.IGNORECASE | re.VERBOSE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class _Line:
    start: int
    end: int
    text: str


def parse_paste(
    text: str, *, min_words: int = MIN_WORDS, max_paragraphs: int | None = None
) -> ArticleDraft:
    """Parse pasted article text. Raises ``IngestRefused`` when there is no article in it,
    or (given ``max_paragraphs``) when it has far too many paragraphs to be one: refused
    before counting words and fingerprinting what would be refused anyway."""
    text = clean_text(text)
    lines = _lines(text)
    if not lines:
        raise IngestRefused("there is no text in it")

    body_text, source, note = _split_source_and_note(text, lines, find_urls(text))
    paragraphs = _paragraphs(body_text)
    if max_paragraphs is not None and len(paragraphs) > max_paragraphs + 1:  # + a title
        check_shape(paragraphs, max_paragraphs)
    # A line near the top that is only a date tells when the article was published; it is
    # no title and no paragraph.
    paragraphs, published = without_date_lines(paragraphs)
    if not paragraphs:
        if source is not None:
            raise IngestRefused("there is no article text in it, only a link")
        raise IngestRefused("there is no article text in it")

    title = _title_line(paragraphs)
    if title is not None:
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise IngestRefused("there is no article text in it")
    words = sum(count_words(p) for p in paragraphs)
    if words < min_words:
        raise IngestRefused(f"it is too short to be an article (under {min_words} words)")

    return ArticleDraft(
        title=article_title(title, paragraphs),
        paragraphs=tuple(paragraphs),
        fingerprint=fingerprint(paragraphs),
        source_url=source,
        canonical_url=canonical_url(source) if source else None,
        note=note,
        published=published.isoformat() if published is not None else None,
    )


def fingerprint(paragraphs: list[str] | tuple[str, ...]) -> str:
    """A hash of the article's words, blind to case, punctuation and spacing."""
    digest = hashlib.sha256()
    for paragraph in paragraphs:
        digest.update(" ".join(_WORD.findall(paragraph.casefold())).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def _lines(text: str) -> list[_Line]:
    lines = []
    position = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            offset = raw.index(stripped[0])
            lines.append(_Line(position + offset, position + offset + len(stripped), stripped))
        position += len(raw) + 1
    return lines


def _split_source_and_note(
    text: str, lines: list[_Line], urls: list[FoundUrl]
) -> tuple[str, str | None, str | None]:
    """Find the poster's source link and remark at the end (or start) of the paste.

    Returns the article text without them, the source URL and the remark.
    """
    if not urls:
        return text, None, None

    # The usual shape: the link after the article, on the last line or on its own line
    # followed by one short remark line. Words before the link on its line belong to the
    # article ("...into this countryhttps://..."), words after it are the remark. On a
    # paste of one line, the link closes the article when fewer words follow it.
    last = urls[-1]
    last_line = lines[-1]
    on_last_line = last_line.start <= last.start < last_line.end + 1
    if on_last_line and (len(lines) > 1 or _closes_line(text, last_line, last)):
        # Brackets around the link ("(https://...)", "<https://...>") go with it.
        body_end = last.start
        while body_end > last_line.start and text[body_end - 1] in _OPENING_WRAPPERS:
            body_end -= 1
        note = text[last.end : last_line.end]
        return without_lead_in(text[:body_end]), last.url, _note(note)
    if len(lines) > 2:
        link_line = lines[-2]
        # The link may follow a lead-in on its line: "Read more at https://...".
        before = without_lead_in(text[link_line.start : last.start].strip(_OPENING_WRAPPERS))
        after = text[last.end : link_line.end].strip(_CLOSING_WRAPPERS + " .,;:!?")
        link_alone = link_line.start <= last.start < link_line.end and not before and not after
        if link_alone and len(last_line.text) <= MAX_NOTE_CHARS:
            return without_lead_in(text[: link_line.start]), last.url, _note(last_line.text)

    # The other shape: the link first, with an optional remark on its line, then the article.
    first = urls[0]
    first_line = lines[0]
    if first_line.start <= first.start < first_line.end and len(lines) > 1:
        note = text[first_line.start : first.start] + " " + text[first.end : first_line.end]
        return text[first_line.end :], first.url, _note(note)

    return text, None, None


def _closes_line(text: str, line: _Line, link: FoundUrl) -> bool:
    """Whether ``link`` ends its line's text: more words before it than after it."""
    before = count_words(text[line.start : link.start])
    return before > 0 and before >= count_words(text[link.end : line.end])


def without_lead_in(body: str) -> str:
    """The article's text without a "Read more at" (or "Source:", "Via"...) left hanging
    at its end once the link that followed it became the article's source. A lead-in with
    words of its own ("Read more about the vote at") is a sentence, and stays."""
    body = body.rstrip()
    line_start = body.rfind("\n") + 1
    lead_in = _LEAD_IN.search(body, line_start)
    if lead_in is None:
        return body
    return body[: lead_in.start()].rstrip()


def _note(text: str) -> str | None:
    """The poster's remark, or None when only punctuation is left around the link."""
    note = _SPACES.sub(" ", text).strip(" -—–:|" + _CLOSING_WRAPPERS)
    if not note.strip(_PUNCTUATION) or not is_visible(note):
        return None
    return note[:MAX_NOTE_CHARS] or None


def _paragraphs(text: str) -> list[str]:
    """One paragraph per line, unless the text is hard-wrapped into blank-line blocks.

    Markdown heading markers are taken off, and a line without a visible word (a rule
    such as ``---``, the underline of a ``===`` heading, a lone emoji) is no paragraph.
    """
    blocks = [block for block in _BLOCK_BREAK.split(text) if block.strip()]
    if _is_hard_wrapped(blocks):
        units = [" ".join(line.strip() for line in block.split("\n")) for block in blocks]
    else:
        units = text.split("\n")
    paragraphs = (
        strip_invisible(without_heading_marker(_SPACES.sub(" ", unit).strip())) for unit in units
    )
    return [p for p in paragraphs if has_words(p)]


def _is_hard_wrapped(blocks: list[str]) -> bool:
    """Blank-line blocks whose inner lines mostly stop mid-sentence at a similar width."""
    inner = [
        line.strip() for block in blocks for line in block.strip().split("\n")[:-1] if line.strip()
    ]
    if len(blocks) < 2 or len(inner) < 3:
        return False
    unfinished = sum(1 for line in inner if not _SENTENCE_END.search(line))
    return unfinished >= 0.6 * len(inner) and max(len(line) for line in inner) <= 120


def _title_line(paragraphs: list[str]) -> str | None:
    """The first line is a title when it is short and does not read as a sentence."""
    first = paragraphs[0]
    if len(paragraphs) < 2 or len(first) > MAX_TITLE_CHARS:
        return None
    if first.endswith((".", ",", ";", ":")) and not first.endswith("..."):
        return None
    return first
