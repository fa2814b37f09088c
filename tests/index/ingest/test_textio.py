"""Tests for index.ingest.textio: decoding uploaded bytes into clean text, and what of it shows."""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.errors import IngestRefused
from index.ingest.textio import (
    MAX_TITLE_CHARS,
    UNTITLED,
    article_title,
    clean_text,
    count_words,
    decode_text,
    has_words,
    is_visible,
    one_line,
    opening_words,
    plain_title,
    strip_invisible,
)

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


# --- what shows on screen, and titles ---------------------------------------------------

INVISIBLE_ONLY = [
    "\u3164",  # Hangul filler
    "\u115f\u1160\uffa0",  # the other Hangul fillers
    "\u2800\u2800",  # blank braille pattern
    "\u0301\u0308",  # combining marks with no letter
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width characters
    "\u00ad\u180e\u061c\u2062",  # soft hyphen, Mongolian vowel separator, format marks
    "\ufe0f\U000e0041\U000e007f",  # variation selector, tag characters
    "\U0001d159\U0001d173",  # musical null notehead, begin beam
    "\ue000\U000f0000",  # private use
    " \u3000\u00a0\u2003\u205f",  # spaces of all widths
    "\u3164 \u2800 \u200b\u0301",
]


@pytest.mark.parametrize("text", INVISIBLE_ONLY)
def test_text_made_only_of_invisible_characters_is_not_visible(text: str) -> None:
    assert not is_visible(text)
    assert strip_invisible(text) == ""
    assert plain_title(text) == ""
    assert count_words(text) == 0 and not has_words(text)


@pytest.mark.parametrize("text", ["a", "é", "👍", "-", "…", "\u3164x", "\u0301\u0915", "漢"])
def test_text_with_one_visible_character_is_visible(text: str) -> None:
    assert is_visible(text)


def test_strip_invisible_keeps_the_marks_drawn_on_the_last_letter() -> None:
    assert strip_invisible("\u3164\u200bCafe\u0301\u200b\u2800") == "Cafe\u0301"
    assert strip_invisible("\u0301x") == "x"  # a leading mark has nothing to sit on
    assert strip_invisible("I \u2764\ufe0f it\u3164") == "I \u2764\ufe0f it"
    assert strip_invisible("हिन्दी") == "हिन्दी"  # ends in a vowel sign


def test_words_are_counted_only_when_they_show() -> None:
    assert count_words("one two\u3164three \u3164 \u3164\u3164 four") == 4
    assert count_words("Ab cat. " * 3) == 6


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("# Council votes to close the bridge", "Council votes to close the bridge"),
        ("### Council votes ###", "Council votes"),
        ("-# Council votes", "Council votes"),
        ("**Council votes**", "Council votes"),
        ("__Council votes__", "Council votes"),
        ("_Council votes_", "Council votes"),
        ("*Council votes*", "Council votes"),
        ("# **Council votes**", "Council votes"),
        ("\u3164 # Council votes \u2800", "Council votes"),
        ("#MeToo founder speaks", "#MeToo founder speaks"),
        ("C# 13 is out", "C# 13 is out"),
        ("**Bold** and *italic* words", "**Bold** and *italic* words"),
        ("Harbour\n reopens", "Harbour reopens"),
    ],
)
def test_plain_title_takes_markdown_off(raw: str, title: str) -> None:
    assert plain_title(raw) == title


@pytest.mark.parametrize("raw", ["#", "# ", "**\u3164**", "# \u2800", "## \u200b ##"])
def test_plain_title_of_markup_around_nothing_is_empty(raw: str) -> None:
    assert plain_title(raw) == ""


def test_opening_words_are_the_first_words_of_the_first_visible_paragraph() -> None:
    paragraphs = [
        "\u3164\u3164",
        "\u2800 The harbour reopened on Tuesday after a storm closed it for three days, "
        "the port authority said.",
    ]
    assert (
        opening_words(paragraphs)
        == "The harbour reopened on Tuesday after a storm closed it for three…"
    )
    assert opening_words(["Short one. Then more."]) == "Short one. Then more."
    assert opening_words(["The council voted on Tuesday. It decided."]) == (
        "The council voted on Tuesday."
    )
    # An abbreviation is no end of a sentence.
    assert opening_words(["U.S. officials said the talks would go on."]) == (
        "U.S. officials said the talks would go on."
    )
    assert opening_words(["\u3164", " ", "\u0301"]) == ""
    assert len(opening_words(["x" * 5000])) <= 100


def test_article_title_falls_back_to_the_opening_words() -> None:
    body = ["Fishing boats returned to the docks.", "Cranes resumed unloading grain."]
    assert article_title("Harbour reopens", body) == "Harbour reopens"
    for title in [None, "", *INVISIBLE_ONLY]:
        assert article_title(title, body) == "Fishing boats returned to the docks."
    assert article_title("\u3164", ["\u2800"]) == UNTITLED
    assert len(article_title("word " * 100, body)) <= MAX_TITLE_CHARS


_TITLE_PIECES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [*INVISIBLE_ONLY, "#", "# ", "-# ", "**", "_", "~~", " ", "\n", ".", "U.S.", "word "]
    ),
)


@settings(max_examples=400, deadline=None, database=None)
@given(
    title=st.none() | st.lists(_TITLE_PIECES, max_size=8).map("".join),
    paragraphs=st.lists(st.lists(_TITLE_PIECES, max_size=30).map("".join), max_size=4),
)
def test_a_title_is_never_empty_nor_invisible(title: str | None, paragraphs: list[str]) -> None:
    shown = article_title(title, paragraphs)
    assert is_visible(shown)
    assert shown == strip_invisible(shown)
    assert len(shown) <= MAX_TITLE_CHARS
    assert "\n" not in shown
