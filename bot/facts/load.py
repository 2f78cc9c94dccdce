"""Load the fact file into the database at start (a no-op when the file is unchanged)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bot.facts.base import DEFAULT_FACTS_FILE, load_fact_file
from storage.db import Database
from storage.facts import LoadResult, store_fact_base

log = logging.getLogger(__name__)


def facts_path() -> Path:
    """$BRIEFBOT_FACTS, else the bundled fact file."""
    return Path(os.environ.get("BRIEFBOT_FACTS") or DEFAULT_FACTS_FILE)


async def load_facts(db: Database, path: Path | str | None = None) -> LoadResult:
    result = await store_fact_base(db, load_fact_file(path or facts_path()))
    if result.changed:
        log.info("fact base loaded: %d facts (%d new, %d updated, %d removed)",
                 result.total, result.added, result.updated, result.removed)
    return result
