"""Browsing: `latest [theme] [n]`, `topics`, `timeline [theme]`."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Command, Invocation
from bot.commands.facts import fact_entry
from bot.reply import Entry, Reply, Section, usage
from bot.themes import THEMES, Theme, get_theme, resolve_theme
from storage.browse import latest_items, theme_counts
from storage.facts import timeline

DEFAULT_LATEST = 5
MAX_LATEST = 20
TOPICS_DAYS = 7


def _theme_ids() -> str:
    return ", ".join(t.id for t in THEMES)


def _parse_latest(args: tuple[str, ...]) -> tuple[Theme | None, int] | str:
    """(theme, n), or the problem as text."""
    theme: Theme | None = None
    n = DEFAULT_LATEST
    for arg in args[:3]:
        if arg.isdigit():
            n = max(1, min(MAX_LATEST, int(arg)))
            continue
        found = resolve_theme(arg)
        if found is None or theme is not None:
            return f"“{arg[:40]}” is not a theme or a number."
        theme = found
    if len(args) > 3:
        return "Too many words."
    return theme, n


async def latest_command(inv: Invocation) -> Reply:
    parsed = _parse_latest(inv.args)
    if isinstance(parsed, str):
        return usage(f"Usage: /brief latest [theme] [n]  ({parsed})",
                     f"n is 1–{MAX_LATEST} (default {DEFAULT_LATEST}). Themes: {_theme_ids()}")
    theme, n = parsed
    items = await latest_items(inv.services.db, theme.id if theme else None, n)
    title = f"Latest: {theme.name}" if theme else "Latest items"
    if not items:
        return Reply(title=title, sections=(Section(text="No stored items yet" + (" for this theme." if theme else ".")
                                                    + " Try /brief topics or /brief sources."),), kind="empty")
    entries = []
    for item in items:
        meta = " · ".join(p for p in (", ".join(item.outlets), item.published_at.strftime("%Y-%m-%d"),
                                      ", ".join(t.name for t in map(get_theme, item.themes) if t)) if p)
        badges = (item.stance,) if item.stance and item.stance != "neutral" else ()
        entries.append(Entry(title=item.title, url=item.url, meta=meta, badges=badges))
    return Reply(title=title, sections=(Section(entries=tuple(entries)),), shareable=True)


async def topics_command(inv: Invocation) -> Reply:
    counts = await theme_counts(inv.services.db, inv.services.clock() - timedelta(days=TOPICS_DAYS))
    entries = tuple(
        Entry(title=f"{t.name} ({t.id})", text=t.blurb, meta=f"{counts.get(t.id, 0)} items in the last {TOPICS_DAYS} days")
        for t in THEMES)
    return Reply(title="Topics", sections=(Section(entries=entries),),
                 footer="/brief latest <theme> shows a theme's newest items; /brief timeline <theme> its dated events.")


async def timeline_command(inv: Invocation) -> Reply:
    theme = None
    if inv.args:
        theme = resolve_theme(" ".join(inv.args)) or resolve_theme(inv.args[0])
        if theme is None:
            return usage(f"Usage: /brief timeline [theme]  (“{inv.raw[:40]}” is not a theme)", f"Themes: {_theme_ids()}")
    events = await timeline(inv.services.db, theme.id if theme else None)
    title = f"Timeline: {theme.name}" if theme else "Timeline"
    if not events:
        return Reply(title=title, sections=(Section(text="No dated events for this theme. Try /brief timeline."),), kind="empty")
    entries = tuple(fact_entry(f, full=False) for f in events)
    entries = tuple(Entry(title=f"{f.date} — {e.title}", meta=e.meta, badges=e.badges, citation=e.citation)
                    for f, e in zip(events, entries))
    return Reply(title=title, sections=(Section(entries=entries),), shareable=True)


COMMANDS = [
    Command("latest", "latest [theme] [n]", f"The newest relevant items, all or one theme's (n up to {MAX_LATEST}).", latest_command),
    Command("topics", "topics", "The themes, what each covers, and how many items each had this week.", topics_command,
            aliases=("themes",)),
    Command("timeline", "timeline [theme]", "Dated events from the fact base, oldest first.", timeline_command),
]
