"""The delivery outbox: rows written before sending, claimed, marked sent or failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.sink import Destination
from storage.db import Database
from storage.models import Delivery, DeliveryItem, Item
from storage.subscriptions import channel_key


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    key: str
    dest: Destination
    kind: str
    payload: dict[str, Any]
    attempts: int  # including this one: above 1 means an earlier try may have posted


async def record_delivery(
    session: AsyncSession, dest: Destination, kind: str, key: str, payload: dict[str, Any], item_ids: list[int], now: datetime
) -> Delivery | None:
    """Add a pending delivery and the items it carries; None when the key is already recorded."""
    if await session.scalar(select(Delivery.id).where(Delivery.idempotency_key == key)) is not None:
        return None
    delivery = Delivery(
        idempotency_key=key, platform=dest.platform, workspace=dest.workspace, channel=dest.channel, kind=kind,
        payload=payload, state="pending", attempts=0, next_attempt_at=now, created_at=now,
    )
    session.add(delivery)
    await session.flush()
    ck = channel_key(dest)
    session.add_all(DeliveryItem(delivery_id=delivery.id, item_id=i, channel_key=ck) for i in dict.fromkeys(item_ids))
    await session.flush()
    return delivery


async def claim_deliveries(
    db: Database, platforms: list[str], now: datetime, *, limit: int, lease: timedelta
) -> list[ClaimedDelivery]:
    """Pending deliveries that are due, plus 'sending' ones whose worker died (lease ran out)."""
    async with db.transaction() as session:
        query = (
            select(Delivery)
            .where(
                Delivery.platform.in_(platforms),
                or_(
                    and_(Delivery.state == "pending", Delivery.next_attempt_at <= now),
                    and_(Delivery.state == "sending", Delivery.lease_until < now),
                ),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(await session.scalars(query))
        claimed = []
        for d in rows:
            d.state = "sending"
            d.attempts += 1
            d.lease_until = now + lease
            claimed.append(
                ClaimedDelivery(
                    id=d.id, key=d.idempotency_key, dest=Destination(d.platform, d.workspace, d.channel),
                    kind=d.kind, payload=d.payload, attempts=d.attempts,
                )
            )
        return claimed


async def mark_sent(db: Database, delivery_id: int, message_id: str, now: datetime) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Delivery).where(Delivery.id == delivery_id)
            .values(state="sent", message_id=message_id[:200], sent_at=now, lease_until=None, last_error=None)
        )


async def mark_retry(db: Database, delivery_id: int, error: str, at: datetime) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Delivery).where(Delivery.id == delivery_id)
            .values(state="pending", next_attempt_at=at, lease_until=None, last_error=error[:1000])
        )


async def mark_failed(session: AsyncSession, delivery_id: int, error: str) -> None:
    await session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(state="failed", lease_until=None, last_error=error[:1000])
    )


@dataclass(frozen=True)
class ItemDelivery:
    state: str
    kind: str
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


async def item_delivery(session: AsyncSession, dest: Destination, item_id: int) -> ItemDelivery | None:
    """How (and whether) an item went to this channel."""
    row = (
        await session.execute(
            select(Delivery.state, Delivery.kind, Delivery.created_at, Delivery.sent_at, Delivery.last_error)
            .join(DeliveryItem, DeliveryItem.delivery_id == Delivery.id)
            .where(DeliveryItem.channel_key == channel_key(dest), DeliveryItem.item_id == item_id)
        )
    ).first()
    return ItemDelivery(*row) if row else None


async def find_item_by_link(session: AsyncSession, link: str) -> Item | None:
    link = link.strip().strip("<>").split("|", 1)[0]  # Slack sends links as <url|label>
    variants = {link, link.rstrip("/"), link.rstrip("/") + "/"}
    return (await session.scalars(select(Item).where(Item.url.in_(variants)).limit(1))).first()
