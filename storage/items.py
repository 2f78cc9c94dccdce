"""Items: storing a feed's entries in one short write transaction.

Existing identities are looked up with one IN query per chunk; new items are
inserted with ON CONFLICT DO NOTHING (so two workers storing the same article
at once cannot fail); edited items are updated in place; every feed that
carried an item gets an ItemSource row.

The code is synchronous: it runs through `Database.run_write`, which on SQLite
gives it a connection in a thread of its own (see there).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Column, Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Item, ItemSource, ItemTheme
from storage.types import UTCDateTime

if TYPE_CHECKING:
    from bot.ingest.parse import EntryData

CHUNK = 200  # rows per statement: well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class StoreCounts:
    new: int = 0
    updated: int = 0
    new_item_ids: tuple[int, ...] = ()


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def store_entries(session: Session, feed_id: int, entries: Sequence["EntryData"], now: datetime) -> StoreCounts:
    """Store one feed's entries inside the caller's transaction."""
    if not entries:
        return StoreCounts()
    by_identity = {entry.identity: entry for entry in entries}
    identities = list(by_identity)
    existing: dict[str, Any] = {}
    for chunk in _chunks(identities):
        rows = session.execute(
            select(Item.id, Item.identity, Item.content_sha256, Item.date_is_fallback, Item.published_at)
            .where(Item.identity.in_(chunk))
        )
        existing.update({row.identity: row for row in rows})

    on_sqlite = session.get_bind().dialect.name == "sqlite"
    ids: dict[str, int] = {identity: row.id for identity, row in existing.items()}
    fresh = [by_identity[i] for i in identities if i not in existing]
    new_ids: list[int] = []
    if fresh and on_sqlite:
        new = _sqlite_insert_items(session, fresh, now)
        ids.update(new)
        new_ids.extend(new.values())
    elif fresh:
        # executemany form: the statement is compiled once and cached, then batched by the driver layer.
        stmt = (
            _insert(session, Item.__table__)
            .on_conflict_do_nothing(index_elements=["identity"])
            .returning(Item.__table__.c.id, Item.__table__.c.identity)
        )
        for row in session.execute(stmt, [_item_row(entry, now) for entry in fresh]):
            ids[row.identity] = row.id
            new_ids.append(row.id)
    raced = [entry.identity for entry in fresh if entry.identity not in ids]
    for chunk in _chunks(raced):  # stored by another worker between our lookup and insert
        rows = session.execute(select(Item.id, Item.identity).where(Item.identity.in_(chunk)))
        ids.update({row.identity: row.id for row in rows})

    changed = [
        entry for entry in entries
        if entry.identity in existing and existing[entry.identity].content_sha256 != entry.content_sha256
    ]
    edited = []
    if changed:
        # Only the feed that first carried the item edits it; another feed's version of the
        # same article (a shorter summary, say) just adds that feed as a source, so two feeds
        # never flip the item back and forth.
        origin: dict[int, int] = {}
        changed_ids = [existing[entry.identity].id for entry in changed]
        for chunk in _chunks(changed_ids):
            rows = session.execute(
                select(ItemSource.item_id, ItemSource.feed_id)
                .where(ItemSource.item_id.in_(chunk))
                .order_by(ItemSource.seen_at, ItemSource.feed_id)
            )
            for item_id, source_feed in rows:
                origin.setdefault(item_id, source_feed)
        carried = {item_id for item_id, source_feed in origin.items() if source_feed == feed_id}
        edited = [(existing[e.identity], e) for e in changed if existing[e.identity].id in carried]
    if edited:
        _update_edited(session, edited, now)

    inserted = set(new_ids)
    theme_rows = [
        {"item_id": ids[entry.identity], "theme": theme, "score": float(entry.classification.scores.get(theme, 0.0)),
         "published_at": entry.published_at}
        for entry in fresh if entry.classification and ids.get(entry.identity) in inserted
        for theme in entry.classification.themes
    ]
    source_rows = [
        {"item_id": ids[entry.identity], "feed_id": feed_id, "guid": entry.guid, "seen_at": now}
        for entry in entries if entry.identity in ids
    ]
    if on_sqlite:
        _sqlite_insert(session, ItemTheme.__table__, theme_rows)
        _sqlite_insert(session, ItemSource.__table__, source_rows)
    else:
        if theme_rows:
            session.execute(_insert(session, ItemTheme.__table__).on_conflict_do_nothing(), theme_rows)
        if source_rows:
            session.execute(_insert(session, ItemSource.__table__).on_conflict_do_nothing(), source_rows)
    return StoreCounts(new=len(new_ids), updated=len(edited), new_item_ids=tuple(new_ids))


# --- SQLite fast path -------------------------------------------------------------------------
# A cold poll stores tens of thousands of rows; SQLAlchemy's per-value bind processing
# was most of the poller's own CPU time. On SQLite the rows go to the driver as plain
# tuples, written exactly as SQLAlchemy would store them: naive-UTC timestamps in its
# text format, JSON as text, booleans as 0/1. The test suite reads them back through
# the models on both backends.


@functools.lru_cache(maxsize=4096)  # an item's date recurs in each of its theme rows
def _sqlite_time(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text for a UTC instant (see storage.types.UTCDateTime)."""
    v = value.astimezone(timezone.utc)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
            f".{v.microsecond:06d}")


