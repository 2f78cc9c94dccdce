"""A real local HTTP server (aiohttp, port 0) that plays feed publishers in tests."""

from __future__ import annotations

import gzip
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    base: str = ""
    _runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1") -> "FeedServer":
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return self.base + path

    def hits_for(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(Hit(request.path, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)

    # Ready-made publishers.
    def serve(self, path: str, body: bytes | str, content_type: str = "application/rss+xml", *,
              status: int = 200, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body

        async def handler(_request: web.Request) -> web.Response:
            return web.Response(body=data, status=status, headers={"Content-Type": content_type, **(headers or {})})

        self.routes[path] = handler

    def serve_conditional(self, path: str, body: bytes | str, etag: str, last_modified: str) -> None:
        """Answers 304 when the client's validators match, like a well-behaved publisher."""
        data = body.encode("utf-8") if isinstance(body, str) else body

        async def handler(request: web.Request) -> web.Response:
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            return web.Response(body=data, headers={
                "Content-Type": "application/rss+xml", "ETag": etag, "Last-Modified": last_modified,
            })

        self.routes[path] = handler

    def serve_gzip(self, path: str, body: bytes) -> None:
        compressed = gzip.compress(body)

        async def handler(_request: web.Request) -> web.Response:
            return web.Response(body=compressed, headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})

        self.routes[path] = handler


def rss(*items: str, title: str = "Test feed", prolog: str = '<?xml version="1.0" encoding="utf-8"?>\n') -> str:
    return (
        f'{prolog}<rss version="2.0"><channel><title>{title}</title><link>http://example.org/</link>'
        f"<description>d</description>{''.join(items)}</channel></rss>"
    )


def item(title: str | None = "A title", link: str | None = "http://example.org/a", guid: str | None = None,
         description: str | None = "Some text.", date: str | None = "Mon, 02 Nov 2026 10:00:00 GMT") -> str:
    parts = ["<item>"]
    if title is not None:
        parts.append(f"<title>{title}</title>")
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if description is not None:
        parts.append(f"<description>{description}</description>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    parts.append("</item>")
    return "".join(parts)
