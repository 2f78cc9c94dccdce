"""Fan-out benchmark: 1,000 channels' digests through the outbox to a local stand-in chat API.

The stand-in runs in its own process on 127.0.0.1: every call takes 100 ms, and
a second message to a channel within one second gets HTTP 429 with Retry-After
(counted as a limit violation). Prints total time, deliveries/s, violations.

    .venv/bin/python bench/fanout.py [--channels 1000] [--messages-per-channel 1] [--concurrency 32]
                                     [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LATENCY = 0.1
LIMIT_INTERVAL = 1.0


# --- the stand-in chat API (its own process) ---------------------------------------------------

def serve() -> None:
    from aiohttp import web

    last_post: dict[str, float] = {}
    posted: dict[str, str] = {}  # idempotency key -> message id
    stats = {"posts": 0, "lookups": 0, "violations": 0, "duplicates": 0}

    async def post_message(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(LATENCY)
        channel, key = body["channel"], body["key"]
        now = time.monotonic()
        if now - last_post.get(channel, -1e9) < LIMIT_INTERVAL:
            stats["violations"] += 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        last_post[channel] = now
        if key in posted:
            stats["duplicates"] += 1
        stats["posts"] += 1
        posted[key] = f"msg-{stats['posts']}"
        return web.json_response({"ok": True, "ts": posted[key]})

    async def find(request: web.Request) -> web.Response:
        await asyncio.sleep(LATENCY)
        stats["lookups"] += 1
        return web.json_response({"ok": True, "ts": posted.get(request.query["key"])})

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    app = web.Application()
    app.router.add_post("/post", post_message)
    app.router.add_get("/find", find)
    app.router.add_get("/stats", get_stats)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# --- an HTTP sink for the stand-in -------------------------------------------------------------

class HttpSink:
    platform = "bench"

    def __init__(self, base: str, session) -> None:
        self.base, self.session = base, session

    async def find_sent(self, dest, key):
        async with self.session.get(f"{self.base}/find", params={"key": key}) as resp:
            return (await resp.json())["ts"]

    async def send(self, dest, message, key):
        from bot.digest.sink import SendResult, TransientSendError

        payload = {"channel": dest.channel, "key": key, "text": message.to_text()}
        async with self.session.post(f"{self.base}/post", json=payload) as resp:
            if resp.status == 429 or resp.status >= 500:
                raise TransientSendError(f"HTTP {resp.status}", retry_after=float(resp.headers.get("Retry-After", 1)))
            return SendResult(message_id=(await resp.json())["ts"])


# --- the run ------------------------------------------------------------------------------------

async def seed(db, channels: int, per_channel: int, now: datetime) -> None:
    from sqlalchemy import insert

    from storage.models import Feed, Item, ItemSource, ItemTheme, Subscription

    async with db.transaction() as session:
        feed = Feed(url="https://bench.example/feed", name="Bench Wire", kind="news", enabled=True, error_count=0)
        session.add(feed)
        await session.flush()
        themes = ["us-china-dialogue", "export-controls-compute", "incident-response"][:per_channel]
        for n, theme in enumerate(themes):
            item = Item(identity=f"bench-{n}", url=f"https://bench.example/{n}", title=f"Story {n} for {theme}", summary="",
                        published_at=now - timedelta(hours=1), content_sha256="0" * 64, first_seen_at=now - timedelta(hours=1),
                        updated_at=now, relevant=True, themes=[theme], scores={theme: 0.9}, evidence=["bench"], date_is_fallback=False)
            session.add(item)
            await session.flush()
            session.add(ItemSource(item_id=item.id, feed_id=feed.id, seen_at=now))
            session.add(ItemTheme(item_id=item.id, theme=theme, score=0.9, published_at=item.published_at))
        # Each channel's subscriptions fall due one after another (one digest each), per_channel times.
        rows = []
        for c in range(channels):
            for n, theme in enumerate(themes):
                rows.append(dict(platform="bench", workspace="W", channel=f"C{c:05d}", target_kind="theme", target=theme,
                                 mode="daily", at_time="08:00", tz="UTC", next_run_at=now - timedelta(minutes=n + 1),
                                 enabled=True, created_at=now, updated_at=now))
        await session.execute(insert(Subscription), rows)


async def plan_all(db, now: datetime, per_channel: int) -> int:
    """Plan `per_channel` separate digests per channel (one slot at a time)."""
    from sqlalchemy import update

    from bot.digest.plan import plan_digests
    from storage.models import Subscription

    total = 0
    for n in range(per_channel):
        slot = now - timedelta(minutes=per_channel - n)
        async with db.transaction() as session:  # hold later slots back so each slot is its own digest
            await session.execute(update(Subscription).where(Subscription.next_run_at > slot).values(enabled=False))
        while (stats := await plan_digests(db, now, batch=200)).subscriptions:
            total += stats.digests
        async with db.transaction() as session:
            await session.execute(update(Subscription).where(Subscription.last_run_at.is_(None)).values(enabled=True))
    return total


async def pg_admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> int:
    import aiohttp

    from bot.digest.deliver import SenderConfig, send_due
    from storage.db import Database

    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        tmp = tempfile.TemporaryDirectory()
        url = args.database_url or f"sqlite:///{Path(tmp.name) / 'fanout.db'}"
        schema = None
        if url.startswith("postgres"):  # a throwaway schema, so a shared server is left as it was
            schema = f"bench_{os.getpid()}"
            await pg_admin(url, f'CREATE SCHEMA "{schema}"')
        db = Database.connect(url, schema=schema)
        await db.upgrade()
        now = datetime.now(timezone.utc)
        await seed(db, args.channels, args.messages_per_channel, now)
        t0 = time.perf_counter()
        planned = await plan_all(db, now, args.messages_per_channel)
        plan_time = time.perf_counter() - t0
        config = SenderConfig(concurrency=args.concurrency, batch=args.concurrency * 4)
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as session:
            sink = HttpSink(base, session)
            clock = lambda: datetime.now(timezone.utc)  # noqa: E731
            t1 = time.perf_counter()
            sent = 0
            while True:
                stats = await send_due(db, {"bench": sink}, clock=clock, config=config)
                sent += stats.sent + stats.already_sent
                from sqlalchemy import func, select

                from storage.models import Delivery

                async with db.read() as s:
                    left = await s.scalar(select(func.count()).select_from(Delivery).where(Delivery.state != "sent"))
                if not left:
                    break
                await asyncio.sleep(0.05)  # retries are due later
            send_time = time.perf_counter() - t1
            async with session.get(f"{base}/stats") as resp:
                server_stats = await resp.json()
        await db.close()
        if schema:
            await pg_admin(url, f'DROP SCHEMA "{schema}" CASCADE')
        tmp.cleanup()
    finally:
        server.terminate()
        server.wait()
    result = {
        "database": db.dialect,
        "channels": args.channels,
        "deliveries": planned,
        "plan_seconds": round(plan_time, 2),
        "send_seconds": round(send_time, 2),
        "deliveries_per_second": round(planned / send_time, 1),
        "posts": server_stats["posts"],
        "limit_violations": server_stats["violations"],
        "duplicates": server_stats["duplicates"],
        "concurrency": args.concurrency,
    }
    print(json.dumps(result, indent=2))
    ok = result["limit_violations"] == 0 and result["duplicates"] == 0 and result["posts"] == planned
    ok = ok and result["deliveries_per_second"] >= 50
    print("target (≥ 50 deliveries/s, no limit violated, each posted once):", "met" if ok else "NOT met")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--messages-per-channel", type=int, default=1, choices=(1, 2, 3))
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
