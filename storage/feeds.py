"""Feeds: syncing the feeds file into the table, picking feeds to poll, recording poll state, health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import Feed, ItemSource


@dataclass(frozen=True)
class ConfiguredFeed:
    """One entry of the feeds file, as the storage layer needs it."""

    url: str
    name: str
    kind: str
    poll_minutes: int | None = None


@dataclass(frozen=True)
class FeedForUpdate:
    """What the poller needs to fetch a feed and to compute its next state."""

    id: int
    url: str
    name: str
    poll_minutes: int | None
    etag: str | None
    last_modified: str | None
    body_sha256: str | None
    error_count: int


@dataclass(frozen=True)
class FeedHealth:
    """One feed as `briefbot sources` and `/brief sources` show it."""

    id: int
    name: str
    url: str
    kind: str
    enabled: bool
    items: int
    last_status: str | None
    last_error: str | None
    last_warning: str | None
    last_http_status: int | None
    error_count: int
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    next_poll_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat().replace("+00:00", "Z") if value else None

        return {
            "name": self.name, "url": self.url, "kind": self.kind, "enabled": self.enabled,
            "items": self.items, "last_status": self.last_status, "last_error": self.last_error,
            "last_warning": self.last_warning, "last_http_status": self.last_http_status,
            "error_count": self.error_count, "last_polled_at": iso(self.last_polled_at),
            "last_ok_at": iso(self.last_ok_at), "next_poll_at": iso(self.next_poll_at),
        }


_FOR_UPDATE_COLUMNS = (
    Feed.id, Feed.url, Feed.name, Feed.poll_minutes, Feed.etag, Feed.last_modified,
    Feed.body_sha256, Feed.error_count,
)


async def sync_feeds(db: Database, configured: Sequence[ConfiguredFeed], *, disable_others: bool = True) -> None:
    """Make the table match the feeds file: upsert by URL; feeds no longer listed are disabled
    (not deleted, so their items and history stay) unless `disable_others` is False."""
    wanted = {feed.url: feed for feed in configured}
    async with db.transaction() as session:
        rows = (await session.execute(select(Feed.id, Feed.url, Feed.name, Feed.kind, Feed.poll_minutes, Feed.enabled))).all()
        known = {row.url: row for row in rows}
        for url, feed in wanted.items():
            row = known.get(url)
            if row is None:
                session.add(Feed(url=url, name=feed.name, kind=feed.kind, poll_minutes=feed.poll_minutes,
                                 enabled=True, error_count=0))
            elif (row.name, row.kind, row.poll_minutes, row.enabled) != (feed.name, feed.kind, feed.poll_minutes, True):
                await session.execute(
                    update(Feed).where(Feed.id == row.id)
                    .values(name=feed.name, kind=feed.kind, poll_minutes=feed.poll_minutes, enabled=True)
                )
        gone = [row.id for url, row in known.items() if url not in wanted and row.enabled]
        if gone and disable_others:
            await session.execute(update(Feed).where(Feed.id.in_(gone)).values(enabled=False))


async def feeds_for_update(db: Database, urls: Sequence[str] | None = None) -> list[FeedForUpdate]:
    """Every enabled feed (or those with the given URLs), whatever its schedule."""
    query = select(*_FOR_UPDATE_COLUMNS).where(Feed.enabled.is_(True)).order_by(Feed.id)
    if urls is not None:
        query = query.where(Feed.url.in_(list(urls)))
    async with db.read() as session:
        return [FeedForUpdate(**row._mapping) for row in (await session.execute(query)).all()]


async def claim_due_feeds(db: Database, now: datetime, lease: timedelta, limit: int = 1000) -> list[FeedForUpdate]:
    """Feeds due now, claimed by pushing their next poll `lease` ahead.

    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several workers share the
    table without taking the same feed; on SQLite the write lock does that.
    """
    async with db.transaction() as session:
        query = (
            select(*_FOR_UPDATE_COLUMNS)
            .where(Feed.enabled.is_(True), or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
            .order_by(Feed.next_poll_at.is_not(None), Feed.next_poll_at, Feed.id)
            .limit(limit)
        )
        if db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Feed)
        rows = (await session.execute(query)).all()
        feeds = [FeedForUpdate(**row._mapping) for row in rows]
        if feeds:
            await session.execute(
                update(Feed).where(Feed.id.in_([f.id for f in feeds])).values(next_poll_at=now + lease)
            )
    return feeds


async def next_due_at(db: Database) -> datetime | None:
    async with db.read() as session:
        return await session.scalar(select(func.min(Feed.next_poll_at)).where(Feed.enabled.is_(True)))


def update_feed_states(session: Session, changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Several feeds' state changes in one go (synchronous, for `Database.run_write`).

    Changes of the same shape share one executemany.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for feed_id, values in changes:
        groups.setdefault(tuple(sorted(values)), []).append({"_feed_id": feed_id, **values})
    table = Feed.__table__
    for keys, rows in groups.items():
        stmt = update(table).where(table.c.id == bindparam("_feed_id")).values({k: bindparam(k) for k in keys})
        session.execute(stmt, rows)


async def feed_health(db: Database, *, include_disabled: bool = False) -> list[FeedHealth]:
    """Every feed with its stored item count and last poll outcome, ordered by name."""
    counts = (
        select(ItemSource.feed_id, func.count().label("item_count"))
        .group_by(ItemSource.feed_id)
        .subquery()
    )
    query = (
        select(Feed, func.coalesce(counts.c.item_count, 0))
        .outerjoin(counts, counts.c.feed_id == Feed.id)
        .order_by(func.lower(Feed.name), Feed.id)
    )
    if not include_disabled:
        query = query.where(Feed.enabled.is_(True))
    async with db.read() as session:
        rows = (await session.execute(query)).all()
    return [
        FeedHealth(
            id=feed.id, name=feed.name, url=feed.url, kind=feed.kind, enabled=feed.enabled, items=int(items),
            last_status=feed.last_status, last_error=feed.last_error, last_warning=feed.last_warning,
            last_http_status=feed.last_http_status, error_count=feed.error_count,
            last_polled_at=feed.last_polled_at, last_ok_at=feed.last_ok_at, next_poll_at=feed.next_poll_at,
        )
        for feed, items in rows
    ]
