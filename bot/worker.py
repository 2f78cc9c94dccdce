"""The digest worker: plans due digests and alerts, then sends the outbox, every few seconds.

Several workers may share one PostgreSQL database: every claim uses
SELECT … FOR UPDATE SKIP LOCKED, so each subscription and delivery is taken once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.commands import utc_now
from bot.digest.deliver import ChannelPacer, SenderConfig, send_due
from bot.digest.plan import FIRST_WINDOW, plan_alerts, plan_digests
from bot.digest.sink import Sink

log = logging.getLogger(__name__)

async def run_once(
    db, sinks: dict[str, Sink], *, clock: Callable[[], datetime] = utc_now, config: SenderConfig | None = None,
    pacer: ChannelPacer | None = None, first_window: timedelta = FIRST_WINDOW,
) -> None:
    """One tick: plan every due digest (batch by batch), plan alerts, send what is due."""
    while (await plan_digests(db, clock(), first_window=first_window)).subscriptions:
        pass
    await plan_alerts(db, clock(), first_window=first_window)
    await send_due(db, sinks, clock=clock, config=config, pacer=pacer)


async def run_digest_worker(
    runtime, sinks: dict[str, Sink], *, stop: asyncio.Event, clock: Callable[[], datetime] = utc_now,
    tick: float | None = None, config: SenderConfig | None = None,
) -> None:
    """Run until `stop` is set. A failing tick is logged and the next one runs."""
    from bot.digest.settings import DigestSettings

    settings = DigestSettings()
    tick = tick if tick is not None else settings.tick_seconds
    config = config or SenderConfig(concurrency=settings.send_concurrency)
    pacer = ChannelPacer(config.per_channel_interval)
    log.info("digest worker started (sinks: %s)", ", ".join(sorted(sinks)) or "none")
    while not stop.is_set():
        try:
            await run_once(runtime.db, sinks, clock=clock, config=config, pacer=pacer, first_window=settings.first_window)
        except Exception:
            log.exception("digest worker tick failed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick)
    log.info("digest worker stopped")
