"""Turn due subscriptions into outbox rows.

Claiming a subscription, recording its channel's digest and advancing its
next run happen in one transaction: a crash before the commit leaves the
subscription due (it is planned again), after it the delivery is recorded.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.compose import (
    Candidate,
    Composed,
    Target,
    compose_alert,
    compose_digest,
)
from bot.digest.payload import reply_to_payload
from bot.digest.schedule import next_run, zone
from bot.digest.sink import Destination
from storage.db import Database
from storage.digest_queries import delivered_pairs, load_candidates
from storage.models import Subscription
from storage.outbox import record_delivery
from storage.subscriptions import channel_key, destination_of, schedule_of

log = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(hours=24)  # a first digest (or a new feed's backlog) looks back no further
ALERT_OVERLAP = timedelta(minutes=10)  # items committed late by the poller still get their alert


@dataclass(frozen=True)
class PlanStats:
    subscriptions: int = 0
    digests: int = 0
    alerts: int = 0


def window_start(sub: Subscription, now: datetime, first_window: timedelta) -> datetime:
    """Items published since the last run (with one window of slack for late arrivals), or the first window."""
    if sub.last_run_at is None:
        return now - first_window
    return min(sub.last_run_at, now) - first_window


def digest_label(subs: list[Subscription], now: datetime) -> str:
    label = "Weekly briefing" if all(s.mode == "weekly" for s in subs) else "Daily briefing"
    return f"{label}, {now.astimezone(zone(subs[0].tz)):%a %d %b %Y}"


async def compose_for_channel(
    session: AsyncSession, dest: Destination, subs: list[Subscription], now: datetime, first_window: timedelta
) -> Composed | None:
    """The digest this channel would get now (used for previews: loads its own candidates)."""
    ck = channel_key(dest)
    seen: dict[int, Candidate] = {}
    for sub in subs:
        target = Target(sub.target_kind, sub.target)
        for c in await load_candidates(session, ck, target, published_since=window_start(sub, now, first_window)):
            seen.setdefault(c.item_id, c)
    return compose_digest(list(seen.values()), [Target(s.target_kind, s.target) for s in subs], label=digest_label(subs, now))


async def compose_batch(
    session: AsyncSession, by_channel: dict[Destination, list[Subscription]], now: datetime, first_window: timedelta
) -> dict[Destination, Composed | None]:
    """Digests for many channels at once: each target's items are loaded once for the whole batch."""
    since: dict[Target, datetime] = {}
    for subs in by_channel.values():
        for sub in subs:
            target = Target(sub.target_kind, sub.target)
            start = window_start(sub, now, first_window)
            since[target] = min(since.get(target, start), start)
    pool = {t: await load_candidates(session, None, t, published_since=s) for t, s in since.items()}
    ids = sorted({c.item_id for cs in pool.values() for c in cs})
    delivered = await delivered_pairs(session, [channel_key(d) for d in by_channel], ids)
    result: dict[Destination, Composed | None] = {}
    for dest, subs in by_channel.items():
        ck = channel_key(dest)
        seen: dict[int, Candidate] = {}
        for sub in subs:
            start = window_start(sub, now, first_window)
            for c in pool[Target(sub.target_kind, sub.target)]:
                if c.published_at >= start and (ck, c.item_id) not in delivered:
                    seen.setdefault(c.item_id, c)
        targets = [Target(s.target_kind, s.target) for s in subs]
        result[dest] = compose_digest(list(seen.values()), targets, label=digest_label(subs, now))
    return result


async def plan_digests(
    db: Database, now: datetime, *, batch: int = 100, first_window: timedelta = FIRST_WINDOW
) -> PlanStats:
    """One batch of due digest subscriptions: compose per channel, record, advance."""
    try:
        async with db.transaction() as session:
            due = list(
                await session.scalars(
                    select(Subscription)
                    .where(Subscription.enabled.is_(True), Subscription.mode.in_(("daily", "weekly")), Subscription.next_run_at <= now)
                    .order_by(Subscription.next_run_at, Subscription.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            if due:
                # The rest of these channels' due subscriptions too: one digest per channel and slot.
                channels = {(s.platform, s.workspace, s.channel) for s in due}
                due += list(
                    await session.scalars(
                        select(Subscription)
                        .where(
                            Subscription.enabled.is_(True), Subscription.mode.in_(("daily", "weekly")),
                            Subscription.next_run_at <= now, Subscription.id.not_in([s.id for s in due]),
                            tuple_(Subscription.platform, Subscription.workspace, Subscription.channel).in_(channels),
                        )
                        .order_by(Subscription.id)
                        .with_for_update(skip_locked=True)
                    )
                )
            by_channel: dict[Destination, list[Subscription]] = defaultdict(list)
            for sub in due:
                by_channel[destination_of(sub)].append(sub)
            digests = 0
            composed_by_channel = await compose_batch(session, by_channel, now, first_window)
            for dest, subs in by_channel.items():
                composed = composed_by_channel[dest]
                if composed is not None:
                    slot = min(s.next_run_at for s in subs if s.next_run_at is not None)
                    key = f"digest:{channel_key(dest)}:{slot.isoformat()}"
                    if await record_delivery(session, dest, "digest", key, reply_to_payload(composed.reply), composed.item_ids, now):
                        digests += 1
                for sub in subs:
                    sub.last_run_at = now
                    sub.next_run_at = next_run(schedule_of(sub), now)
            return PlanStats(subscriptions=len(due), digests=digests)
    except IntegrityError:
        # Another worker recorded one of these items for the same channel at the
        # same moment; nothing was committed here, so the next tick plans again.
        log.info("digest planning raced another worker; retrying next tick")
        return PlanStats()


async def plan_alerts(db: Database, now: datetime, *, first_window: timedelta = FIRST_WINDOW, batch: int = 500) -> PlanStats:
    """Instant alerts: each new matching item above the score, once per channel."""
    try:
        async with db.transaction() as session:
            subs = list(
                await session.scalars(
                    select(Subscription)
                    .where(Subscription.enabled.is_(True), Subscription.mode == "instant")
                    .order_by(Subscription.last_run_at, Subscription.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            alerts = 0
            used: set[tuple[str, int]] = set()
            for sub in subs:
                dest = destination_of(sub)
                ck = channel_key(dest)
                target = Target(sub.target_kind, sub.target)
                seen_after = (sub.last_run_at or now) - ALERT_OVERLAP
                candidates = await load_candidates(
                    session, ck, target, published_since=now - first_window, seen_after=seen_after,
                    min_score=sub.min_score if sub.target_kind == "theme" else None,
                )
                for c in sorted(candidates, key=lambda c: c.item_id):
                    if (ck, c.item_id) in used:
                        continue
                    used.add((ck, c.item_id))
                    reply = compose_alert(c, target)
                    if await record_delivery(session, dest, "alert", f"alert:{ck}:{c.item_id}", reply_to_payload(reply), [c.item_id], now):
                        alerts += 1
                sub.last_run_at = now
            return PlanStats(subscriptions=len(subs), alerts=alerts)
    except IntegrityError:
        log.info("alert planning raced another worker; retrying next tick")
        return PlanStats()
