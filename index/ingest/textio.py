"""Turning uploaded bytes into text: encodings, binary detection, size limits; and what of
a text shows on screen, so that nothing is given a title that looks blank."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable

import regex

from index.errors import IngestRefused

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# C0 controls other than tab, newline and carriage return, DEL, and the C1 controls (a
# terminal reads some of them, such as U+009B, as the start of an escape sequence).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates can make text display differently from what it says.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Line breaks other than CR and LF: next line (U+0085), line and paragraph separators.
_OTHER_LINE_BREAKS = re.compile(r"[\x85\u2028\u2029]")
_SAMPLE = 4096


def decode_text(data: bytes, *, max_bytes: int) -> str:
    """Decode an uploaded text file, refusing what is empty, too large or not text."""
    if len(data) > max_bytes:
        raise IngestRefused(f"the file is larger than {_human_size(max_bytes)}")
    if not data.strip():
        raise IngestRefused("the file is empty")
    text = _decode(data)
    if looks_binary(text):
        raise IngestRefused("the file does not look like text")
    text = clean_text(text)
    if not text.strip():
        raise IngestRefused("the file is empty")
    return text


def clean_text(text: str) -> str:
    """Normalise newlines and Unicode form; drop control and bidi-override characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = _OTHER_LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _BIDI_CONTROLS.sub("", text)
    if unicodedata.is_normalized("NFC", text):
        return text
    # Line by line: one call over megabytes holds the interpreter lock for tens of
    # milliseconds, and the event loop waits that long; nothing composes across a newline.
    return "\n".join(unicodedata.normalize("NFC", line) for line in text.split("\n"))


def one_line(text: str) -> str:
    """``text`` cleaned as by ``clean_text`` and on one line, runs of whitespace as one
    space: for a title, a name or a file name shown to people."""
    return " ".join(clean_text(text).split())


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise IngestRefused(f"the file claims to be {encoding} but is not") from None
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Windows-1252 is what "ANSI" text files from Windows editors are in practice.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise IngestRefused("the file does not look like text") from None


def _utf16_without_bom(data: bytes) -> str | None:
    """Recognise BOM-less UTF-16 by its zero bytes, which ASCII-heavy text puts on one side."""
    sample = data[:_SAMPLE]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > 0.4 * half and even_zeros < 0.05 * half:
        encoding = "utf-16-le"
    elif even_zeros > 0.4 * half and odd_zeros < 0.05 * half:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def looks_binary(text: str) -> bool:
    """Whether decoded text is really binary data (NULs, controls, unassigned code points)."""
    sample = text[:_SAMPLE]
    if "\x00" in sample:
        return True
    controls = len(_CONTROL.findall(sample))
    unprintable = sum(1 for ch in sample if unicodedata.category(ch) in ("Co", "Cn", "Cs"))
    return (controls + unprintable) > 0.05 * max(len(sample), 1)


