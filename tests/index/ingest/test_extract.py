"""Tests for index.ingest.extract: web pages turned into articles, and the extraction eval."""

from __future__ import annotations

import asyncio
import gzip
import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.errors import IngestRefused
from index.eval import average_scores, evaluate_extraction, shingle_scores, shingles
from index.ingest.extract import (
    MIN_ARTICLE_WORDS,
    NO_ARTICLE,
    TOO_LARGE,
    TOO_SLOW,
    UNREADABLE,
    ExtractedArticle,
    Extractor,
    decode_html,
    extract_article,
)
from tests.conftest import PROJECT, SHARED

AEB = SHARED / "data" / "aeb-dev"
URL = "https://example.com/news/river-bridge?utm_source=share"
CANONICAL = "https://example.com/news/river-bridge"
TITLE = "Council votes to close the old river bridge"
PARAGRAPHS = (
    "The city council voted on Tuesday evening to close the old river bridge to all motor "
    "traffic after engineers found serious cracks in two of its main supports.",
    "The mayor said the bridge would reopen to cyclists and pedestrians once temporary "
    "repairs are done, and that a full replacement is planned for 2027.",
    "Shop owners on both banks said the closure would cost them customers during the "
    "busiest months of the year, and asked the council for help with their rents.",
)
SLOW_MARKER = "<!-- slow page -->"
BROKEN_MARKER = "<!-- broken page -->"


