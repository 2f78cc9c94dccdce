"""Kill -9 the worker process mid-delivery, start a new one: the digest is posted exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.digest.schedule import Schedule
from bot.digest.sink import Destination
from storage.models import Delivery
from storage.subscriptions import subscribe
from tests.digest_support import T0, add_feed, add_item

ROOT = Path(__file__).resolve().parent.parent
DEST = Destination("console", "local", "ops")


class StandInChat:
    """A chat API on 127.0.0.1 that can stall a post before or after storing it."""

    def __init__(self, stall: str) -> None:
        self.stall = stall  # "before-store" | "after-store" | "none"
        self.posts: dict[str, str] = {}
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()  # lets stalled handlers end once their client is dead

    async def post(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.stall == "before-store":
            self.arrived.set()
            await self.release.wait()
            return web.json_response({}, status=500)
        self.posts.setdefault(body["key"], f"msg-{len(self.posts) + 1}")
        if self.stall == "after-store":
            self.arrived.set()
            await self.release.wait()
        return web.json_response({"id": self.posts[body["key"]]})

    async def find(self, request: web.Request) -> web.Response:
        return web.json_response({"id": self.posts.get(request.query["key"])})


async def start(chat: StandInChat) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/post", chat.post)
    app.router.add_get("/find", chat.find)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"


async def worker(url: str, base: str, now) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.outbox_worker_process", url, base, now.isoformat(), cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("stall", ["before-store", "after-store"])
async def test_killed_worker_mid_send_then_restarted_posts_the_digest_exactly_once(sqlite_db, stall):
    feed = await add_feed(sqlite_db, "Wire")
    await add_item(sqlite_db, "Envoys agree on AI hotline", feeds=[feed], themes={"incident-response": 0.9},
                   published=T0 - timedelta(hours=1))
    await subscribe(sqlite_db, DEST, "theme", "incident-response", Schedule(mode="daily", at_time="08:00", tz="UTC"), T0)
    url = sqlite_db.url.replace("sqlite+aiosqlite", "sqlite")
    chat = StandInChat(stall)
    runner, base = await start(chat)
    try:
        first = await worker(url, base, T0 + timedelta(hours=1))
        await asyncio.wait_for(chat.arrived.wait(), timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        chat.release.set()
        async with sqlite_db.read() as session:
            [row] = list(await session.scalars(select(Delivery)))
        assert row.state == "sending"
        chat.stall = "none"
        second = await worker(url, base, T0 + timedelta(hours=2))  # after the dead worker's lease
        assert await asyncio.wait_for(second.wait(), timeout=60) == 0
    finally:
        await runner.cleanup()
    assert len(chat.posts) == 1
    async with sqlite_db.read() as session:
        [row] = list(await session.scalars(select(Delivery)))
    assert (row.state, row.message_id) == ("sent", "msg-1")
