"""The fetcher against a real local server, with a policy that lets it reach 127.0.0.1."""

from __future__ import annotations

import ipaddress

import pytest

from index.fetch import Fetcher, FetchLimits, FetchRefused
from index.netpolicy import AddressPolicy, is_public_address
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
