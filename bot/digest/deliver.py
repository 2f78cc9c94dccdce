"""The sender: claims outbox rows and posts them through the platform's sink.

Before any retry it asks the sink whether a message with the delivery's
idempotency key is already there (a crash between posting and marking), so a
delivery is posted at most once; a lease makes abandoned rows claimable again,
so none is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.digest.payload import reply_from_payload
from bot.digest.sink import PermanentSendError, Sink, TransientSendError
from storage.db import Database
from storage.outbox import (
    ClaimedDelivery,
    claim_deliveries,
    mark_failed,
    mark_retry,
    mark_sent,
)
from storage.subscriptions import channel_key, disable_channel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SenderConfig:
    concurrency: int = 32  # sends in flight per worker
    batch: int = 200
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 12  # with the backoff below: about 6 hours of trying
    per_channel_interval: float = 1.0  # chat platforms allow about one message per second per channel
    base_backoff: float = 5.0
    max_backoff: float = 3600.0


class ChannelPacer:
    """Spaces messages to one channel `interval` seconds apart (and longer after a Retry-After)."""

    def __init__(
        self, interval: float, monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.monotonic = monotonic
        self.sleep = sleep
        self._next: dict[str, float] = {}

    async def wait(self, key: str) -> None:
        """Until this channel may get its next message."""
        while (delay := self._next.get(key, 0.0) - self.monotonic()) > 0:
            await self.sleep(delay)

    def mark(self, key: str) -> None:
        """A message to this channel is going out now."""
        self._next[key] = max(self._next.get(key, 0.0), self.monotonic() + self.interval)

    def hold(self, key: str, seconds: float) -> None:
        self._next[key] = max(self._next.get(key, 0.0), self.monotonic() + seconds)


def backoff(attempts: int, config: SenderConfig) -> float:
    return min(config.base_backoff * 2 ** max(attempts - 1, 0), config.max_backoff)


@dataclass
class SendStats:
    sent: int = 0
    already_sent: int = 0
    retried: int = 0
    failed: int = 0


async def deliver_one(
    db: Database, sink: Sink, d: ClaimedDelivery, *, clock: Callable[[], datetime], config: SenderConfig,
    pacer: ChannelPacer, stats: SendStats, slots: asyncio.Semaphore,
) -> None:
    ck = channel_key(d.dest)
    try:
        message_id = None
        if d.attempts > 1:  # an earlier try may have posted before its worker died
            async with slots:
                message_id = await sink.find_sent(d.dest, d.key)
        if message_id is not None:
            stats.already_sent += 1
        else:
            await pacer.wait(ck)  # outside the slots: a busy channel doesn't hold up the others
            async with slots:
                pacer.mark(ck)
                message_id = (await sink.send(d.dest, reply_from_payload(d.payload), d.key)).message_id
            stats.sent += 1
        await mark_sent(db, d.id, message_id, clock())
    except PermanentSendError as exc:
        stats.failed += 1
        log.warning("delivery %s to %s failed for good: %s", d.id, ck, exc.reason)
        async with db.transaction() as session:
            await mark_failed(session, d.id, exc.reason)
            await disable_channel(session, d.dest, exc.reason)
    except Exception as exc:  # rate limits, server errors, timeouts, and anything unforeseen: retry, bounded
        retry_after = exc.retry_after if isinstance(exc, TransientSendError) else None
        if not isinstance(exc, TransientSendError):
            log.warning("delivery %s to %s: %s: %s", d.id, ck, type(exc).__name__, exc)
        if retry_after:
            pacer.hold(ck, retry_after)
        if d.attempts >= config.max_attempts:
            stats.failed += 1
            async with db.transaction() as session:
                await mark_failed(session, d.id, f"gave up after {d.attempts} attempts: {exc}")
            return
        delay = retry_after if retry_after is not None else backoff(d.attempts, config)
        stats.retried += 1
        await mark_retry(db, d.id, str(exc) or type(exc).__name__, clock() + timedelta(seconds=delay))


async def send_due(
    db: Database, sinks: dict[str, Sink], *, clock: Callable[[], datetime], config: SenderConfig | None = None,
    pacer: ChannelPacer | None = None,
) -> SendStats:
    """Claim and send everything due now, batch after batch; returns what happened."""
    config = config or SenderConfig()
    pacer = pacer or ChannelPacer(config.per_channel_interval)
    stats = SendStats()
    slots = asyncio.Semaphore(config.concurrency)

    async def run_channel(deliveries: list[ClaimedDelivery]) -> None:
        # One channel's messages go out in order, one at a time, paced.
        for d in deliveries:
            try:
                await deliver_one(db, sinks[d.dest.platform], d, clock=clock, config=config, pacer=pacer, stats=stats, slots=slots)
            except Exception:
                # Unexpected (the database away): the lease expires and the row
                # is claimed again, find_sent guarding against a repost.
                log.exception("delivery %s: unexpected error", d.id)

    while True:
        claimed = await claim_deliveries(db, list(sinks), clock(), limit=config.batch, lease=config.lease)
        if not claimed:
            return stats
        by_channel: dict[str, list[ClaimedDelivery]] = {}
        for d in claimed:
            by_channel.setdefault(channel_key(d.dest), []).append(d)
        await asyncio.gather(*(run_channel(ds) for ds in by_channel.values()))