def _sqlite_converter(column: Column) -> Callable[[Any], Any] | None:
    """How SQLAlchemy would hand a value of this column to SQLite (None: as it is)."""
    if isinstance(column.type, UTCDateTime):
        return _sqlite_time
    if isinstance(column.type, JSON):
        return json.dumps
    if isinstance(column.type, Boolean):
        return int
    return None


@functools.cache
def _sqlite_insert_plan(
    table: Table, columns: tuple[str, ...], conflict_target: str,
) -> tuple[str, tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """The statement, and the positions of the values that need converting with their converters."""
    on_conflict = " ".join(part for part in ("ON CONFLICT", conflict_target, "DO NOTHING") if part)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) {on_conflict}"
    converters = ((i, _sqlite_converter(table.c[name])) for i, name in enumerate(columns))
    return sql, tuple((i, convert) for i, convert in converters if convert is not None)


def _sqlite_insert(session: Session, table: Table, rows: list[dict[str, Any]], conflict_target: str = "") -> None:
    """Insert rows (all with the same keys) through the driver; a row that conflicts is skipped."""
    if not rows:
        return
    sql, converted = _sqlite_insert_plan(table, tuple(rows[0]), conflict_target)
    values = []
    for row in rows:  # tens of thousands of rows in a cold poll: only the typed columns are touched
        row_values = list(row.values())
        for i, convert in converted:
            if row_values[i] is not None:
                row_values[i] = convert(row_values[i])
        values.append(tuple(row_values))
    session.connection().exec_driver_sql(sql, values)


def _sqlite_insert_items(session: Session, fresh: Sequence["EntryData"], now: datetime) -> dict[str, int]:
    """Insert new items; identity -> id of each one inserted.

    The writer holds SQLite's write lock (BEGIN IMMEDIATE) since its lookup, so no
    other process can have stored one of these identities in between.
    """
    _sqlite_insert(session, Item.__table__, [_item_row(entry, now) for entry in fresh], "(identity)")
    conn = session.connection()
    ids: dict[str, int] = {}
    for chunk in _chunks([entry.identity for entry in fresh]):
        result = conn.exec_driver_sql(
            f"SELECT id, identity FROM items WHERE identity IN ({', '.join('?' * len(chunk))})", tuple(chunk)
        )
        ids.update({identity: item_id for item_id, identity in result})
    return ids


def _item_row(entry: "EntryData", now: datetime) -> dict[str, Any]:
    row = {
        "identity": entry.identity, "url": entry.url, "title": entry.title, "summary": entry.summary,
        "author": entry.author, "published_at": entry.published_at, "date_is_fallback": entry.date_is_fallback,
        "content_sha256": entry.content_sha256, "first_seen_at": now, "updated_at": now,
        "relevant": None, "themes": None, "scores": None, "stance": None, "evidence": None,
        "classifier_version": None,
    }
    row.update(_classification_values(entry))
    return row


def _classification_values(entry: "EntryData") -> dict[str, Any]:
    c = entry.classification
    if c is None:
        return {}
    return {
        "relevant": c.relevant, "themes": list(c.themes), "scores": dict(c.scores), "stance": c.stance,
        "evidence": list(c.evidence), "classifier_version": c.version,
    }


def _update_edited(session: Session, edited: list[tuple[Any, "EntryData"]], now: datetime) -> None:
    table = Item.__table__
    for stored, entry in edited:
        values: dict[str, Any] = {
            "url": entry.url, "title": entry.title, "summary": entry.summary, "author": entry.author,
            "content_sha256": entry.content_sha256, "updated_at": now,
        }
        if stored.date_is_fallback and not entry.date_is_fallback:
            # The feed now gives a real date: better than the first-seen time we had.
            values.update(published_at=entry.published_at, date_is_fallback=False)
        values.update(_classification_values(entry))
        session.execute(update(table).where(table.c.id == stored.id).values(**values))
    classified = [(stored, entry) for stored, entry in edited if entry.classification is not None]
    if classified:
        # Themes follow the edited text: replace the item's rows.
        session.execute(delete(ItemTheme).where(ItemTheme.item_id.in_([s.id for s, _ in classified])))
        rows = [
            {"item_id": stored.id, "theme": theme, "score": float(entry.classification.scores.get(theme, 0.0)),
             "published_at": entry.published_at if stored.date_is_fallback and not entry.date_is_fallback else stored.published_at}
            for stored, entry in classified for theme in entry.classification.themes
        ]
        if rows:
            session.execute(_insert(session, ItemTheme.__table__), rows)

