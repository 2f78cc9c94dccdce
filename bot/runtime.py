"""The composition root: settings plus an upgraded database, shared by every command."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.settings import Settings, get_settings
from storage.db import Database, redact_url

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings | None = None, *, upgrade: bool = True) -> AsyncIterator[Runtime]:
    """Connect to the configured database and, unless told not to, migrate it to the
    newest schema and load the fact base (both are no-ops when nothing changed)."""
    from bot.facts.load import load_facts

    settings = settings or get_settings()
    db = Database.connect(settings.database_url)
    try:
        if upgrade:
            await db.upgrade()
            await load_facts(db)
        log.debug("database ready: %s", redact_url(db.url))
        yield Runtime(settings=settings, db=db)
    finally:
        await db.close()
