"""Benchmark: `/brief fact` end to end over HTTP against the real Slack app.

50 concurrent callers send correctly signed slash-command requests to the app
served on 127.0.0.1; each request's acknowledgement latency is measured as
Slack would see it (request sent -> HTTP response with the answer).

    python bench/slack.py [--callers 50] [--requests 1000] [--stand-in db|memory]
                          [--with-poll | --poll MODULE:FUNCTION]

Targets: p99 under 200 ms idle and under 1 s while a cold poll of 500 feeds
runs in the same process; every request acknowledged in under 3 s.

Uses the product's command modules when `fact` is among them, else a stand-in
`fact` that runs a small indexed query on the database, as a lookup would.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import hashlib
import hmac
import importlib
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.slack_app import EVENTS_PATH, build_app, serve_http  # noqa: E402
from bot.commands import COMMAND_MODULES, Command, CommandCore, Invocation, Services  # noqa: E402
from bot.reply import Entry, Reply, Section  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Feed  # noqa: E402

SECRET = "bench-signing-secret"
PollHook = Callable[[Database], Awaitable[object]]


async def stand_in_fact(inv: Invocation) -> Reply:
    async with inv.services.db.read() as session:  # type: ignore[attr-defined]
        feeds = await session.scalar(select(func.count()).select_from(Feed).where(Feed.enabled.is_(True)))
    return Reply(
        title=f"Fact: {inv.raw}",
        sections=(Section(entries=(Entry(title="US–China intergovernmental dialogue on AI", text=f"{feeds} feeds", url="https://example.org/fact"),)),),
        shareable=True,
    )


async def memory_fact(inv: Invocation) -> Reply:
    """A lookup that needs no database round trip: measures the Slack adapter alone."""
    return Reply(
        title=f"Fact: {inv.raw}",
        sections=(Section(entries=(Entry(title="US–China intergovernmental dialogue on AI", url="https://example.org/fact"),)),),
        shareable=True,
    )


def make_core(db: Database, stand_in: str) -> CommandCore:
    core = CommandCore(Services(db=db), COMMAND_MODULES)
    if core.get("fact") is None:
        handler = stand_in_fact if stand_in == "db" else memory_fact
        core.register(Command("fact", "fact <query>", "stand-in lookup", handler))
    return core


async def start_slack_stand_in() -> tuple[web.AppRunner, str]:
    """Answers auth.test and response URLs, which is all a ready answer needs from Slack."""

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "B1"})

    app = web.Application()
    app.router.add_post("/api/{method}", api)
    app.router.add_post("/response/{rid}", lambda r: web.Response(text="ok"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


async def measure(url: str, response_url: str, callers: int, requests: int) -> list[float]:
    latencies: list[float] = []
    # The analyst questions the search is tested on: real lookups, not a fixed word.
    questions = Path(__file__).resolve().parent.parent / "tests" / "data" / "fact-questions.jsonl"
    queries = [json.loads(line)["q"] for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    per_caller = max(requests // callers, 1)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=callers)) as session:

        async def caller(n: int) -> None:
            for i in range(per_caller):
                body = urlencode({
                    "team_id": "T1", "channel_id": "C1", "user_id": f"U{n}", "command": "/brief",
                    "text": f"fact {queries[(n + i) % len(queries)]}", "response_url": response_url, "trigger_id": "1",
                })
                start = time.perf_counter()
                async with session.post(url + EVENTS_PATH, data=body.encode(), headers=signed(body)) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"status {resp.status}")
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(caller(n) for n in range(callers)))
    return latencies


def measure_in_child(url: str, response_url: str, callers: int, requests: int) -> list[float]:
    """The callers run in their own process, as Slack does: their CPU time is not the app's."""
    return asyncio.run(measure(url, response_url, callers, requests))


