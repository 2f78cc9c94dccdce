"""On PostgreSQL, workers side by side claim with SKIP LOCKED: every digest is delivered exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert, select, text

from bot.digest.deliver import SenderConfig
from bot.worker import run_once
from storage.db import Database
from storage.models import Delivery, Subscription
from tests.conftest import PG_URL
from tests.digest_support import T0, Clock, RecordingSink, add_feed, add_item

CHANNELS = 1000


class Client:
    """One worker's connection to the shared platform, counting what this worker sent."""

    platform = "slack"

    def __init__(self, shared: RecordingSink, counter: Counter, name: str) -> None:
        self.shared, self.counter, self.name = shared, counter, name

    async def find_sent(self, dest, key):
        return await self.shared.find_sent(dest, key)

    async def send(self, dest, message, key):
        self.counter[self.name] += 1
        await asyncio.sleep(0)  # let the other worker in between calls
        return await self.shared.send(dest, message, key)


async def test_two_workers_deliver_a_thousand_due_digests_exactly_once(pg_db):
    async with pg_db.read() as session:
        schema = (await session.execute(text("SHOW search_path"))).scalar_one()
    second = Database.connect(PG_URL, schema=schema.strip('"'))
    try:
        feed = await add_feed(pg_db, "Wire")
        await add_item(pg_db, "Envoys agree on AI hotline", feeds=[feed], themes={"incident-response": 0.9},
                       published=T0 - timedelta(hours=1))
        async with pg_db.transaction() as session:
            await session.execute(
                insert(Subscription),
                [
                    dict(platform="slack", workspace="T1", channel=f"C{n:04d}", target_kind="theme", target="incident-response",
                         mode="daily", at_time="08:00", tz="UTC", next_run_at=T0, enabled=True, created_at=T0, updated_at=T0)
                    for n in range(CHANNELS)
                ],
            )
        platform = RecordingSink(platform="slack")
        work: Counter = Counter()
        clock = Clock(T0 + timedelta(minutes=1))
        config = SenderConfig(per_channel_interval=0.0, batch=50, concurrency=8)
        await asyncio.gather(
            run_once(pg_db, {"slack": Client(platform, work, "a")}, clock=clock, config=config),
            run_once(second, {"slack": Client(platform, work, "b")}, clock=clock, config=config),
        )
        per_channel = Counter(dest.channel for dest, _, _ in platform.posts)
        assert len(per_channel) == CHANNELS
        assert set(per_channel.values()) == {1}
        assert work["a"] > 0 and work["b"] > 0, work  # both took a share
        async with pg_db.read() as session:
            states = Counter((await session.scalars(select(Delivery.state))).all())
            next_runs = set((await session.scalars(select(Subscription.next_run_at))).all())
        assert states == {"sent": CHANNELS}
        assert next_runs == {T0 + timedelta(hours=1)}  # 08:00 today, each advanced once
    finally:
        await second.close()
