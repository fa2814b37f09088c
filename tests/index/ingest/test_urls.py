"""Tests for index.ingest.urls: finding links in pasted text and canonicalising them."""

from __future__ import annotations

import itertools
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.ingest.urls import FoundUrl, canonical_url, find_urls, ipv4_host


def urls(text: str) -> list[str]:
    return [found.url for found in find_urls(text)]


def assert_spans_match(text: str, found: list[FoundUrl]) -> None:
    for item in found:
        assert text[item.start : item.end] == item.url


# --- find_urls --------------------------------------------------------------------------


def test_plain_link_with_span() -> None:
    text = "read https://x.com/a today"
    assert find_urls(text) == [FoundUrl("https://x.com/a", 5, 20)]


def test_no_links() -> None:
    assert find_urls("no links here, not even www.example.com") == []
    assert find_urls("") == []


@pytest.mark.parametrize("text", ["http://./", "https://.example.com/a", "https://a..b/c"])
def test_host_with_an_empty_label_is_not_a_link(text: str) -> None:
    assert find_urls(text) == []


def test_scheme_without_host_is_not_a_link() -> None:
    assert find_urls("see http:// and https://nohost/path") == []


def test_localhost_is_a_link() -> None:
    assert urls("dev server at http://localhost/x now") == ["http://localhost/x"]


def test_glued_on_the_left() -> None:
    text = "into this countryhttps://x.com/a-b and more"
    found = find_urls(text)
    assert [f.url for f in found] == ["https://x.com/a-b"]
    assert found[0].start == text.index("https://")
    assert found[0].end == found[0].start + len("https://x.com/a-b")
    assert_spans_match(text, found)


def test_glued_on_the_right_to_capitalised_word_after_slug() -> None:
    text = "https://x.com/news/some-storyNew words"
    found = find_urls(text)
    assert [f.url for f in found] == ["https://x.com/news/some-story"]
    assert (found[0].start, found[0].end) == (0, len("https://x.com/news/some-story"))


def test_glued_on_both_sides() -> None:
    text = "drugs into this countryhttps://www.axios.com/2025/11/24/boat-strikesNew update"
    found = find_urls(text)
    assert [f.url for f in found] == ["https://www.axios.com/2025/11/24/boat-strikes"]
    assert text[found[0].end :] == "New update"
    assert text[: found[0].start] == "drugs into this country"


@pytest.mark.parametrize("remark", ["I think this is big", "A must read"])
def test_glued_on_the_right_to_one_letter_word(remark: str) -> None:
    text = f"https://x.com/news/some-story{remark}"
    assert urls(text) == ["https://x.com/news/some-story"]


@pytest.mark.parametrize(
    "url",
    [
        "https://en.wikipedia.org/wiki/New_York",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://github.com/openai/ChatGPT",
        "https://x.com/news/storyNew",  # no separator in the segment: not a slug
        "https://x.com/news/some-story?id=1New",  # query string: never cut
        "https://x.com/news/some-story#sectionTwo",  # fragment: never cut
    ],
)
def test_not_cut_inside_camelcase_or_query(url: str) -> None:
    text = f"see {url} now"
    found = find_urls(text)
    assert [f.url for f in found] == [url]
    assert_spans_match(text, found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.com/story.", "https://example.com/story"),
        ("is it https://example.com/story?", "https://example.com/story"),
        ("wow https://example.com/story!!", "https://example.com/story"),
        ("first https://example.com/a, then", "https://example.com/a"),
        ("as follows: https://example.com/a; and", "https://example.com/a"),
        ("quote 'https://example.com/a'", "https://example.com/a"),
        ('quote "https://example.com/a"', "https://example.com/a"),
    ],
)
def test_trailing_punctuation_and_quotes_are_dropped(text: str, expected: str) -> None:
    found = find_urls(text)
    assert [f.url for f in found] == [expected]
    assert_spans_match(text, found)


def test_parentheses_keep_balanced_drop_outer() -> None:
    text = "(https://en.wikipedia.org/wiki/Foo_(bar))"
    found = find_urls(text)
    assert found == [FoundUrl("https://en.wikipedia.org/wiki/Foo_(bar)", 1, len(text) - 1)]


