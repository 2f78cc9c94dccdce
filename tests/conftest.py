"""Shared fixtures: a migrated database on SQLite and, when reachable, on PostgreSQL.

`db` runs a test on both backends. PostgreSQL is taken from TEST_DATABASE_URL
(default: postgresql://postgres@127.0.0.1:5432/test); each test gets its own
schema, so test runs can share one server. When the server is unreachable the
PostgreSQL variants skip with the reason, except under BRIEFBOT_REQUIRE_POSTGRES=1
(set by .ci/run when CI=true), where they fail.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from storage.db import Database

if TYPE_CHECKING:
    from tests.discord_support.standin import DiscordStandIn

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("BRIEFBOT_REQUIRE_POSTGRES") == "1"


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    parts = urlsplit(PG_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return None
    except OSError as exc:
        return f"PostgreSQL at {parts.hostname}:{parts.port or 5432} unreachable ({exc})"


_PG_PROBLEM = _pg_reachable()


def require_postgres() -> None:
    if _PG_PROBLEM is None:
        return
    if REQUIRE_PG:
        pytest.fail(f"{_PG_PROBLEM}; PostgreSQL is required here (BRIEFBOT_REQUIRE_POSTGRES=1)")
    pytest.skip(_PG_PROBLEM)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    parts = urlsplit(PG_URL)
    conn = await asyncpg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, database=(parts.path or "/test").lstrip("/"),
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def make_database(backend: str, tmp_path) -> tuple[Database, str | None]:
    if backend == "sqlite":
        db = Database.connect(f"sqlite:///{tmp_path / 'test.db'}")
        await db.upgrade()
        return db, None
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE SCHEMA "{schema}"')
    db = Database.connect(PG_URL, schema=schema)
    await db.upgrade()
    return db, schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request, tmp_path) -> AsyncIterator[Database]:
    database, schema = await make_database(request.param, tmp_path)
    try:
        yield database
    finally:
        await database.close()
        if schema:
            await _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def sqlite_db(tmp_path) -> AsyncIterator[Database]:
    database, _ = await make_database("sqlite", tmp_path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def pg_db(tmp_path) -> AsyncIterator[Database]:
    database, schema = await make_database("postgres", tmp_path)
    try:
        yield database
    finally:
        await database.close()
        await _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def standin() -> AsyncIterator["DiscordStandIn"]:
    """Discord's HTTP API and gateway as a local stand-in (see tests/discord_support)."""
    from tests.discord_support.standin import DiscordStandIn

    server = DiscordStandIn()
    await server.start()
    yield server
    await server.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    # Make a skipped PostgreSQL run impossible to miss.
    if _PG_PROBLEM is not None:
        terminalreporter.write_line(f"NOTE: PostgreSQL tests skipped: {_PG_PROBLEM}", yellow=True)
