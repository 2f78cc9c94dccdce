"""The Slack app: slack-bolt's AsyncApp wired to the command core.

Handlers only translate: a Slack payload becomes text plus a ChatContext, the
core answers with a Reply, slack_render turns it into Block Kit. `build_app`
makes a fresh app (no global app), so tests and `briefbot run` build their own.

Slack wants every request acknowledged within 3 seconds. The slash command
runs the core with a deadline: a reply ready in time is the acknowledgement
itself; otherwise the acknowledgement is "Working on it…" and the reply follows
through the request's response_url.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Any

from aiohttp import web
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import (
    AsyncInstallationStore,
)
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack_install import WorkspaceRemovedCallback, on_workspace_removed
from bot.adapters.slack_render import (
    MAX_BUTTON_VALUE,
    SHARE_ACTION_ID,
    Message,
    render_reply,
)
from bot.commands import CommandCore
from bot.errors import ConfigError
from bot.reply import ChatContext, Reply
from bot.settings import Settings

log = logging.getLogger(__name__)

SLASH_COMMAND = "/brief"
EVENTS_PATH = "/slack/events"
COMMAND_DEADLINE = 2.0  # seconds; leaves a second of Slack's three for the network
WORKING_TEXT = "Working on it…"
LATE_ANSWER_LIMIT = 300.0  # seconds a slow command may take after "Working on it…"
SERVER_ERROR_PAUSES = (0.5, 2.0)  # seconds between tries when a response_url answers 5xx
FAILURE_TEXT = "Something went wrong on our side; it has been logged. Please try again shortly."

# Bot scopes the app asks for at installation (keep in step with slack/manifest.yml).
BOT_SCOPES = (
    "commands",  # the /brief slash command
    "chat:write",  # digests and shared answers
    "chat:write.public",  # digests to public channels the bot was not invited to
    "channels:history",  # find an already posted digest by its metadata after a crash
    "groups:history",  # the same in private channels
)


def _is_set(secret) -> bool:
    """An empty variable (`SLACK_BOT_TOKEN=` in a .env file) counts as unset."""
    return secret is not None and bool(secret.get_secret_value().strip())


def check_settings(settings: Settings) -> None:
    """One clear line for each way the Slack settings can be unusable."""
    socket_mode = _is_set(settings.slack_app_token)
    if not socket_mode and not _is_set(settings.slack_signing_secret):
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information page "
            "(or set SLACK_APP_TOKEN to use Socket Mode)"
        )
    oauth = bool(settings.slack_client_id) or _is_set(settings.slack_client_secret)
    if oauth and not is_multi_workspace(settings):
        raise ConfigError("set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for multi-workspace installation, or neither")
    if not oauth and not _is_set(settings.slack_bot_token):
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set: install the app to your workspace and copy its Bot User OAuth Token "
            "(or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for multi-workspace installation)"
        )
    if socket_mode and not settings.slack_app_token.get_secret_value().strip().startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-…) with the connections:write scope")


def is_multi_workspace(settings: Settings) -> bool:
    return bool(settings.slack_client_id) and _is_set(settings.slack_client_secret)


def managers_from(settings: Settings) -> frozenset[str]:
    return frozenset(part.strip() for part in settings.slack_managers.split(",") if part.strip())


def chat_context(team_id: str, channel_id: str, user_id: str, managers: frozenset[str]) -> ChatContext:
    """Everyone in a channel may manage its subscriptions, unless BRIEFBOT_SLACK_MANAGERS names who may."""
    return ChatContext(
        platform="slack",
        workspace=team_id or "",
        channel=channel_id or "",
        user=user_id or "",
        can_manage=not managers or user_id in managers,
    )


def _response_fields(message: Message, reply: Reply) -> dict[str, Any]:
    return {
        "text": message["text"],
        "blocks": message["blocks"],
        "response_type": "ephemeral" if reply.private else "in_channel",
    }


def _messages_for(reply: Reply, command_text: str) -> list[Message]:
    share = f"{SLASH_COMMAND} {command_text.strip()}"[:MAX_BUTTON_VALUE] if reply.private and reply.shareable else None
    return render_reply(reply, share_value=share)


def build_app(
    settings: Settings,
    core: CommandCore,
    installation_store: AsyncInstallationStore | None = None,
    *,
    state_store: AsyncOAuthStateStore | None = None,
    workspace_removed: WorkspaceRemovedCallback | None = None,
    command_deadline: float = COMMAND_DEADLINE,
) -> AsyncApp:
    """A Slack app answering /brief with `core`.

    Single workspace: SLACK_BOT_TOKEN. Multi-workspace: SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET plus an installation store (installs at /slack/install).
    `workspace_removed(team_id)` runs after a workspace uninstalls the app or
    revokes its token, once its installation is deleted.
    """
    check_settings(settings)
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    managers = managers_from(settings)

    if is_multi_workspace(settings):
        if installation_store is None:
            raise ConfigError("multi-workspace Slack needs an installation store")
        oauth = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            installation_store=installation_store,
            installation_store_bot_only=True,
            state_store=state_store,
        )
        client = AsyncWebClient(base_url=settings.slack_api_url, retry_handlers=_web_api_retries())
        app = AsyncApp(
            signing_secret=signing_secret,
            client=client,
            oauth_settings=oauth,
            installation_store_bot_only=True,
            process_before_response=True,
            logger=logging.getLogger("slack_bolt.briefbot"),
        )
    else:
        # The token goes in as `token` (bolt also reads SLACK_BOT_TOKEN itself and warns when a
        # client carries it too); the client bolt makes from it is then pointed at SLACK_API_URL.
        app = AsyncApp(
            signing_secret=signing_secret,
            token=settings.slack_bot_token.get_secret_value(),
            process_before_response=True,
            logger=logging.getLogger("slack_bolt.briefbot"),
        )
        app.client.base_url = settings.slack_api_url
        app.client.retry_handlers = _web_api_retries()
        installation_store = None

    # process_before_response: the HTTP response goes out when a handler returns, so a ready
    # answer costs no more than computing it (otherwise bolt polls for ack() every 10 ms).
    # Work that outlives the acknowledgement is an explicit background task instead.
    background: set[asyncio.Task] = set()

    def later(coro, what: str, response_url: str | None) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception as exc:
                log.error("slack %s failed after acknowledgement: %s", what, type(exc).__name__, exc_info=exc)
                await _tell_failure(response_url)

        task = asyncio.create_task(guarded())
        background.add(task)
        task.add_done_callback(background.discard)

    @app.command(SLASH_COMMAND)
    async def brief(ack, body) -> None:
        text = body.get("text") or ""
        response_url = body.get("response_url")
        ctx = chat_context(body.get("team_id", ""), body.get("channel_id", ""), body.get("user_id", ""), managers)
        task = asyncio.ensure_future(core.run(text, ctx))
        done, _ = await asyncio.wait({task}, timeout=command_deadline)
        if task in done:
            reply = task.result()
            messages = _messages_for(reply, text)
            await ack(**_response_fields(messages[0], reply))
            if len(messages) > 1:
                later(_post_rest(response_url, messages[1:], reply), "slash command", response_url)
            return
        await ack(text=WORKING_TEXT, response_type="ephemeral")
        later(_answer_later(task, text, response_url), "slash command", response_url)

    async def _post_rest(response_url: str | None, messages: list[Message], reply: Reply) -> None:
        for message in messages:
            await post_to_response_url(response_url, **_response_fields(message, reply), replace_original=False)

    async def _answer_later(task: asyncio.Future, text: str, response_url: str | None) -> None:
        # A response_url works for 30 minutes; an answer that takes longer than this is a failure.
        reply = await asyncio.wait_for(task, LATE_ANSWER_LIMIT)
        messages = _messages_for(reply, text)
        for index, message in enumerate(messages):
            # A private answer takes the place of "Working on it…"; a public one is a new message.
            replace = index == 0 and reply.private
            await post_to_response_url(response_url, **_response_fields(message, reply), replace_original=replace)

    @app.action(SHARE_ACTION_ID)
    async def share(ack, body) -> None:
        await ack()
        later(_share(body), "share", body.get("response_url"))

    async def _share(body: dict[str, Any]) -> None:
        action = (body.get("actions") or [{}])[0]
        text = action.get("value") or ""
        response_url = body.get("response_url")
        user_id = (body.get("user") or {}).get("id", "")
        ctx = chat_context(
            (body.get("team") or {}).get("id", ""), (body.get("channel") or {}).get("id", ""), user_id, managers
        )
        # The ephemeral original is not in the payload, so the answer is asked for again, as the sharer.
        reply = dataclasses.replace(await core.run(text, ctx), private=False)
        for message in render_reply(reply, shared_by=user_id):
            await post_to_response_url(response_url, **_response_fields(message, reply), replace_original=False)
        await post_to_response_url(response_url, delete_original=True)

    async def _workspace_gone(body: dict[str, Any]) -> None:
        team_id = body.get("team_id") or ""
        enterprise_id = body.get("enterprise_id")
        await on_workspace_removed(
            team_id, store=installation_store, enterprise_id=enterprise_id, callback=workspace_removed
        )

    # Events are acknowledged when these return: if clean-up fails, Slack retries the event.
    @app.event("app_uninstalled")
    async def uninstalled(body) -> None:
        await _workspace_gone(body)

    @app.event("tokens_revoked")
    async def revoked(body, event) -> None:
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            await _workspace_gone(body)
        elif installation_store is not None:
            for user_id in tokens.get("oauth") or []:
                await installation_store.async_delete_installation(
                    enterprise_id=body.get("enterprise_id"), team_id=body.get("team_id"), user_id=user_id
                )

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        # Only the kind of request and the error: payloads carry response URLs, and errors can quote them.
        kind = "slash_command" if "command" in body else body.get("type") or "unknown"
        log.error("slack %s failed: %s", kind, type(error).__name__, exc_info=(type(error), error, error.__traceback__))
        if kind == "slash_command":
            # Not yet acknowledged: the polite message is the acknowledgement.
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": FAILURE_TEXT}),
                headers={"content-type": "application/json;charset=utf-8"},
            )
        return None  # events get a 500, so Slack retries them

    return app
    return app


def _web_api_retries() -> list:
    """For the app's own calls (auth.test, oauth.v2.access); digests are retried by the outbox instead."""
    return _response_url_retries()


