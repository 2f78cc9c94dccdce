"""`briefbot demo`: the whole flow, offline, on the default database.

Bundled sample feeds are served on loopback and polled through the real
fetch, parse and classify path; then a few commands are answered and a
subscribed channel's digest is printed, exactly as chat users would get them.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, select

from bot.demo.server import SAMPLE_FEEDS, SampleFeedServer
from bot.digest.cli import DEMO_CHANNEL, demo_digest
from bot.feeds_file import FeedEntry, FeedsFile
from bot.ingest.cli import default_classifier
from bot.ingest.poller import Poller
from bot.runtime import Runtime
from storage.db import redact_url
from storage.models import Delivery, DeliveryItem, Feed, Item, ItemSource, Subscription

Printer = Callable[[str], None]


async def run_demo(rt: Runtime, out: Printer = print) -> None:
    out(f"briefbot demo — offline, database {redact_url(rt.db.url)}")
    server = SampleFeedServer()
    await server.start()
    try:
        feeds = FeedsFile(
            path=Path("bundled sample feeds"),
            feeds=tuple(FeedEntry(name=f.name, url=server.url(f), kind=f.kind) for f in SAMPLE_FEEDS),
        )
        _heading(out, f"1. Polling {len(feeds.feeds)} sample feeds served on http://127.0.0.1:{server.port}/")
        async with Poller(rt.db, rt.settings, classify=default_classifier()) as poller:
            first = await poller.poll_all(feeds, disable_others=False)
            out(first.to_text())
            await _print_items(rt, [f.url for f in feeds.feeds], out)
            _heading(out, "2. Polling again: the server answers 304 Not Modified, nothing is parsed or stored twice")
            second = await poller.poll_all(feeds, disable_others=False)
            out(second.to_text())
    finally:
        await server.stop()

    from bot.adapters.console import demo_replies

    _heading(out, "3. Commands, as typed in Slack or Discord (here through the console adapter)")
    for text, reply in await demo_replies(rt):
        out(f"\n$ briefbot ask {text!r}")
        out(textwrap.indent(reply.to_text(), "  "))

    _heading(out, f"4. The digest #{DEMO_CHANNEL.channel} gets, subscribed to four themes")
    await _reset_demo_channel(rt)
    digest = await demo_digest(rt)
    if digest is None:
        out("(nothing new for this channel)")
    out('\nDone. Next: .venv/bin/briefbot shell, or .venv/bin/briefbot ask "/brief latest export-controls-compute".')


async def _print_items(rt: Runtime, feed_urls: list[str], out: Printer) -> None:
    query = (
        select(Item)
        .join(ItemSource, ItemSource.item_id == Item.id)
        .join(Feed, Feed.id == ItemSource.feed_id)
        .where(Feed.url.in_(feed_urls))
        .distinct()
        .order_by(Item.published_at.desc())
    )
    async with rt.db.read() as session:
        items = (await session.execute(query)).scalars().all()
        pairs = await session.execute(
            select(ItemSource.item_id).where(ItemSource.item_id.in_([i.id for i in items]))
        )
        carried = Counter(item_id for (item_id,) in pairs.all())
    out(f"\n{len(items)} stored items (classified at ingest):")
    for item in items:
        themes = ", ".join(item.themes or ()) or "off-topic"
        stance = f" · {item.stance}" if item.stance and item.stance != "neutral" else ""
        feeds_note = f" · carried by {carried[item.id]} feeds, stored once" if carried.get(item.id, 0) > 1 else ""
        out(f"\n• {item.title}")
        out(f"  {item.url}")
        out(f"  themes: {themes}{stance}{feeds_note}")
        if item.relevant and item.evidence:
            out(f"  why: {' | '.join(item.evidence[:2])}")


async def _reset_demo_channel(rt: Runtime) -> None:
    """Each run shows a fresh first digest: forget what earlier demo runs delivered to the demo channel."""
    async with rt.db.transaction() as session:
        for table in (Subscription, Delivery):
            await session.execute(
                delete(table).where(
                    table.platform == DEMO_CHANNEL.platform,
                    table.workspace == DEMO_CHANNEL.workspace,
                    table.channel == DEMO_CHANNEL.channel,
                )
            )
        await session.execute(delete(DeliveryItem).where(DeliveryItem.channel_key == _channel_key()))


def _channel_key() -> str:
    from storage.subscriptions import channel_key

    return channel_key(DEMO_CHANNEL)


def _heading(out: Printer, text: str) -> None:
    out(f"\n{'=' * 78}\n{text}\n{'=' * 78}")
