"""Engine factory, database URL handling and schema upgrades.

No engine exists at import time: `Database.connect(url)` makes one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigError, DatabaseUnavailable

DEFAULT_SQLITE_FILE = "briefbot.db"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

P = ParamSpec("P")
T = TypeVar("T")


def normalize_database_url(url: str | None, workdir: Path | None = None) -> str:
    """Turn what a user or a hosting platform sets into an async SQLAlchemy URL.

    Unset means a SQLite file in the working directory. `postgres://` and
    `postgresql://` (as Heroku-style platforms set them) use asyncpg; libpq's
    `sslmode` is translated to asyncpg's `ssl`.
    """
    if not url:
        path = (workdir or Path.cwd()) / DEFAULT_SQLITE_FILE
        return f"sqlite+aiosqlite:///{path}"
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg", "postgresql+asyncpg"):
        query = dict(parse_qsl(parts.query))
        if "sslmode" in query:
            mode = query.pop("sslmode")
            if mode != "disable":
                query["ssl"] = mode
        return urlunsplit(("postgresql+asyncpg", parts.netloc, parts.path, urlencode(query), parts.fragment))
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        # urlunsplit would drop the empty host of sqlite:///path, so keep the text.
        return "sqlite+aiosqlite" + url.strip()[len(parts.scheme):]
    raise ConfigError(f"DATABASE_URL: unsupported scheme '{parts.scheme}' (use postgresql://… or sqlite:///…)")


def redact_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database url>"


@dataclass
class Database:
    """One engine and its session factory; `dialect` is 'sqlite' or 'postgresql'."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    write_sessions: async_sessionmaker[AsyncSession]
    url: str
    _reader: Any = field(default=None, init=False, repr=False)  # aiosqlite connection for reads()
    _reader_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _writer: "_SqliteWriter | None | bool" = field(default=None, init=False, repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    def connect(cls, url: str | None = None, *, echo: bool = False, schema: str | None = None) -> "Database":
        """`schema` (PostgreSQL only) puts every table in that schema: tests use it for isolation."""
        full = normalize_database_url(url)
        kwargs: dict = {"echo": echo}
        if full.startswith("sqlite"):
            # A local file never drops a connection: no ping before each use (a thread round trip).
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        engine = create_async_engine(full, **kwargs)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine.sync_engine)
        writer = engine.execution_options(briefbot_write=True)
        return cls(
            engine=engine,
            sessions=async_sessionmaker(engine, expire_on_commit=False),
            write_sessions=async_sessionmaker(writer, expire_on_commit=False),
            url=full,
        )

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed on success, rolled back on error.

        On SQLite it starts with BEGIN IMMEDIATE, so a second writer waits
        (busy timeout) instead of failing on a lock upgrade.
        """
        async with self.write_sessions() as session, session.begin():
            yield session

    async def run_write(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(session, *args)`, synchronous storage code, in one write transaction.

        On a SQLite file it runs in a thread of its own with its own connection:
        one hop for the whole transaction, where through the async driver every
        statement costs several round trips to the driver's thread (most of a cold
        poll's store time went there). Elsewhere it runs in an async transaction
        through `run_sync`, the same code on the same session.
        """
        writer = self._sqlite_writer()
        if writer is not None:
            return await writer.run(fn, *args, **kwargs)
        async with self.transaction() as session:
            return await session.run_sync(fn, *args, **kwargs)

    def _sqlite_file(self) -> str | None:
        """The database file on SQLite; None elsewhere and for an in-memory database, which is
        private to its connection (a second connection would see another, empty database)."""
        path = self.engine.url.database if self.dialect == "sqlite" else None
        return path if path and path != ":memory:" else None

    def _sqlite_writer(self) -> "_SqliteWriter | None":
        if self._writer is None:
            self._writer = _SqliteWriter(self.engine.url) if self._sqlite_file() else False
        return self._writer or None

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction; on SQLite in WAL mode it never blocks a writer."""
        async with self.sessions() as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def reads(self) -> AsyncIterator["Reads"]:
        """Read-only statements (`:name` parameters) at the least cost, for the hottest reads.

        Through SQLAlchemy every SQLite read is several round trips to the driver's
        thread (BEGIN, execute, fetch, close, ROLLBACK). Fact lookups instead use one
        long-lived query-only connection in autocommit mode: one round trip per
        statement; in WAL mode it never blocks or waits for a writer. Elsewhere the
        block's statements share one pooled connection.
        """
        reader = await self._sqlite_reader()
        if reader is not None:
            yield _SqliteReads(reader)
            return
        async with self.engine.connect() as conn:
            yield _EngineReads(conn)

    async def _sqlite_reader(self) -> Any:
        if self._reader is None:
            async with self._reader_lock:
                if self._reader is None:
                    path = self._sqlite_file()
                    if path is None:
                        self._reader = False
                    else:
                        import aiosqlite

                        reader = await aiosqlite.connect(path, timeout=30, isolation_level=None)
                        await reader.execute("PRAGMA query_only=ON")
                        self._reader = reader
        return self._reader or None

    async def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision.

        Every command starts here, so a database that cannot be reached (server down,
        wrong host or password, a SQLite file in a missing directory) is reported
        here as one line naming it, not as a driver traceback.
        """
        try:
            conn = await self.engine.connect()
        except (OSError, DBAPIError) as exc:
            reason = getattr(exc, "orig", None) or exc
            raise DatabaseUnavailable(f"database {redact_url(self.url)}: cannot connect ({reason})") from exc
        try:
            async with conn.begin():
                await conn.run_sync(_run_alembic_upgrade)
        finally:
            await conn.close()

    async def close(self) -> None:
        if self._reader:
            await self._reader.close()
        self._reader = None
        if self._writer:
            await self._writer.close()
        self._writer = None
        await self.engine.dispose()


class _SqliteWriter:
    """A synchronous engine on the same SQLite file, used from one thread only."""

    def __init__(self, async_url: Any) -> None:
        self.engine = create_engine(async_url.set(drivername="sqlite"), connect_args={"timeout": 30})
        _configure_sqlite(self.engine)
        self.sessions = sessionmaker(self.engine.execution_options(briefbot_write=True), expire_on_commit=False)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefbot-sqlite-writer")

    def _run(self, fn: Callable[..., T], args: tuple, kwargs: dict[str, Any]) -> T:
        with self.sessions() as session, session.begin():
            return fn(session, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.thread, self._run, fn, args, kwargs)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.thread, self.engine.dispose)
        self.thread.shutdown(wait=True)


class Reads(Protocol):
    async def fetch_all(self, sql: str, params: dict[str, Any]) -> list[tuple]: ...


class _SqliteReads:
    def __init__(self, reader: Any) -> None:
        self._reader = reader

    async def fetch_all(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        return list(await self._reader.execute_fetchall(sql, params))


class _EngineReads:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        return [tuple(row) for row in (await self._conn.execute(text(sql), params)).all()]


def _configure_sqlite(engine: Engine) -> None:
    # WAL lets readers (chat commands) run while the poller writes; the busy
    # timeout makes a second writer wait instead of failing at once.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised by every test
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # The driver's own transaction handling is switched off above so that BEGIN is
    # ours: IMMEDIATE for writers takes the write lock up front (in WAL mode
    # readers stay free), plain BEGIN for readers.
    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # pragma: no cover
        immediate = conn.get_execution_options().get("briefbot_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _run_alembic_upgrade(sync_conn) -> None:
    from alembic import command

    command.upgrade(alembic_config(sync_conn), "head")


def run_sync(coro):
    """Run a coroutine from synchronous code (the CLI)."""
    return asyncio.run(coro)
