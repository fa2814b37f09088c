"""Tests for index.paste: turning a pasted article into an ArticleDraft."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import IngestRefused
from index.models import ArticleDraft
from index.paste import MAX_NOTE_CHARS, MAX_TITLE_CHARS, fingerprint, parse_paste
from index.textio import clean_text
from tests.support.discord_limits import HIDDEN_CHARACTERS, LINE_BREAKS

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_8213f59f8dbc5da2.txt"
SEED_TITLE = "Scoop: Trump ready to talk with Maduro over Venezuela drug strikes"
SEED_URL = "https://www.axios.com/2025/11/24/trump-maduro-talks-meeting-venezuela-boat-strikes"
SEED_NOTE = "New update my fellas. War stuff"
HEX32 = re.compile(r"[0-9a-f]{32}")

# A synthetic article: a title line and two paragraphs with well over 25 words.
TITLE = "Council votes to close the old river bridge"
PARA1 = (
    "The city council voted on Tuesday evening to close the old river bridge to all "
    "motor traffic after engineers found serious cracks in two of its main supports."
)
PARA2 = (
    "The mayor said the bridge would reopen to cyclists and pedestrians once temporary "
    "repairs are done, and that a full replacement is planned for 2027."
)
ARTICLE = f"{TITLE}\n{PARA1}\n{PARA2}"
LINK = "https://example.com/news/bridge-closed"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


# --- the seed article -------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_draft() -> ArticleDraft:
    return parse_paste(seed_text())


@pytest.fixture(scope="module")
def seed_body_lines() -> list[str]:
    """Non-empty lines of the seed between the title line and the line with the link."""
    lines = [line.strip() for line in seed_text().splitlines() if line.strip()]
    assert lines[0] == SEED_TITLE
    assert lines[-1].startswith("https://")
    return lines[1:-1]


def test_seed_title(seed_draft: ArticleDraft) -> None:
    assert seed_draft.title == SEED_TITLE


def test_seed_one_paragraph_per_body_line(
    seed_draft: ArticleDraft, seed_body_lines: list[str]
) -> None:
    assert len(seed_body_lines) == 27
    assert seed_draft.paragraphs == tuple(seed_body_lines)
    assert SEED_TITLE not in seed_draft.paragraphs


def test_seed_last_paragraph_ends_before_the_link(seed_draft: ArticleDraft) -> None:
    assert seed_draft.paragraphs[-1].endswith("into this country")
    assert all("https://" not in p for p in seed_draft.paragraphs)


def test_seed_source_url(seed_draft: ArticleDraft) -> None:
    assert seed_draft.source_url == SEED_URL
    assert seed_draft.canonical_url == (
        "https://axios.com/2025/11/24/trump-maduro-talks-meeting-venezuela-boat-strikes"
    )


def test_seed_note(seed_draft: ArticleDraft) -> None:
    assert seed_draft.note == SEED_NOTE


def test_seed_note_not_in_paragraphs(seed_draft: ArticleDraft) -> None:
    for paragraph in seed_draft.paragraphs:
        assert SEED_NOTE not in paragraph
        assert "my fellas" not in paragraph
        assert "War stuff" not in paragraph


def test_seed_fingerprint_is_stable_32_hex(seed_draft: ArticleDraft) -> None:
    again = parse_paste(seed_text())
    assert HEX32.fullmatch(seed_draft.fingerprint)
    assert again.fingerprint == seed_draft.fingerprint
    assert fingerprint(seed_draft.paragraphs) == seed_draft.fingerprint
    assert fingerprint(list(seed_draft.paragraphs)) == seed_draft.fingerprint


def test_seed_with_link_glued_to_last_paragraph(seed_draft: ArticleDraft) -> None:
    text = seed_text()
    assert "into this country\nhttps://" in text
    glued = text.replace("into this country\nhttps://", "into this countryhttps://")
    assert "countryhttps://www.axios.com/" in glued
    draft = parse_paste(glued)
    assert draft.title == SEED_TITLE
    assert draft.paragraphs == seed_draft.paragraphs
    assert draft.paragraphs[-1].endswith("into this country")
    assert draft.source_url == SEED_URL
    assert draft.note == SEED_NOTE
    assert draft.fingerprint == seed_draft.fingerprint


def test_seed_with_crlf_line_endings(seed_draft: ArticleDraft) -> None:
    draft = parse_paste(seed_text().replace("\n", "\r\n"))
    assert draft.title == SEED_TITLE
    assert draft.paragraphs == seed_draft.paragraphs
    assert draft.source_url == SEED_URL
    assert draft.note == SEED_NOTE


# --- fingerprint ------------------------------------------------------------------------


def test_fingerprint_ignores_case_punctuation_and_spacing() -> None:
    a = fingerprint(["Hello, World!", "Second   paragraph."])
    b = fingerprint(["hello world", "SECOND paragraph"])
    assert a == b


def test_fingerprint_depends_on_words_and_paragraph_split() -> None:
    base = fingerprint(["one two", "three"])
    assert fingerprint(["one two", "four"]) != base
    assert fingerprint(["one", "two three"]) != base
    assert fingerprint(["one two three"]) != base


# --- other shapes of a pasted article ---------------------------------------------------


def test_link_alone_on_last_line_without_remark() -> None:
    draft = parse_paste(f"{ARTICLE}\n{LINK}")
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url == LINK
    assert draft.canonical_url == LINK
    assert draft.note is None


def test_link_alone_followed_by_remark_line() -> None:
    draft = parse_paste(f"{ARTICLE}\n{LINK}\nwow, read this one")
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url == LINK
    assert draft.note == "wow, read this one"


@pytest.mark.parametrize("link_line", [f"{LINK}.", f"<{LINK}>", f"({LINK})"])
def test_decorated_link_line_followed_by_remark_line(link_line: str) -> None:
    draft = parse_paste(f"{ARTICLE}\n{link_line}\nwow, read this one")
    assert draft.source_url == LINK
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.note == "wow, read this one"


def test_link_with_remark_after_it_on_last_line() -> None:
    draft = parse_paste(f"{ARTICLE}\n{LINK} - big news for commuters")
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url == LINK
    assert draft.note == "big news for commuters"


def test_link_first_line_alone() -> None:
    draft = parse_paste(f"{LINK}\n{ARTICLE}")
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url == LINK
    assert draft.note is None


def test_link_first_with_remark_before_it() -> None:
    draft = parse_paste(f"look at this {LINK}\n{ARTICLE}")
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url == LINK
    assert draft.note == "look at this"


def test_link_first_with_remark_after_it() -> None:
    draft = parse_paste(f"{LINK} wild stuff\n{ARTICLE}")
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url == LINK
    assert draft.note == "wild stuff"


def test_several_links_inline_ones_stay_in_paragraphs() -> None:
    inline1 = "https://council.example.org/minutes/2025-11-24"
    inline2 = "https://en.wikipedia.org/wiki/River_bridge"
    para2 = f"{PARA2} The minutes are at {inline1} and background at {inline2} today."
    draft = parse_paste(f"{TITLE}\n{PARA1}\n{para2}\n{LINK}\nsharing for the locals")
    assert draft.paragraphs == (PARA1, para2)
    assert inline1 in draft.paragraphs[1]
    assert inline2 in draft.paragraphs[1]
    assert draft.source_url == LINK
    assert draft.note == "sharing for the locals"


def test_no_link_at_all() -> None:
    draft = parse_paste(ARTICLE)
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url is None
    assert draft.canonical_url is None
    assert draft.note is None


def test_trailing_punctuation_after_link_is_not_part_of_source() -> None:
    draft = parse_paste(f"{ARTICLE}\nThe full report is online, see https://example.com/story.")
    assert draft.source_url == "https://example.com/story"
    assert draft.canonical_url == "https://example.com/story"
    assert draft.paragraphs[:2] == (PARA1, PARA2)


def test_trailing_punctuation_after_link_is_not_a_note() -> None:
    draft = parse_paste(f"{ARTICLE}\nThe full report is online, see https://example.com/story.")
    assert draft.note is None


def test_link_in_parentheses_inside_a_paragraph() -> None:
    wiki = "https://en.wikipedia.org/wiki/Foo_(bar)"
    para2 = f"{PARA2} Background reading ({wiki}) is available."
    draft = parse_paste(f"{TITLE}\n{PARA1}\n{para2}\n{LINK}")
    assert draft.paragraphs == (PARA1, para2)
    assert draft.source_url == LINK


def test_link_in_parentheses_as_source() -> None:
    draft = parse_paste(f"{ARTICLE}\n(https://en.wikipedia.org/wiki/Foo_(bar))")
    assert draft.source_url == "https://en.wikipedia.org/wiki/Foo_(bar)"
    assert draft.paragraphs[:2] == (PARA1, PARA2)


@pytest.mark.parametrize(
    ("wrapped", "url"),
    [
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("<https://example.com/a>", "https://example.com/a"),
    ],
)
def test_wrapped_source_link_leaves_no_stray_brackets(wrapped: str, url: str) -> None:
    draft = parse_paste(f"{ARTICLE}\n{wrapped}")
    assert draft.source_url == url
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.note is None


def test_hard_wrapped_blocks_are_joined_into_paragraphs() -> None:
    text = (
        f"{TITLE}\n"
        "\n"
        "The city council voted on Tuesday evening to close\n"
        "the old river bridge to all motor traffic after\n"
        "engineers found serious cracks in two of its main\n"
        "supports during a routine inspection last month.\n"
        "\n"
        "The mayor said the bridge would reopen to cyclists\n"
        "and pedestrians once temporary repairs are done,\n"
        "and that a full replacement is planned for 2027.\n"
    )
    draft = parse_paste(text)
    assert draft.title == TITLE
    assert draft.paragraphs == (
        "The city council voted on Tuesday evening to close the old river bridge to all "
        "motor traffic after engineers found serious cracks in two of its main supports "
        "during a routine inspection last month.",
        "The mayor said the bridge would reopen to cyclists and pedestrians once temporary "
        "repairs are done, and that a full replacement is planned for 2027.",
    )


def test_one_paragraph_per_line_when_not_hard_wrapped() -> None:
    # Blank-line separated, but each line is a finished sentence: not hard-wrapped.
    text = f"{TITLE}\n\n{PARA1}\nIt was a long meeting.\n\n{PARA2}\nNobody objected."
    draft = parse_paste(text)
    assert draft.paragraphs == (PARA1, "It was a long meeting.", PARA2, "Nobody objected.")


def test_title_derived_from_first_sentence() -> None:
    text = (
        "The council voted on Tuesday. It decided to close the old river bridge to all "
        "motor traffic after engineers found cracks.\n"
        f"{PARA2}"
    )
    draft = parse_paste(text)
    assert draft.title == "The council voted on Tuesday."
    # The first line is not a title, so it stays a paragraph.
    assert draft.paragraphs[0].startswith("The council voted on Tuesday. It decided")
    assert len(draft.paragraphs) == 2


def test_title_derived_from_long_first_sentence_is_shortened() -> None:
    long_sentence = " ".join(["word"] * 60) + "."
    draft = parse_paste(f"{long_sentence}\n{PARA2}")
    assert draft.title.endswith("…")
    assert len(draft.title) <= 101
    assert draft.title.startswith("word word")
    assert draft.paragraphs == (long_sentence, PARA2)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t\n  ",
        "https://example.com/news/bridge-closed",
        "https://example.com/news/bridge-closed\nwow",
        "Bridge closed\nhttps://example.com/news/bridge-closed",
        "Bridge closed\nThe council closed the bridge.\nhttps://example.com/a-b",
        "Too short.\nReally short text here.",
        "A title\n" + " ".join(["w"] * 24),
    ],
)
def test_refused_inputs_have_a_reason(text: str) -> None:
    with pytest.raises(IngestRefused) as info:
        parse_paste(text)
    assert isinstance(info.value.reason, str)
    assert info.value.reason.strip()


def test_min_words_threshold() -> None:
    body = " ".join(["w"] * 25)
    draft = parse_paste(f"A title\n{body}")
    assert draft.title == "A title"
    assert draft.paragraphs == (body,)
    with pytest.raises(IngestRefused):
        parse_paste(f"A title\n{body}", min_words=26)


@pytest.mark.parametrize("port", ["99999", "abc"])
def test_source_link_with_invalid_port_does_not_crash(port: str) -> None:
    try:
        draft = parse_paste(f"{ARTICLE}\nhttps://example.com:{port}/story")
    except IngestRefused:
        return
    assert draft.title == TITLE
    assert draft.paragraphs[:2] == (PARA1, PARA2)


# --- property tests ---------------------------------------------------------------------

_free_text = st.text(max_size=40)
_pieces = st.one_of(
    _free_text,
    st.sampled_from(
        [
            "https://",
            "http://",
            "HTTPS://",
            "example.com",
            "x.org/",
            "/news/some-story",
            "New",
            "(",
            ")",
            "<",
            ">",
            "[t](",
            ".",
            ",",
            "?q=1&utm_source=x",
            "#frag",
            " ",
            "\n",
            "\n\n",
            "\r\n",
            "\u202e",
            "\u2066",
            "\u2069",
            "\x00",
            "\x1b[31m",
            "\x9b",
            "\x85",
            "\u2028",
            "\u2029",
            "\t",
            "\u200b",
            "@everyone ",
            "'); DROP TABLE articles;--",
            "The quick brown fox jumps over the lazy dog. ",
            "Title line\n",
        ]
    ),
)
_paste_text = st.lists(_pieces, max_size=60).map("".join)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=_paste_text, min_words=st.integers(min_value=0, max_value=30))
def test_parse_paste_returns_a_draft_or_refuses(text: str, min_words: int) -> None:
    try:
        draft = parse_paste(text, min_words=min_words)
    except IngestRefused as refused:
        assert refused.reason.strip()
        return
    assert isinstance(draft, ArticleDraft)
    assert draft.title.strip()
    assert draft.paragraphs
    for paragraph in draft.paragraphs:
        assert paragraph
        assert paragraph == paragraph.strip()
    assert HEX32.fullmatch(draft.fingerprint)
    assert (draft.source_url is None) == (draft.canonical_url is None)
    # Nothing hidden, reordered or broken over lines gets into what is stored and shown.
    assert len(draft.title) <= MAX_TITLE_CHARS
    assert len(draft.note or "") <= MAX_NOTE_CHARS
    for shown in (draft.title, draft.note or "", draft.source_url or "", *draft.paragraphs):
        assert not HIDDEN_CHARACTERS.search(shown), shown
        assert not LINE_BREAKS.search(shown), shown
    if draft.source_url is not None:
        assert draft.source_url in clean_text(text)
