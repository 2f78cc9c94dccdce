"""Ingestion benchmark: 500 feeds x 50 entries served on loopback with ~200 ms latency.

Measures in one run:
  (a) a cold poll (empty database) with the real poller,
  (b) a warm poll with nothing changed,
  (c) a naive sequential loop of feedparser.parse(url) plus inserts,
  (d) feedparser's parse-only throughput on the same documents (one process),
and the peak memory of the poller's process tree (this process plus its parse workers;
the stand-in publisher runs in a separate process and is not counted).

(a) and (b) measure the ingest pipeline: fetch, parse, normalize, de-duplicate, store,
the same work as (c) and the baseline (d). Then (e) repeats the cold poll into a new
database with the theme classifier on, as `briefbot worker` runs, and reports what
classification adds (`--skip-classified` leaves it out).

Run: .venv/bin/python bench/ingest.py [--feeds 500] [--entries 50] [--latency 0.2] [--naive-sample N] [--skip-classified]
Results: printed, and written to bench/results/ingest-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("ai safety dialogue hotline compute export controls beijing washington summit model evaluation "
         "frontier risk treaty verification chips norms military lab governance track two talks agreement "
         "council standards incident reporting biosecurity red teaming").split()


def make_document(index: int, entries: int) -> bytes:
    """A deterministic RSS 2.0 document of realistic size (about 1 KB per entry)."""
    rng = random.Random(index)
    base = datetime(2026, 11, 1, tzinfo=timezone.utc)
    items = []
    for n in range(entries):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))).capitalize()
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 110)))
        date = (base + timedelta(minutes=rng.randint(0, 30 * 24 * 60))).strftime("%a, %d %b %Y %H:%M:%S +0000")
        items.append(
            f"<item><title>{title}</title><link>https://site{index}.example.org/{n}/story.html?utm_source=rss</link>"
            f'<guid isPermaLink="false">site{index}-{n}</guid><pubDate>{date}</pubDate>'
            f"<description>&lt;p&gt;{body[:300]}&lt;/p&gt;&lt;p&gt;{body[300:]}&lt;/p&gt;</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Site {index}</title>'
        f"<link>https://site{index}.example.org/</link><description>Feed {index}</description>"
        + "".join(items) + "</channel></rss>"
    ).encode()


# --- the stand-in publisher (separate process) --------------------------------------------

def serve(hosts: list[str], feeds: int, entries: int, latency: float, ready, stop) -> None:
    from aiohttp import web

    docs = [make_document(i, entries) for i in range(feeds)]
    etags = [f'"{hashlib.sha256(d).hexdigest()[:16]}"' for d in docs]

    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        index = int(request.match_info["n"])
        if request.headers.get("If-None-Match") == etags[index]:
            return web.Response(status=304, headers={"ETag": etags[index]})
        return web.Response(body=docs[index], headers={"Content-Type": "application/rss+xml", "ETag": etags[index]})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        first = web.TCPSite(runner, hosts[0], 0, backlog=1024)
        await first.start()
        port = first._server.sockets[0].getsockname()[1]
        for host in hosts[1:]:
            await web.TCPSite(runner, host, port, backlog=1024).start()
        ready.send(port)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await runner.cleanup()

    asyncio.run(main())


# --- memory of this process tree ------------------------------------------------------------

def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(c) for c in handle.read().split())
    except OSError:
        pass
    return found


class TreeMemory:
    """Samples the summed RSS of this process and its descendants, except `exclude`."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self) -> list[int]:
        pids, todo = [], [os.getpid()]
        while todo:
            pid = todo.pop()
            if pid in self.exclude:
                continue
            pids.append(pid)
            todo.extend(_children(pid))
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in self._tree()))
            time.sleep(0.05)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# --- the measurements -------------------------------------------------------------------------

async def poll_with_poller(db_url: str, feeds_file, settings, classify=None):
    from bot.ingest.poller import Poller
    from storage.db import Database

    db = Database.connect(db_url)
    await db.upgrade()
    try:
        async with Poller(db, settings, classify=classify) as poller:
            started = time.perf_counter()
            cold = await poller.poll_all(feeds_file)
            cold_s = time.perf_counter() - started
            started = time.perf_counter()
            warm = await poller.poll_all(feeds_file)
            warm_s = time.perf_counter() - started
        return cold, cold_s, warm, warm_s
    finally:
        await db.close()


def naive_loop(urls: list[str], path: Path) -> tuple[float, int]:
    """What a first script would do: fetch and parse one feed after another, insert the entries."""
    import feedparser

    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, feed TEXT, title TEXT, link TEXT, summary TEXT, published TEXT)")
    started = time.perf_counter()
    stored = 0
    for url in urls:
        doc = feedparser.parse(url)
        rows = [(e.get("id") or e.get("link"), url, e.get("title"), e.get("link"), e.get("summary"), e.get("published"))
                for e in doc.entries]
        conn.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
        stored += len(rows)
    conn.close()
    return time.perf_counter() - started, stored


