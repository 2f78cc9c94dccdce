"""`/brief sources`: each feed's health."""

from __future__ import annotations

from bot.commands import Command, Invocation
from bot.reply import Entry, Reply, Section
from storage.feeds import feed_health


async def sources_command(inv: Invocation) -> Reply:
    feeds = await feed_health(inv.services.db)
    if not feeds:
        return Reply(title="Sources", sections=(Section(text="No feeds configured yet (see feeds.yaml)."),), kind="empty")
    entries = []
    for f in feeds:
        when = f.last_polled_at.strftime("%Y-%m-%d %H:%M UTC") if f.last_polled_at else "never polled"
        meta = f"{f.items} items · last poll {when}"
        if f.next_poll_at:
            meta += f" · next {f.next_poll_at.strftime('%H:%M UTC')}"
        text = f.last_error or f.last_warning or ""
        entries.append(Entry(title=f.name, url=f.url, text=text[:300], meta=meta, badges=(f.last_status or "new",)))
    failing = sum(1 for f in feeds if f.last_status == "error")
    return Reply(title=f"Sources: {len(feeds)} feeds" + (f", {failing} failing" if failing else ""),
                 sections=(Section(entries=tuple(entries)),))


COMMANDS = [Command("sources", "sources", "Each feed's health: items, last poll, errors.", sources_command, aliases=("feeds",))]
