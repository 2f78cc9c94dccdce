"""Subscriptions: what each chat channel wants, and when it is due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.schedule import Schedule, next_run
from bot.digest.sink import Destination
from storage.db import Database
from storage.models import Subscription

MAX_PER_CHANNEL = 50
MAX_KEYWORD_CHARS = 100


class SubscriptionLimitError(Exception):
    """The channel already has as many subscriptions as it may."""


def channel_key(dest: Destination) -> str:
    return f"{dest.platform}/{dest.workspace}/{dest.channel}"


def destination_of(sub: Subscription) -> Destination:
    return Destination(platform=sub.platform, workspace=sub.workspace, channel=sub.channel)


def schedule_of(sub: Subscription) -> Schedule:
    return Schedule(mode=sub.mode, at_time=sub.at_time, weekday=sub.weekday, tz=sub.tz, min_score=sub.min_score)


def _for_channel(dest: Destination):
    return (
        (Subscription.platform == dest.platform)
        & (Subscription.workspace == dest.workspace)
        & (Subscription.channel == dest.channel)
    )


async def list_subscriptions(session: AsyncSession, dest: Destination) -> list[Subscription]:
    rows = await session.scalars(select(Subscription).where(_for_channel(dest)).order_by(Subscription.id))
    return list(rows)


async def channel_subscriptions(db: Database, dest: Destination) -> list[Subscription]:
    async with db.read() as session:
        return await list_subscriptions(session, dest)


async def subscribe(
    db: Database, dest: Destination, target_kind: str, target: str, schedule: Schedule, now: datetime
) -> tuple[Subscription, bool]:
    """Add or update (same theme or keyword: the new schedule wins). Returns (row, created)."""
    async with db.transaction() as session:
        existing = await list_subscriptions(session, dest)
        match = next(
            (s for s in existing if s.target_kind == target_kind and s.target.lower() == target.lower()), None
        )
        if match is None and len(existing) >= MAX_PER_CHANNEL:
            raise SubscriptionLimitError(f"this channel already has {len(existing)} subscriptions")
        sub = match or Subscription(
            platform=dest.platform, workspace=dest.workspace, channel=dest.channel,
            target_kind=target_kind, target=target, created_at=now,
        )
        sub.mode = schedule.mode
        sub.at_time = schedule.at_time
        sub.weekday = schedule.weekday
        sub.tz = schedule.tz
        sub.min_score = schedule.min_score
        sub.next_run_at = next_run(schedule, now)
        if schedule.mode == "instant" and (match is None or match.mode != "instant"):
            sub.last_run_at = now  # alerts start from now: no backlog
        sub.enabled = True
        sub.disabled_reason = None
        sub.updated_at = now
        # Someone could run a command here, so the bot is back in the channel:
        # resume what a delivery error paused, from now on (no stale catch-up run).
        for other in existing:
            if other is not sub and not other.enabled:
                other.enabled, other.disabled_reason, other.updated_at = True, None, now
                other.next_run_at = next_run(schedule_of(other), now)
        if match is None:
            session.add(sub)
        await session.flush()
        return sub, match is None


async def unsubscribe(db: Database, dest: Destination, target_kind: str | None, target: str | None) -> int:
    """Remove one subscription (or all when target_kind is None); returns how many went."""
    async with db.transaction() as session:
        condition = _for_channel(dest)
        if target_kind is not None and target is not None:
            condition = condition & (Subscription.target_kind == target_kind) & (
                func.lower(Subscription.target) == target.lower()
            )
        result = await session.execute(delete(Subscription).where(condition))
        return result.rowcount or 0


async def disable_channel(session: AsyncSession, dest: Destination, reason: str) -> None:
    """A permanent delivery error: stop everything for this channel and say why."""
    await session.execute(
        update(Subscription).where(_for_channel(dest)).values(enabled=False, disabled_reason=reason[:500])
    )


async def disable_workspace(db: Database, platform: str, workspace: str, reason: str) -> int:
    """The app was removed from a workspace: pause every subscription there, with the reason."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Subscription)
            .where(Subscription.platform == platform, Subscription.workspace == workspace, Subscription.enabled.is_(True))
            .values(enabled=False, disabled_reason=reason[:500])
        )
    return result.rowcount or 0
