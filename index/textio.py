"""Turning uploaded bytes into text: encodings, binary detection, size limits."""

from __future__ import annotations

import codecs
import re
import unicodedata

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
    return unicodedata.normalize("NFC", text)


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


_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s")


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a space, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    kept = text[: cut if cut > limit // 2 else limit - 1]
    return kept.rstrip(" ,;:") + "…"


def first_sentence(paragraph: str, limit: int = 100) -> str:
    """A paragraph's first sentence, shortened: a title for an article that has none."""
    return shorten(_FIRST_SENTENCE.split(paragraph, maxsplit=1)[0], limit)
