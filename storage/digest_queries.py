"""Items a channel has not had yet, as the digest composer wants them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.compose import Candidate, Outlet, Target, matches_keyword
from storage.models import DeliveryItem, Feed, Item, ItemSource, ItemTheme

MAX_CANDIDATES = 2000  # per target and run: a digest lists a handful; this only bounds memory


async def delivered_pairs(session: AsyncSession, channel_keys: list[str], item_ids: list[int]) -> set[tuple[str, int]]:
    """(channel key, item id) pairs already delivered, among these."""
    if not channel_keys or not item_ids:
        return set()
    rows = await session.execute(
        select(DeliveryItem.channel_key, DeliveryItem.item_id)
        .where(DeliveryItem.channel_key.in_(channel_keys), DeliveryItem.item_id.in_(item_ids))
    )
    return {(r.channel_key, r.item_id) for r in rows}


async def load_candidates(
    session: AsyncSession,
    channel_key: str | None,
    target: Target,
    *,
    published_since: datetime,
    seen_after: datetime | None = None,
    min_score: float | None = None,
) -> list[Candidate]:
    """Items matching `target`, published since `published_since`, never delivered to `channel_key` (when given)."""
    query = select(Item.id).where(Item.published_at >= published_since)
    if channel_key is not None:
        delivered = select(DeliveryItem.item_id).where(DeliveryItem.channel_key == channel_key)
        query = query.where(Item.id.not_in(delivered))
    if seen_after is not None:
        query = query.where(Item.first_seen_at > seen_after)
    if target.kind == "theme":
        query = query.join(ItemTheme, ItemTheme.item_id == Item.id).where(ItemTheme.theme == target.value)
        if min_score is not None:
            query = query.where(ItemTheme.score >= min_score)
    else:
        needle = f"%{target.value.lower()}%"
        query = query.where(or_(func.lower(Item.title).like(needle), func.lower(Item.summary).like(needle)))
    ids = list(await session.scalars(query.order_by(Item.published_at.desc()).limit(MAX_CANDIDATES)))
    candidates = await candidates_by_id(session, ids)
    if target.kind == "keyword":
        candidates = [c for c in candidates if matches_keyword(c, target.value)]
    return candidates


async def candidates_by_id(session: AsyncSession, ids: list[int]) -> list[Candidate]:
    if not ids:
        return []
    items = {i.id: i for i in await session.scalars(select(Item).where(Item.id.in_(ids)))}
    scores: dict[int, dict[str, float]] = {i: {} for i in ids}
    for row in await session.execute(select(ItemTheme.item_id, ItemTheme.theme, ItemTheme.score).where(ItemTheme.item_id.in_(ids))):
        scores[row.item_id][row.theme] = float(row.score)
    outlets: dict[int, list[Outlet]] = {i: [] for i in ids}
    rows = await session.execute(
        select(ItemSource.item_id, Feed.name, Feed.kind).join(Feed, Feed.id == ItemSource.feed_id)
        .where(ItemSource.item_id.in_(ids)).order_by(ItemSource.seen_at, Feed.id)
    )
    for row in rows:
        outlets[row.item_id].append(Outlet(name=row.name, kind=row.kind, url=items[row.item_id].url))
    result = []
    for item_id in ids:
        item = items[item_id]
        result.append(
            Candidate(
                item_id=item.id,
                title=item.title or "",
                url=item.url,
                summary=item.summary or "",
                published_at=item.published_at,
                scores=scores[item_id],
                stance=item.stance,
                evidence=tuple(str(e) for e in (item.evidence or ()) if e),
                outlets=tuple(outlets[item_id]),
            )
        )
    return result
