"""Digests to Slack channels: the Slack implementation of the outbox's Sink.

Every posted message carries Slack message metadata
`{"event_type": "briefbot_delivery", "event_payload": {"key": …, "part": i, "parts": n}}`.
After a crash between posting and recording the delivery, `find_sent` reads the
channel's recent history (conversations.history with include_all_metadata) and
finds the message instead of posting it twice. A digest too long for one
message goes out in parts; it counts as sent once its last part is there, and a
retry posts only the parts that are missing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import (
    AsyncInstallationStore,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack_install import find_bot_token
from bot.adapters.slack_render import render_reply
from bot.digest.sink import (
    Destination,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from bot.reply import Reply

log = logging.getLogger(__name__)

EVENT_TYPE = "briefbot_delivery"
HISTORY_LIMIT = 100  # messages per page of history
HISTORY_PAGES = 3  # find_sent reads at most 300 messages: the outbox retries within minutes, not days
HISTORY_HOURS = 48

# Slack error codes after which a retry can never succeed: the subscription should be disabled.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "team_access_not_granted",
        "no_permission",
        "ekm_access_denied",
        "invalid_blocks",
        "msg_too_long",
        "no_installation",
    }
)


class SlackSink:
    platform = "slack"

    def __init__(
        self,
        api_url: str,
        *,
        token: str | None = None,
        installation_store: AsyncInstallationStore | None = None,
        timeout: float = 10.0,
        clock=None,
    ) -> None:
        """Single workspace: `token`. Multi-workspace: `installation_store` gives each workspace's bot token."""
        if token is None and installation_store is None:
            raise ValueError("SlackSink needs a bot token or an installation store")
        self._api_url = api_url
        self._token = token
        self._store = installation_store
        self._timeout = timeout
        self._clients: dict[str, AsyncWebClient] = {}
        self._clock = clock or time.time

    async def _client(self, dest: Destination) -> AsyncWebClient:
        token = self._token
        if self._store is not None:
            token = await find_bot_token(self._store, dest.workspace)
            if token is None:
                raise PermanentSendError("no_installation")
        assert token is not None
        client = self._clients.get(token)
        if client is None:
            if len(self._clients) >= 1000:
                self._clients.clear()  # revoked and rotated tokens must not pile up
            client = AsyncWebClient(token=token, base_url=self._api_url, timeout=int(self._timeout))
            self._clients[token] = client
        return client

    async def _posted_parts(self, dest: Destination, key: str) -> dict[int, tuple[str, int]]:
        """Parts of the delivery `key` already in the channel: part -> (ts, parts)."""
        client = await self._client(dest)
        oldest = f"{self._clock() - HISTORY_HOURS * 3600:.6f}"
        found: dict[int, tuple[str, int]] = {}
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            response = await _call(
                client.conversations_history(
                    channel=dest.channel, limit=HISTORY_LIMIT, include_all_metadata=True, oldest=oldest, cursor=cursor
                )
            )
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                    part = int(payload.get("part", 0))
                    found[part] = (message.get("ts", ""), int(payload.get("parts", 1)))
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not response.get("has_more") or not cursor:
                break
        return found

    async def find_sent(self, dest: Destination, key: str) -> str | None:
        """The ts of the first part of a delivery that was posted completely, else None."""
        parts = await self._posted_parts(dest, key)
        if not parts:
            return None
        total = max(n for _, n in parts.values())
        if all(i in parts for i in range(total)):
            return parts[0][0]
        return None

    async def send(self, dest: Destination, message: Reply, key: str) -> SendResult:
        messages = render_reply(message)
        client = await self._client(dest)
        already: dict[int, tuple[str, int]] = {}
        if len(messages) > 1:
            already = await self._posted_parts(dest, key)
        first_ts = already.get(0, ("", 0))[0]
        for index, payload in enumerate(messages):
            if index in already:
                continue
            response = await _call(
                client.chat_postMessage(
                    channel=dest.channel,
                    text=payload["text"],
                    blocks=payload["blocks"],
                    unfurl_links=False,
                    unfurl_media=False,
                    metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key, "part": index, "parts": len(messages)}},
                )
            )
            if index == 0:
                first_ts = response.get("ts", "")
        return SendResult(message_id=first_ts)


async def _call(awaitable) -> Any:
    """One Web API call with Slack's failures sorted into transient and permanent."""
    try:
        return await awaitable
    except SlackApiError as exc:
        raise _classify(exc) from None
    except (asyncio.TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise TransientSendError(f"slack unreachable: {type(exc).__name__}") from None


def _classify(exc: SlackApiError) -> Exception:
    response = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
    headers = getattr(response, "headers", None) or {}
    data = getattr(response, "data", None)
    error = data.get("error", "") if isinstance(data, dict) else ""
    if status == 429 or error == "ratelimited":
        return TransientSendError("slack rate limit", retry_after=_retry_after(headers))
    if error in PERMANENT_ERRORS:
        return PermanentSendError(error)
    if status >= 500 or error in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
        return TransientSendError(f"slack server error {status} {error}".strip())
    if error:
        # Unknown error codes are treated as permanent: retrying a malformed request only repeats it.
        return PermanentSendError(error)
    return TransientSendError(f"slack answered {status}")


def _retry_after(headers) -> float | None:
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None
