"""The storage layer: URL handling, migrations and time zones on both backends."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.errors import ConfigError
from storage.db import Database, normalize_database_url, redact_url
from storage.models import Feed


def test_unset_url_means_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    assert normalize_database_url(None, tmp_path) == f"sqlite+aiosqlite:///{tmp_path}/briefbot.db"


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db?sslmode=require", "postgresql+asyncpg://u@h/db?ssl=require"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///rel.db", "sqlite+aiosqlite:///rel.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
    ],
)
def test_hosting_platform_urls_are_accepted(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_an_unsupported_scheme_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unsupported scheme 'mysql'"):
        normalize_database_url("mysql://u@h/db")


def test_passwords_never_appear_in_a_redacted_url() -> None:
    assert "s3cret" not in redact_url("postgresql+asyncpg://u:s3cret@h/db")


async def test_upgrade_is_idempotent_and_creates_the_tables(db) -> None:
    await db.upgrade()
    async with db.read() as session:
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert version


async def test_timestamps_come_back_timezone_aware_in_utc(db) -> None:
    when = datetime(2026, 3, 8, 9, 30, tzinfo=timezone.utc)
    async with db.transaction() as session:
        session.add(Feed(url="https://example.org/feed", name="x", kind="news", next_poll_at=when))
    async with db.read() as session:
        feed = (await session.execute(select(Feed))).scalar_one()
    assert feed.next_poll_at == when
    assert feed.next_poll_at.tzinfo is not None


async def test_sqlite_runs_in_wal_mode(sqlite_db) -> None:
    async with sqlite_db.read() as session:
        mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
    assert mode == "wal"


async def test_a_write_commits_when_it_returns_and_leaves_nothing_when_it_raises(db) -> None:
    def add_feed(session: Session, url: str, fail: bool = False) -> str:
        session.add(Feed(url=url, name="x", kind="news"))
        session.flush()
        if fail:
            raise RuntimeError("disk on fire")
        return url

    assert await db.run_write(add_feed, "https://example.org/kept") == "https://example.org/kept"
    with pytest.raises(RuntimeError, match="disk on fire"):
        await db.run_write(add_feed, "https://example.org/lost", fail=True)
    async with db.read() as session:
        urls = (await session.execute(select(Feed.url))).scalars().all()
    assert urls == ["https://example.org/kept"]


async def test_sqlite_writes_run_in_one_writer_thread_that_close_stops(tmp_path: Path) -> None:
    database = Database.connect(f"sqlite:///{tmp_path / 'w.db'}")
    await database.upgrade()
    seen = await database.run_write(lambda session: threading.current_thread().name)
    assert seen.startswith("briefbot-sqlite-writer")
    await database.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("briefbot-sqlite-writer")]


async def test_an_in_memory_database_is_written_through_its_own_connection() -> None:
    database = Database.connect("sqlite:///:memory:")
    try:
        await database.upgrade()
        await database.run_write(lambda session: session.add(Feed(url="https://example.org/m", name="m", kind="news")))
        async with database.read() as session:
            assert (await session.execute(select(Feed.url))).scalars().all() == ["https://example.org/m"]
    finally:
        await database.close()
