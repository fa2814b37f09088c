"""The fetcher against a real local server, with a policy that lets it reach 127.0.0.1."""

from __future__ import annotations

import ipaddress
import re
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.ingest.fetch import Fetcher, FetchLimits, FetchRefused
from index.ingest.netpolicy import AddressPolicy, is_public_address
from tests.support.web import serve

LOCAL = AddressPolicy.allowing(["127.0.0.1/32"], any_port=True)


@pytest.fixture
async def web():
    async with serve() as server:
        yield server


@pytest.fixture
async def fetcher():
    async with Fetcher(LOCAL, FetchLimits(total_seconds=3, read_seconds=2)) as fetcher:
        yield fetcher


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "198.18.0.1",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::1",
        "2002:7f00:1::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:db8::1",
    ],
)
def test_addresses_that_are_not_public(address):
    assert not is_public_address(ipaddress.ip_address(address))
    assert not AddressPolicy().allows_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "151.101.1.69",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses(address):
    assert AddressPolicy().allows_address(address)


async def test_fetches_a_page_through_the_allowed_loopback(web, fetcher):
    page = await fetcher.fetch(web.url("/article"))
    assert page.status == 200 and page.is_html
    assert b"Harbour reopens" in page.body
    assert web.hits["/article"] == 1


async def test_default_policy_refuses_loopback_and_local_names(web):
    async with Fetcher() as default:
        for url in (
            web.url("/article"),
            "http://127.0.0.1/article",
            "http://localhost/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0x7f000001/",
            "http://[::ffff:127.0.0.1]/",
        ):
            with pytest.raises(FetchRefused) as refused:
                await default.fetch(url)
            assert refused.value.reason in (
                "that address is not public",
                f"links to port {web.base.rsplit(':', 1)[1]} are not followed",
            ), url
    assert web.hits == {}  # nothing reached the server


async def test_allowed_networks_are_exact(web):
    async with Fetcher(AddressPolicy.allowing(["127.0.0.2/32"], any_port=True)) as other:
        with pytest.raises(FetchRefused, match="not public"):
            await other.fetch(web.url("/article"))


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/article",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]:{port}/article",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "http://user:secret@127.0.0.1:{port}/article",
    ],
)
async def test_every_redirect_hop_is_checked(web, fetcher, target):
    port = web.base.rsplit(":", 1)[1]
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(web.url("/redirect") + "?to=" + target.format(port=port))
    assert refused.value.reason in (
        "that address is not public",
        "only http and https links can be read",
        "links with a user name or password are not followed",
    )
    assert "/article" not in web.hits


async def test_redirect_limits(web, fetcher):
    page = await fetcher.fetch(web.url("/chain/4"))  # five hops
    assert page.url.endswith("/article")
    with pytest.raises(FetchRefused, match="redirects too many times"):
        await fetcher.fetch(web.url("/chain/5"))
    with pytest.raises(FetchRefused, match="redirects too many times"):
        await fetcher.fetch(web.url("/loop"))
    assert web.hits["/loop"] == 6


async def test_default_ports_only_unless_allowed(web):
    async with Fetcher(AddressPolicy.allowing(["127.0.0.1/32"])) as strict:
        with pytest.raises(FetchRefused, match=r"port \d+ are not followed"):
            await strict.fetch(web.url("/article"))


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/gzip-bomb", "the page is larger than 3 MB"),
        ("/huge", "the page is larger than 3 MB"),
        ("/endless", "the page is larger than 3 MB"),
        ("/drip", "the page took too long to answer"),
        ("/hang", "the page took too long to answer"),
        ("/image", "that link is not a web page (image/png)"),
        ("/no-type-binary", "that link is not a web page (application/octet-stream)"),
        ("/status/404", "the site answered 404 Not Found"),
        ("/status/500", "the site answered 500 Internal Server Error"),
        ("/status/403", "the site answered 403 Forbidden"),
    ],
)
async def test_hostile_and_broken_pages_are_refused_with_a_reason(web, fetcher, path, reason):
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(web.url(path))
    assert refused.value.reason == reason


async def test_missing_or_generic_content_type_is_sniffed(web, fetcher):
    assert (await fetcher.fetch(web.raw_base + "/page")).content_type == "text/html"
    assert (await fetcher.fetch(web.url("/no-type"))).content_type == "text/html"
    with pytest.raises(FetchRefused, match=r"not a web page \(application/octet-stream\)"):
        await fetcher.fetch(web.raw_base + "/binary")


async def test_unreachable_and_invalid_links(fetcher):
    with pytest.raises(FetchRefused, match="could not be reached"):
        await fetcher.fetch("http://127.0.0.1:1/")  # nothing listens on port 1
    with pytest.raises(FetchRefused, match=r"not a valid link|has no host"):
        await fetcher.fetch("http://")
    with pytest.raises(FetchRefused, match="too long"):
        await fetcher.fetch("http://127.0.0.1/" + "a" * 10_000)


