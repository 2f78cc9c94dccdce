"""Digest delivery to Discord channels over the HTTP API (no gateway connection needed).

Each delivery carries a tag derived from its idempotency key twice: as the
message nonce with `enforce_nonce` (Discord itself drops a repeat within a few
minutes) and as "ref …" in the embed footer, which `find_sent` looks for in the
channel's recent messages after a crash, however long ago that was.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, handle_message_parameters

from bot.adapters.discord_app import apply_api_url
from bot.adapters.discord_render import MAX_FOOTER, NO_MENTIONS, render_reply, trim
from bot.digest.sink import (
    Destination,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from bot.reply import Reply

log = logging.getLogger(__name__)

HISTORY_SCAN = 100  # recent messages find_sent looks through (one page, the most Discord returns at once)
MAX_RATELIMIT_WAIT = 30.0  # longer rate-limit waits go back to the outbox instead of blocking it

# Discord JSON error codes that mean "this channel will never work for us".
PERMANENT_CODES = {
    10003: "unknown channel",
    50001: "missing access to the channel",
    50013: "missing permissions to post in the channel",
    10004: "unknown server",
    50007: "cannot send messages to this user",
}


def nonce_for(key: str) -> str:
    """Discord nonces are at most 25 characters: a hash of the key fits and stays unique enough."""
    return "bb" + hashlib.sha256(key.encode()).hexdigest()[:23]


def ref_for(key: str) -> str:
    return "ref " + hashlib.sha256(key.encode()).hexdigest()[:12]


class DiscordSink:
    platform = "discord"

    def __init__(self, token: str, *, api_url: str | None = None) -> None:
        self._token = token
        self._api_url = api_url
        self._http: HTTPClient | None = None
        self._bot_id: str | None = None
        self._lock = asyncio.Lock()

    async def _client(self) -> HTTPClient:
        async with self._lock:
            if self._http is None:
                apply_api_url(self._api_url)
                http = HTTPClient(asyncio.get_running_loop(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT)
                try:
                    me = await http.static_login(self._token)
                except discord.LoginFailure:
                    await http.close()
                    raise PermanentSendError("the Discord bot token was rejected") from None
                except (discord.HTTPException, aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                    await http.close()
                    raise TransientSendError(f"cannot reach Discord: {exc}") from exc
                self._bot_id = str(me["id"])
                self._http = http
            return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def find_sent(self, dest: Destination, key: str) -> str | None:
        http = await self._client()
        nonce, ref = nonce_for(key), ref_for(key)
        try:
            messages: list[dict[str, Any]] = await http.logs_from(dest.channel, HISTORY_SCAN)
        except Exception as exc:
            raise _send_error(exc) from exc
        for message in messages:
            if str(message.get("author", {}).get("id")) != self._bot_id:
                continue
            if message.get("nonce") == nonce:
                return str(message["id"])
            for embed in message.get("embeds") or []:
                if ref in ((embed.get("footer") or {}).get("text") or ""):
                    return str(message["id"])
        return None

    async def send(self, dest: Destination, message: Reply, key: str) -> SendResult:
        http = await self._client()
        payload = tag(render_reply(message, max_messages=1)[0].embeds, key)
        params = handle_message_parameters(embeds=payload, nonce=nonce_for(key), allowed_mentions=NO_MENTIONS)
        try:
            with params:
                sent = await http.send_message(dest.channel, params=params)
        except Exception as exc:
            raise _send_error(exc) from exc
        return SendResult(message_id=str(sent["id"]))


def tag(embeds: list[discord.Embed], key: str) -> list[discord.Embed]:
    """The embeds with "ref …" appended to the last footer, where find_sent looks for it."""
    last = embeds[-1]
    ref = ref_for(key)
    text = last.footer.text or ""
    text = f"{trim(text, MAX_FOOTER - len(ref) - 3)} · {ref}" if text else ref
    last.set_footer(text=text)
    return embeds


def _send_error(exc: Exception) -> Exception:
    """A Discord or network failure as the outbox's transient/permanent error."""
    if isinstance(exc, discord.RateLimited):
        return TransientSendError("rate limited by Discord", retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        if exc.code in PERMANENT_CODES:
            return PermanentSendError(f"{PERMANENT_CODES[exc.code]} (Discord {exc.status}/{exc.code})")
        if exc.status in (403, 404):
            return PermanentSendError(f"Discord refused: {exc.text or exc.status} ({exc.status})")
        if exc.status == 429:
            return TransientSendError("rate limited by Discord")
        if exc.status >= 500 or exc.status == 408:
            return TransientSendError(f"Discord server error {exc.status}")
        # Other 4xx: our message, not the channel, is at fault; keep the subscription and let the outbox give up.
        return TransientSendError(f"Discord rejected the message: {exc.text or exc.status} ({exc.status})", retry_after=3600)
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
        return TransientSendError(f"cannot reach Discord: {exc}")
    return exc