def test_link_in_plain_parentheses() -> None:
    text = "the report (https://example.com/report) says"
    assert urls(text) == ["https://example.com/report"]


def test_angle_brackets() -> None:
    text = "<https://x.com/a>"
    assert find_urls(text) == [FoundUrl("https://x.com/a", 1, 16)]


def test_markdown_link() -> None:
    text = "[t](https://x.com/a)"
    assert find_urls(text) == [FoundUrl("https://x.com/a", 4, 19)]


def test_two_links_glued_together() -> None:
    text = "https://a.com/xhttps://b.com/y"
    assert find_urls(text) == [
        FoundUrl("https://a.com/x", 0, 15),
        FoundUrl("https://b.com/y", 15, 30),
    ]


def test_several_links_in_order_with_spans() -> None:
    text = "A https://a.com/1, B (http://b.org/2) and C <https://c.net/3-x>."
    found = find_urls(text)
    assert [f.url for f in found] == ["https://a.com/1", "http://b.org/2", "https://c.net/3-x"]
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert_spans_match(text, found)


def test_scheme_is_case_insensitive() -> None:
    assert urls("go to HTTPS://Example.COM/A please") == ["HTTPS://Example.COM/A"]


def test_spans_index_original_text_with_non_ascii_before() -> None:
    text = "Nicolás Maduro — “quoted” — https://x.com/a-b—end"
    found = find_urls(text)
    assert len(found) == 1
    assert_spans_match(text, found)
    assert found[0].url.startswith("https://x.com/a-b")


@pytest.mark.parametrize("text", ["https://example.com:99999/a", "https://example.com:abc/a"])
def test_every_found_url_can_be_canonicalised(text: str) -> None:
    for found in find_urls(text):
        assert canonical_url(found.url).startswith("https://example.com")


# --- canonical_url ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://EXAMPLE.com/a", "https://example.com/a"),
        ("HTTPS://Example.COM/Path", "https://example.com/Path"),  # path case is kept
        ("https://www.example.com/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?utm_source=tw&utm_medium=social", "https://example.com/a"),
        ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
        ("https://example.com/a?fbclid=IwAR0abc", "https://example.com/a"),
        ("https://example.com/a?gclid=xyz", "https://example.com/a"),
        ("https://example.com/a?si=abc123", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/a/b///", "https://example.com/a/b"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        (
            "HTTPS://WWW.Example.COM:443/news/story/?b=2&utm_source=x&a=1&fbclid=1#frag",
            "https://example.com/news/story?a=1&b=2",
        ),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:8080/a/", "http://example.com:8080/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),  # 443 is not http's port
        ("https://example.com/watch?v=dQw4w9WgXcQ", "https://example.com/watch?v=dQw4w9WgXcQ"),
        ("https://example.com/a?id=5&si=x&gclid=y", "https://example.com/a?id=5"),
        (
            "https://example.com/search?q=bridge&page=2&utm_medium=y",
            "https://example.com/search?page=2&q=bridge",
        ),
    ],
)
def test_canonical_url_keeps_meaningful_parts(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_same_page_under_different_links() -> None:
    links = [
        "https://www.axios.com/2025/11/24/trump-maduro?utm_source=twitter",
        "https://axios.com/2025/11/24/trump-maduro/",
        "HTTPS://AXIOS.COM:443/2025/11/24/trump-maduro#top",
        "https://www.axios.com/2025/11/24/trump-maduro?fbclid=abc&si=def",
    ]
    assert {canonical_url(link) for link in links} == {"https://axios.com/2025/11/24/trump-maduro"}


def test_canonical_url_distinguishes_different_pages() -> None:
    assert canonical_url("https://example.com/a?id=1") != canonical_url(
        "https://example.com/a?id=2"
    )
    assert canonical_url("https://example.com/a") != canonical_url("https://example.com/b")
    assert canonical_url("https://example.com/a") != canonical_url("https://example.org/a")


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://WWW.Example.COM:443/Path/?b=2&a=1&utm_source=x#frag",
        "https://example.com",
        "https://example.com/search?q=a+b&x=%2F",
        "http://example.com:8080/a/",
    ],
)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


# --- property tests ---------------------------------------------------------------------

