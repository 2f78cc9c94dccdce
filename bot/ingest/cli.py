"""`briefbot poll [--once] [--feeds PATH]` and `briefbot sources [--json] [--feeds PATH]`."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import signal
import sys
from datetime import datetime
from pathlib import Path

from bot.feeds_file import FeedsFile, load_feeds
from bot.ingest.parse import Classifier
from bot.ingest.poller import FeedOutcome, PollSummary, poll_once, run_forever
from bot.runtime import open_runtime
from bot.settings import get_settings
from storage.feeds import FeedHealth, feed_health

log = logging.getLogger("briefbot.poll")

PROGRESS_MIN_FEEDS = 10


def add_commands(sub: argparse._SubParsersAction) -> None:
    poll = sub.add_parser("poll", help="fetch feeds and store new items (loop, or one cycle with --once)")
    poll.add_argument("--once", action="store_true", help="poll every feed now, once, then exit")
    poll.add_argument("--feeds", type=Path, metavar="PATH", help="feeds file (default: $BRIEFBOT_FEEDS or ./feeds.yaml)")
    poll.set_defaults(func=_poll)
    sources = sub.add_parser("sources", help="every configured feed with its item count and health")
    sources.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sources.add_argument("--feeds", type=Path, metavar="PATH", help="feeds file (default: $BRIEFBOT_FEEDS or ./feeds.yaml)")
    sources.set_defaults(func=_sources)


def feeds_path(args: argparse.Namespace) -> Path:
    return args.feeds or get_settings().feeds_path


def default_classifier() -> Classifier | None:
    """The product's classifier when it is installed (a module-level function, so worker processes can use it)."""
    try:
        module = importlib.import_module("bot.classify")
    except ImportError:
        return None
    return getattr(module, "classify", None)


def _poll(args: argparse.Namespace) -> int:
    feeds_file = load_feeds(feeds_path(args))  # a bad file: ConfigError, one line, exit 2
    if args.once:
        summary = asyncio.run(_poll_once(feeds_file))
        print(summary.to_text())
        return 0
    return asyncio.run(_poll_loop(feeds_path(args)))


async def _poll_once(feeds_file: FeedsFile) -> PollSummary:
    async with open_runtime() as rt:
        progress = _Progress(len(feeds_file.feeds))
        try:
            return await poll_once(rt.db, rt.settings, feeds_file, classify=default_classifier(), on_outcome=progress)
        finally:
            progress.close()


async def _poll_loop(path: Path) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_runtime() as rt:
        log.info("polling feeds from %s; stop with Ctrl-C", path)
        await run_forever(
            rt.db, rt.settings, lambda: load_feeds(path), classify=default_classifier(), stop=stop,
            on_summary=lambda s: log.info("%s", s.to_text()),
        )
    return 0


class _Progress:
    """A progress bar on a terminal for big polls; plain log lines otherwise."""

    def __init__(self, total: int) -> None:
        self.bar = None
        if sys.stderr.isatty() and total >= PROGRESS_MIN_FEEDS:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="feed", desc="polling", file=sys.stderr, leave=False)
        self.counts = {"ok": 0, "not_modified": 0, "error": 0}

    def __call__(self, outcome: FeedOutcome) -> None:
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(ok=self.counts["ok"], unchanged=self.counts["not_modified"], failed=self.counts["error"])
            return
        if outcome.status == "error":
            log.warning("%s: failed: %s", outcome.name, outcome.error)
        elif outcome.status == "ok":
            log.info("%s: %d entries, %d new, %d updated%s", outcome.name, outcome.entries, outcome.new_items,
                     outcome.updated_items, f" (warning: {outcome.warning})" if outcome.warning else "")
        else:
            log.info("%s: not modified", outcome.name)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _sources(args: argparse.Namespace) -> int:
    path = feeds_path(args)
    feeds_file = load_feeds(path) if (args.feeds is not None or path.exists()) else None
    rows = asyncio.run(_health(feeds_file))
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], ensure_ascii=False, indent=2))
    else:
        print(render_table(rows))
    return 0


async def _health(feeds_file: FeedsFile | None) -> list[FeedHealth]:
    async with open_runtime() as rt:
        rows = await feed_health(rt.db, include_disabled=feeds_file is not None)
    if feeds_file is None:
        return rows
    by_url = {row.url: row for row in rows}
    # Configured feeds in the file's order; a feed never polled yet still shows.
    return [
        by_url.get(entry.url) or FeedHealth(
            id=0, name=entry.name, url=entry.url, kind=entry.kind, enabled=True, items=0, last_status=None,
            last_error=None, last_warning=None, last_http_status=None, error_count=0, last_polled_at=None,
            last_ok_at=None, next_poll_at=None,
        )
        for entry in feeds_file.feeds
    ]


def render_table(rows: list[FeedHealth]) -> str:
    if not rows:
        return "No feeds configured yet: add some to feeds.yaml and run `briefbot poll --once`."
    header = ("NAME", "STATUS", "ITEMS", "LAST POLLED", "NEXT POLL", "PROBLEM")
    table = [header]
    for row in rows:
        problem = row.last_error or (f"warning: {row.last_warning}" if row.last_warning else "")
        table.append((
            _clip(row.name, 32), _status(row), str(row.items), _when(row.last_polled_at), _when(row.next_poll_at),
            _clip(problem, 90),
        ))
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    lines = []
    for r in table:
        cells = [r[i].rjust(widths[i]) if i == 2 else r[i].ljust(widths[i]) for i in range(len(widths))]
        lines.append("  ".join(cells + [r[-1]]).rstrip())
    failing = sum(row.last_status == "error" for row in rows)
    lines.append(f"{len(rows)} feeds, {sum(r.items for r in rows)} items, {failing} failing")
    return "\n".join(lines)


def _status(row: FeedHealth) -> str:
    if row.last_status is None:
        return "never polled"
    status = row.last_status.replace("_", " ")
    if row.last_status == "error" and row.error_count > 1:
        status += f" (x{row.error_count})"
    return status


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
