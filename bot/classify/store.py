"""Storing classifications with items, and re-running them after the theme file or code changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select

from bot.classify import Classification, Classifier, default_classifier
from storage.db import Database
from storage.models import Item, ItemTheme


def apply_classification(item: Item, c: Classification) -> None:
    """Copy a classification onto an item (its ItemTheme rows come from `theme_rows`)."""
    item.relevant = c.relevant
    item.themes = list(c.themes)
    item.scores = dict(c.scores)
    item.stance = c.stance
    item.evidence = list(c.evidence)
    item.classifier_version = c.version


def theme_rows(item: Item, c: Classification) -> list[ItemTheme]:
    return [ItemTheme(item_id=item.id, theme=t, score=c.scores[t], published_at=item.published_at) for t in c.themes]


@dataclass(frozen=True)
class ReclassifyResult:
    examined: int
    changed: int  # items whose themes, stance or relevance changed
    version: str


async def count_stale(db: Database, version: str, everything: bool = False) -> int:
    async with db.read() as session:
        query = select(func.count(Item.id))
        if not everything:
            query = query.where(_stale(version))
        return int((await session.execute(query)).scalar_one())


async def reclassify(
    db: Database,
    classifier: Classifier | None = None,
    *,
    everything: bool = False,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ReclassifyResult:
    """Re-run the classifier over stored items whose classifier_version differs (all with `everything`).

    Works in batches of `batch_size` items by ascending id, one transaction per
    batch, so an interrupted run keeps what it finished and resumes where it stopped.
    """
    classifier = classifier or default_classifier()
    version = classifier.version
    examined = changed = 0
    last_id = 0
    while True:
        async with db.transaction() as session:
            query = select(Item).where(Item.id > last_id).order_by(Item.id).limit(batch_size)
            if not everything:
                query = query.where(_stale(version))
            items = list((await session.execute(query)).scalars())
            if not items:
                break
            ids = [item.id for item in items]
            await session.execute(delete(ItemTheme).where(ItemTheme.item_id.in_(ids)))
            for item in items:
                c = classifier.classify(item.title or "", item.summary or "")
                if (item.relevant, list(item.themes or []), item.stance) != (c.relevant, list(c.themes), c.stance):
                    changed += 1
                apply_classification(item, c)
                session.add_all(theme_rows(item, c))
            last_id = ids[-1]
            examined += len(items)
        if progress:
            progress(len(items))
    return ReclassifyResult(examined=examined, changed=changed, version=version)


def _stale(version: str):
    return or_(Item.classifier_version.is_(None), Item.classifier_version != version)
