"""The one orchestrator of ingestion: sync the feeds file, fetch, parse, store, record.

A failing feed is recorded on its row (with a clear reason and an
exponential, jittered backoff) and never stops the cycle or touches other
feeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.feeds_file import FeedsFile
from bot.ingest.fetch import FeedError, Fetcher, FetchLimits, FetchResult, Validators
from bot.ingest.parse import MAX_ENTRIES, Classifier, ParsedFeed, ParsePool
from bot.settings import Settings
from storage.db import Database
from storage.feeds import (
    ConfiguredFeed,
    FeedForUpdate,
    claim_due_feeds,
    feeds_for_update,
    next_due_at,
    sync_feeds,
    update_feed_states,
)
from storage.items import StoreCounts, store_entries
from storage.types import utcnow

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
JITTER = 0.2
CLAIM_LEASE = timedelta(minutes=15)
STORE_BATCH = 50  # feeds per write transaction on SQLite


@dataclass(frozen=True)
class FeedOutcome:
    feed_id: int
    name: str
    url: str
    status: str  # ok | not_modified | error
    new_items: int = 0
    updated_items: int = 0
    entries: int = 0
    error: str | None = None
    warning: str | None = None
    new_item_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class PollSummary:
    feeds: int
    ok: int
    not_modified: int
    failed: int
    new_items: int
    updated_items: int
    seconds: float
    outcomes: tuple[FeedOutcome, ...] = field(default=(), repr=False)

    @property
    def new_item_ids(self) -> tuple[int, ...]:
        return tuple(i for o in self.outcomes for i in o.new_item_ids)

    def to_text(self) -> str:
        lines = [
            f"Polled {self.feeds} feeds in {self.seconds:.1f} s: {self.ok} ok, {self.not_modified} not modified, "
            f"{self.failed} failed; {self.new_items} new items, {self.updated_items} updated."
        ]
        for outcome in self.outcomes:
            if outcome.status == "error":
                lines.append(f"  failed: {outcome.name} ({outcome.url}): {outcome.error}")
        return "\n".join(lines)


def backoff_delay(error_count: int, retry_after: float | None = None, *, rng: random.Random | None = None) -> timedelta:
    """Exponential in the number of consecutive errors, capped, jittered ±20%, never sooner than Retry-After."""
    rng = rng or random
    raw = min(BACKOFF_BASE * (2 ** max(error_count - 1, 0)), BACKOFF_CAP)
    delay = raw * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def configured_feeds(feeds_file: FeedsFile) -> list[ConfiguredFeed]:
    return [ConfiguredFeed(url=f.url, name=f.name, kind=f.kind, poll_minutes=f.poll_minutes) for f in feeds_file.feeds]


class Poller:
    """Holds the HTTP client and the parse pool for one or many cycles."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        classify: Classifier | None = None,
        max_entries: int = MAX_ENTRIES,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.classify = classify
        self.max_entries = max_entries
        self.rng = rng or random.Random()
        timeout = settings.fetch_timeout
        self.limits = FetchLimits(
            max_concurrency=settings.max_concurrency,
            per_host_concurrency=settings.per_host_concurrency,
            max_body_bytes=settings.max_body_bytes,
            connect_timeout=min(10.0, timeout),
            read_timeout=timeout,
            total_timeout=timeout * 2,
        )
        self._pool = ParsePool(settings.parse_workers)
        self._fetcher: Fetcher | None = None
        self._pending_states: list[tuple[int, dict[str, Any]]] = []
        self._flusher: asyncio.Task | None = None
        self._pending_stores: list[_PendingStore] = []
        self._writer: asyncio.Task | None = None
        self._batch_stores = db.dialect == "sqlite"
        # SQLite has one writer: queue our own writes instead of making them wait on the file lock.
        self._write_lock = asyncio.Lock() if db.dialect == "sqlite" else contextlib.nullcontext()

    async def __aenter__(self) -> "Poller":
        self._fetcher = Fetcher(self.limits)
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.flush()
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None
        self._pool.close()

    async def sync(self, feeds_file: FeedsFile, *, disable_others: bool = True) -> None:
        await sync_feeds(self.db, configured_feeds(feeds_file), disable_others=disable_others)

    async def poll_all(
        self, feeds_file: FeedsFile, on_outcome: Callable[[FeedOutcome], Any] | None = None, *, disable_others: bool = True
    ) -> PollSummary:
        """One cycle over every feed of the file, whatever its schedule.

        `disable_others=False` polls these feeds without retiring the rest (the demo does this).
        """
        await self.sync(feeds_file, disable_others=disable_others)
        feeds = await feeds_for_update(self.db, [f.url for f in feeds_file.feeds])
        return await self.poll(feeds, on_outcome)

    async def poll_due(self, on_outcome: Callable[[FeedOutcome], Any] | None = None) -> PollSummary:
        feeds = await claim_due_feeds(self.db, utcnow(), CLAIM_LEASE)
        return await self.poll(feeds, on_outcome)

    async def poll(self, feeds: Sequence[FeedForUpdate], on_outcome: Callable[[FeedOutcome], Any] | None = None) -> PollSummary:
        started = time.perf_counter()

        async def one(feed: FeedForUpdate) -> FeedOutcome:
            outcome = await self.poll_feed(feed)
            if on_outcome is not None:
                on_outcome(outcome)
            return outcome

        outcomes = await asyncio.gather(*(one(feed) for feed in feeds))
        await self.flush()
        return PollSummary(
            feeds=len(outcomes),
            ok=sum(o.status == "ok" for o in outcomes),
            not_modified=sum(o.status == "not_modified" for o in outcomes),
            failed=sum(o.status == "error" for o in outcomes),
            new_items=sum(o.new_items for o in outcomes),
            updated_items=sum(o.updated_items for o in outcomes),
            seconds=time.perf_counter() - started,
            outcomes=tuple(outcomes),
        )

    async def poll_feed(self, feed: FeedForUpdate) -> FeedOutcome:
        """Fetch, parse and store one feed; every failure ends up recorded on the feed."""
        try:
            return await self._poll_feed(feed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must cost one feed, not the cycle
            log.exception("polling %s failed", feed.url)
            error = FeedError("internal", f"internal error: {type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):
                await self._record(feed, self._error_state(feed, error, None, utcnow()))
            return FeedOutcome(feed.id, feed.name, feed.url, "error", error=error.reason)

    async def _poll_feed(self, feed: FeedForUpdate) -> FeedOutcome:
        assert self._fetcher is not None, "use Poller as an async context manager"
        result = await self._fetcher.fetch(
            feed.url, Validators(feed.etag, feed.last_modified, feed.body_sha256)
        )
        now = utcnow()
        if result.status == "error":
            assert result.error is not None
            await self._record(feed, self._error_state(feed, result.error, result.http_status, now))
            return FeedOutcome(feed.id, feed.name, feed.url, "error", error=result.error.reason)
        if result.status == "not_modified":
            await self._record(feed, self._ok_state(feed, result, now, status="not_modified"))
            return FeedOutcome(feed.id, feed.name, feed.url, "not_modified")
        assert result.body is not None
        parsed = await self._pool.parse(
            result.body, result.final_url or feed.url, result.content_type, now, self.classify, self.max_entries,
        )
        if parsed.error is not None:
            await self._record(feed, self._error_state(feed, parsed.error, result.http_status, now))
            return FeedOutcome(feed.id, feed.name, feed.url, "error", error=parsed.error.reason)
        state = self._ok_state(feed, result, now, status="ok", parsed=parsed)
        pending = _PendingStore(feed.id, parsed.entries, state, now)
        if self._batch_stores:
            counts = await self._store_batched(pending)
        else:
            [counts] = await self.db.run_write(_store_feeds, [pending])
        return FeedOutcome(
            feed.id, feed.name, feed.url, "ok", new_items=counts.new, updated_items=counts.updated,
            entries=len(parsed.entries), warning=parsed.warning, new_item_ids=counts.new_item_ids,
        )

    async def _store_batched(self, pending: "_PendingStore") -> StoreCounts:
        """Queue one feed's entries; the writer stores every feed queued meanwhile in one transaction.

        On SQLite each transaction costs a BEGIN IMMEDIATE and a commit; while one batch
        is written, the next feeds' entries queue up behind it.
        """
        pending.done = asyncio.get_running_loop().create_future()
        self._pending_stores.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_stores())
        return await pending.done

    async def _write_stores(self) -> None:
        while self._pending_stores:
            batch = self._pending_stores[:STORE_BATCH]
            del self._pending_stores[:STORE_BATCH]
            try:
                async with self._write_lock:
                    counts = await self.db.run_write(_store_feeds, batch)
            except Exception:
                # One bad feed must not cost the others: store each alone and report its own failure.
                log.info("a batch of %d feeds failed to store; storing them one by one", len(batch))
                for pending in batch:
                    await self._write_one(pending)
                continue
            for pending, count in zip(batch, counts):
                if not pending.done.done():
                    pending.done.set_result(count)

    async def _write_one(self, pending: "_PendingStore") -> None:
        try:
            async with self._write_lock:
                [count] = await self.db.run_write(_store_feeds, [pending])
        except Exception as exc:
            if not pending.done.done():
                pending.done.set_exception(exc)
        else:
            if not pending.done.done():
                pending.done.set_result(count)

    async def _record(self, feed: FeedForUpdate, state: dict[str, Any]) -> None:
        """Queue a state change that stores no items; queued changes are written together.

        A warm poll of hundreds of unchanged feeds then costs a few transactions, not one each.
        """
        self._pending_states.append((feed.id, state))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_states())

    async def _flush_states(self) -> None:
        while self._pending_states:
            batch, self._pending_states = self._pending_states, []
            try:
                async with self._write_lock:
                    await self.db.run_write(update_feed_states, batch)
            except Exception:
                log.exception("recording the state of %d feeds failed", len(batch))

    async def flush(self) -> None:
        """Wait until every queued feed state and store is written."""
        while self._flusher is not None and not self._flusher.done():
            await self._flusher
        while self._writer is not None and not self._writer.done():
            await self._writer

    def _interval(self, feed: FeedForUpdate) -> timedelta:
        return timedelta(minutes=feed.poll_minutes or self.settings.default_poll_minutes)

    def _ok_state(self, feed: FeedForUpdate, result: FetchResult, now: datetime, *, status: str,
                  parsed: ParsedFeed | None = None) -> dict[str, Any]:
        state: dict[str, Any] = {
            "etag": _clip(result.etag, 500), "last_modified": _clip(result.last_modified, 100),
            "body_sha256": result.body_sha256, "last_status": status, "last_error": None,
            "last_http_status": result.http_status, "error_count": 0, "last_polled_at": now,
            "last_ok_at": now, "next_poll_at": now + self._interval(feed),
        }
        if parsed is not None:
            state["last_warning"] = parsed.warning
            if parsed.title:
                state["title"] = parsed.title[:500]
        return state

    def _error_state(self, feed: FeedForUpdate, error: FeedError, http_status: int | None, now: datetime) -> dict[str, Any]:
        count = feed.error_count + 1
        return {
            "last_status": "error", "last_error": error.reason, "last_http_status": http_status,
            "error_count": count, "last_polled_at": now,
            "next_poll_at": now + backoff_delay(count, error.retry_after, rng=self.rng),
        }