def report(label: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p = lambda q: ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000  # noqa: E731
    slow = sum(1 for x in ordered if x >= 3.0)
    print(
        f"{label}: {len(ordered)} requests  p50 {p(0.50):.1f} ms  p99 {p(0.99):.1f} ms  "
        f"max {ordered[-1] * 1000:.1f} ms  mean {statistics.mean(ordered) * 1000:.1f} ms  over 3 s: {slow}"
    )


POLL_STARTED = asyncio.Event()  # set by a poll hook when fetching begins (hooks that never set it: at once)


async def cold_poll_500_feeds(db: Database) -> object:
    """A cold poll of 500 feeds x 50 entries (200 ms latency each, served by bench/ingest.py's
    stand-in publisher in its own process), run by the real poller with the real classifier
    in this same process, while the callers measure /brief fact."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest import serve as publish  # bench/ingest.py

    from bot.classify import classify
    from bot.feeds_file import FeedEntry, FeedsFile
    from bot.ingest.poller import Poller
    from bot.settings import Settings as AppSettings

    hosts = [f"127.0.0.{2 + i}" for i in range(20)]
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=publish, args=(hosts, 500, 50, 0.2, send, stop), daemon=True)
    server.start()
    try:
        port = await asyncio.get_running_loop().run_in_executor(None, receive.recv)
        feeds = FeedsFile(Path("bench.yaml"), tuple(
            FeedEntry(name=f"Site {i}", url=f"http://{hosts[i % len(hosts)]}:{port}/feed/{i}.xml", kind="news")
            for i in range(500)
        ))
        started = time.perf_counter()
        POLL_STARTED.set()
        async with Poller(db, AppSettings(_env_file=None), classify=classify) as poller:
            summary = await poller.poll_all(feeds)
        print(f"  (cold poll during the run: {summary.new_items} items from {summary.ok} feeds "
              f"in {time.perf_counter() - started:.1f} s)")
        return summary
    finally:
        stop.set()
        server.join(timeout=10)


async def run(callers: int, requests: int, poll_during: PollHook | None = None, stand_in: str = "db") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.connect(f"sqlite:///{Path(tmp) / 'bench.db'}")
        await db.upgrade()
        from bot.facts.load import load_facts

        await load_facts(db)  # the real fact base, as `briefbot slack` has it
        stand_in, slack_url = await start_slack_stand_in()
        settings = Settings(_env_file=None, SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=slack_url + "/api/")
        app = build_app(settings, make_core(db, stand_in))
        runner, port = await serve_http(app, "127.0.0.1", 0)
        url, response_url = f"http://127.0.0.1:{port}", slack_url + "/response/1"
        loop = asyncio.get_running_loop()
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        try:
            callers_run = lambda n: loop.run_in_executor(pool, measure_in_child, url, response_url, callers, n)  # noqa: E731
            await callers_run(callers * 2)  # warm-up: connections, auth.test, caches
            before = resource.getrusage(resource.RUSAGE_SELF)
            idle = await callers_run(requests)
            report("idle", idle)
            after = resource.getrusage(resource.RUSAGE_SELF)
            user, system = ((after.ru_utime - before.ru_utime) / len(idle), (after.ru_stime - before.ru_stime) / len(idle))
            print(f"  app process CPU per request: {(user + system) * 1000:.2f} ms ({user * 1000:.2f} user, "
                  f"{system * 1000:.2f} system; all its threads; the callers run in another process)")
            if poll_during is not None:
                poll = asyncio.create_task(poll_during(db))
                await asyncio.wait([poll, asyncio.create_task(POLL_STARTED.wait())], return_when=asyncio.FIRST_COMPLETED)
                during: list[float] = []
                while not poll.done():  # keep calling for the whole poll, batch after batch
                    during += await callers_run(max(callers, requests // 4))
                report("during poll", during)
                await poll
        finally:
            pool.shutdown()
            await runner.cleanup()
            await stand_in.cleanup()
            await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument(
        "--stand-in", choices=("db", "memory"), default="db",
        help="without the product's `fact`: a small SQLite query (db) or no database at all (memory)",
    )
    parser.add_argument("--with-poll", action="store_true", help="also measure while a cold poll of 500 feeds runs")
    parser.add_argument("--poll", metavar="MODULE:FUNCTION", help="the cold poll to run (async, takes the Database); implies --with-poll")
    args = parser.parse_args()
    poll: PollHook | None = None
    if args.poll:
        module, _, name = args.poll.partition(":")
        poll = getattr(importlib.import_module(module), name)
    elif args.with_poll:
        poll = cold_poll_500_feeds
    asyncio.run(run(args.callers, args.requests, poll, args.stand_in))


if __name__ == "__main__":
    main()
