"""A loopback HTTP server for the bundled sample feeds.

Dates in the samples are templates (`{{rfc822:-5h}}`, `{{iso:-3h}}`) filled in
relative to now when the server starts, so the demo always has fresh items.
It answers conditional GETs, like a well-behaved real feed server.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from importlib import resources

from aiohttp import web

_TEMPLATE = re.compile(r"\{\{(rfc822|iso):([+-]\d+)h\}\}")


@dataclass(frozen=True)
class SampleFeed:
    file: str
    name: str
    kind: str
    content_type: str


SAMPLE_FEEDS: tuple[SampleFeed, ...] = (
    SampleFeed("government.xml", "Sample Register (export controls, standards)", "government", "application/rss+xml"),
    SampleFeed("thinktank.xml", "Sample Institute (China & Technology)", "think-tank", "application/atom+xml"),
    SampleFeed("wire.xml", "Sample Wire (Asia technology desk)", "news", "application/rss+xml; charset=utf-8"),
    SampleFeed("newsletter.xml", "Sample Newsletter (AI Safety Weekly)", "newsletter", "application/rss+xml"),
)


def render_sample(text: str, now: datetime) -> str:
    def fill(match: re.Match[str]) -> str:
        when = now + timedelta(hours=int(match.group(2)))
        return format_datetime(when, usegmt=True) if match.group(1) == "rfc822" else when.isoformat()

    return _TEMPLATE.sub(fill, text)


class SampleFeedServer:
    """Serves SAMPLE_FEEDS at http://127.0.0.1:<port>/<file> until `stop()`."""

    def __init__(self, now: datetime | None = None) -> None:
        now = now or datetime.now(timezone.utc)
        folder = resources.files("bot.demo") / "feeds"
        self._bodies: dict[str, tuple[bytes, str, str]] = {}
        for feed in SAMPLE_FEEDS:
            body = render_sample((folder / feed.file).read_text(encoding="utf-8"), now).encode("utf-8")
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            self._bodies[feed.file] = (body, feed.content_type, etag)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.requests = 0

    def url(self, feed: SampleFeed) -> str:
        return f"http://127.0.0.1:{self.port}/{feed.file}"

    async def start(self, preferred_port: int = 8765) -> None:
        app = web.Application()
        app.router.add_get("/{name}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # A stable port keeps the demo feeds' URLs (their identity) the same across runs.
        for port in (preferred_port, 0):
            site = web.TCPSite(self._runner, "127.0.0.1", port)
            try:
                await site.start()
            except OSError:
                continue
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            return
        raise OSError("could not bind a loopback port for the demo feeds")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests += 1
        found = self._bodies.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404, text="no such sample feed")
        body, content_type, etag = found
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"Content-Type": content_type, "ETag": etag})