def article_page(
    paragraphs: tuple[str, ...] = PARAGRAPHS, *, head: str | None = None, extra: str = ""
) -> str:
    if head is None:
        head = f"""<meta charset="utf-8">
<title>{TITLE} | Example News</title>
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="/news/river-bridge">"""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head>{head}</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>{TITLE}</h1>
{body}
<p>Read more: Ten bridges across the country that need urgent repair</p>
</article>
{extra}
<footer><p>© 2024 Example News. All rights reserved.</p></footer>
</body></html>"""


def slow_or_extract(html: str, url: str | None) -> ExtractedArticle:
    """A worker for the Extractor tests: module-level, so spawned processes import it."""
    if SLOW_MARKER in html:
        time.sleep(120)
    if BROKEN_MARKER in html:
        raise ValueError("a bug in the extraction")
    return extract_article(html, url)


# -- extract_article -----------------------------------------------------------------------


def test_article_page_gives_title_paragraphs_and_metadata():
    article = extract_article(article_page(), URL)
    assert article.title == TITLE
    # The headline repeated above the text and the "Read more" line are left out.
    assert article.paragraphs == PARAGRAPHS
    assert article.author == "Jane Doe"
    # trafilatura reads the day; it is kept in ISO 8601, in UTC.
    assert article.published == "2024-03-05T00:00:00+00:00"
    assert article.site_name == "Example News"
    # The canonical link is relative on the page, made absolute against the page's URL.
    assert article.canonical_url == CANONICAL


def test_paragraphs_keep_their_order_and_list_items_lose_their_marker():
    items = "<ul><li>Two lanes will stay open for buses.</li><li>Ferries run hourly.</li></ul>"
    page = article_page(PARAGRAPHS[:2]).replace("<p>Read more", items + "<p>Read more")
    article = extract_article(page, URL)
    assert article.paragraphs == (
        *PARAGRAPHS[:2],
        "Two lanes will stay open for buses.",
        "Ferries run hourly.",
    )


def test_page_without_metadata_takes_its_title_from_the_text():
    page = "<html><body><div>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div></body></html>"
    article = extract_article(page)
    assert article.paragraphs == PARAGRAPHS
    assert article.title.startswith("The city council voted on Tuesday evening")
    assert article.title.endswith("…")
    assert len(article.title) <= 101
    assert (article.author, article.published, article.canonical_url) == (None, None, None)


def test_og_url_is_the_canonical_url_when_there_is_no_canonical_link():
    head = f'<title>{TITLE}</title><meta property="og:url" content="{CANONICAL}">'
    assert extract_article(article_page(head=head)).canonical_url == CANONICAL


def test_to_draft_fingerprints_the_paragraphs_and_uses_the_declared_url():
    draft = extract_article(article_page(), URL).to_draft(URL, note="worth a read")
    assert draft.paragraphs == PARAGRAPHS
    assert draft.source_url == URL
    assert draft.canonical_url == CANONICAL
    assert draft.note == "worth a read"
    assert re.fullmatch(r"[0-9a-f]{32}", draft.fingerprint)
    assert draft.published == "2024-03-05T00:00:00+00:00"


@pytest.mark.parametrize(
    ("meta", "published"),
    [
        # trafilatura keeps the day the page states, not its time.
        ("2023-11-20T23:30:00-05:00", "2023-11-20T00:00:00+00:00"),
        ("2023-11-20", "2023-11-20T00:00:00+00:00"),
    ],
)
def test_the_publication_date_is_iso_in_utc(meta, published):
    head = (
        f'<meta charset="utf-8"><title>{TITLE}</title>'
        f'<meta property="article:published_time" content="{meta}">'
    )
    assert extract_article(article_page(head=head), URL).published == published


LOGIN_WALL = """<html><head><title>Sign in</title></head><body>
<h1>Sign in to continue reading</h1>
<form action="/login"><input name="user"><input type="password" name="pw">
<button>Log in</button></form>
<p>Forgot your password?</p><a href="/subscribe">Subscribe for full access</a>
</body></html>"""
INDEX_PAGE = (
    "<html><head><title>News</title></head><body><h1>Latest news</h1><ul>"
    + "".join(
        f"<li><a href='/story/{i}'>Headline of story number {i} from around the region</a></li>"
        for i in range(30)
    )
    + "</ul></body></html>"
)


@pytest.mark.parametrize(
    "page",
    [
        LOGIN_WALL,
        INDEX_PAGE,
        "",
        "   \n  ",
        "\x00\x01\x02\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe garbage",
        "%PDF-1.4 1 0 obj << /Type /Catalog >> endobj",
        article_page(("Too short to be an article.",)),
    ],
    ids=["login-wall", "index-page", "empty", "blank", "binary", "pdf", "too-short"],
)
def test_pages_without_an_article_are_refused(page):
    with pytest.raises(IngestRefused) as refused:
        extract_article(page, URL)
    assert refused.value.reason == NO_ARTICLE


def test_minimum_is_counted_in_words():
    words = [f"word{i}" for i in range(MIN_ARTICLE_WORDS)]
    just_enough = (" ".join(words) + ".",)
    assert extract_article(article_page(just_enough)).paragraphs == just_enough
    with pytest.raises(IngestRefused):
        extract_article(article_page((" ".join(words[1:]) + ".",)))


# -- decode_html ---------------------------------------------------------------------------

CP1252_TEXT = "Café owners “welcome” the plan — it costs €5"


def test_decode_cp1252_page_declared_in_meta():
    page = f'<html><head><meta charset="windows-1252"></head><body><p>{CP1252_TEXT}</p>'
    data = page.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert CP1252_TEXT in decode_html(data, None)


def test_decode_latin1_label_means_windows_1252():
    page = (
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        f"<p>{CP1252_TEXT}</p>"
    )
    assert CP1252_TEXT in decode_html(page.encode("cp1252"), None)


def test_decode_utf8_page_without_declaration():
    page = "<p>Zürich, Łódź and 東京 — “quoted”</p>"
    assert decode_html(page.encode("utf-8"), None) == page


def test_decode_http_charset_comes_before_meta():
    page = '<meta charset="windows-1252"><p>Zürich</p>'
    assert "Zürich" in decode_html(page.encode("utf-8"), "utf-8")
    # A wrong HTTP charset that cannot decode the bytes gives way to the meta tag.
    assert "Zürich" in decode_html(page.encode("cp1252"), "utf-8")


def test_decode_falls_back_to_cp1252_and_ignores_unknown_labels():
    data = f"<p>{CP1252_TEXT}</p>".encode("cp1252")
    assert CP1252_TEXT in decode_html(data, "no-such-charset")
    assert CP1252_TEXT in decode_html(data, "base64")


def test_decode_honours_a_byte_order_mark():
    assert decode_html("<p>Zürich</p>".encode("utf-16"), "cp1252") == "<p>Zürich</p>"


# -- Extractor -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
async def test_extractor_gives_the_same_result_as_extract_article(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    page = article_page()
    async with Extractor(mp_context=multiprocessing.get_context(method)) as extractor:
        assert await extractor.extract(page, URL) == extract_article(page, URL)


async def test_extractor_passes_refusals_on():
    async with Extractor(workers=2) as extractor:
        with pytest.raises(IngestRefused) as refused:
            await extractor.extract(LOGIN_WALL, URL)
    assert refused.value.reason == NO_ARTICLE


async def test_extractor_refuses_a_huge_page_without_reading_it():
    async with Extractor(max_chars=1000, worker=slow_or_extract) as extractor:
        with pytest.raises(IngestRefused) as refused:
            await extractor.extract(SLOW_MARKER + "x" * 1000, URL)
    assert refused.value.reason == TOO_LARGE


async def test_extractor_time_limit_refuses_and_the_next_page_still_works(tmp_path):
    page = article_page()
    async with Extractor(time_limit=3.0, worker=slow_or_extract) as extractor:
        pids = set(await _worker_pids(extractor))
        with pytest.raises(IngestRefused) as refused:
            await extractor.extract(SLOW_MARKER + page, URL)
        assert refused.value.reason == TOO_SLOW
        # The stuck worker was killed rather than left to finish its two minutes.
        for pid in pids:
            assert _gone(pid)
        assert await extractor.extract(page, URL) == extract_article(page, URL)


async def test_extractor_turns_a_worker_error_into_a_refusal():
    page = article_page()
    async with Extractor(worker=slow_or_extract) as extractor:
        with pytest.raises(IngestRefused) as refused:
            await extractor.extract(BROKEN_MARKER + page, URL)
        assert refused.value.reason == UNREADABLE
        assert await extractor.extract(page, URL) == extract_article(page, URL)


async def test_closing_abandons_a_page_in_progress_and_kills_its_worker():
    extractor = Extractor(time_limit=60.0, worker=slow_or_extract)
    pids = await _worker_pids(extractor)
    reading = asyncio.create_task(extractor.extract(SLOW_MARKER + article_page(), URL))
    await asyncio.sleep(0.5)
    extractor.close()
    with pytest.raises(IngestRefused) as refused:
        await reading
    assert refused.value.reason == UNREADABLE
    for pid in pids:
        assert _gone(pid)


async def _worker_pids(extractor: Extractor) -> list[int]:
    await extractor.extract(article_page(), URL)
    pids = extractor.worker_pids
    assert pids
    return pids


def _gone(pid: int, wait: float = 30.0) -> bool:
    """True once the process has exited (a zombie counts as exited)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        except OSError:
            os.kill(pid, 0)  # no /proc here: raises once the process is gone
        else:
            if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return True
        time.sleep(0.1)
    return False


