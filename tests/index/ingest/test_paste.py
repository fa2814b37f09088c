"""Tests for index.ingest.paste: turning a pasted article into an ArticleDraft."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import IngestRefused
from index.ingest.paste import MAX_NOTE_CHARS, MAX_TITLE_CHARS, fingerprint, parse_paste
from index.ingest.textio import clean_text, is_visible, strip_invisible
from index.models import ArticleDraft
from tests.support.discord_limits import HIDDEN_CHARACTERS, LINE_BREAKS

SEED = Path(__file__).resolve().parents[3] / "seeds" / "000_8213f59f8dbc5da2.txt"
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


def test_seed_has_no_date_line(seed_draft: ArticleDraft) -> None:
    assert seed_draft.published is None


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
            "\u3164",
            "\u2800",
            "\u0301",
            "\u200d",
            "\ufe0f",
            "# ",
            "**",
            "===\n",
            "Read more at ",
            "Source: ",
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
    # A title always shows something: never only fillers, blanks or lone marks.
    assert is_visible(draft.title) and draft.title == strip_invisible(draft.title)
    assert draft.paragraphs
    for paragraph in draft.paragraphs:
        assert paragraph
        assert paragraph == paragraph.strip()
        assert paragraph == strip_invisible(paragraph)
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


# --- titles with nothing to show ----------------------------------------------------------

OPENING_OF_PARA1 = "The city council voted on Tuesday evening to close the old river…"


@pytest.mark.parametrize(
    "title",
    [
        "\u3164",
        "\u3164\u3164\u3164",
        "\u2800",
        "\u0301\u0308",
        "\u200b\u200d\u2060",
        "\ufe0f",
        "\u115f \u1160 \uffa0",
        "\u3164 \u2800 \u200b \u0301",
        "\U000e0041\U000e0042",
        "# \u3164",
        "**\u2800**",
    ],
)
def test_a_title_line_with_nothing_visible_gives_way_to_the_opening_words(title: str) -> None:
    draft = parse_paste(f"{title}\n{PARA1}\n{PARA2}\n{LINK}")
    assert draft.title == OPENING_OF_PARA1
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url == LINK


def test_invisible_padding_around_a_title_is_taken_off() -> None:
    draft = parse_paste(f"\u3164\u2800 {TITLE} \u3164\u200b\n{PARA1}\n{PARA2}")
    assert draft.title == TITLE


def test_lines_of_fillers_are_no_paragraphs_and_no_words() -> None:
    fillers = "\u3164 " * 40
    draft = parse_paste(f"{TITLE}\n{fillers}\n{PARA1}\n\u2800\n{PARA2}")
    assert draft.paragraphs == (PARA1, PARA2)
    with pytest.raises(IngestRefused, match="no article text"):
        parse_paste(f"{fillers}\n{fillers}")
    with pytest.raises(IngestRefused, match="too short"):
        parse_paste(f"{TITLE}\nOnly a few words.\n{fillers}")


# --- Markdown ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title_line",
    [f"# {TITLE}", f"## {TITLE} ##", f"**{TITLE}**", f"_{TITLE}_", f"# **{TITLE}**"],
)
def test_markdown_around_the_title_is_taken_off(title_line: str) -> None:
    draft = parse_paste(f"{title_line}\n\n{PARA1}\n\n{PARA2}\n")
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)


@pytest.mark.parametrize("underline", ["=" * len(TITLE), "---", "======"])
def test_a_setext_heading_underline_is_not_a_paragraph(underline: str) -> None:
    draft = parse_paste(f"{TITLE}\n{underline}\n\n{PARA1}\n\n{PARA2}\n")
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)


def test_a_markdown_file_keeps_its_headings_as_plain_paragraphs() -> None:
    text = f"# {TITLE}\n\n{PARA1}\n\n## What happens next\n\n{PARA2}\n\n---\n\n#bridges #council\n"
    draft = parse_paste(text)
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, "What happens next", PARA2, "#bridges #council")


# --- a "Read more at" left hanging before the source link ------------------------------


@pytest.mark.parametrize(
    "ending",
    [
        f"\nRead more at {LINK}",
        f"\nRead more at: {LINK}",
        f"\nRead more: <{LINK}>",
        f"\nRead more here -> {LINK}",
        f"\n👉 Read the full story here: {LINK}",
        f"\nContinue reading at {LINK}",
        f"\nSource: {LINK}",
        f"\n(Source: {LINK})",
        f"\nVia {LINK}",
        f"\nOriginally published at {LINK}",
        f" Read more at {LINK}",
        f" Source: {LINK}",
        f"\nRead more at:\n{LINK}\nworth a look",
        f"\nRead more at {LINK}\nworth a look",
        f"\nSource:\n{LINK}",
    ],
)
def test_a_lead_in_to_the_source_link_is_dropped(ending: str) -> None:
    draft = parse_paste(ARTICLE + ending)
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.source_url == LINK


@pytest.mark.parametrize(
    "last_line",
    [
        "Read more about the council's repair plans at",
        "Source: the council's own inspection report, published in October,",
        "Via the city's transport office, which runs the ferries",
    ],
)
def test_a_sentence_with_content_before_the_link_is_kept(last_line: str) -> None:
    draft = parse_paste(f"{ARTICLE}\n{last_line} {LINK}")
    assert draft.paragraphs == (PARA1, PARA2, last_line)
    assert draft.source_url == LINK


def test_a_real_looking_paste_with_read_more_at_the_end() -> None:
    text = (
        "Storm closes city harbour for three days\n"
        "The city harbour closed on Saturday as a storm brought waves of up to six metres "
        "to the coast, the port authority said.\n"
        "Fishing boats stayed in the docks and two grain ships waited offshore.\n"
        "Officials expect to reopen the harbour on Tuesday once the sea wall is inspected.\n"
        "\n"
        "Read more at https://www.coastgazette.example/news/harbour-storm-closure\n"
        "stay safe out there"
    )
    draft = parse_paste(text)
    assert draft.title == "Storm closes city harbour for three days"
    assert draft.paragraphs[-1].startswith("Officials expect to reopen the harbour")
    assert not any("Read more" in p for p in draft.paragraphs)
    assert draft.source_url == "https://www.coastgazette.example/news/harbour-storm-closure"
    assert draft.note == "stay safe out there"


# --- one line ------------------------------------------------------------------------------


def test_a_one_line_paste_ending_in_a_link_takes_it_as_the_source() -> None:
    draft = parse_paste(f"{PARA1} {PARA2} Read more at {LINK} so sad")
    assert draft.paragraphs == (f"{PARA1} {PARA2}",)
    assert draft.source_url == LINK
    assert draft.note == "so sad"
    assert draft.title == OPENING_OF_PARA1


def test_a_one_line_paste_with_a_link_inside_keeps_it_in_the_text() -> None:
    text = f"Look {LINK} {PARA1} {PARA2}"
    draft = parse_paste(text)
    assert draft.source_url is None
    assert draft.paragraphs == (text,)


def test_far_too_many_paragraphs_are_refused_by_the_parser_given_a_limit():
    text = "A title\n" + "\n".join(f"word{i} and more words here" for i in range(60))
    assert len(parse_paste(text).paragraphs) == 60
    with pytest.raises(IngestRefused, match="the most an article may have is 50"):
        parse_paste(text, max_paragraphs=50)


# --- a date line near the top -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "published"),
    [
        (f"{TITLE}\nPublished 3 December 2025\n{PARA1}\n{PARA2}", "2025-12-03T00:00:00+00:00"),
        (f"Dec. 3, 2025\n{TITLE}\n{PARA1}\n{PARA2}", "2025-12-03T00:00:00+00:00"),
        (
            f"{TITLE}\nDecember 3, 2025 10:32 AM ET\n\n{PARA1}\n{PARA2}\n{LINK}",
            "2025-12-03T15:32:00+00:00",
        ),
        (
            f"{TITLE}\nUpdated: 2025-12-04\nPublished: 2025-12-03\n{PARA1}\n{PARA2}",
            "2025-12-03T00:00:00+00:00",
        ),
    ],
)
def test_a_date_line_is_the_publication_date_and_no_paragraph(text, published):
    draft = parse_paste(text)
    assert draft.published == published
    assert draft.title == TITLE
    assert draft.paragraphs == (PARA1, PARA2)
    assert draft.fingerprint == parse_paste(ARTICLE).fingerprint


def test_an_ambiguous_numeric_date_line_gives_no_date_and_is_no_paragraph():
    draft = parse_paste(f"{TITLE}\n3/12/2025\n{PARA1}\n{PARA2}")
    assert draft.published is None
    assert (draft.title, draft.paragraphs) == (TITLE, (PARA1, PARA2))


def test_a_sentence_that_mentions_a_date_stays_a_paragraph():
    sentence = "The vote was held on December 3, 2025, after a long and angry debate."
    draft = parse_paste(f"{TITLE}\n{sentence}\n{PARA1}\n{PARA2}")
    assert draft.published is None
    assert draft.paragraphs == (sentence, PARA1, PARA2)


def test_a_date_line_further_down_stays_a_paragraph():
    paragraphs = (PARA1, PARA2, "More details below.", "Tuesday's figures:", "3 December 2025")
    draft = parse_paste("\n".join((TITLE, *paragraphs)))
    assert draft.published is None
    assert draft.paragraphs == paragraphs


def test_a_paste_of_a_date_alone_is_no_article():
    with pytest.raises(IngestRefused):
        parse_paste(f"Published 3 December 2025\n{LINK}")
