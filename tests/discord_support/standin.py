"""A local stand-in for Discord's HTTP API: answers the routes discord.py uses and records every request.

Tests point discord.py at it through DISCORD_API_URL, then assert on what the
bot would have sent to Discord.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_ID = 900000000000000001
BOT_ID = 900000000000000002


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json, as Discord sends it.
    return web.Response(body=json.dumps(payload).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any


def user_payload(user_id: int = BOT_ID, name: str = "briefbot") -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name, "avatar": None, "bot": True}


@dataclass
class DiscordStandIn:
    requests: list[Recorded] = field(default_factory=list)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # channel id -> (status, JSON body, headers) the next message post to it answers with
    failures: dict[str, tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1_000_000_000_000_000_000))
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None
    url: str = ""
    identify: list[dict[str, Any]] = field(default_factory=list)  # IDENTIFY payloads received on the gateway
    _events: asyncio.Queue | None = None

    def push_event(self, name: str, data: dict[str, Any]) -> None:
        """Send a gateway dispatch (e.g. INTERACTION_CREATE) to the connected bot."""
        assert self._events is not None
        self._events.put_nowait((name, data))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """A minimal gateway: HELLO, IDENTIFY -> READY, heartbeat ACKs, then whatever the test pushes."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._events = asyncio.Queue()
        sequence = itertools.count(1)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))

        async def pump() -> None:
            assert self._events is not None
            while True:
                name, data = await self._events.get()
                await ws.send_str(json.dumps({"op": 0, "t": name, "s": next(sequence), "d": data}))

        pumping: asyncio.Task | None = None
        try:
            async for frame in ws:
                message = json.loads(frame.data)
                if message["op"] == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif message["op"] == 2:
                    assert self._changed is not None
                    async with self._changed:
                        self.identify.append(message["d"])
                        self._changed.notify_all()
                    shard = message["d"].get("shard", [0, 1])
                    await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(sequence), "d": {
                        "v": 10, "user": user_payload(), "guilds": [], "session_id": "session-1",
                        "resume_gateway_url": self.url.replace("http", "ws").replace("/api/v10", "/gateway"),
                        "shard": shard, "application": {"id": str(APP_ID), "flags": 0},
                    }}))
                    pumping = asyncio.create_task(pump())
        finally:
            if pumping:
                pumping.cancel()
        return ws

    async def start(self) -> str:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/v10"
        return self.url

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def matching(self, method: str, path_part: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    async def wait_for(self, predicate: Callable[[list[Recorded]], bool], timeout: float = 10.0) -> list[Recorded]:
        """Until `predicate(requests)` holds; the timeout only turns a hang into a failure."""
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.requests)), timeout)
        return self.requests

    def message(self, channel_id: str, body: dict[str, Any], author_id: int = BOT_ID) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)), "channel_id": channel_id, "author": user_payload(author_id),
            "content": body.get("content") or "", "timestamp": "2026-05-14T08:00:00+00:00", "edited_timestamp": None,
            "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": body.get("embeds") or [], "pinned": False, "type": 0, "flags": body.get("flags", 0),
            "components": body.get("components") or [],
        }

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
        recorded = Recorded(request.method, path, dict(request.query), body)
        response = self._answer(recorded)
        assert self._changed is not None
        async with self._changed:
            self.requests.append(recorded)
            self._changed.notify_all()
        return response

    def _answer(self, r: Recorded) -> web.Response:
        parts = r.path.strip("/").split("/")
        if r.path == "/gateway/bot":
            gateway = self.url.replace("http://", "ws://").replace("/api/v10", "/gateway")
            return _json({"url": gateway, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
        if r.path == "/users/@me":
            return _json(user_payload())
        if r.path == "/oauth2/applications/@me":
            return _json({
                "id": str(APP_ID), "name": "briefbot", "description": "", "icon": None, "bot_public": True,
                "bot_require_code_grant": False, "owner": user_payload(1, "owner"), "verify_key": "0" * 64, "flags": 0,
            })
        if parts[0] == "interactions" and parts[-1] == "callback":
            body = r.body or {}
            return _json({"interaction": {
                "id": parts[1], "type": 2, "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool(((body.get("data") or {}).get("flags") or 0) & 64),
            }})
        if parts[0] == "webhooks":
            return _json(self.message("0", r.body if isinstance(r.body, dict) else {}))
        if parts[0] == "applications" and parts[-1] == "commands":
            commands = [dict(c, id=str(next(self._ids)), application_id=str(APP_ID), version="1") for c in (r.body or [])]
            return _json(commands)
        if parts[0] == "channels" and parts[-1] == "messages":
            channel = parts[1]
            if r.method == "POST":
                if channel in self.failures:
                    status, payload, headers = self.failures[channel]
                    return _json(payload, status=status, headers=headers)
                message = self.message(channel, r.body or {})
                self.channels.setdefault(channel, []).append(message)
                return _json(message)
            if channel in self.failures and self.failures[channel][0] in (403, 404):
                status, payload, headers = self.failures[channel]
                return _json(payload, status=status, headers=headers)
            limit = int(r.query.get("limit", "50"))
            return _json(list(reversed(self.channels.get(channel, [])))[:limit])
        return _json({"message": "404: Not Found", "code": 0}, status=404)
