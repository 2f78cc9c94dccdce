"""The outbox: a crash at any step neither duplicates a post nor loses one; errors retry or disable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.digest.deliver import SenderConfig, send_due
from bot.digest.plan import plan_digests
from bot.digest.schedule import Schedule
from bot.digest.sink import Destination, PermanentSendError, TransientSendError
from storage.models import Delivery
from storage.outbox import claim_deliveries
from storage.subscriptions import channel_subscriptions, subscribe
from tests.digest_support import (
    T0,
    Clock,
    RecordingSink,
    WorkerKilled,
    add_feed,
    add_item,
)

DEST = Destination("console", "local", "ops")
FAST = SenderConfig(per_channel_interval=0.0)


async def due_digest(db) -> Clock:
    """A channel with one subscription and one new item, its digest due now."""
    feed = await add_feed(db, "Wire")
    await add_item(db, "Envoys agree on AI hotline", feeds=[feed], themes={"incident-response": 0.9}, published=T0 - timedelta(hours=1))
    await subscribe(db, DEST, "theme", "incident-response", Schedule(mode="daily", at_time="08:00", tz="UTC"), T0)
    return Clock(T0 + timedelta(hours=1))


async def deliveries(db) -> list[Delivery]:
    async with db.read() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.id)))


async def test_the_delivery_row_is_written_before_anything_is_sent(db):
    clock = await due_digest(db)
    await plan_digests(db, clock())
    [row] = await deliveries(db)
    assert (row.state, row.attempts, row.kind) == ("pending", 0, "digest")
    assert row.idempotency_key == "digest:console/local/ops:2026-11-23T08:00:00+00:00"
    [sub] = await channel_subscriptions(db, DEST)
    assert sub.next_run_at == T0 + timedelta(days=1, hours=1)  # advanced in the same transaction


async def test_planning_twice_for_the_same_slot_records_one_delivery(db):
    clock = await due_digest(db)
    await plan_digests(db, clock())
    await plan_digests(db, clock())
    assert len(await deliveries(db)) == 1


async def test_killed_after_planning_the_restarted_worker_sends_it(db):
    clock = await due_digest(db)
    await plan_digests(db, clock())
    # ...the worker dies here; a new one starts:
    sink = RecordingSink()
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    assert len(sink.posts) == 1
    assert (await deliveries(db))[0].state == "sent"


async def test_killed_after_claiming_the_row_is_reclaimed_when_its_lease_runs_out(db):
    clock = await due_digest(db)
    await plan_digests(db, clock())
    claimed = await claim_deliveries(db, ["console"], clock(), limit=10, lease=FAST.lease)
    assert len(claimed) == 1  # ...and the worker dies before sending
    sink = RecordingSink()
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    assert sink.posts == []  # still leased to the dead worker
    clock.now += FAST.lease + timedelta(seconds=1)
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    assert len(sink.posts) == 1
    assert sink.lookups == [claimed[0].key]  # it looked for an earlier post first
    [row] = await deliveries(db)
    assert (row.state, row.attempts) == ("sent", 2)


async def test_killed_after_posting_but_before_marking_sent_is_not_posted_again(db):
    clock = await due_digest(db)
    await plan_digests(db, clock())
    sink = RecordingSink(crash_after_post=True)
    with pytest.raises(WorkerKilled):
        await send_due(db, {"console": sink}, clock=clock, config=FAST)
    [row] = await deliveries(db)
    assert row.state == "sending"  # the platform has the message, the database doesn't know
    clock.now += FAST.lease + timedelta(seconds=1)
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    assert len(sink.posts) == 1  # found by its idempotency key, not re-posted
    [row] = await deliveries(db)
    assert (row.state, row.message_id) == ("sent", "m1")


async def test_rate_limit_retries_after_the_time_the_platform_asks(db):
    clock = await due_digest(db)
    await plan_digests(db, clock())
    sink = RecordingSink(fail_next=[TransientSendError("ratelimited", retry_after=30)])
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    [row] = await deliveries(db)
    assert (row.state, row.last_error) == ("pending", "ratelimited")
    assert row.next_attempt_at == clock() + timedelta(seconds=30)
    clock.now += timedelta(seconds=29)
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    assert sink.posts == []
    clock.now += timedelta(seconds=1)
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    assert len(sink.posts) == 1 and (await deliveries(db))[0].state == "sent"


async def test_server_errors_back_off_exponentially_then_give_up(db):
    clock = await due_digest(db)
    await plan_digests(db, clock())
    config = SenderConfig(per_channel_interval=0.0, max_attempts=3, base_backoff=10)
    sink = RecordingSink(fail_next=[TransientSendError("HTTP 503") for _ in range(5)])
    waits = []
    for _ in range(3):
        before = clock()
        await send_due(db, {"console": sink}, clock=clock, config=config)
        row = (await deliveries(db))[0]
        if row.state == "pending":
            waits.append((row.next_attempt_at - before).total_seconds())
            clock.now = row.next_attempt_at
    assert waits == [10, 20]
    assert row.state == "failed" and "gave up after 3 attempts" in row.last_error


async def test_a_permanent_error_fails_the_delivery_and_pauses_the_channel_with_the_reason(db):
    clock = await due_digest(db)
    await subscribe(db, DEST, "keyword", "TC260", Schedule(mode="instant", min_score=0.7), T0)
    await plan_digests(db, clock())
    sink = RecordingSink(fail_next=[PermanentSendError("channel_not_found")])
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    [row] = await deliveries(db)
    assert (row.state, row.last_error) == ("failed", "channel_not_found")
    subs = await channel_subscriptions(db, DEST)
    assert [(s.enabled, s.disabled_reason) for s in subs] == [(False, "channel_not_found")] * 2
    clock.now += timedelta(days=2)
    await plan_digests(db, clock())
    assert len(await deliveries(db)) == 1  # paused subscriptions plan nothing


async def test_a_worker_only_claims_deliveries_for_platforms_it_can_send_to(db):
    slack = Destination("slack", "T1", "C1")
    feed = await add_feed(db, "Wire")
    await add_item(db, "Envoys agree on AI hotline", feeds=[feed], themes={"incident-response": 0.9}, published=T0 - timedelta(hours=1))
    await subscribe(db, slack, "theme", "incident-response", Schedule(mode="daily", at_time="08:00", tz="UTC"), T0)
    clock = Clock(T0 + timedelta(hours=1))
    await plan_digests(db, clock())
    console = RecordingSink()
    await send_due(db, {"console": console}, clock=clock, config=FAST)
    assert console.posts == [] and (await deliveries(db))[0].state == "pending"


async def test_messages_to_one_channel_are_spaced_one_second_apart_and_after_retry_after():
    from bot.digest.deliver import ChannelPacer

    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(1.0, monotonic=lambda: now[0], sleep=sleep)
    for channel in ("a", "b", "a"):  # another channel in between doesn't wait
        await pacer.wait(channel)
        pacer.mark(channel)
    assert slept == [1.0]
    pacer.hold("a", 30.0)  # the platform said Retry-After: 30
    await pacer.wait("a")
    assert slept == [1.0, 30.0]


async def test_subscribing_again_in_a_paused_channel_resumes_it_from_now(db):
    from storage.subscriptions import disable_channel

    await subscribe(db, DEST, "theme", "incident-response", Schedule(mode="daily", at_time="08:00", tz="UTC"), T0)
    async with db.transaction() as session:
        await disable_channel(session, DEST, "not_in_channel")
    later = T0 + timedelta(days=3)
    await subscribe(db, DEST, "keyword", "TC260", Schedule(mode="daily", at_time="08:00", tz="UTC"), later)
    subs = await channel_subscriptions(db, DEST)
    assert [(s.enabled, s.disabled_reason) for s in subs] == [(True, None), (True, None)]
    assert subs[0].next_run_at == later + timedelta(hours=1)


async def test_an_unexpected_sink_error_is_retried_like_a_transient_one(db):
    clock = await due_digest(db)
    await plan_digests(db, clock())
    sink = RecordingSink(fail_next=[ValueError("bad response body")])
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    [row] = await deliveries(db)
    assert (row.state, row.last_error) == ("pending", "bad response body")
    clock.now = row.next_attempt_at
    await send_due(db, {"console": sink}, clock=clock, config=FAST)
    assert len(sink.posts) == 1 and (await deliveries(db))[0].state == "sent"
