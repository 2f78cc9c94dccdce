"""`run_digest_worker` keeps ticking until told to stop, surviving a failing sink."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.digest.schedule import Schedule
from bot.digest.sink import Destination
from bot.runtime import Runtime
from bot.worker import run_digest_worker
from storage.subscriptions import subscribe
from tests.digest_support import (
    T0,
    Clock,
    RecordingSink,
    TransientSendError,
    add_feed,
    add_item,
)


class SignallingSink(RecordingSink):
    def __init__(self) -> None:
        super().__init__(fail_next=[TransientSendError("HTTP 502", retry_after=0)])
        self.delivered = asyncio.Event()

    async def send(self, dest, message, key):
        result = await super().send(dest, message, key)
        self.delivered.set()
        return result


async def test_worker_delivers_due_digest_and_stops_on_request(sqlite_db):
    dest = Destination("console", "local", "loop")
    feed = await add_feed(sqlite_db, "Wire")
    await add_item(sqlite_db, "Envoys agree on AI hotline", feeds=[feed], themes={"incident-response": 0.9},
                   published=T0 - timedelta(hours=1))
    await subscribe(sqlite_db, dest, "theme", "incident-response", Schedule(mode="daily", at_time="08:00", tz="UTC"), T0)
    sink = SignallingSink()
    stop = asyncio.Event()
    clock = Clock(T0 + timedelta(hours=1))
    task = asyncio.create_task(
        run_digest_worker(Runtime(settings=None, db=sqlite_db), {"console": sink}, stop=stop, clock=clock, tick=0.01)
    )
    await asyncio.wait_for(sink.delivered.wait(), timeout=30)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert len(sink.posts) == 1  # the first try failed with a 502, a later tick delivered it
