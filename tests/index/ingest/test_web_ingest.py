"""Links to articles, end to end: local server -> fetch -> extract -> store -> index -> answer."""

from __future__ import annotations

import re

import pytest
import pytest_asyncio

from index import Engine
from index.errors import IngestRefused
from index.ingest.extract import Extractor
from index.ingest.fetch import Fetcher, FetchLimits
from index.ingest.netpolicy import AddressPolicy
from index.ingest.sources import message_sources
from index.models import Attachment, Provenance
from tests.conftest import SEED, SEED_URL, SHARED
from tests.support.engines import open_engine
from tests.support.web import PLAIN_ARTICLE, serve

pytestmark = pytest.mark.asyncio(loop_scope="module")
GUILD = 42
AEB = SHARED / "data" / "aeb-dev"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web():
    async with serve(AEB, pages=6) as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def extractor():
    async with Extractor(time_limit=30) as extractor:
        yield extractor


@pytest_asyncio.fixture(loop_scope="module")
async def engine(tmp_path, extractor):
    fetcher = Fetcher(
        AddressPolicy.allowing(["127.0.0.1/32"], any_port=True),
        FetchLimits(total_seconds=3, read_seconds=2),
    )
    engine = await open_engine(tmp_path / "web.sqlite3", fetcher=fetcher, extractor=extractor)
    yield engine
    await engine.close()
    await fetcher.close()


async def articles(engine: Engine) -> int:
    return (await engine.stats(GUILD)).articles


async def test_a_linked_article_is_fetched_extracted_and_answered(web, engine):
    result = await engine.ingest_url(
        GUILD, web.url("/article"), Provenance(poster_name="ann"), note="big news"
    )
    article = result.article
    assert result.added
    assert article.title == "Harbour reopens after storm"
    assert article.source_url == web.url("/article")
    assert (article.author, article.site_name, article.note) == (
        "Jo Reporter",
        "Coast Gazette",
        "big news",
    )
    paragraphs = [p.text for p in await engine.article_paragraphs(GUILD, article.id)]
    assert paragraphs[0].startswith("The city harbour reopened on Tuesday")
    assert not any("Copyright" in p or p == "Home" for p in paragraphs)
    answer = await engine.ask(GUILD, "How much will the sea wall repairs cost?")
    assert "four million dollars" in answer.passages[0].text
    assert answer.passages[0].article.source_url == web.url("/article")


@pytest.mark.skipif(not AEB.exists(), reason="the extraction benchmark is not beside the project")
async def test_benchmark_pages_served_locally_become_answerable_articles(web, engine):
    for name, truth in web.pages.items():
        result = await engine.ingest_url(GUILD, web.url(f"/aeb/{name}"))
        assert result.added, name
        # A sentence from the middle of the true article text is found, in that article.
        body = [p for p in truth["articleBody"].split("\n") if len(p.split()) >= 12]
        sentence = body[len(body) // 2]
        answer = await engine.ask(GUILD, sentence, limit=1)
        assert answer.passages and answer.passages[0].article.id == result.article.id, name
    assert await articles(engine) == len(web.pages)


async def test_the_same_story_under_other_links_is_stored_once(web, engine):
    first = await engine.ingest_url(GUILD, web.url("/article"))
    fetches = web.hits["/article"]
    tracking = await engine.ingest_url(
        GUILD, web.url("/article") + "?utm_source=twitter&fbclid=abc#comments"
    )
    assert tracking.status == "duplicate" and web.hits["/article"] == fetches  # not refetched
    short = await engine.ingest_url(GUILD, web.url("/short"))
    assert short.status == "duplicate" and short.article.id == first.article.id
    assert await articles(engine) == 1


async def test_plain_text_pages_are_parsed_like_pastes(web, engine):
    result = await engine.ingest_url(GUILD, web.url("/plain"))
    assert result.article.title == PLAIN_ARTICLE.splitlines()[0]
    assert "ash" in (await engine.ask(GUILD, "What covered the valley?")).passages[0].text


@pytest.mark.parametrize("path", ["/cp1252", "/meta-latin1"])
async def test_pages_in_windows_1252_are_decoded(web, engine, path):
    result = await engine.ingest_url(GUILD, web.url(path))
    text = " ".join(p.text for p in await engine.article_paragraphs(GUILD, result.article.id))
    assert "café" in text and "Ã" not in text


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/login", "no article text found on that page"),
        ("/status/404", "the site answered 404 Not Found"),
        ("/gzip-bomb", "the page is larger than 3 MB"),
        ("/endless", "the page is larger than 3 MB"),
        ("/drip", "the page took too long to answer"),
        ("/image", "that link is not a web page (image/png)"),
        ("/redirect?to=http://169.254.169.254/latest/meta-data/", "that address is not public"),
        ("/loop", "the link redirects too many times"),
    ],
)
async def test_refusals_leave_nothing_behind(web, engine, path, reason):
    outcomes = await engine.ingest_message(GUILD, f"look at this {web.url(path)}")
    assert [(o.ok, o.error) for o in outcomes] == [(False, reason)]
    assert await articles(engine) == 0
    assert await engine.list_articles(GUILD) == []