async def test_no_cookies_and_an_honest_user_agent(web, fetcher):
    from aiohttp import web as aioweb

    seen: list[dict] = []

    async def echo(request):
        seen.append(dict(request.headers))
        response = aioweb.Response(text="<p>" + "word " * 50 + "</p>", content_type="text/html")
        response.set_cookie("session", "abc")
        return response

    app = aioweb.Application()
    app.router.add_get("/", echo)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    site = aioweb.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        await fetcher.fetch(f"http://127.0.0.1:{port}/")
        await fetcher.fetch(f"http://127.0.0.1:{port}/")
    finally:
        await runner.cleanup()
    assert "Cookie" not in seen[1]
    assert seen[0]["User-Agent"].startswith("newsbot/")


async def test_a_redirect_to_127_0_0_1_is_refused():
    """With only 127.0.0.2 allowed, a page there that redirects to 127.0.0.1 is refused."""
    async with serve(host="127.0.0.2") as web, serve() as local:
        policy = AddressPolicy.allowing(["127.0.0.2/32"], any_port=True)
        async with Fetcher(policy) as fetcher:
            assert (await fetcher.fetch(web.url("/article"))).status == 200
            target = local.url("/article")
            with pytest.raises(FetchRefused, match="that address is not public"):
                await fetcher.fetch(web.url("/redirect") + "?to=" + target)
            with pytest.raises(FetchRefused, match="that address is not public"):
                await fetcher.fetch(web.url("/redirect") + "?to=http://localhost:1/")
        assert local.hits == {}


# --- numeric hosts, odd hosts, and refusals in plain words -------------------------------

CLASS_NAME = re.compile(r"\w+(?:Error|Exception)\b|Exception")
NUMERIC_LOOPBACK = [
    "2130706433",  # decimal
    "017700000001",  # octal
    "0x7f000001",  # hex
    "0177.0.0.1",  # octal part
    "0x7f.0.0.1",  # hex part
    "127.1",  # short form
    "127.0.0.1.",  # trailing dot
]


