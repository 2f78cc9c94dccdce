"""Stored entries read back through the models exactly as they went in, on every backend."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.ingest.parse import Classified, EntryData
from storage.items import store_entries
from storage.models import Feed, Item, ItemSource, ItemTheme

NOW = datetime(2026, 11, 23, 9, 30, 0, 0, tzinfo=timezone.utc)


def _entry(n: int, *, published: datetime, classified: bool = True) -> EntryData:
    classification = Classified(
        relevant=True, themes=("export-controls-compute", "us-ai-policy"),
        scores={"export-controls-compute": 0.81, "us-ai-policy": 0.6}, stance="pressure",
        evidence=("Commerce adds “chip” rules & more",), version="test-1",
    ) if classified else None
    return EntryData(
        identity=f"link:{n}", url=f"https://example.org/{n}", guid=f"g{n}", title=f"Title {n} — ünïcode",
        summary="A summary with <markup> left & quotes \"", author=None, published_at=published,
        date_is_fallback=False, content_sha256=f"{n:064d}", classification=classification,
    )


async def _feed(db) -> int:
    async with db.transaction() as session:
        feed = Feed(url="https://example.org/feed", name="Example", kind="news")
        session.add(feed)
        await session.flush()
        return feed.id


async def test_stored_entries_read_back_unchanged(db) -> None:
    feed_id = await _feed(db)
    # Whole seconds and microseconds, and a time given in another zone.
    published = [NOW - timedelta(days=1), NOW.replace(microsecond=123456),
                 NOW.astimezone(timezone(timedelta(hours=8)))]
    entries = [_entry(n, published=p, classified=n != 2) for n, p in enumerate(published)]
    counts = await db.run_write(store_entries, feed_id, entries, NOW)
    assert counts.new == 3 and len(counts.new_item_ids) == 3

    async with db.read() as session:
        items = {i.identity: i for i in (await session.execute(select(Item))).scalars()}
        themes = list((await session.execute(select(ItemTheme).order_by(ItemTheme.item_id, ItemTheme.theme))).scalars())
        sources = list((await session.execute(select(ItemSource))).scalars())
    assert set(counts.new_item_ids) == {i.id for i in items.values()}
    for entry in entries:
        item = items[entry.identity]
        assert (item.url, item.title, item.summary, item.author) == (entry.url, entry.title, entry.summary, None)
        assert item.published_at == entry.published_at and item.published_at.tzinfo is not None
        assert item.first_seen_at == NOW and item.updated_at == NOW and item.date_is_fallback is False
    classified = items["link:0"]
    assert classified.relevant is True and classified.stance == "pressure"
    assert classified.themes == ["export-controls-compute", "us-ai-policy"]
    assert classified.scores == {"export-controls-compute": 0.81, "us-ai-policy": 0.6}
    assert classified.evidence == ["Commerce adds “chip” rules & more"] and classified.classifier_version == "test-1"
    unclassified = items["link:2"]
    assert unclassified.relevant is None and unclassified.themes is None and unclassified.scores is None
    assert [(t.item_id, t.theme, t.score, t.published_at) for t in themes] == [
        (items[f"link:{n}"].id, theme, score, published[n])
        for n in (0, 1) for theme, score in (("export-controls-compute", 0.81), ("us-ai-policy", 0.6))
    ]
    assert {(s.item_id, s.feed_id, s.guid, s.seen_at) for s in sources} == {
        (items[e.identity].id, feed_id, e.guid, NOW) for e in entries
    }


async def test_stored_times_compare_in_queries_like_any_other(db) -> None:
    feed_id = await _feed(db)
    await db.run_write(store_entries, feed_id, [_entry(1, published=NOW - timedelta(hours=2)),
                                                _entry(2, published=NOW + timedelta(microseconds=1))], NOW)
    async with db.read() as session:
        later = (await session.execute(select(Item.identity).where(Item.published_at >= NOW))).scalars().all()
        recent = (await session.execute(
            select(ItemTheme.item_id).where(ItemTheme.published_at > NOW - timedelta(hours=1)))).scalars().all()
    assert later == ["link:2"] and len(recent) == 2


async def test_storing_the_same_entries_again_adds_nothing(db) -> None:
    feed_id = await _feed(db)
    entries = [_entry(1, published=NOW), _entry(2, published=NOW)]
    await db.run_write(store_entries, feed_id, entries, NOW)
    again = await db.run_write(store_entries, feed_id, entries, NOW + timedelta(minutes=5))
    assert (again.new, again.updated, again.new_item_ids) == (0, 0, ())
    async with db.read() as session:
        assert len((await session.execute(select(Item))).scalars().all()) == 2
        assert len((await session.execute(select(ItemTheme))).scalars().all()) == 4
