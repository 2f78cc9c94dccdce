"""`briefbot slack`: the Slack app, over HTTP on $PORT or in Socket Mode (SLACK_APP_TOKEN)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from slack_bolt.async_app import AsyncApp

from bot.adapters.slack_app import (
    build_app,
    check_settings,
    is_multi_workspace,
    run_slack,
)
from bot.adapters.slack_install import (
    WorkspaceRemovedCallback,
    installation_store,
    oauth_state_store,
)
from bot.adapters.slack_sink import SlackSink
from bot.commands import COMMAND_MODULES, CommandCore, Services
from bot.runtime import Runtime, open_runtime


def add_commands(sub: argparse._SubParsersAction) -> None:
    slack = sub.add_parser("slack", help="run the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)")
    slack.set_defaults(func=_slack)


def app_for(rt: Runtime, *, workspace_removed: WorkspaceRemovedCallback | None = None) -> AsyncApp:
    """The Slack app on this runtime's database, with the product's commands."""
    settings = rt.settings
    check_settings(settings)
    core = CommandCore(Services(db=rt.db), COMMAND_MODULES)
    store = state = None
    if is_multi_workspace(settings):
        store = installation_store(rt.db, settings.slack_client_id or "")
        state = oauth_state_store(rt.db)
    return build_app(settings, core, store, state_store=state, workspace_removed=workspace_removed)


def sink_for(rt: Runtime) -> SlackSink:
    """The Slack sink for the outbox, with the same credentials as the app."""
    settings = rt.settings
    if is_multi_workspace(settings):
        return SlackSink(settings.slack_api_url, installation_store=installation_store(rt.db, settings.slack_client_id or ""))
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return SlackSink(settings.slack_api_url, token=token)


async def serve(rt: Runtime, *, stop: asyncio.Event | None = None, workspace_removed: WorkspaceRemovedCallback | None = None) -> None:
    """Run the Slack app in the current loop until `stop` is set: `briefbot run` awaits this beside the worker."""
    await run_slack(app_for(rt, workspace_removed=workspace_removed), rt.settings, stop=stop)


def _slack(args: argparse.Namespace) -> int:
    from bot.settings import get_settings

    check_settings(get_settings())  # fail with one line before touching the database

    async def main() -> None:
        stop = asyncio.Event()
        # Platforms stop the web process with SIGTERM: finish in-flight requests, then close.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with open_runtime() as rt:
            await serve(rt, stop=stop)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


def make_sink(rt: Runtime) -> SlackSink | None:
    """The outbox's Slack sink, or None when Slack is not configured."""
    settings = rt.settings
    if not (settings.slack_bot_token or is_multi_workspace(settings)):
        return None
    return sink_for(rt)


def is_configured(rt: Runtime) -> bool:
    settings = rt.settings
    return bool(settings.slack_signing_secret or settings.slack_app_token)