class LoopbackResolver(AbstractResolver):
    """Answers 127.0.0.1 for every name, so that no test looks a name up anywhere."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        return None


def assert_plain_reason(reason: str) -> None:
    assert reason and reason == reason.strip() and len(reason) <= 120, reason
    assert not CLASS_NAME.search(reason), reason
    assert "\n" not in reason and "Traceback" not in reason, reason


@pytest.mark.parametrize("host", NUMERIC_LOOPBACK)
async def test_a_numeric_host_is_read_as_the_address_it_stands_for(web, fetcher, host):
    port = web.base.rsplit(":", 1)[1]
    page = await fetcher.fetch(f"http://{host}:{port}/article")
    assert page.url == web.url("/article")
    assert b"Harbour reopens" in page.body


@pytest.mark.parametrize("host", NUMERIC_LOOPBACK)
async def test_a_numeric_host_is_checked_as_the_address_it_stands_for(web, host):
    port = web.base.rsplit(":", 1)[1]
    async with Fetcher(AddressPolicy.allowing(["127.0.0.2/32"], any_port=True)) as other:
        with pytest.raises(FetchRefused) as refused:
            await other.fetch(f"http://{host}:{port}/article")
    assert refused.value.reason == "that address is not public"
    assert web.hits == {}


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://017700000001/",
        "http://0x7f.1/",
        "http://0/",
        "http://3232235777/",  # 192.168.1.1
        "http://2852039166/latest/meta-data/",  # 169.254.169.254
        "https://0xa9fea9fe/",  # 169.254.169.254
    ],
)
async def test_the_default_policy_refuses_numeric_forms_of_private_addresses(url):
    async with Fetcher() as default:
        with pytest.raises(FetchRefused) as refused:
            await default.fetch(url)
    assert refused.value.reason == "that address is not public"


@pytest.mark.parametrize(
    "url",
    [
        "http://1.2.3.4.5/",
        "http://256.1.1.1/",
        "http://4294967296/",
        "http://09.1.1.1/",
        "http://example.42/",
        "http://a..b.example/",
        "http://xn--/",
        "http://xn--.example/",
        f"http://{'a' * 64}.example/",
        "http://-a.example/",
        "http://exa mple.example/",
        "http://ex%00ample.example/",
        "http://%41.example/",
        "http://example.com:99999/",
        "http://example.com:port/",
        "http://[::1/",
    ],
)
async def test_links_that_are_not_valid_are_refused_in_plain_words(url):
    async with Fetcher(resolver=LoopbackResolver()) as default:
        with pytest.raises(FetchRefused) as refused:
            await default.fetch(url)
    assert refused.value.reason == "that is not a valid link"


async def test_a_trailing_dot_after_a_name_is_the_same_host(web, fetcher):
    port = web.base.rsplit(":", 1)[1]
    page = await fetcher.fetch(f"http://localhost.:{port}/article")
    assert page.url == f"http://localhost:{port}/article"
    assert b"Harbour reopens" in page.body


async def test_port_zero_is_not_taken_for_the_default_port():
    async with Fetcher(resolver=LoopbackResolver()) as default:
        with pytest.raises(FetchRefused, match="links to port 0 are not followed"):
            await default.fetch("http://example.com:0/")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://2130706434:{port}/article", "that address is not public"),  # 127.0.0.2
        ("http://0177.0.0.2:{port}/article", "that address is not public"),
        ("http://1.2.3.4.5/", "that is not a valid link"),
        ("http://xn--/", "that is not a valid link"),
    ],
)
async def test_a_redirect_to_a_numeric_or_broken_host_is_refused(web, fetcher, target, reason):
    port = web.base.rsplit(":", 1)[1]
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(web.url("/redirect") + "?to=" + target.format(port=port))
    assert refused.value.reason == reason
    assert "/article" not in web.hits


@pytest.fixture
async def odd_site():
    """A site whose answers carry what a hostile or broken server may send."""
    from aiohttp import web as aioweb

    async def status(request):
        return aioweb.Response(status=404, reason="InvalidUrlClientError <@everyone>", text="x")

    async def unknown_status(request):
        return aioweb.Response(status=599, text="x")

    async def location(request):
        response = aioweb.Response(status=302)
        response.headers["Location"] = request.query["to"]
        return response

    async def content_type(request):
        kind = request.query["type"]
        return aioweb.Response(body=b"\x89PNG" + bytes(64), headers={"Content-Type": kind})

    app = aioweb.Application()
    app.router.add_get("/status", status)
    app.router.add_get("/unknown-status", unknown_status)
    app.router.add_get("/location", location)
    app.router.add_get("/type", content_type)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    site = aioweb.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_what_a_site_says_about_itself_is_not_repeated(odd_site, fetcher):
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(odd_site + "/status")
    assert refused.value.reason == "the site answered 404 Not Found"
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(odd_site + "/unknown-status")
    assert refused.value.reason == "the site answered 599"
    long_type = "application/" + "x" * 300
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(odd_site + "/type?type=" + long_type)
    assert refused.value.reason == "that link is not a web page"
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(odd_site + "/type?type=Image/PNG")
    assert refused.value.reason == "that link is not a web page (image/png)"


@pytest.mark.parametrize("location", ["http://[bad", "http://a:b:c/", "http://xn--/"])
async def test_a_redirect_to_a_broken_location_is_refused_in_plain_words(
    odd_site, fetcher, location
):
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(odd_site + "/location?to=" + location)
    assert refused.value.reason in (
        "the link redirects to an address that is not valid",
        "that is not a valid link",
    )


_HOSTS = st.one_of(
    st.sampled_from(
        [
            *NUMERIC_LOOPBACK,
            "127.0.0.1",
            "127.0.0.2",
            "localhost",
            "example.com",
            "example.com.",
            "1.2.3.4.5",
            "256.1.1.1",
            "[::1]",
            "[::ffff:127.0.0.1]",
            "[fe80::1%25eth0]",
            "xn--",
            "例え.jp",
            "a..b",
            "",
        ]
    ),
    st.text(alphabet="0123456789abcdefxX.-_%[]:@ é例\u3164\u200b\u00ad", max_size=20),
)
_PATHS = st.one_of(
    st.sampled_from(["", "/", "/article", "/status/404", "/image", "/plain", "/short"]),
    st.text(alphabet="/?#%&=.az \x00\u202e例", max_size=12).map(lambda p: "/article" + p),
)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
    userinfo=st.sampled_from(["", "", "", "user@", "user:pw@", "@"]),
    host=_HOSTS,
    port=st.sampled_from(["", ":{port}", ":{port}", ":0", ":99999", ":abc", ":"]),
    path=_PATHS,
)
async def test_every_refusal_is_in_plain_words(web, scheme, userinfo, host, port, path):
    """Whatever the link, the fetcher gives a page or a refusal a person can read. Every
    name resolves to 127.0.0.1 and only 127.0.0.1 is allowed, so nothing leaves the host."""
    url = f"{scheme}://{userinfo}{host}{port.format(port=web.base.rsplit(':', 1)[1])}{path}"
    limits = FetchLimits(total_seconds=3, read_seconds=2)
    async with Fetcher(LOCAL, limits, resolver=LoopbackResolver()) as fetcher:
        try:
            page = await fetcher.fetch(url)
        except FetchRefused as refused:
            assert_plain_reason(refused.reason)
        else:
            assert page.status < 400 and page.url.startswith("http")


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rest=st.text(max_size=40))
async def test_any_text_after_the_scheme_is_refused_in_plain_words(web, rest):
    async with Fetcher(LOCAL, FetchLimits(total_seconds=3), resolver=LoopbackResolver()) as f:
        try:
            await f.fetch("http://" + rest)
        except FetchRefused as refused:
            assert_plain_reason(refused.reason)
