"""A local web server for tests: real benchmark pages, and endpoints that misbehave."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

ARTICLE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Harbour reopens after storm - Coast Gazette</title>
<link rel="canonical" href="{canonical}">
<meta name="author" content="Jo Reporter"><meta property="og:site_name" content="Coast Gazette">
<meta property="article:published_time" content="2025-11-20T08:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour reopens after storm</h1>
<p>The city harbour reopened on Tuesday after a storm closed it for three days, the port
authority said in a statement released in the morning.</p>
<p>Fishing boats returned to the docks as cranes resumed unloading grain from two ships
that had waited offshore since the weekend.</p>
<p>Officials said repairs to the damaged sea wall will cost about four million dollars and
take most of the winter to finish.</p>
</article><footer>Copyright Coast Gazette</footer></body></html>"""

LOGIN_WALL = """<!doctype html><html><head><title>Sign in</title></head><body>
<form><label>Email <input name=email></label><label>Password <input name=pw></label>
<button>Sign in</button></form></body></html>"""

PLAIN_ARTICLE = """Volcano erupts near village
The volcano erupted at dawn on Sunday, sending ash over the valley and forcing farmers to
move their cattle to the northern pastures before noon.
Scientists said the eruption was the strongest in forty years and warned of more tremors.
"""


@dataclass
class WebServer:
    base: str
    hits: dict[str, int]
    pages: dict[str, dict]
    """Benchmark pages served at /aeb/{name}: their ground truth (articleBody, url)."""
    raw_base: str
    """A second server whose replies carry no Content-Type header."""

    def url(self, path: str) -> str:
        return self.base + path


def _count(request: web.Request, hits: dict[str, int]) -> None:
    hits[request.path] = hits.get(request.path, 0) + 1


@asynccontextmanager
async def serve(
    aeb_dir: Path | None = None, pages: int = 6, host: str = "127.0.0.1"
) -> AsyncIterator[WebServer]:
    """Serve on ``host`` (a loopback address) on a free port until the block ends."""
    hits: dict[str, int] = {}
    truth: dict[str, dict] = {}
    if aeb_dir is not None and (aeb_dir / "ground-truth.json").exists():
        all_truth = json.loads((aeb_dir / "ground-truth.json").read_text(encoding="utf-8"))
        for name in sorted(all_truth)[:pages]:
            truth[name] = all_truth[name]
    app = web.Application()
    state: dict[str, str] = {}

    async def counted(handler, request: web.Request):
        _count(request, hits)
        return await handler(request)

    def route(path: str):
        def register(handler):
            async def wrapped(request: web.Request):
                return await counted(handler, request)

            app.router.add_get(path, wrapped)
            return handler

        return register

    @route("/aeb/{name}")
    async def aeb(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in truth:
            raise web.HTTPNotFound()
        raw = gzip.decompress((aeb_dir / "html" / f"{name}.html.gz").read_bytes())
        return web.Response(body=raw, content_type="text/html")

    @route("/article")
    async def article(request: web.Request) -> web.StreamResponse:
        html = ARTICLE_HTML.format(canonical=state["base"] + "/article")
        return web.Response(text=html, content_type="text/html")

    @route("/slow-article")
    async def slow_article(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("seconds", "1.5")))
        html = ARTICLE_HTML.format(canonical=state["base"] + "/slow-article")
        return web.Response(text=html, content_type="text/html")

    @route("/short")
    async def short(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("/article?utm_source=short")

    @route("/plain")
    async def plain(request: web.Request) -> web.StreamResponse:
        return web.Response(text=PLAIN_ARTICLE, content_type="text/plain")

    @route("/no-type")
    async def no_type(request: web.Request) -> web.StreamResponse:
        html = ARTICLE_HTML.format(canonical=state["base"] + "/no-type").encode()
        response = web.Response(body=html)
        response.headers.popall("Content-Type", None)
        return response

    @route("/no-type-binary")
    async def no_type_binary(request: web.Request) -> web.StreamResponse:
        response = web.Response(body=b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 8)
        response.headers.popall("Content-Type", None)
        return response

    @route("/image")
    async def image(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + bytes(200), content_type="image/png")

    @route("/cp1252")
    async def cp1252(request: web.Request) -> web.StreamResponse:
        html = ARTICLE_HTML.format(canonical=state["base"] + "/cp1252").replace(
            "three days", "three days — the café owners’ “worst week”"
        )
        return web.Response(
            body=html.replace('<meta charset="utf-8">', "").encode("cp1252"),
            headers={"Content-Type": "text/html; charset=windows-1252"},
        )

    @route("/meta-latin1")
    async def meta_latin1(request: web.Request) -> web.StreamResponse:
        html = ARTICLE_HTML.format(canonical=state["base"] + "/meta-latin1")
        html = html.replace('charset="utf-8"', 'charset="iso-8859-1"').replace(
            "three days", "three days at the café"
        )
        return web.Response(body=html.encode("cp1252"), headers={"Content-Type": "text/html"})

    @route("/login")
    async def login(request: web.Request) -> web.StreamResponse:
        return web.Response(text=LOGIN_WALL, content_type="text/html")

    @route("/status/{code}")
    async def status(request: web.Request) -> web.StreamResponse:
        return web.Response(status=int(request.match_info["code"]), text="no")

    @route("/redirect")
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(request.query["to"])

    @route("/loop")
    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/loop")

    @route("/chain/{n}")
    async def chain(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"/chain/{n - 1}" if n > 0 else "/article")

    @route("/gzip-bomb")
    async def gzip_bomb(request: web.Request) -> web.StreamResponse:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        body = compressor.compress(b"<p>" + b"a" * 60_000_000) + compressor.flush()
        return web.Response(
            body=body, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        )

    @route("/huge")
    async def huge(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"<p>" + b"x" * 4_000_000, content_type="text/html")

    @route("/endless")
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            while True:
                await response.write(b"<p>more words " * 1000)
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    @route("/drip")
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            for _ in range(600):
                await response.write(b"<")
                await asyncio.sleep(0.2)
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    @route("/hang")
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(60)
        return web.Response(text="late")

    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://{host}:{port}"
    state["base"] = base
    raw = await asyncio.start_server(_raw_response, host, 0)
    raw_port = raw.sockets[0].getsockname()[1]
    try:
        yield WebServer(base, hits, truth, f"http://{host}:{raw_port}")
    finally:
        raw.close()
        await raw.wait_closed()
        await runner.cleanup()


async def _raw_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An HTTP reply with no Content-Type at all, which aiohttp's server never sends."""
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        path = request.split(b" ", 2)[1]
        if path.startswith(b"/binary"):
            body = b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 8
        else:
            body = ARTICLE_HTML.format(canonical="").encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
