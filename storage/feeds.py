"""Feed health for `/brief sources` and `briefbot sources`.

Minimal version: the ingest side owns the full module with the same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Feed, ItemSource


@dataclass(frozen=True)
class FeedHealth:
    name: str
    url: str
    kind: str
    items: int
    last_status: str | None
    last_error: str | None
    last_warning: str | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None


async def feed_health(db: Database) -> list[FeedHealth]:
    async with db.read() as session:
        counts = dict((await session.execute(
            select(ItemSource.feed_id, func.count()).group_by(ItemSource.feed_id))).all())
        feeds = (await session.execute(select(Feed).order_by(Feed.name))).scalars()
        return [FeedHealth(name=f.name, url=f.url, kind=f.kind, items=int(counts.get(f.id, 0)),
                           last_status=f.last_status, last_error=f.last_error, last_warning=f.last_warning,
                           last_polled_at=f.last_polled_at, next_poll_at=f.next_poll_at) for f in feeds]