async def test_an_unfetchable_link_with_its_text_attached_uses_the_text(web, engine):
    link = web.url("/status/403")
    outcomes = await engine.ingest_message(
        GUILD,
        f"Paywalled, text attached {link}",
        [Attachment("message.txt", PLAIN_ARTICLE.encode(), None)],
    )
    (outcome,) = outcomes
    assert outcome.ok and outcome.source == link
    article = outcome.result.article
    assert article.source_url == link and article.note == "Paywalled, text attached"
    assert article.title == "Volcano erupts near village"


async def test_a_fetchable_link_with_its_text_attached_is_one_article(web, engine):
    outcomes = await engine.ingest_message(
        GUILD, web.url("/article"), [Attachment("message.txt", PLAIN_ARTICLE.encode())]
    )
    assert [o.ok for o in outcomes] == [True]
    assert await articles(engine) == 1


async def test_message_shapes(web, engine):
    text = (
        f"Two stories: <{web.url('/article')}> and [the volcano]({web.url('/plain')}), "
        f"plus the first again {web.url('/article')}?utm_medium=x"
    )
    outcomes = await engine.ingest_message(GUILD, text)
    assert [o.source for o in outcomes] == [web.url("/article"), web.url("/plain")]
    assert all(o.ok for o in outcomes)
    note = outcomes[0].result.article.note
    assert note is not None and "http" not in note


async def test_too_many_links_are_reported_not_ignored(web, engine):
    links = " ".join(web.url(f"/status/404?n={i}") for i in range(8))
    outcomes = await engine.ingest_message(GUILD, links)
    assert len(outcomes) == 6
    assert outcomes[-1].error == "only the first 5 links of a message are read"


async def test_attachments_seed_html_and_others(web, engine):
    html = (await _page(web, "/article")).encode()
    outcomes = await engine.ingest_message(
        GUILD,
        "",
        [
            Attachment("message.txt", SEED.read_bytes(), None),
            Attachment("story.html", html, "text/html"),
            Attachment("photo.png", b"\x89PNG", "image/png"),
            Attachment("notes.txt", b"\x00\x01\x02" * 100, "text/plain"),
        ],
    )
    assert [(o.source, o.ok) for o in outcomes] == [
        ("message.txt", True),
        ("story.html", True),
        ("photo.png", False),
        ("notes.txt", False),
    ]
    assert outcomes[0].result.article.source_url == SEED_URL
    assert re.search(r"not a file the bot can read", outcomes[2].error)
    assert outcomes[3].error == "the file does not look like text"
    assert await articles(engine) == 2


async def test_a_pasted_article_in_the_message_body(engine):
    outcomes = await engine.ingest_message(GUILD, SEED.read_text(encoding="utf-8"))
    assert len(outcomes) == 1 and outcomes[0].ok
    assert outcomes[0].result.article.note == "New update my fellas. War stuff"


