"""The real Slack app served over HTTP on 127.0.0.1, talking to the Web API stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.adapters.slack_app import EVENTS_PATH, build_app, serve_http
from bot.commands import CommandCore, Services
from bot.settings import Settings
from tests.slack_support import signing
from tests.slack_support.stand_in import SlackStandIn

SIGNING_SECRET = "test-signing-secret-5f1c0b7e"
BOT_TOKEN = "xoxb-test-bot-token-9d8e7f6a"
CLIENT_SECRET = "test-client-secret-1a2b3c4d"
TEST_COMMANDS = "tests.slack_support.commands"


def make_settings(api_url: str, **env: str) -> Settings:
    values = {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": api_url, **env}
    return Settings(_env_file=None, **values)


@dataclass
class Response:
    status: int
    text: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.text)


@dataclass
class SlackHarness:
    stand_in: SlackStandIn
    url: str
    session: aiohttp.ClientSession
    release: asyncio.Event
    removed: list[str] = field(default_factory=list)
    removed_signal: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_removed(self, timeout: float = 10.0) -> list[str]:
        """Until the workspace-removed hook ran (events are acknowledged before their handler finishes)."""
        await asyncio.wait_for(self.removed_signal.wait(), timeout)
        return self.removed

    async def post(self, body: str, content_type: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, headers: dict | None = None) -> Response:
        sent = signing.signed_headers(secret, body, content_type, timestamp) if headers is None else headers
        async with self.session.post(self.url + EVENTS_PATH, data=body.encode(), headers=sent) as resp:
            return Response(resp.status, await resp.text())

    async def slash(self, text: str, *, rid: str = "r1", **who: str) -> Response:
        body = signing.slash_body(text, response_url=self.stand_in.response_url(rid), **who)
        return await self.post(body, "application/x-www-form-urlencoded")

    async def share(self, value: str, *, rid: str = "s1", **who: str) -> Response:
        body = signing.share_body(value, response_url=self.stand_in.response_url(rid), **who)
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(self, event: dict, *, team: str = "T1") -> Response:
        return await self.post(signing.event_body(event, team=team), "application/json")


@contextlib.asynccontextmanager
async def running_app(db, *, settings_env: dict[str, str] | None = None, installation_store=None, state_store=None, command_deadline: float = 2.0) -> AsyncIterator[SlackHarness]:
    stand_in = await SlackStandIn().start()
    release = asyncio.Event()
    removed: list[str] = []
    removed_signal = asyncio.Event()

    async def workspace_removed(team_id: str) -> None:
        removed.append(team_id)
        removed_signal.set()

    settings = make_settings(stand_in.api_url, **(settings_env or {}))
    core = CommandCore(Services(db=db, extra={"release": release}), [TEST_COMMANDS])
    app = build_app(
        settings, core, installation_store, state_store=state_store,
        workspace_removed=workspace_removed, command_deadline=command_deadline,
    )
    runner, port = await serve_http(app, "127.0.0.1", 0)
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        yield SlackHarness(stand_in=stand_in, url=f"http://127.0.0.1:{port}", session=session, release=release, removed=removed, removed_signal=removed_signal)
    finally:
        release.set()
        await session.close()
        await runner.cleanup()
        await stand_in.close()
