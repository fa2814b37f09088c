"""Quotes in Chinese, Japanese, Arabic and Hebrew through both renderers: the text as
written (logical order, nothing reversed, dropped or doubled), bold only around the
matched words, and within Discord's limits."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest
import wcwidth
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render_text
from bot.render_discord import EMBEDS_PER_MESSAGE, quote, render_answer
from index.models import Answer, ArticleInfo, Passage
from index.search.analyzer import analyse
from index.search.snippets import make_snippet
from tests.bot.test_render_discord import article as english_article
from tests.support.discord_limits import assert_fits_discord

ARABIC = "افتتحت المكتبة الجديدة في القاهرة يوم الثلاثاء. وحضر الافتتاح آلاف الزوار."
HEBREW = "הספרייה החדשה נפתחה בירושלים ביום שלישי. אלפי מבקרים הגיעו לפתיחה."
CHINESE = "北京大学是中国的一所著名大学。它成立于1898年。"
JAPANESE = "東京タワーは港区にあります。高さは333メートルです。"


def article(language: str | None) -> ArticleInfo:
    return dataclasses.replace(english_article("خبر"), language=language)


def found(paragraph: str, question: str, language: str, max_chars: int = 600) -> Passage:
    """The passage the engine would quote from ``paragraph`` for ``question``."""
    snippet = make_snippet(
        paragraph, set(analyse(question, language)), max_chars=max_chars, language=language
    )
    return Passage(
        article=article(language=language),
        paragraph_id=1,
        position=0,
        text=snippet.text,
        highlights=snippet.highlights,
        score=2.5,
        trimmed_start=snippet.trimmed_start,
        trimmed_end=snippet.trimmed_end,
    )


def bold_words(shown: str) -> list[str]:
    return shown.split("**")[1::2]


# -- Discord ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "question", "language", "bold"),
    [
        (ARABIC, "متى افتتحت المكتبة؟", "ar", ["افتتحت", "المكتبة"]),
        (HEBREW, "מתי נפתחה הספרייה?", "he", ["הספרייה", "נפתחה"]),
        (CHINESE, "北京大学在哪里？", "zh", ["北京大学", "大学"]),
        (JAPANESE, "東京タワーの高さ", "ja", ["東京タワー", "高さ"]),
    ],
)
def test_discord_quotes_the_text_as_written_with_bold_matched_words(
    paragraph: str, question: str, language: str, bold: list[str]
) -> None:
    passage = found(paragraph, question, language)
    assert passage.text == paragraph
    rendered = render_answer(Answer(question, (passage,), tuple(analyse(question, language))))
    assert_fits_discord(rendered.content, rendered.embeds)
    description = rendered.embeds[0].description
    assert description == quote(passage)
    assert description.replace("**", "") == "> " + paragraph  # nothing reversed or mangled
    assert bold_words(description) == bold
    assert "****" not in description  # overlapping character pairs made one bold run


def test_discord_keeps_right_to_left_marks_and_drops_overrides() -> None:
    # A right-to-left mark and Hebrew points belong to the text; an override would make
    # it display as something else.
    pointed = unicodedata.normalize("NFC", "שָׁלוֹם\u200f עוֹלָם. המכתב הגיע.")
    shown = quote(found(pointed, "מכתב", "he"))
    assert shown.replace("**", "") == "> " + pointed
    hostile = quote(found("\u202eשלום עולם. המכתב הגיע.", "מכתב", "he"))
    assert hostile.replace("**", "") == "> שלום עולם. המכתב הגיע."


@pytest.mark.parametrize(
    ("sentence", "question", "language"),
    [
        ("北京大学是中国的一所著名大学，校园在颐和园附近，", "北京大学", "zh"),
        ("افتتحت المكتبة الجديدة في القاهرة يوم الثلاثاء، ", "المكتبة", "ar"),
    ],
)
def test_ten_long_quotes_fit_one_message_and_keep_their_text(
    sentence: str, question: str, language: str
) -> None:
    # One long sentence, quoted 600 characters of it; ten passages share 6,000 characters,
    # so each quote is cut to a few hundred: between words, or between characters of
    # Chinese, which has no spaces to cut at.
    paragraph = sentence * 40
    passages = tuple(found(paragraph, question, language) for _ in range(EMBEDS_PER_MESSAGE))
    assert all(len(p.text) > 500 for p in passages)
    rendered = render_answer(Answer(question, passages, tuple(analyse(question, language))))
    assert_fits_discord(rendered.content, rendered.embeds)
    for embed, passage in zip(rendered.embeds, passages, strict=True):
        shown = embed.description.split("\n\n")[0]
        assert shown.startswith("> ") and shown.endswith(" …")
        kept = shown.removeprefix("> ").removesuffix(" …").replace("**", "")
        assert len(kept) > 100  # cut, not emptied
        assert passage.text.startswith(kept)
        asked = set(analyse(question, language))
        assert bold_words(shown)
        assert all(set(analyse(word, language)) <= asked for word in bold_words(shown))


SCRIPT_TEXT = st.lists(
    st.sampled_from(
        [
            "北京",
            "大学",
            "東京タワー",
            "。",
            "！",
            "المكتبة",
            "القاهرة",
            "؟",
            "ירושלים",
            "הספרייה",
            "Москва",
            "Harbour",
            ". ",
            " ",
            "\u200f",
            "3.5",
        ]
    ),
    min_size=1,
    max_size=200,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(
    paragraph=SCRIPT_TEXT,
    question=SCRIPT_TEXT,
    language=st.sampled_from(["zh", "ja", "ar", "he", "ru", "en"]),
    limit=st.integers(20, 1400),
)
def test_any_quote_in_these_scripts_is_its_text_in_order_within_the_limit(
    paragraph: str, question: str, language: str, limit: int
) -> None:
    passage = found(paragraph, question, language)
    shown = quote(passage, limit)
    assert len(shown) <= limit
    kept = shown.removeprefix("> ").removeprefix("… ").removesuffix(" …").replace("**", "")
    assert passage.text.startswith(kept.rstrip())
    assert shown.count("**") % 2 == 0 and "****" not in shown


# -- the console --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "question", "language", "bold"),
    [
        (ARABIC, "متى افتتحت المكتبة؟", "ar", ["افتتحت", "المكتبة"]),
        (HEBREW, "מתי נפתחה הספרייה?", "he", ["הספרייה", "נפתחה"]),
        (CHINESE, "北京大学在哪里？", "zh", ["北京大学", "大学"]),
    ],
)
def test_console_quotes_the_text_as_written_with_bold_matched_words(
    paragraph: str, question: str, language: str, bold: list[str]
) -> None:
    answer = Answer(question, (found(paragraph, question, language),), ("x",))
    plain = render_text.answer_text(answer)
    colored = render_text.answer_text(answer, color=True)
    assert f"    > {paragraph}" in plain.splitlines()
    assert wcwidth.strip_sequences(colored) == plain
    marked = colored.split(render_text.BOLD)[1:]
    assert [part.split(render_text.RESET)[0] for part in marked] == bold


def test_console_wraps_right_to_left_text_between_words_in_reading_order() -> None:
    answer = Answer("q", (found(ARABIC, "المكتبة", "ar"),), ("x",))
    colored = render_text.answer_text(answer, color=True)
    fitted = render_text.fit_to_width(colored, 30).splitlines()
    quote_lines = fitted[next(n for n, line in enumerate(fitted) if "> " in line) :]
    assert len(quote_lines) > 2
    assert all(render_text.visible_width(line) <= 30 for line in quote_lines)
    words = " ".join(wcwidth.strip_sequences(line) for line in quote_lines).split()
    assert words == [">", *ARABIC.split()]


def test_console_counts_chinese_and_japanese_characters_as_two_columns() -> None:
    chinese = "北京大学是中国的一所著名大学。"
    answer = Answer("q", (found(chinese, "北京大学", "zh"),), ("x",))
    for color in (False, True):
        line = next(
            line
            for line in render_text.answer_text(answer, color=color).splitlines()
            if line.startswith("    > ")
        )
        assert render_text.visible_width(line) == len("    > ") + 2 * len(chinese)
    spaced = "    > " + "港口 重新开放 " * 10
    fitted = render_text.fit_to_width(spaced, 30).splitlines()
    assert len(fitted) > 1 and all(render_text.visible_width(line) <= 30 for line in fitted)
