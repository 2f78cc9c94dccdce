"""`/brief fact <query>`: the best cited fact for a question, with one or two related ones."""

from __future__ import annotations

import asyncio

from bot.commands import Command, Invocation
from bot.facts.search import FactSearch, SearchResult
from bot.reply import Citation, Entry, Reply, Section, usage
from bot.themes import THEMES, get_theme
from storage.facts import StoredFact

EXAMPLES = ("hotline", "TC260", "how much AI compute does China have?", "Geneva talks 2024", "maximum pressure")


async def fact_search(inv: Invocation) -> FactSearch:
    """One search (and its in-memory catalog) per core; built once, on first use,
    even when many lookups arrive together."""
    extra = inv.services.extra
    search = extra.get("fact_search")
    if search is None:
        lock = extra.setdefault("fact_search_lock", asyncio.Lock())
        async with lock:  # type: ignore[union-attr]
            search = extra.get("fact_search")
            if search is None:
                search = await FactSearch.open(inv.services.db)
                extra["fact_search"] = search
    return search  # type: ignore[return-value]


def fact_entry(fact: StoredFact, *, full: bool = True) -> Entry:
    text = ""
    if full and fact.quote_text:
        who = fact.quote_speaker or ""
        if fact.quote_role:
            who += f", {fact.quote_role}"
        if fact.quote_where:
            who += f" ({fact.quote_where})"
        text = f"“{fact.quote_text}” — {who}"
    meta = " · ".join(p for p in (
        fact.date or "",
        ", ".join(t.name for t in map(get_theme, fact.themes) if t),
        f"id {fact.id}",
    ) if p)
    badges = (f"supports {fact.side}",) if fact.side else ()
    return Entry(title=fact.claim, text=text, meta=meta, badges=badges,
                 citation=Citation(label=fact.citation_label, title=fact.source_title, url=fact.source_url))


def fact_reply(query: str, result: SearchResult) -> Reply:
    best, *others = result.facts
    sections = [Section(entries=(fact_entry(best),))]
    if others:
        sections.append(Section(heading="Related", entries=tuple(fact_entry(f, full=False) for f in others[:2])))
    footer = ""
    if result.plan.corrections:
        footer = "Searched for: " + ", ".join(f"{used} (you typed {typed})" for typed, used in result.plan.corrections)
    return Reply(title=f"Fact: {query[:80]}", sections=tuple(sections), private=True, shareable=True, footer=footer)


def nothing_found(query: str) -> Reply:
    themes = ", ".join(t.id for t in THEMES)
    return Reply(
        title=f"No fact found for “{query[:80]}”" if query else "No fact found",
        sections=(
            Section(text="Try other words, a name or an acronym, e.g. " + " · ".join(f"/brief fact {e}" for e in EXAMPLES)),
            Section(heading="Or browse by theme", text=f"/brief timeline <theme> or /brief latest <theme>; themes: {themes}"),
        ),
        kind="empty", private=True,
    )


async def fact_command(inv: Invocation) -> Reply:
    query = inv.raw.strip()
    if not query:
        return usage("Usage: /brief fact <question or keywords>",
                     "Ask about a figure, date, organisation or proposal, e.g. " + " · ".join(f"/brief fact {e}" for e in EXAMPLES))
    search = await fact_search(inv)
    result = await search.search(query, limit=3)
    shown = result.plan.text or query
    if not result.facts:
        return nothing_found(shown)
    return fact_reply(shown, result)


COMMANDS = [Command("fact", "fact <query>", "The cited fact that answers a question (names, acronyms, figures, dates).",
                    fact_command, aliases=("facts", "f"))]
