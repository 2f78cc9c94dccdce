"""Fact suggestions for chat autocomplete (Discord's /fact and /brief fact)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.facts.search import FactSearch
from storage.db import Database

MAX_SUGGESTIONS = 10
LABEL_CHARS = 100  # Discord's limit for a choice's name and value


def suggester_for(db: Database) -> Callable[[str], Awaitable[Sequence[str]]]:
    """A function from what the user has typed so far to a few fact claims worth asking about."""
    search: FactSearch | None = None

    async def suggest(typed: str) -> Sequence[str]:
        nonlocal search
        if len(typed.strip()) < 2:
            return ()
        if search is None:
            search = await FactSearch.open(db)
        result = await search.search(typed, limit=MAX_SUGGESTIONS)
        return tuple(_label(fact.claim) for fact in result.facts)

    return suggest


def _label(claim: str) -> str:
    return claim if len(claim) <= LABEL_CHARS else claim[: LABEL_CHARS - 1].rstrip() + "…"