def parse_only(documents: list[bytes]) -> tuple[float, int]:
    import feedparser

    started = time.perf_counter()
    entries = sum(len(feedparser.parse(doc).entries) for doc in documents)
    return time.perf_counter() - started, entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--hosts", type=int, default=20, help="loopback addresses 127.0.0.2 ... to spread the feeds over")
    parser.add_argument("--naive-sample", type=int, default=0,
                        help="time the naive loop on this many feeds and extrapolate (default: all feeds)")
    parser.add_argument("--skip-classified", action="store_true",
                        help="leave out (e), the second cold poll with the theme classifier on")
    parser.add_argument("--parse-sample", type=int, default=0, help="parse-only on this many documents (default: all)")
    args = parser.parse_args()

    from bot.feeds_file import FeedEntry, FeedsFile
    from bot.settings import Settings

    cores = os.cpu_count() or 1
    hosts = [f"127.0.0.{2 + i}" for i in range(args.hosts)]
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=serve, args=(hosts, args.feeds, args.entries, args.latency, send, stop), daemon=True)
    server.start()
    port = receive.recv()
    urls = [f"http://{hosts[i % len(hosts)]}:{port}/feed/{i}.xml" for i in range(args.feeds)]
    feeds_file = FeedsFile(Path("bench.yaml"), tuple(FeedEntry(name=f"Site {i}", url=u, kind="news") for i, u in enumerate(urls)))
    settings = Settings()
    workdir = Path(tempfile.mkdtemp(prefix="briefbot-bench-"))
    print(f"{args.feeds} feeds x {args.entries} entries on {len(hosts)} loopback hosts, {args.latency * 1000:.0f} ms latency, "
          f"{cores} cores, concurrency {settings.max_concurrency} (per host {settings.per_host_concurrency}), "
          f"parse workers {settings.parse_workers or cores}", flush=True)
    try:
        with TreeMemory(exclude={server.pid}) as memory:
            cold, cold_s, warm, warm_s = asyncio.run(
                poll_with_poller(f"sqlite:///{workdir / 'bench.db'}", feeds_file, settings))
        print(f"  cold poll: {cold_s:.2f} s, {cold.new_items} items; warm poll: {warm_s:.2f} s "
              f"({warm.not_modified} not modified)", flush=True)
        classified_s = classified_items = None
        if not args.skip_classified:
            from bot.classify import classify

            with TreeMemory(exclude={server.pid}) as classified_memory:
                classified, classified_s, _, _ = asyncio.run(
                    poll_with_poller(f"sqlite:///{workdir / 'classified.db'}", feeds_file, settings, classify))
            classified_items = classified.new_items
            print(f"  cold poll with the classifier: {classified_s:.2f} s, {classified_items} items", flush=True)

        naive_urls = urls[: args.naive_sample] if args.naive_sample else urls
        naive_s, naive_items = naive_loop(naive_urls, workdir / "naive.db")
        naive_full_s = naive_s * len(urls) / len(naive_urls)
        print(f"  naive loop: {naive_s:.1f} s for {len(naive_urls)} feeds"
              + (f" (extrapolated to {naive_full_s:.1f} s)" if len(naive_urls) != len(urls) else ""), flush=True)

        count = args.parse_sample or args.feeds
        documents = [make_document(i, args.entries) for i in range(count)]
        parse_s, parsed_entries = parse_only(documents)
        parse_rate = parsed_entries / parse_s
    finally:
        stop.set()
        server.join(timeout=10)

    cold_rate = cold.new_items / cold_s
    results = {
        "feeds": args.feeds, "entries_per_feed": args.entries, "latency_s": args.latency, "hosts": len(hosts),
        "cores": cores, "cold_poll_s": cold_s, "cold_items": cold.new_items, "cold_failed": cold.failed,
        "cold_items_per_s": cold_rate, "warm_poll_s": warm_s, "warm_not_modified": warm.not_modified,
        "naive_s": naive_full_s, "naive_measured_feeds": len(naive_urls), "parse_only_items_per_s": parse_rate,
        "peak_memory_mb": memory.peak_kb / 1024,
        "classified_cold_poll_s": classified_s, "classified_items": classified_items,
        "classified_items_per_s": classified_items / classified_s if classified_s else None,
        "classified_peak_memory_mb": classified_memory.peak_kb / 1024 if classified_s else None,
    }
    checks = [
        ("cold poll >= 5x faster than naive", naive_full_s / cold_s, 5.0, f"{naive_full_s / cold_s:.1f}x"),
        ("warm poll < 3 s", 3.0 / warm_s, 1.0, f"{warm_s:.2f} s"),
        ("warm poll >= 20x faster than naive", naive_full_s / warm_s, 20.0, f"{naive_full_s / warm_s:.0f}x"),
        ("cold items/s >= 70% of cores x parse-only", cold_rate / (cores * parse_rate), 0.7,
         f"{cold_rate:.0f} vs {cores} x {parse_rate:.0f} = {100 * cold_rate / (cores * parse_rate):.0f}%"),
        ("peak memory < 400 MB (poller tree)", 400 / max(results["peak_memory_mb"], 1e-9), 1.0, f"{results['peak_memory_mb']:.0f} MB"),
    ]
    results["checks"] = {name: {"value": shown, "pass": ratio >= target} for name, ratio, target, shown in checks}
    print()
    print(f"{'measure':<46}{'value':>28}  result")
    for name, ratio, target, shown in checks:
        print(f"{name:<46}{shown:>28}  {'PASS' if ratio >= target else 'FAIL'}")
    print(f"{'(a) cold poll':<46}{cold_s:>26.2f} s")
    print(f"{'(b) warm poll':<46}{warm_s:>26.2f} s")
    print(f"{'(c) naive sequential loop':<46}{naive_full_s:>26.1f} s")
    print(f"{'(d) feedparser parse-only, one process':<46}{parse_rate:>20.0f} items/s")
    if classified_s:
        share = results["classified_items_per_s"] / (cores * parse_rate)
        print(f"{'(e) cold poll with the classifier':<46}{classified_s:>26.2f} s  "
              f"({results['classified_items_per_s']:.0f} items/s = {100 * share:.0f}% of cores x parse-only; "
              f"classification adds {classified_s - cold_s:.1f} s; peak {results['classified_peak_memory_mb']:.0f} MB)")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"ingest-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nresults written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
