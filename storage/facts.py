"""Fact base storage: load the curated file idempotently, full-text candidates, timeline.

SQLite keeps an FTS5 table in step here (the loader owns every write to facts);
PostgreSQL derives its weighted tsvector column itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.facts.base import Entity, FactBase, FactRecord, search_head
from storage.db import Database, Reads
from storage.models import Fact, FactBaseState, FactEntity, FactSource
from storage.types import utcnow

DIGEST_KEY = "facts_digest"
BATCH = 2000

# bm25 column weights on SQLite (head, claim, quote); PostgreSQL uses setweight A/B/C.
SQLITE_BM25 = "bm25(facts_fts, 4.0, 2.0, 1.0)"
PG_WEIGHTS = "'{0.1, 0.3, 0.5, 1.0}'"  # D, C, B, A


@dataclass(frozen=True)
class LoadResult:
    changed: bool
    added: int = 0
    updated: int = 0
    removed: int = 0
    total: int = 0


@dataclass(frozen=True)
class StoredFact:
    """A fact with its citation, as the commands show it."""

    id: str
    claim: str
    source_id: str
    source_title: str
    source_outlet: str
    source_year: int | None
    source_url: str | None
    themes: tuple[str, ...]
    entities: tuple[str, ...]
    side: str | None
    date: str | None
    event: bool
    quote_text: str | None = None
    quote_speaker: str | None = None
    quote_role: str | None = None
    quote_where: str | None = None
    keywords: tuple[str, ...] = ()
    search_head: str = ""

    @property
    def citation_label(self) -> str:
        return f"{self.source_outlet}, {self.source_year}" if self.source_year else self.source_outlet


def _row(fact: FactRecord, entities: dict[str, Entity], position: int) -> dict:
    q = fact.quote
    return {
        "id": fact.id, "position": position, "claim": fact.claim,
        "quote_text": q.text if q else None, "quote_speaker": q.speaker if q else None,
        "quote_role": q.role if q else None, "quote_where": q.where if q else None,
        "date": fact.date, "event": fact.event, "source_id": fact.source, "themes": list(fact.themes),
        "entities": list(fact.entities), "side": fact.side, "keywords": list(fact.keywords),
        "search_head": search_head(fact, entities),
    }


async def store_fact_base(db: Database, base: FactBase, *, force: bool = False) -> LoadResult:
    """Make the stored fact base equal the file: upsert by id, delete what the file dropped.

    Skips all work when the file's digest matches the one loaded last.
    """
    result = await _store(db, base, force)
    if result.changed:
        await analyze_facts(db)
    return result


async def analyze_facts(db: Database) -> None:
    """Fresh planner statistics after a load: without them the first queries on a
    large, newly loaded fact base can pick slow plans until autovacuum catches up."""
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE facts" if db.dialect != "sqlite" else "ANALYZE"))
        await conn.commit()


async def _store(db: Database, base: FactBase, force: bool) -> LoadResult:
    async with db.transaction() as session:
        state = await session.get(FactBaseState, DIGEST_KEY)
        if state is not None and base.digest and state.value == base.digest and not force:
            total = len((await session.execute(select(Fact.num))).all())
            return LoadResult(changed=False, total=total)
        for source in base.sources.values():
            await session.merge(FactSource(id=source.id, title=source.title, outlet=source.outlet, kind=source.kind,
                                           year=source.year, side=source.side, url=source.url))
        for entity in base.entities.values():
            await session.merge(FactEntity(id=entity.id, name=entity.name, aliases=list(entity.aliases)))
        existing = dict((await session.execute(select(Fact.id, Fact.num))).all())
        rows = [_row(f, base.entities, i) for i, f in enumerate(base.facts)]
        new = [r for r in rows if r["id"] not in existing]
        changed = [{**r, "num": existing[r["id"]]} for r in rows if r["id"] in existing]
        for start in range(0, len(new), BATCH):
            await session.execute(insert(Fact), new[start:start + BATCH])
        for start in range(0, len(changed), BATCH):
            await session.execute(update(Fact), changed[start:start + BATCH])
        gone = set(existing) - {r["id"] for r in rows}
        if gone:
            await session.execute(delete(Fact).where(Fact.id.in_(gone)))
        await session.execute(delete(FactEntity).where(FactEntity.id.not_in(list(base.entities))))
        await session.execute(delete(FactSource).where(FactSource.id.not_in(list(base.sources))))
        if db.dialect == "sqlite":
            await _rebuild_sqlite_index(session)
        await session.merge(FactBaseState(key=DIGEST_KEY, value=base.digest, loaded_at=utcnow()))
        return LoadResult(changed=True, added=len(new), updated=len(changed), removed=len(gone), total=len(rows))


async def _rebuild_sqlite_index(session: AsyncSession) -> None:
    await session.execute(text("DELETE FROM facts_fts"))
    await session.execute(text(
        "INSERT INTO facts_fts(rowid, head, claim, quote) SELECT num, search_head, claim, "
        "coalesce(quote_text, '') || ' ' || coalesce(quote_role, '') || ' ' || coalesce(quote_where, '') FROM facts"
    ))


_FACT_COLUMNS = (
    "f.id, f.claim, f.source_id, s.title, s.outlet, s.year, s.url, f.themes, f.entities, f.side, f.date, f.event, "
    "f.quote_text, f.quote_speaker, f.quote_role, f.quote_where, f.keywords, f.search_head"
)


def _json_list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):  # SQLite via text(): JSON comes back as its text
        value = json.loads(value)
    return tuple(value)


def _stored(row) -> StoredFact:
    return StoredFact(
        id=row[0], claim=row[1], source_id=row[2], source_title=row[3], source_outlet=row[4], source_year=row[5],
        source_url=row[6], themes=_json_list(row[7]), entities=_json_list(row[8]), side=row[9], date=row[10],
        event=bool(row[11]), quote_text=row[12], quote_speaker=row[13], quote_role=row[14], quote_where=row[15],
        keywords=_json_list(row[16]), search_head=row[17] or "",
    )


# Ranking cost grows with the matching rows; beyond this many, only the rarer terms are ranked.
# ts_rank reads each row's tsvector from the table, so PostgreSQL affords fewer rows than FTS5.
MAX_SCORED_ROWS = {"sqlite": 4000, "postgresql": 800}


class FactCache:
    """Facts already read, by row number: the same facts answer question after question.

    Valid until the fact base is reloaded (its owner, the search, is rebuilt then);
    bounded, so a huge fact base cannot fill memory. `holds_all` says whether the
    whole fact base fits: then a lookup asks the database for row numbers only.
    """

    def __init__(self, fact_count: int, max_facts: int = 5_000) -> None:
        self.max_facts = max_facts
        self.holds_all = fact_count <= max_facts
        self._facts: dict[int, StoredFact] = {}

    def get(self, num: int) -> StoredFact | None:
        return self._facts.get(num)

    def add(self, num: int, fact: StoredFact) -> None:
        if len(self._facts) >= self.max_facts:
            self._facts.clear()
        self._facts[num] = fact


async def search_candidates(db: Database, terms: list[str], fact_cache: FactCache, limit: int = 30,
                            lexeme_counts: dict[str, int] | None = None,
                            count_cache: dict[str, int] | None = None) -> list[tuple[StoredFact, float]]:
    """Facts matching ANY of `terms` with their full-text rank (higher is better; 0 when
    too many rows matched to rank), best first.

    Terms must be plain words (the query planner guarantees letters and digits
    only); each is still quoted so no word is read as search syntax. Ranking
    scores every matching row, so terms are first counted (cheap) and only the
    rarest ones whose matches add up to MAX_SCORED_ROWS are ranked: a word in
    half of a huge fact base says little anyway.

    Facts already in `fact_cache` are not read or decoded again.
    """
    if not terms:
        return []
    async with db.reads() as reads:
        return await _search(reads, db.dialect, terms, fact_cache, limit, lexeme_counts, count_cache)


async def _search(
    reads: Reads, dialect: str, terms: list[str], fact_cache: FactCache, limit: int,
    lexeme_counts: dict[str, int] | None, count_cache: dict[str, int] | None,
) -> list[tuple[StoredFact, float]]:
    # Counts change only when the fact base is reloaded, so the caller may keep them.
    cache = count_cache if count_cache is not None else {}
    missing = [t for t in terms if t not in cache]
    if missing:
        cache.update(await _term_counts(reads, dialect, missing, lexeme_counts))
    counts = {t: cache[t] for t in terms}
    max_rows = MAX_SCORED_ROWS.get(dialect, 1000)
    chosen: list[str] = []
    rows_total = 0
    for term in sorted((t for t in terms if counts[t] > 0), key=lambda t: counts[t]):
        if rows_total + counts[term] > max_rows and chosen:
            break
        chosen.append(term)
        rows_total += counts[term]
    if not chosen:
        return []
    ranked = rows_total <= max_rows
    # When the cache can hold the whole fact base, the ranking query returns row numbers
    # only (joining and reading the columns costs as much as ranking) and only facts not
    # yet cached are read; a bigger base is read with the ranking query, in one round trip.
    numbers_only = fact_cache.holds_all
    columns, joins = ("", "") if numbers_only else (
        f", {_FACT_COLUMNS}", " JOIN facts f ON f.num = hits.num JOIN fact_sources s ON s.id = f.source_id")
    if dialect == "sqlite":
        rank = SQLITE_BM25 if ranked else "0.0"
        sql = (f"WITH hits AS (SELECT rowid AS num, {rank} AS r FROM facts_fts WHERE facts_fts MATCH :q "
               f"{'ORDER BY r ' if ranked else ''}LIMIT :k) "
               f"SELECT hits.num, -hits.r{columns} FROM hits{joins} ORDER BY hits.r")
        params: dict[str, object] = {"q": _fts5_or(chosen), "k": limit}
    else:
        rank = f"ts_rank({PG_WEIGHTS}, f.search_vector, q.q, 1)" if ranked else "0.0"
        sql = (f"WITH q AS (SELECT to_tsquery('english', :q) AS q), "
               f"hits AS (SELECT f.num, {rank} AS r FROM facts f, q "
               f"WHERE f.search_vector @@ q.q {'ORDER BY r DESC ' if ranked else ''}LIMIT :k) "
               f"SELECT hits.num, hits.r{columns} FROM hits{joins} ORDER BY hits.r DESC")
        # to_tsquery on words joined by '|': every term is [^\W_]+, so no operator can sneak in.
        params = {"q": " | ".join(chosen), "k": limit}
    rows = await reads.fetch_all(sql, params)
    if not numbers_only:
        found: list[tuple[StoredFact, float]] = []
        for row in rows:
            fact = fact_cache.get(row[0])
            if fact is None:
                fact = _stored(row[2:])
                fact_cache.add(row[0], fact)
            found.append((fact, float(row[1] or 0.0)))
        return found
    unknown = {f"n{i}": row[0] for i, row in enumerate(rows) if fact_cache.get(row[0]) is None}
    if unknown:
        for row in await reads.fetch_all(
            f"SELECT f.num, {_FACT_COLUMNS} FROM facts f JOIN fact_sources s ON s.id = f.source_id "
            f"WHERE f.num IN ({', '.join(':' + name for name in unknown)})", unknown,
        ):
            fact_cache.add(row[0], _stored(row[1:]))
    cached = [(fact_cache.get(num), float(score or 0.0)) for num, score in rows]
    return [(fact, score) for fact, score in cached if fact is not None]


def _fts5_or(terms: list[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


async def _term_counts(reads: Reads, dialect: str, terms: list[str],
                       lexeme_counts: dict[str, int] | None = None) -> dict[str, int]:
    """How many facts each term matches, in one round trip.

    On PostgreSQL counting a common word through the GIN index is slow, so with
    `lexeme_counts` (see `lexeme_doc_counts`) only the stemming is asked for.
    """
    params = {f"t{i}": t for i, t in enumerate(terms)}
    if dialect != "sqlite" and lexeme_counts is not None:
        parts = [f"to_tsquery('english', :t{i})::text" for i in range(len(terms))]
        row = (await reads.fetch_all("SELECT " + ", ".join(parts), params))[0]
        return {t: lexeme_counts.get((row[i] or "").strip("'"), 0) for i, t in enumerate(terms)}
    if dialect == "sqlite":
        parts = [f"(SELECT count(*) FROM facts_fts WHERE facts_fts MATCH :t{i})" for i in range(len(terms))]
        params = {f"t{i}": _fts5_or([t]) for i, t in enumerate(terms)}
    else:
        parts = [f"(SELECT count(*) FROM facts WHERE search_vector @@ to_tsquery('english', :t{i}))"
                 for i in range(len(terms))]
    row = (await reads.fetch_all("SELECT " + ", ".join(parts), params))[0]
    return {t: int(row[i] or 0) for i, t in enumerate(terms)}


async def get_facts(db: Database, ids: list[str]) -> list[StoredFact]:
    if not ids:
        return []
    async with db.read() as session:
        rows = (await session.execute(
            text(f"SELECT {_FACT_COLUMNS} FROM facts f JOIN fact_sources s ON s.id = f.source_id WHERE f.id IN :ids")
            .bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        )).all()
    by_id = {row[0]: _stored(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def timeline(db: Database, theme: str | None = None) -> list[StoredFact]:
    """Dated events, oldest first (ties in file order)."""
    async with db.read() as session:
        rows = (await session.execute(text(
            f"SELECT {_FACT_COLUMNS} FROM facts f JOIN fact_sources s ON s.id = f.source_id "
            f"WHERE f.event = :yes AND f.date IS NOT NULL ORDER BY f.date, f.position"
        ), {"yes": True})).all()
    facts = [_stored(row) for row in rows]
    return [f for f in facts if theme is None or theme in f.themes]


async def search_catalog_rows(db: Database) -> tuple[list[Entity], list[tuple[str, list[str], str]]]:
    """What the in-memory search catalog is built from: entities, and each fact's (text, entities, id)."""
    async with db.read() as session:
        entities = [Entity(id=e.id, name=e.name, aliases=tuple(e.aliases or ()))
                    for e in (await session.execute(select(FactEntity))).scalars()]
        rows = (await session.execute(select(
            Fact.id, Fact.search_head, Fact.claim, Fact.quote_text, Fact.quote_speaker, Fact.entities))).all()
    facts = [(" ".join(p for p in (r[1], r[2], r[3] or "", r[4] or "") if p), list(r[5] or []), r[0]) for r in rows]
    return entities, facts


async def fact_base_digest(db: Database) -> str | None:
    """The hash of the fact file loaded last: it changes when the fact base is reloaded."""
    async with db.reads() as reads:
        rows = await reads.fetch_all("SELECT value FROM fact_base_state WHERE key = :key", {"key": DIGEST_KEY})
    return rows[0][0] if rows else None


async def lexeme_doc_counts(db: Database) -> dict[str, int] | None:
    """PostgreSQL: facts per indexed lexeme, read once so queries need not count. None on SQLite."""
    if db.dialect == "sqlite":
        return None
    async with db.read() as session:
        rows = await session.execute(text("SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM facts')"))
        return {word: int(ndoc) for word, ndoc in rows}


async def fact_count(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(text("SELECT count(*) FROM facts"))).scalar_one())