def _response_url_retries() -> list:
    # Slack's answer to a burst is 429 with Retry-After; a 5xx is usually gone a moment later.
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


async def post_to_response_url(response_url: str | None, **fields: Any) -> bool:
    """Post to a request's response_url, retrying rate limits and server errors; False if Slack never took it."""
    if not response_url:
        return False
    client = AsyncWebhookClient(response_url, timeout=10, retry_handlers=_response_url_retries())
    response = await client.send(**fields)
    # The webhook client retries 429s and lost connections itself, but not server errors.
    for pause in SERVER_ERROR_PAUSES:
        if response.status_code < 500:
            break
        await asyncio.sleep(pause)
        response = await client.send(**fields)
    if response.status_code != 200:
        # The URL itself is a credential for this conversation: log the status only.
        log.warning("slack response_url answered %d", response.status_code)
        return False
    return True


async def _tell_failure(response_url: str | None) -> None:
    try:
        await post_to_response_url(response_url, text=FAILURE_TEXT, response_type="ephemeral", replace_original=False)
    except Exception as exc:
        log.warning("could not tell the user about a failure: %s", type(exc).__name__)


async def serve_http(app: AsyncApp, host: str = "0.0.0.0", port: int = 3000) -> tuple[web.AppRunner, int]:
    """Serve the app over HTTP inside the running loop; returns the runner (to clean up) and the bound port."""
    runner = web.AppRunner(app.web_app(path=EVENTS_PATH, port=port), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, runner.addresses[0][1]


async def run_slack(app: AsyncApp, settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until cancelled (or `stop` is set): Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT."""
    stop = stop or asyncio.Event()
    if _is_set(settings.slack_app_token):
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        await handler.connect_async()
        log.info("slack app connected in Socket Mode")
        try:
            await stop.wait()
        finally:
            await handler.close_async()
        return
    runner, port = await serve_http(app, port=settings.port)
    log.info("slack app listening on port %d (%s)", port, EVENTS_PATH)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