def _human_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a space, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    kept = text[: cut if cut > limit // 2 else limit - 1]
    return kept.rstrip(" ,;:") + "…"


# -- what shows on screen, and titles ------------------------------------------------------

MAX_TITLE_CHARS = 200
OPENING_WORDS = 12
OPENING_CHARS = 100
UNTITLED = "Untitled article"
"""The title of last resort, for an article with no visible title nor text."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_MIN_SENTENCE_WORDS = 4
"""Fewer words end no sentence: "U.S." and "Dr." are abbreviations."""

# What shows nothing on its own: white space; control, format, private-use and unassigned
# code points (zero-width spaces and joiners, bidi marks, tag characters); combining marks,
# which need a letter to sit on; what Unicode says to ignore when it cannot be shown (the
# Hangul fillers U+3164 and U+115F, variation selectors); and two characters drawn as
# blanks, the blank braille pattern U+2800 and the null notehead U+1D159.
_INVISIBLE = r"\p{White_Space}\p{Default_Ignorable_Code_Point}\p{C}\p{M}\u2800\U0001D159"
_VISIBLE = regex.compile(f"[^{_INVISIBLE}]")
_LAST_VISIBLE = regex.compile(f"[^{_INVISIBLE}]", flags=regex.REVERSE)
_MARKS = regex.compile(r"\p{M}*")
# A word with something visible in it: the Hangul fillers are the only invisible
# characters that Python counts as word characters.
_VISIBLE_WORD = re.compile(r"[^\W\u115f\u1160\u3164\uffa0]+")
_UNSPACED_CHARACTER = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
)
CHARACTERS_PER_WORD = 2
"""Characters of a script written without spaces counted as one word."""
# Markdown (and Discord) heading markers: "# Title", "### Title ###", Discord's "-# small".
_HEADING_MARKER = re.compile(r"^(?:#{1,6}|-#)(?:[ \t]+|$)")
_CLOSING_HEADING_MARKER = re.compile(r"[ \t]+#+[ \t]*$")
# Emphasis around a whole title: **bold**, *italic*, __bold__, _italic_, ~~struck~~.
_EMPHASIS = re.compile(r"^(\*{1,3}|_{1,3}|~~)(?!\s)([^*_~]*?[^*_~\s])\1$")


def is_visible(text: str) -> bool:
    """Whether ``text`` has at least one character that shows on screen."""
    return _VISIBLE.search(text) is not None


def strip_invisible(text: str) -> str:
    """``text`` without the invisible characters at its ends; the marks right after the
    last visible character stay, since they are drawn on it (accents, vowel signs, the
    variation selector that makes an emoji colourful)."""
    first = _VISIBLE.search(text)
    last = _LAST_VISIBLE.search(text)
    if first is None or last is None:
        return ""
    return text[first.start() : _MARKS.match(text, last.end()).end()]


def count_words(text: str) -> int:
    """The words of ``text`` that show on screen. Scripts written without spaces
    (Chinese, Japanese, Thai...) count a word per ``CHARACTERS_PER_WORD`` characters,
    about their average word, so that "too short" means the same in every language."""
    unspaced = len(_UNSPACED_CHARACTER.findall(text))
    if not unspaced:
        return sum(1 for _ in _VISIBLE_WORD.finditer(text))
    spaced = _UNSPACED_CHARACTER.sub(" ", text)
    spaced_words = sum(1 for _ in _VISIBLE_WORD.finditer(spaced))
    return spaced_words + -(-unspaced // CHARACTERS_PER_WORD)


def has_words(text: str) -> bool:
    """Whether ``text`` has a word that shows on screen."""
    return _VISIBLE_WORD.search(text) is not None


def without_heading_marker(text: str) -> str:
    """A line without the Markdown marker that makes it a heading (``# ``, ``## ``...)."""
    if not text.startswith(("#", "-#")):
        return text
    stripped = _HEADING_MARKER.sub("", text, count=1)
    if stripped == text:  # "#hashtag": not a heading
        return text
    return _CLOSING_HEADING_MARKER.sub("", stripped)


def plain_title(text: str | None) -> str:
    """A title as people should see it: on one line, without Markdown heading markers or
    emphasis around it, without invisible characters at its ends. Empty when nothing
    visible is left, and the caller must find another title."""
    title = strip_invisible(one_line(text or ""))
    for _ in range(3):  # "# **Title**" is unwrapped layer by layer
        unwrapped = strip_invisible(_EMPHASIS.sub(r"\2", without_heading_marker(title)))
        if unwrapped == title:
            break
        title = unwrapped
    return title


def opening_words(
    paragraphs: Iterable[str], *, max_words: int = OPENING_WORDS, max_chars: int = OPENING_CHARS
) -> str:
    """The first words of an article's first visible paragraph, up to the end of its first
    sentence, marked with an ellipsis where they were cut: a title for an article that has
    none. Empty when no paragraph shows anything."""
    for paragraph in paragraphs:
        first = _VISIBLE.search(paragraph)
        if first is None:
            continue
        # Only the start matters, and a paragraph may be megabytes long.
        start = paragraph[first.start() : first.start() + 4 * max_chars]
        text = strip_invisible(without_heading_marker(one_line(start)))
        if text:
            break
    else:
        return ""
    words = text.split(" ")
    for end in _SENTENCE_END.finditer(text):
        if text.count(" ", 0, end.start()) + 1 >= _MIN_SENTENCE_WORDS:
            words = text[: end.start()].split(" ")
            break
    if len(words) > max_words:
        return shorten(strip_invisible(" ".join(words[:max_words]).rstrip(" ,;:")) + "…", max_chars)
    return shorten(" ".join(words), max_chars)


def article_title(
    title: str | None, paragraphs: Iterable[str], *, limit: int = MAX_TITLE_CHARS
) -> str:
    """The title to show for an article: ``title`` made plain, or the article's opening
    words when it has nothing visible. Never empty, never blank on screen."""
    shown = plain_title(title) or opening_words(paragraphs) or UNTITLED
    return shorten(shown, limit)