@dataclass
class _PendingStore:
    feed_id: int
    entries: Sequence[Any]
    state: dict[str, Any]
    now: datetime
    done: "asyncio.Future[StoreCounts] | None" = None


def _store_feeds(session: Session, batch: Sequence[_PendingStore]) -> list[StoreCounts]:
    """Store several feeds' entries and their new states in the caller's transaction."""
    counts = [store_entries(session, p.feed_id, p.entries, p.now) for p in batch]
    update_feed_states(session, [(p.feed_id, p.state) for p in batch])
    return counts


def _clip(value: str | None, limit: int) -> str | None:
    return value if value is None or len(value) <= limit else None


async def poll_once(
    db: Database, settings: Settings, feeds_file: FeedsFile, *, classify: Classifier | None = None,
    on_outcome: Callable[[FeedOutcome], Any] | None = None,
) -> PollSummary:
    async with Poller(db, settings, classify=classify) as poller:
        return await poller.poll_all(feeds_file, on_outcome)


async def run_forever(
    db: Database, settings: Settings, load: Callable[[], FeedsFile], *, classify: Classifier | None = None,
    on_summary: Callable[[PollSummary], Any] | None = None, stop: asyncio.Event | None = None,
    max_sleep: float = 60.0,
) -> None:
    """Poll due feeds until `stop` is set; the feeds file is re-read each cycle so edits apply."""
    stop = stop or asyncio.Event()
    async with Poller(db, settings, classify=classify) as poller:
        while not stop.is_set():
            try:
                await poller.sync(load())
            except Exception as exc:  # a broken edit of the file keeps the last good feeds
                log.error("feeds file not reloaded: %s", exc)
            summary = await poller.poll_due()
            if summary.feeds and on_summary is not None:
                on_summary(summary)
            due = await next_due_at(db)
            wait = max_sleep if due is None else min(max((due - utcnow()).total_seconds(), 1.0), max_sleep)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