async def test_extractor_refuses_use_after_close():
    extractor = Extractor()
    extractor.close()
    with pytest.raises(RuntimeError):
        await extractor.extract(article_page(), URL)


# -- the extraction eval -------------------------------------------------------------------


def test_shingles_are_lower_cased_word_4_grams():
    assert shingles("The cat, the HAT!") == {("the", "cat", "the", "hat"): 1}
    assert sum(shingles("one two three four five six").values()) == 3
    # Fewer than four words make one shorter shingle.
    assert shingles("Hello world") == {("hello", "world"): 1}
    assert shingles(" ... ") == {}


def test_shingle_scores_on_hand_made_texts():
    truth = "the cat sat on the mat today"  # 4 shingles
    assert shingle_scores("the cat sat on the mat", truth) == (1.0, 0.75)
    assert shingle_scores("Menu. The cat sat on the mat today", truth) == (0.8, 1.0)
    assert shingle_scores("a dog ran off", truth) == (0.0, 0.0)
    assert shingle_scores("", truth) == (0.0, 0.0)
    assert shingle_scores("", "") == (1.0, 1.0)
    # A shingle repeated in the extraction matches only as often as the truth has it.
    assert shingle_scores("a b c d a b c d", "a b c d") == (0.2, 1.0)
    assert shingle_scores("short one", "short one") == (1.0, 1.0)
    assert shingle_scores("short", "short one") == (0.0, 0.0)


