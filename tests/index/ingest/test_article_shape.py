"""Drafts that cannot be one article are refused with a plain reason."""

from __future__ import annotations

import json

import pytest

from index.errors import IngestRefused
from index.ingest.article_shape import (
    LIST_CHECK_MIN_PARAGRAPHS,
    MAX_PARAGRAPHS,
    check_shape,
    is_tiny,
)
from index.ingest.paste import parse_paste
from tests.conftest import SEED, SHARED

AEB_TRUTH = SHARED / "data" / "aeb-dev" / "ground-truth.json"


def test_tiny_paragraphs():
    assert is_tiny("Ukraine") and is_tiny("Read more") and is_tiny("2)")
    assert not is_tiny("The harbour reopened.")
    # One "word" of Japanese is a sentence: characters count too.
    assert not is_tiny("報道によると、今回販売されたのは脱獄したiPhone。")


def test_paragraph_limit():
    check_shape(["A sentence of a few words."] * MAX_PARAGRAPHS)
    with pytest.raises(IngestRefused) as refused:
        check_shape(["A sentence of a few words."] * (MAX_PARAGRAPHS + 1))
    assert "it has 5,001 paragraphs; the most an article may have is 5,000" in refused.value.reason


def test_word_lists_are_refused_and_short_posts_with_lists_are_not():
    prose = ["The mayor said the harbour would reopen on Tuesday after the storm."]
    with pytest.raises(IngestRefused, match="only a word or two"):
        check_shape(prose * 20 + ["word"] * 100)
    check_shape(prose * 40 + ["word"] * 100)  # a list inside an article
    check_shape(prose + ["word"] * (LIST_CHECK_MIN_PARAGRAPHS - 2))  # short: not judged


def test_the_seed_is_an_article():
    draft = parse_paste(SEED.read_text(encoding="utf-8"))
    check_shape(draft.paragraphs)


@pytest.mark.skipif(not AEB_TRUTH.is_file(), reason="the extraction benchmark is not beside us")
def test_real_articles_are_accepted():
    pages = json.loads(AEB_TRUTH.read_text(encoding="utf-8"))
    for page in pages.values():
        paragraphs = [line.strip() for line in page["articleBody"].split("\n") if line.strip()]
        check_shape(paragraphs)
        # Even a hundred times as long, each of them is still an article to the list check.
        check_shape((paragraphs * (LIST_CHECK_MIN_PARAGRAPHS // len(paragraphs) + 1))[:4000])