_pieces = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "https://",
            "http://",
            "HTTP://",
            "www.",
            "example.com",
            ".org",
            "/",
            "a-b",
            "New",
            "(",
            ")",
            "<",
            ">",
            "[t](",
            ".",
            ",",
            ":",
            "?q=1",
            "#f",
            " ",
            "\n",
            "é",
            "—",
            "//",
            "www.www.",
            "[::ffff:1.2.3.4]",
            ":8080",
            ":443",
            "@",
            "user:pw@",
            "?a=1&b=&utm_source=x",
            "%2F",
            "+",
        ]
    ),
)
_url_text = st.lists(_pieces, max_size=50).map("".join)


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_url_text)
def test_find_urls_spans_match_text(text: str) -> None:
    found = find_urls(text)
    assert_spans_match(text, found)
    for item in found:
        assert item.url.lower().startswith(("http://", "https://"))
        assert not any(ch.isspace() for ch in item.url)
    ends = [(f.start, f.end) for f in found]
    for (_, end), (start, _) in itertools.pairwise(ends):
        assert end <= start


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_url_text)
def test_every_found_link_has_one_stable_canonical_form(text: str) -> None:
    for item in find_urls(text):
        canonical = canonical_url(item.url)
        assert canonical_url(canonical) == canonical, item.url
        parts = urlsplit(canonical)
        assert parts.scheme in ("http", "https")
        assert parts.hostname and parts.netloc == parts.netloc.lower()
        assert not parts.fragment and not parts.username and not parts.password


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com//", "https://example.com/"),
        ("https://www.www.example.com/a", "https://example.com/a"),
        ("https://[::ffff:1.2.3.4]:8080/a", "https://[::ffff:1.2.3.4]:8080/a"),
    ],
)
def test_canonical_url_of_odd_but_valid_links(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("https://x.org/" + "ahttps://" * 20_000, id="links glued end to end"),
        pytest.param("https://x.org/a" + ")" * 200_000, id="closing brackets after a link"),
        pytest.param("https://x.org/" + "a-" * 50_000 + "Ab1", id="a long slug"),
        pytest.param("see https://x.org/a-b " * 20_000, id="many links"),
    ],
)
def test_hostile_text_is_searched_in_linear_time(text: str) -> None:
    # Each of these took seconds to hours when the work grew with the square of the
    # length; a pasted message.txt may hold 2 MB of them.
    started = time.perf_counter()
    found = find_urls(text)
    assert time.perf_counter() - started < 1.0
    assert found
    assert_spans_match(text, found)


def test_a_link_as_a_parameter_value_stays_inside_its_link():
    text = "see https://a.example/redirect?to=https://b.example/x and https://c.example/https://d"
    assert [u.url for u in find_urls(text)] == [
        "https://a.example/redirect?to=https://b.example/x",
        "https://c.example/https://d",
    ]


# --- numeric hosts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("8.8.8.8", "8.8.8.8"),
        ("3232235777", "192.168.1.1"),
        ("4294967295", "255.255.255.255"),
    ],
)
def test_numeric_hosts_are_read_as_browsers_read_them(host: str, address: str) -> None:
    assert str(ipv4_host(host)) == address


@pytest.mark.parametrize("host", ["example.com", "localhost", "a.b.0x1g", "1.example", "x1"])
def test_names_are_no_addresses(host: str) -> None:
    assert ipv4_host(host) is None


@pytest.mark.parametrize(
    "host", ["1.2.3.4.5", "256.1.1.1", "4294967296", "09.1.1.1", "example.42", "1..1", "1.0x1g.1"]
)
def test_hosts_ending_in_a_number_that_are_no_address(host: str) -> None:
    with pytest.raises(ValueError):
        ipv4_host(host)


def test_canonical_url_writes_numeric_hosts_as_addresses() -> None:
    assert canonical_url("http://2130706433/story") == "http://127.0.0.1/story"
    assert canonical_url("http://0177.0.0.1./story") == "http://127.0.0.1/story"
    assert canonical_url("http://1.2.3.4.5/story") == "http://1.2.3.4.5/story"


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_ipv4_address_reads_back_from_its_decimal_and_hex_forms(value: int) -> None:
    assert int(ipv4_host(str(value))) == value
    assert int(ipv4_host(hex(value))) == value
    assert int(ipv4_host("0" + oct(value)[2:])) == value
