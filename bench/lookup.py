"""Fact lookup speed: lookups/s and p50/p99 latency of `/brief fact` search, in-process.

Runs the same search the command uses (query planning, full-text query, rerank)
on the real fact base and on a synthetic table of 100,000 facts, on SQLite and,
when reachable, PostgreSQL (in a schema of its own, dropped afterwards).

    .venv/bin/python bench/lookup.py [--facts 100000] [--rounds 3] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bot.facts.base import FactBase, load_fact_file
from bot.facts.search import FactSearch, words
from storage.db import Database
from storage.facts import store_fact_base

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [json.loads(l)["q"] for l in (ROOT / "tests/data/fact-questions.jsonl").read_text().splitlines() if l.strip()]


def synthetic(base: FactBase, n: int, seed: int = 7) -> FactBase:
    """The real facts plus n-len(real) made-up ones built from the real vocabulary."""
    rng = random.Random(seed)
    vocab = sorted({w for f in base.facts for w in words(f.claim + " " + " ".join(f.keywords)) if len(w) > 2})
    entity_ids = sorted(base.entities)
    template = base.facts[0]
    extra = []
    for i in range(n - len(base.facts)):
        extra.append(dataclasses.replace(
            template, id=f"synthetic-{i}", claim=" ".join(rng.choices(vocab, k=rng.randint(18, 40))),
            keywords=tuple(" ".join(rng.choices(vocab, k=2)) for _ in range(3)), quote=None,
            entities=tuple(rng.sample(entity_ids, 2)), event=False, date=None))
    return dataclasses.replace(base, facts=base.facts + tuple(extra), digest=f"synthetic-{n}")


async def measure(db: Database, base: FactBase, rounds: int) -> dict:
    t0 = time.perf_counter()
    await store_fact_base(db, base, force=True)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    search = await FactSearch.open(db)
    catalog_s = time.perf_counter() - t0
    for q in QUESTIONS[:10]:  # warm caches
        await search.search(q)
    times = []
    start = time.perf_counter()
    for _ in range(rounds):
        for q in QUESTIONS:
            t = time.perf_counter()
            await search.search(q)
            times.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - start
    times.sort()
    return {"facts": len(base.facts), "lookups": len(times), "per_s": len(times) / total,
            "p50": statistics.median(times), "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
            "load_s": load_s, "catalog_s": catalog_s}


async def pg_schema(url: str, sql: str) -> None:
    from urllib.parse import urlsplit

    import asyncpg

    p = urlsplit(url)
    conn = await asyncpg.connect(host=p.hostname, port=p.port or 5432, user=p.username or "postgres",
                                 password=p.password, database=(p.path or "/test").lstrip("/"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facts", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    real = load_fact_file()
    big = synthetic(real, args.facts)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, base in (("real", real), (f"{args.facts:,}", big)):
            db = Database.connect(f"sqlite:///{tmp}/bench-{len(base.facts)}.db")
            await db.upgrade()
            rows.append(("sqlite", label, await measure(db, base, args.rounds)))
            await db.close()
    if not args.no_pg:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            await pg_schema(args.pg, f'CREATE SCHEMA "{schema}"')
        except OSError as exc:
            print(f"PostgreSQL skipped: {exc}")
        else:
            try:
                db = Database.connect(args.pg, schema=schema)
                await db.upgrade()
                for label, base in (("real", real), (f"{args.facts:,}", big)):
                    rows.append(("postgresql", label, await measure(db, base, args.rounds)))
                await db.close()
            finally:
                await pg_schema(args.pg, f'DROP SCHEMA "{schema}" CASCADE')
    print(f"{'backend':<11} {'facts':>8} {'lookups':>8} {'lookups/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'load s':>7} {'catalog s':>9}")
    for backend, label, r in rows:
        print(f"{backend:<11} {r['facts']:>8} {r['lookups']:>8} {r['per_s']:>10.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
              f"{r['load_s']:>7.1f} {r['catalog_s']:>9.1f}")


if __name__ == "__main__":
    asyncio.run(main())
