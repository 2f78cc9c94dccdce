"""Test data and a recording chat platform for the digest tests."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bot.digest.sink import (
    Destination,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from bot.reply import Reply
from storage.models import Feed, Item, ItemSource, ItemTheme

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
_counter = itertools.count(1)


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def add_feed(db, name: str, kind: str = "news") -> int:
    async with db.transaction() as session:
        feed = Feed(url=f"https://{name.lower().replace(' ', '-')}.example/feed-{next(_counter)}", name=name, kind=kind, enabled=True, error_count=0)
        session.add(feed)
        await session.flush()
        return feed.id


async def add_item(
    db, title: str, *, feeds: list[int], themes: dict[str, float] | None = None, published: datetime = T0,
    seen: datetime | None = None, summary: str = "", stance: str | None = None, evidence: list[str] | None = None,
    url: str | None = None,
) -> int:
    themes = themes or {}
    n = next(_counter)
    async with db.transaction() as session:
        item = Item(
            identity=f"id-{n}-{hashlib.sha1(title.encode()).hexdigest()[:12]}", url=url or f"https://news.example/{n}",
            title=title, summary=summary, published_at=published, content_sha256="0" * 64,
            first_seen_at=seen or published, updated_at=seen or published, relevant=bool(themes),
            themes=list(themes), scores=themes, stance=stance, evidence=evidence or [], date_is_fallback=False,
        )
        session.add(item)
        await session.flush()
        for feed_id in feeds:
            session.add(ItemSource(item_id=item.id, feed_id=feed_id, seen_at=seen or published))
        for theme, score in themes.items():
            session.add(ItemTheme(item_id=item.id, theme=theme, score=score, published_at=published))
        return item.id


@dataclass
class RecordingSink:
    """A chat platform double: remembers posts by idempotency key, can fail on cue."""

    platform: str = "console"
    posts: list[tuple[Destination, Reply, str]] = field(default_factory=list)
    by_key: dict[str, str] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    fail_next: list[Exception] = field(default_factory=list)
    crash_after_post: bool = False  # post, then die before the worker can mark it sent

    async def find_sent(self, dest: Destination, key: str) -> str | None:
        self.lookups.append(key)
        return self.by_key.get(key)

    async def send(self, dest: Destination, message: Reply, key: str) -> SendResult:
        if self.fail_next:
            raise self.fail_next.pop(0)
        message_id = f"m{len(self.posts) + 1}"
        self.posts.append((dest, message, key))
        self.by_key[key] = message_id
        if self.crash_after_post:
            self.crash_after_post = False
            raise WorkerKilled()
        return SendResult(message_id=message_id)


class WorkerKilled(BaseException):
    """Stands for the process dying mid-step: not an Exception, so nothing in the worker catches it."""


__all__ = ["Clock", "T0", "add_feed", "add_item", "RecordingSink", "WorkerKilled", "PermanentSendError", "TransientSendError"]
