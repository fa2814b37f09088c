"""Tests for index.textio: decoding uploaded bytes into clean text."""

from __future__ import annotations

import codecs
import random

import pytest

from index.errors import IngestRefused
from index.textio import clean_text, decode_text, one_line

MAX = 1_000_000
TEXT = "Nicolás Maduro said “no comment” — café au lait, 10 €.\nSecond line here."
ASCII_TEXT = "The council voted on Tuesday to close the old bridge.\nSecond line here."


def decode(data: bytes, max_bytes: int = MAX) -> str:
    return decode_text(data, max_bytes=max_bytes)


def refusal(data: bytes, max_bytes: int = MAX) -> str:
    with pytest.raises(IngestRefused) as info:
        decode_text(data, max_bytes=max_bytes)
    assert info.value.reason.strip()
    return info.value.reason


# --- encodings --------------------------------------------------------------------------


def test_utf8_without_bom() -> None:
    assert decode(TEXT.encode("utf-8")) == TEXT


def test_utf8_with_bom() -> None:
    result = decode(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    assert result == TEXT
    assert "\ufeff" not in result


def test_utf16_le_with_bom() -> None:
    assert decode(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")) == TEXT


def test_utf16_be_with_bom() -> None:
    assert decode(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be")) == TEXT


def test_utf16_with_bom_via_python_codec() -> None:
    # Python's "utf-16" codec writes a BOM in the platform's byte order.
    assert decode(TEXT.encode("utf-16")) == TEXT


def test_utf16_le_without_bom() -> None:
    assert decode(TEXT.encode("utf-16-le")) == TEXT
    assert decode(ASCII_TEXT.encode("utf-16-le")) == ASCII_TEXT


def test_utf16_be_without_bom() -> None:
    assert decode(ASCII_TEXT.encode("utf-16-be")) == ASCII_TEXT


def test_cp1252_bytes() -> None:
    assert decode(b"caf\xe9 \x93quoted\x94") == "café “quoted”"


def test_cp1252_longer_text() -> None:
    text = "Windows “smart quotes” – en dash, café, naïve, 5 € and … ellipsis.\nLine two."
    assert decode(text.encode("cp1252")) == text


def test_plain_ascii() -> None:
    assert decode(ASCII_TEXT.encode("ascii")) == ASCII_TEXT


def test_result_is_nfc_normalised() -> None:
    decomposed = "cafe\u0301 au lait"  # e + combining acute
    assert decode(decomposed.encode("utf-8")) == "caf\u00e9 au lait"


# --- refusals ---------------------------------------------------------------------------


def test_empty_bytes_refused() -> None:
    assert "empty" in refusal(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"   ",
        b" \n\t \r\n ",
        "\u3000\u00a0 \n".encode(),
        codecs.BOM_UTF8 + b"  \n ",
        codecs.BOM_UTF16_LE + "  \n  ".encode("utf-16-le"),
    ],
)
def test_whitespace_only_refused(data: bytes) -> None:
    assert "empty" in refusal(data)


def test_over_max_bytes_refused_with_size() -> None:
    reason = refusal(b"x" * 1001, max_bytes=1000)
    assert "1 kB" in reason


def test_over_max_bytes_in_megabytes() -> None:
    reason = refusal(b"x" * 2_000_001, max_bytes=2_000_000)
    assert "2 MB" in reason


def test_over_max_bytes_small_limit() -> None:
    reason = refusal(b"hello world", max_bytes=10)
    assert "10 bytes" in reason


def test_exactly_max_bytes_is_accepted() -> None:
    assert decode(b"x" * 1000, max_bytes=1000) == "x" * 1000


def test_size_checked_before_content() -> None:
    # Even binary data reports the size problem when it is too large.
    reason = refusal(bytes(range(256)) * 10, max_bytes=100)
    assert "100 bytes" in reason


def test_binary_byte_range_refused() -> None:
    reason = refusal(bytes(range(256)) * 10)
    assert "text" in reason


def test_png_header_with_random_bytes_refused() -> None:
    rng = random.Random(1234)
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(4000))
    reason = refusal(data)
    assert "text" in reason


def test_nul_bytes_in_utf8_refused() -> None:
    refusal(b"hello\x00world\x00" * 50)


# --- cleaning ---------------------------------------------------------------------------


def test_control_characters_are_stripped() -> None:
    # A few stray controls in a long text: still text, but the controls go.
    body = "The council voted on Tuesday to close the old river bridge. " * 5
    data = (body + "\x07bell\x1b[0m and \x08back\x7fdel\x0bvt\x0cff end").encode()
    result = decode(data)
    for ch in "\x07\x1b\x08\x7f\x0b\x0c":
        assert ch not in result
    assert result.endswith("bell[0m and backdelvtff end")
    assert result.startswith(body)


def test_tab_and_newline_are_kept() -> None:
    assert decode(b"col1\tcol2\nrow two") == "col1\tcol2\nrow two"


def test_bidi_override_characters_are_stripped() -> None:
    data = "Invoice \u202egnp.exe\u202c and \u2066isolated\u2069 \u202aLRE\u202c text".encode()
    result = decode(data)
    assert result == "Invoice gnp.exe and isolated LRE text"
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert ch not in result


def test_crlf_normalised_to_lf() -> None:
    result = decode(b"line one\r\nline two\r\n\r\nline four\r\n")
    assert result == "line one\nline two\n\nline four\n"
    assert "\r" not in result


def test_lone_cr_normalised_to_lf() -> None:
    assert decode(b"old mac\rline two\r") == "old mac\nline two\n"


def test_crlf_in_utf16() -> None:
    data = codecs.BOM_UTF16_LE + "one\r\ntwo\r\n".encode("utf-16-le")
    assert decode(data) == "one\ntwo\n"


def test_c1_controls_are_stripped_and_other_line_breaks_become_newlines() -> None:
    # U+009B is a terminal's one-character escape sequence introducer.
    assert clean_text("red\x9b31m text\x80\x9f") == "red31m text"
    assert clean_text("one\x85two\u2028three\u2029four") == "one\ntwo\nthree\nfour"


def test_one_line_joins_lines_and_spaces_and_drops_hidden_characters() -> None:
    assert one_line("  Harbour\u202e\n reopens\t\u2028after\x1b storm \r\n") == (
        "Harbour reopens after storm"
    )
    assert one_line("\u2066\x07 \n") == ""


def test_clean_text_directly() -> None:
    assert clean_text("a\r\nb\rc\ufeffd\u202ee\x00f") == "a\nb\ncdef"


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")],
)
def test_utf32_with_bom(bom: bytes, encoding: str) -> None:
    assert decode(bom + TEXT.encode(encoding)) == TEXT


def test_invalid_utf8_after_utf8_bom_refused() -> None:
    reason = refusal(codecs.BOM_UTF8 + b"caf\xe9 is not utf-8")
    assert "utf-8" in reason
