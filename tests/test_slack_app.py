"""The Slack app over HTTP: signed slash commands and button clicks in, what Slack receives out."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import parse_qsl

import pytest

from bot.adapters.slack_app import WORKING_TEXT, build_app, run_slack
from bot.commands import CommandCore, Services
from tests.slack_support import signing
from tests.slack_support.harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEST_COMMANDS,
    make_settings,
    running_app,
)
from tests.slack_support.stand_in import SlackStandIn


@pytest.fixture
async def slack(sqlite_db):
    async with running_app(sqlite_db) as harness:
        yield harness


@pytest.fixture
async def slow_slack(sqlite_db):
    async with running_app(sqlite_db, command_deadline=0.05) as harness:
        yield harness


def header(message: dict) -> str:
    return message["blocks"][0]["text"]["text"]


async def test_a_ready_answer_is_the_acknowledgement_and_is_private(slack):
    resp = await slack.slash("fact hotline")
    assert resp.status == 200
    body = resp.json
    assert body["response_type"] == "ephemeral"
    assert header(body) == "Fact: hotline"
    assert slack.stand_in.calls_to("response_url") == []


async def test_private_lookups_offer_a_share_button_carrying_the_command(slack):
    body = (await slack.slash("fact hotline")).json
    actions = [b for b in body["blocks"] if b["type"] == "actions"]
    assert actions[0]["elements"][0]["value"] == "/brief fact hotline"


async def test_feed_text_in_a_reply_is_escaped(slack):
    body = (await slack.slash("fact hotline")).json
    entry = body["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.example¦click&gt; &amp;lt;!here&amp;gt; @\u200beveryone" in entry
    assert "<https://example.org/a?x=1&amp;y=2|" in entry
    assert "<!" not in json.dumps(body)


async def test_a_public_reply_is_posted_in_the_channel(slack):
    body = (await slack.slash("public")).json
    assert body["response_type"] == "in_channel"
    assert all(b["type"] != "actions" for b in body["blocks"])


async def test_a_slow_answer_is_acknowledged_at_once_then_sent_to_the_response_url(slow_slack):
    resp = await slow_slack.slash("slow")
    assert resp.status == 200
    assert resp.json == {"text": WORKING_TEXT, "response_type": "ephemeral"}
    assert slow_slack.stand_in.calls_to("response_url") == []  # the answer is not ready yet
    slow_slack.release.set()
    [call] = await slow_slack.stand_in.wait_for("response_url")
    assert call.path == "/response/r1"
    assert call.body["response_type"] == "ephemeral"
    assert call.body["replace_original"] is True
    assert header(call.body) == "Slow answer"


async def test_a_late_answer_survives_slack_rate_limiting_and_a_server_error(slow_slack):
    slow_slack.stand_in.fail_next("response_url", status=429, retry_after=1)
    slow_slack.stand_in.fail_next("response_url", status=500, text="oops")
    await slow_slack.slash("slow")
    slow_slack.release.set()
    calls = await slow_slack.stand_in.wait_for("response_url", 3)
    assert [header(c.body) for c in calls] == ["Slow answer"] * 3  # the same answer, until Slack took it
    assert slow_slack.stand_in.failures["response_url"] == []


async def test_a_reply_too_long_for_one_message_continues_through_the_response_url(slack):
    body = (await slack.slash("long")).json
    assert len(body["blocks"]) <= 50
    calls = await slack.stand_in.wait_for("response_url", 4)
    assert len(calls) == 4  # five messages in all, the most a response_url takes
    for call in calls:
        assert len(call.body["blocks"]) <= 50
        assert call.body["replace_original"] is False
    assert "more" in calls[-1].body["blocks"][-1]["elements"][0]["text"]


async def test_share_posts_the_answer_in_the_channel_attributed_to_the_sharer(slack):
    resp = await slack.share("/brief fact hotline", user="U2")
    assert resp.status == 200
    shared, deleted = await slack.stand_in.wait_for("response_url", 2)
    assert shared.body["response_type"] == "in_channel"
    assert shared.body["replace_original"] is False
    assert header(shared.body) == "Fact: hotline"
    assert shared.body["blocks"][1]["elements"][0]["text"] == "Shared by <@U2>"
    assert all(b["type"] != "actions" for b in shared.body["blocks"])
    assert deleted.body["delete_original"] is True


async def test_a_failing_command_gets_a_polite_private_reply(slack):
    body = (await slack.slash("boom")).json
    assert body["response_type"] == "ephemeral"
    assert header(body) == "Something went wrong"


async def test_an_unexpected_failure_is_logged_without_the_payload_and_the_user_told(slack, caplog):
    resp = await slack.slash("broken", rid="secret-response-path")
    assert resp.status == 200
    assert resp.json["response_type"] == "ephemeral"
    assert "Something went wrong" in resp.json["text"]
    failures = [r for r in caplog.records if r.name == "bot.adapters.slack_app"]
    assert failures and "secret-response-path" not in caplog.text


async def test_a_failure_after_the_acknowledgement_is_reported_through_the_response_url(slack, caplog):
    assert (await slack.share("/brief broken")).status == 200
    [notice] = await slack.stand_in.wait_for("response_url")
    assert notice.body["response_type"] == "ephemeral"
    assert "Something went wrong" in notice.body["text"]
    assert any(r.name == "bot.adapters.slack_app" for r in caplog.records)


async def test_the_chat_context_names_team_channel_and_user(slack):
    body = (await slack.slash("whoami", team="T7", channel="C7", user="U7")).json
    assert header(body) == "slack T7 C7 U7 manage=True"


async def test_managers_setting_restricts_who_changes_subscriptions(sqlite_db):
    async with running_app(sqlite_db, settings_env={"BRIEFBOT_SLACK_MANAGERS": "U9, U8"}) as slack:
        denied = (await slack.slash("subscribe", user="U1")).json
        assert header(denied) == "You can't change this channel's subscriptions"
        allowed = (await slack.slash("subscribe", user="U9")).json
        assert header(allowed) == "Subscribed C1"


async def test_unsigned_requests_are_rejected(slack):
    body = signing.slash_body("whoami", response_url=slack.stand_in.response_url())
    resp = await slack.post(body, "application/x-www-form-urlencoded", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 401


async def test_requests_signed_with_the_wrong_secret_are_rejected(slack):
    resp = await slack.post(
        signing.slash_body("whoami", response_url=slack.stand_in.response_url()),
        "application/x-www-form-urlencoded",
        secret="not-the-secret",
    )
    assert resp.status == 401


async def test_requests_older_than_five_minutes_are_rejected(slack):
    resp = await slack.post(
        signing.slash_body("whoami", response_url=slack.stand_in.response_url()),
        "application/x-www-form-urlencoded",
        timestamp=int(time.time()) - 6 * 60,
    )
    assert resp.status == 401


async def test_a_tampered_body_is_rejected(slack):
    body = signing.slash_body("whoami", response_url=slack.stand_in.response_url())
    headers = signing.signed_headers(SIGNING_SECRET, body, "application/x-www-form-urlencoded")
    resp = await slack.post(body.replace("whoami", "public"), "", headers=headers)
    assert resp.status == 401


async def test_app_uninstalled_calls_the_workspace_removed_hook(slack):
    resp = await slack.event({"type": "app_uninstalled"}, team="T1")
    assert resp.status == 200
    assert await slack.wait_removed() == ["T1"]


async def test_secrets_never_appear_in_logs_or_in_what_slack_receives(slow_slack, caplog):
    caplog.set_level(logging.DEBUG)
    await slow_slack.slash("fact hotline")
    await slow_slack.slash("boom")
    await slow_slack.slash("slow", rid="r2")
    slow_slack.release.set()
    await slow_slack.stand_in.wait_for("response_url")
    await slow_slack.share("/brief fact hotline")
    await slow_slack.stand_in.wait_for("response_url", 3)
    await slow_slack.post("{}", "application/json", secret="wrong")
    for secret in (SIGNING_SECRET, BOT_TOKEN):
        assert secret not in caplog.text
        for call in slow_slack.stand_in.calls:
            assert secret not in json.dumps(call.body)


async def test_with_an_app_token_the_app_runs_in_socket_mode(sqlite_db):
    stand_in = await SlackStandIn().start()
    settings = make_settings(stand_in.api_url, SLACK_APP_TOKEN="xapp-1-A1-test-app-token")
    app = build_app(settings, CommandCore(Services(db=sqlite_db), [TEST_COMMANDS]))
    stop = asyncio.Event()
    running = asyncio.create_task(run_slack(app, settings, stop=stop))
    try:
        payload = dict(parse_qsl(signing.slash_body("fact hotline", response_url=stand_in.response_url())))
        ack = await stand_in.socket_request("slash_commands", payload, "env-1")
        assert ack["payload"]["response_type"] == "ephemeral"
        assert ack["payload"]["blocks"][0]["text"]["text"] == "Fact: hotline"
        [opened] = stand_in.calls_to("apps.connections.open")
        assert opened.headers["Authorization"] == "Bearer xapp-1-A1-test-app-token"
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
        await stand_in.close()
