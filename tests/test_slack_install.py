"""Multi-workspace installation: OAuth into the project's database, authorisation from it, clean-up on uninstall."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.adapters.slack_install import (
    find_bot_token,
    installation_store,
    oauth_state_store,
)
from bot.adapters.slack_sink import SlackSink
from bot.cli import configure_logging
from bot.digest.sink import Destination, PermanentSendError
from bot.reply import Reply
from tests.slack_support.harness import CLIENT_SECRET, running_app

CLIENT_ID = "111.222"
OAUTH_ENV = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_BOT_TOKEN": ""}
TEAM_TOKEN = "xoxb-team-t9-token-abcdef"


def installed(team_id: str = "T9", token: str = TEAM_TOKEN) -> Installation:
    return Installation(
        app_id="A1", enterprise_id=None, team_id=team_id, team_name="Other", bot_token=token,
        bot_id="B9", bot_user_id="UBOT9", bot_scopes="commands,chat:write", user_id="U1", installed_at=1_700_000_000.0,
    )


@pytest.fixture
def store(db):
    return installation_store(db, CLIENT_ID)


@pytest.fixture
async def multi(db, store):
    env = {k: v for k, v in OAUTH_ENV.items() if k != "SLACK_BOT_TOKEN"}
    async with running_app(db, settings_env=env, installation_store=store, state_store=oauth_state_store(db)) as harness:
        yield harness


async def test_installation_is_kept_in_the_project_database(store):
    await store.async_save(installed())
    assert await find_bot_token(store, "T9") == TEAM_TOKEN
    assert await find_bot_token(store, "T404") is None


@pytest.fixture
def product_logging(caplog):
    """Logging as `briefbot -v` sets it up: debug for briefbot, libraries that print tokens held at WARNING."""
    caplog.set_level(logging.DEBUG)
    saved = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)}
    configure_logging(verbose=True)
    yield caplog
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


async def test_oauth_install_stores_the_workspace_bot_token_and_logs_no_secret(multi, store, product_logging):
    caplog = product_logging
    multi.stand_in.tokens["code-1"] = TEAM_TOKEN
    async with multi.session.get(multi.url + "/slack/install") as resp:
        assert resp.status == 200
        page = await resp.text()
        # The state cookie is Secure, so a client on plain http drops it: hand it back as a browser on https would.
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in resp.cookies.items())
    authorize = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', page).group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) >= {"commands", "chat:write"}
    state = query["state"][0]
    redirect = multi.url + f"/slack/oauth_redirect?code=code-1&state={state}"
    async with multi.session.get(redirect, headers={"Cookie": cookie}) as resp:
        assert resp.status == 200
        assert CLIENT_SECRET not in await resp.text()
    assert await find_bot_token(store, "T9") == TEAM_TOKEN
    [access] = multi.stand_in.calls_to("oauth.v2.access")
    assert access.body["code"] == "code-1"
    assert CLIENT_SECRET not in caplog.text and TEAM_TOKEN not in caplog.text


async def test_a_forged_oauth_state_installs_nothing(multi, store):
    async with multi.session.get(multi.url + "/slack/oauth_redirect?code=code-1&state=forged") as resp:
        assert resp.status >= 400
    assert await find_bot_token(store, "T9") is None


async def test_commands_in_an_installed_workspace_are_answered(multi, store):
    await store.async_save(installed())
    body = (await multi.slash("whoami", team="T9")).json
    assert body["blocks"][0]["text"]["text"] == "slack T9 C1 U1 manage=True"


async def test_app_uninstalled_deletes_the_installation_and_calls_the_hook(multi, store):
    await store.async_save(installed())
    resp = await multi.event({"type": "app_uninstalled"}, team="T9")
    assert resp.status == 200
    assert await multi.wait_removed() == ["T9"]
    assert await find_bot_token(store, "T9") is None


async def test_revoked_bot_token_removes_the_workspace(multi, store):
    await store.async_save(installed())
    await multi.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT9"]}}, team="T9")
    assert await multi.wait_removed() == ["T9"]
    assert await find_bot_token(store, "T9") is None


async def test_the_sink_posts_with_the_destination_workspace_token(multi, store):
    await store.async_save(installed())
    sink = SlackSink(multi.stand_in.api_url, installation_store=store)
    await sink.send(Destination("slack", "T9", "C1"), Reply(title="Digest", private=False), "k")
    [post] = multi.stand_in.calls_to("chat.postMessage")
    assert post.headers["Authorization"] == f"Bearer {TEAM_TOKEN}"
    with pytest.raises(PermanentSendError) as info:
        await sink.send(Destination("slack", "T404", "C1"), Reply(title="Digest", private=False), "k")
    assert info.value.reason == "no_installation"
