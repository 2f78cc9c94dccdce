"""Stored items carry their classification; `reclassify` refreshes it after the theme file or code changes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from bot.classify import Classifier, classify
from bot.classify.store import apply_classification, count_stale, reclassify, theme_rows
from bot.classify.theme_file import DEFAULT_THEME_FILE
from storage.models import Item, ItemTheme

WHEN = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def _item(n: int, title: str, summary: str = "") -> Item:
    return Item(identity=f"id-{n}", url=f"https://example.org/{n}", title=title, summary=summary,
                published_at=WHEN, content_sha256="0" * 64)


async def _add(db, *items: Item) -> None:
    async with db.transaction() as session:
        session.add_all(items)


async def test_reclassify_fills_unclassified_items_and_their_theme_rows(db) -> None:
    await _add(db, _item(1, "US tightens AI chip export controls on China", "Entity list additions."),
               _item(2, "Apple unveils a new iPhone", "Better camera."))
    result = await reclassify(db, batch_size=1)
    assert result.examined == 2
    async with db.read() as session:
        items = {i.identity: i for i in (await session.execute(select(Item))).scalars()}
        rows = list((await session.execute(select(ItemTheme))).scalars())
    chips, phone = items["id-1"], items["id-2"]
    assert chips.relevant and "export-controls-compute" in chips.themes and chips.stance
    assert chips.evidence and chips.classifier_version == classify("", "").version
    assert chips.scores["export-controls-compute"] >= 0.5
    assert phone.relevant is False and phone.themes == [] and phone.stance is None
    assert {(r.item_id, r.theme) for r in rows} == {(chips.id, t) for t in chips.themes}
    assert all(r.published_at == WHEN for r in rows)


async def test_reclassify_skips_current_items_unless_asked_for_all(db) -> None:
    await _add(db, _item(1, "US tightens AI chip export controls on China"))
    first = await reclassify(db)
    again = await reclassify(db)
    everything = await reclassify(db, everything=True)
    assert (first.examined, again.examined, everything.examined) == (1, 0, 1)
    assert await count_stale(db, first.version) == 0


async def test_a_changed_theme_file_replaces_stored_themes(db, tmp_path: Path) -> None:
    await _add(db, _item(1, "US tightens AI chip export controls on China", "The entity list grows."))
    await reclassify(db)
    # A user's tuned copy in which "entity list" rules export controls out.
    text = DEFAULT_THEME_FILE.read_text(encoding="utf-8").replace(
        "    negative:\n      earnings: 1.5\n", "    negative:\n      earnings: 1.5\n      entity list: 50\n")
    tuned = tmp_path / "themes.yaml"
    tuned.write_text(text, encoding="utf-8")
    classifier = Classifier.load(tuned)
    result = await reclassify(db, classifier)
    assert result.examined == 1 and result.version == classifier.version
    async with db.read() as session:
        item = (await session.execute(select(Item))).scalar_one()
        rows = list((await session.execute(select(ItemTheme))).scalars())
    assert item.classifier_version == classifier.version
    assert "export-controls-compute" not in item.themes
    assert {r.theme for r in rows} == set(item.themes)


async def test_ingest_helpers_store_a_classification_as_the_item_and_theme_rows(db) -> None:
    c = classify("Politburo study session on AI safety", "Xi Jinping warned of unprecedented AI risks.")
    item = _item(1, "Politburo study session on AI safety")
    apply_classification(item, c)
    await _add(db, item)
    async with db.transaction() as session:
        session.add_all(theme_rows(item, c))
    async with db.read() as session:
        rows = list((await session.execute(select(ItemTheme))).scalars())
    assert [r.theme for r in rows] == list(c.themes) and "china-ai-governance" in c.themes
