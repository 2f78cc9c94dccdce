"""A local stand-in for Slack's Web API and response URLs that records what Slack would receive.

Web API methods are served at {url}/api/<method>; response URLs at {url}/response/<id>.
Posted messages (with their metadata) go into per-channel history, so
conversations.history answers like Slack does. `fail_next` queues a failure
(429 with Retry-After, 5xx, or an `ok: false` error) for a method.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class Call:
    path: str
    method: str  # Web API method name, or "response_url"
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Failure:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.scheduled: dict[tuple[str, int], Failure] = {}  # (method, nth call from the start) -> failure
        self.tokens: dict[str, str] = {}  # oauth code -> bot token handed out by oauth.v2.access
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.changed = asyncio.Condition()
        self.socket: web.WebSocketResponse | None = None
        self.socket_messages: list[dict[str, Any]] = []  # what the app sent back over Socket Mode
        self.socket_open = asyncio.Event()

    async def start(self) -> "SlackStandIn":
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/response/{rid}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, rid: str = "r1") -> str:
        return f"{self.url}/response/{rid}"

    def fail_next(self, method: str, *, status: int = 200, error: str | None = None, retry_after: int | None = None, text: str | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if text is not None:
            body = text
        else:
            body = json.dumps({"ok": False, "error": error or ("ratelimited" if status == 429 else "internal_error")})
        self.failures.setdefault(method, []).append(Failure(status=status, headers=headers, body=body))

    def fail_call(self, method: str, nth: int, *, status: int = 500, text: str = "<html>oops</html>") -> None:
        """Fail the nth call (1-based, counted from the start) to `method`."""
        self.scheduled[(method, nth)] = Failure(status=status, body=text)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Until `count` calls to `method` arrived (a safety timeout, not a timing assertion)."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(self.calls_to(method)) >= count), timeout)
        return self.calls_to(method)

    async def _record(self, path: str, method: str, request: web.Request) -> Call:
        raw = await request.text()
        if request.content_type == "application/json":
            body = json.loads(raw) if raw else {}
        else:
            body = dict(parse_qsl(raw))
        body = {**dict(request.query), **body}
        call = Call(path=path, method=method, headers=dict(request.headers), body=body)
        async with self.changed:
            self.calls.append(call)
            self.changed.notify_all()
        return call

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: Slack's side of the WebSocket the app opens."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        self.socket_open.set()
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                async with self.changed:
                    self.socket_messages.append(json.loads(message.data))
                    self.changed.notify_all()
        return ws

    async def socket_request(self, envelope_type: str, payload: dict[str, Any], envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Send an envelope to the app and return its acknowledgement."""
        await asyncio.wait_for(self.socket_open.wait(), timeout)
        assert self.socket is not None
        await self.socket.send_json({"envelope_id": envelope_id, "type": envelope_type, "payload": payload, "accepts_response_payload": True})
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(lambda: any(m.get("envelope_id") == envelope_id for m in self.socket_messages)), timeout
            )
        return next(m for m in self.socket_messages if m.get("envelope_id") == envelope_id)

    async def _response_url(self, request: web.Request) -> web.Response:
        await self._record(request.path, "response_url", request)
        queued = self.failures.get("response_url")
        if queued:
            failure = queued.pop(0)
            return web.Response(status=failure.status, headers=failure.headers, text=failure.body)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = await self._record(request.path, method, request)
        queued = self.failures.get(method)
        failure = self.scheduled.pop((method, len(self.calls_to(method))), None)
        if failure is None and queued:
            failure = queued.pop(0)
        if failure is not None:
            content_type = "application/json" if failure.body.startswith("{") else "text/html"
            return web.Response(status=failure.status, headers=failure.headers, text=failure.body, content_type=content_type)
        return web.json_response(self._answer(method, call.body))

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "team_id": "T1", "team": "Example", "user_id": "UBOT", "bot_id": "B1", "url": "https://example.slack.com/"}
        if method == "chat.postMessage":
            ts = f"{1_700_000_000 + next(self._ts)}.000100"
            message: dict[str, Any] = {"type": "message", "ts": ts, "text": body.get("text", ""), "bot_id": "B1"}
            if body.get("metadata"):
                metadata = body["metadata"]
                message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
            self.history.setdefault(body.get("channel", ""), []).insert(0, message)
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}
        if method == "conversations.history":
            messages = self.history.get(body.get("channel", ""), [])
            include = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
            out = [m if include else {k: v for k, v in m.items() if k != "metadata"} for m in messages]
            start = int(body.get("cursor") or 0)
            limit = int(body.get("limit", 100))
            page, rest = out[start : start + limit], out[start + limit :]
            answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": bool(rest)}
            if rest:
                answer["response_metadata"] = {"next_cursor": str(start + limit)}
            return answer
        if method == "oauth.v2.access":
            token = self.tokens.get(body.get("code", ""), "xoxb-oauth-installed-token")
            return {
                "ok": True,
                "app_id": "A1",
                "authed_user": {"id": "U1"},
                "scope": "commands,chat:write",
                "token_type": "bot",
                "access_token": token,
                "bot_user_id": "UBOT",
                "team": {"id": "T9", "name": "Other"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        return {"ok": True}
