"""Loading the fact base: idempotent, and the stored facts always equal the file."""

from __future__ import annotations

import dataclasses

from bot.facts.base import load_fact_file
from bot.facts.search import FactSearch
from storage.facts import fact_count, get_facts, store_fact_base, timeline


async def test_loading_twice_does_nothing_the_second_time(db):
    base = load_fact_file()
    first = await store_fact_base(db, base)
    second = await store_fact_base(db, base)
    assert first.changed and first.added == len(base.facts)
    assert not second.changed and second.total == len(base.facts)
    assert await fact_count(db) == len(base.facts)


async def test_a_changed_file_updates_facts_by_id_and_drops_removed_ones(db):
    base = load_fact_file()
    await store_fact_base(db, base)
    kept = base.facts[1:]
    edited = dataclasses.replace(kept[0], claim="A rewritten claim about zanzibarian lighthouses.")
    changed = dataclasses.replace(base, facts=(edited, *kept[1:]), digest="changed")
    result = await store_fact_base(db, changed)
    assert (result.added, result.removed, result.updated) == (0, 1, len(kept))
    assert await fact_count(db) == len(kept)
    assert await get_facts(db, [base.facts[0].id]) == []
    search = await FactSearch.open(db)
    found = await search.search("zanzibarian lighthouses")
    assert found.facts[0].id == edited.id


async def test_timeline_is_dated_events_in_order(db):
    await store_fact_base(db, load_fact_file())
    events = await timeline(db)
    assert events and all(e.event and e.date for e in events)
    assert [e.date for e in events] == sorted(e.date for e in events)
    dialogue = await timeline(db, "us-china-dialogue")
    assert dialogue and all("us-china-dialogue" in e.themes for e in dialogue)
