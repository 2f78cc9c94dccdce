"""Read-only item queries for browsing commands: latest relevant items, per-theme counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Feed, Item, ItemSource, ItemTheme


@dataclass(frozen=True)
class ItemView:
    id: int
    title: str
    url: str | None
    published_at: datetime
    themes: tuple[str, ...]
    stance: str | None
    outlets: tuple[str, ...]


async def latest_items(db: Database, theme: str | None = None, limit: int = 5) -> list[ItemView]:
    """The newest items the classifier judged relevant, optionally only one theme's."""
    async with db.read() as session:
        if theme:
            query = (select(Item).join(ItemTheme, ItemTheme.item_id == Item.id)
                     .where(ItemTheme.theme == theme, Item.relevant.is_(True))
                     .order_by(ItemTheme.published_at.desc(), Item.id.desc()).limit(limit))
        else:
            query = (select(Item).where(Item.relevant.is_(True))
                     .order_by(Item.published_at.desc(), Item.id.desc()).limit(limit))
        items = list((await session.execute(query)).scalars())
        outlets: dict[int, list[str]] = defaultdict(list)
        if items:
            rows = await session.execute(
                select(ItemSource.item_id, Feed.name).join(Feed, Feed.id == ItemSource.feed_id)
                .where(ItemSource.item_id.in_([i.id for i in items])).order_by(Feed.name))
            for item_id, name in rows:
                outlets[item_id].append(name)
    return [ItemView(id=i.id, title=i.title or "(untitled)", url=i.url, published_at=i.published_at,
                     themes=tuple(i.themes or ()), stance=i.stance, outlets=tuple(outlets[i.id]))
            for i in items]


async def theme_counts(db: Database, since: datetime) -> dict[str, int]:
    """Relevant items per theme published since `since`."""
    async with db.read() as session:
        rows = await session.execute(
            select(ItemTheme.theme, func.count()).join(Item, Item.id == ItemTheme.item_id)
            .where(ItemTheme.published_at >= since, Item.relevant.is_(True)).group_by(ItemTheme.theme))
        return {theme: int(count) for theme, count in rows}
