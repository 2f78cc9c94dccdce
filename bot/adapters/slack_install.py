"""Where Slack installations live, and what happens when a workspace leaves.

slack-sdk ships SQLAlchemy stores in both a sync and an async flavour
(`AsyncSQLAlchemyInstallationStore`, `AsyncSQLAlchemyOAuthStateStore`). The
async ones run on the project's own AsyncEngine, so installations share the
database, its connection pool and its migrations: no second engine, no thread
hop, no home-made store. Their tables are created by migration 0004, never by
`create_tables()`.

Bot tokens are stored as Slack hands them over; protect the database like any
other secret store.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.oauth.installation_store.async_installation_store import (
    AsyncInstallationStore,
)
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

log = logging.getLogger(__name__)

WorkspaceRemovedCallback = Callable[[str], Awaitable[None]]

OAUTH_STATE_SECONDS = 600


def installation_store(db, client_id: str) -> AsyncSQLAlchemyInstallationStore:
    """The installation store on the project's database (`storage.db.Database`)."""
    return AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=db.engine, logger=log)


def oauth_state_store(db) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(expiration_seconds=OAUTH_STATE_SECONDS, engine=db.engine, logger=log)


async def on_workspace_removed(
    team_id: str,
    *,
    store: AsyncInstallationStore | None,
    enterprise_id: str | None = None,
    callback: WorkspaceRemovedCallback | None = None,
) -> None:
    """The app was uninstalled or its bot token revoked: forget the workspace.

    Deletes the workspace's installations and bot tokens (multi-workspace mode),
    then calls `callback(team_id)`, where the subscriptions of that workspace are
    disabled. Runs on `app_uninstalled` and `tokens_revoked` events; safe to call twice.
    """
    if store is not None:
        await store.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
    log.info("slack workspace %s removed: installation deleted", team_id)
    if callback is not None:
        await callback(team_id)


async def find_bot_token(store: AsyncInstallationStore, team_id: str, enterprise_id: str | None = None) -> str | None:
    """The bot token of a workspace that installed the app, if it still is installed."""
    bot = await store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
    return bot.bot_token if bot is not None else None