async def test_a_short_remark_without_links_is_not_an_article(engine):
    assert await engine.ingest_message(GUILD, "good morning everyone") == []


async def _page(web, path: str) -> str:
    async with Fetcher(AddressPolicy.allowing(["127.0.0.1/32"], any_port=True)) as fetcher:
        return (await fetcher.fetch(web.url(path))).body.decode()


CLASS_NAME = re.compile(r"\w+(?:Error|Exception)\b|Exception")
ONE_LINE_ARTICLE = " ".join(PLAIN_ARTICLE.splitlines()[1:]) + (
    " Roads to the valley stayed closed through the evening while crews cleared the ash, and "
    "schools in three villages will stay shut until Wednesday."
)


async def test_a_one_line_article_with_an_unreadable_link_is_kept_from_its_text(web, engine):
    link = web.url("/status/403")
    sources = message_sources(f"{ONE_LINE_ARTICLE} Read more at {link} so sad")
    assert sources.links == (link,) and sources.article_text is not None
    result = await engine.ingest_url(
        GUILD, link, note=sources.remark, fallback_text=sources.article_text
    )
    assert result.added
    article = result.article
    assert article.source_url == link and article.note == "so sad"
    assert article.title.startswith("The volcano erupted at dawn on Sunday")
    paragraphs = [p.text for p in await engine.article_paragraphs(GUILD, article.id)]
    assert paragraphs == [ONE_LINE_ARTICLE]
    assert "ash" in (await engine.ask(GUILD, "What covered the valley?")).passages[0].text


async def test_a_one_line_article_ending_in_an_unreadable_link_is_indexed_from_the_message(
    web, engine
):
    link = web.url("/status/403")
    (outcome,) = await engine.ingest_message(
        GUILD, f"{ONE_LINE_ARTICLE} Read more at {link} so sad"
    )
    assert outcome.ok and outcome.result.added
    assert outcome.result.article.source_url == link
    assert outcome.result.article.note == "so sad"
    assert "ash" in (await engine.ask(GUILD, "What covered the valley?")).passages[0].text


async def test_a_short_remark_with_an_unreadable_link_is_still_refused(web, engine):
    (outcome,) = await engine.ingest_message(GUILD, f"so sad {web.url('/status/403')}")
    assert not outcome.ok and "403" in outcome.error


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("http://1.2.3.4.5/story", "that is not a valid link"),
        ("http://0177.0.0.2:{port}/article", "that address is not public"),
        ("http://xn--.example/story", "that is not a valid link"),
    ],
)
async def test_odd_links_in_a_message_are_refused_in_plain_words(web, engine, link, reason):
    port = web.base.rsplit(":", 1)[1]
    outcomes = await engine.ingest_message(GUILD, f"look {link.format(port=port)}")
    assert [(o.ok, o.error) for o in outcomes] == [(False, reason)]
    assert not CLASS_NAME.search(outcomes[0].error)
    assert await articles(engine) == 0


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("http://2130706434:{port}/article", "that address is not public"),  # 127.0.0.2
        ("http://a..b.example/story", "that is not a valid link"),
        ("http://localhost.:{port}/status/404", "the site answered 404 Not Found"),
    ],
)
async def test_odd_links_given_alone_are_refused_in_plain_words(web, engine, link, reason):
    port = web.base.rsplit(":", 1)[1]
    with pytest.raises(IngestRefused) as refused:
        await engine.ingest_url(GUILD, link.format(port=port))
    assert refused.value.reason == reason
    assert await articles(engine) == 0


async def test_a_numeric_link_to_an_allowed_address_is_read(web, engine):
    port = web.base.rsplit(":", 1)[1]
    result = await engine.ingest_url(GUILD, f"http://2130706433:{port}/article")
    assert result.added and result.article.title == "Harbour reopens after storm"