def test_scores_average_over_pages_before_f1():
    scores = average_scores([(1.0, 1.0), (0.5, 0.0)])
    assert (scores.precision, scores.recall) == (0.75, 0.5)
    assert scores.f1 == pytest.approx(0.6)
    assert scores.line("first half") == "first half F1 0.600 precision 0.750 recall 0.500"


def test_extraction_command_on_a_small_benchmark(tmp_path):
    (tmp_path / "html").mkdir()
    other = (
        "Completely different words about a football match that ended in a draw "
        "after ninety minutes of rain."
    )
    truth = {
        "a-page": {"articleBody": "\n".join(PARAGRAPHS), "url": URL},
        "b-page": {"articleBody": other, "url": URL},
    }
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    for name in truth:
        data = gzip.compress(article_page().encode("utf-8"))
        (tmp_path / "html" / f"{name}.html.gz").write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-m", "index.eval", "extraction", "--aeb", str(tmp_path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "F1 0.500 precision 0.500 recall 0.500"
    assert lines[1] == "first half F1 1.000 precision 1.000 recall 1.000"
    assert lines[2] == "second half F1 0.000 precision 0.000 recall 0.000"
    assert lines[3].startswith("exact paragraphs 0.750 (3 of 4 ")
    assert re.fullmatch(r"ms per page median \d+ p95 \d+ \(2 pages\)", lines[4])


@pytest.mark.skipif(not AEB.is_dir(), reason="the aeb-dev pages are not here")
def test_extraction_on_aeb_dev_reaches_f1_096_on_each_half():
    report = evaluate_extraction(AEB)
    assert report.whole.pages == 133
    assert report.whole.f1 >= 0.96
    assert report.first_half.f1 >= 0.96
    assert report.second_half.f1 >= 0.96


# -- titles with nothing to show, and pages that claim odd things ---------------------------

OPENING_OF_FIRST = "The city council voted on Tuesday evening to close the old river…"


@pytest.mark.parametrize("blank", ["\u3164", "\u2800\u2800", "&#x3164;", "\u200b\u200d", "&#x301;"])
def test_a_title_with_nothing_visible_gives_way_to_the_opening_words(blank):
    head = (
        f'<meta charset="utf-8"><title>{blank}</title><meta property="og:title" content="{blank}">'
    )
    page = article_page(head=head).replace(f"<h1>{TITLE}</h1>", f"<h1>{blank}</h1>")
    article = extract_article(page, URL)
    assert article.title == OPENING_OF_FIRST
    assert article.paragraphs == PARAGRAPHS


def test_a_draft_never_carries_an_invisible_title():
    article = ExtractedArticle(title="\u3164 \u2800", paragraphs=PARAGRAPHS)
    assert article.to_draft(URL).title == OPENING_OF_FIRST
    assert ExtractedArticle(title="# **Bridge**", paragraphs=PARAGRAPHS).to_draft().title == (
        "Bridge"
    )


def test_paragraphs_of_fillers_are_no_article():
    fillers = tuple("\u3164 " * 30 for _ in range(3))
    with pytest.raises(IngestRefused):
        extract_article(article_page(fillers), URL)


@pytest.mark.parametrize(
    "href", ["http://example.com:99999/x", "http://[bad/x", "http://example.com:abc/"]
)
def test_a_canonical_link_no_browser_could_follow_is_ignored(href):
    head = f'<title>{TITLE}</title><link rel="canonical" href="{href}">'
    article = extract_article(article_page(head=head), URL)
    assert article.canonical_url is None
    assert article.to_draft(URL).canonical_url == CANONICAL


@pytest.mark.parametrize("label", ["undefined", "idna", "punycode", "rot13", "base64"])
def test_decode_survives_charsets_that_are_no_text_encoding(label):
    page = f'<meta charset="{label}"><p>Café owners welcome the plan</p>'.encode()
    assert "Café owners" in decode_html(page)
    assert "Café owners" in decode_html(page, label)
