"""Digest delivery to Slack channels: metadata for idempotency, and Slack's failures sorted for the outbox."""

from __future__ import annotations

import socket

import pytest

from bot.adapters.slack_render import render_reply
from bot.adapters.slack_sink import EVENT_TYPE, SlackSink
from bot.digest.sink import Destination, PermanentSendError, TransientSendError
from bot.reply import Entry, Reply, Section
from tests.slack_support.harness import BOT_TOKEN
from tests.slack_support.stand_in import SlackStandIn

DEST = Destination(platform="slack", workspace="T1", channel="C1")


def digest(entries: int = 2, text: str = "summary") -> Reply:
    items = tuple(Entry(title=f"Item {i} <!channel>", url=f"https://example.org/{i}", text=text) for i in range(entries))
    return Reply(title="Daily brief", sections=(Section(heading="Export controls", entries=items),), private=False)


@pytest.fixture
async def slack():
    stand_in = await SlackStandIn().start()
    try:
        yield stand_in
    finally:
        await stand_in.close()


@pytest.fixture
def sink(slack):
    return SlackSink(slack.api_url, token=BOT_TOKEN)


async def test_send_posts_blocks_tagged_with_the_delivery_key(slack, sink):
    result = await sink.send(DEST, digest(), "digest:C1:2026-11-23")
    [call] = slack.calls_to("chat.postMessage")
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert call.body["channel"] == "C1"
    assert call.body["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {"key": "digest:C1:2026-11-23", "part": 0, "parts": 1},
    }
    assert call.body["blocks"][0]["text"]["text"] == "Daily brief"
    assert "&lt;!channel&gt;" in call.body["blocks"][2]["text"]["text"]
    assert call.body["unfurl_links"] is False
    assert result.message_id == slack.history["C1"][0]["ts"]


async def test_after_a_crash_find_sent_finds_the_posted_message_so_nothing_is_posted_twice(slack, sink):
    posted = await sink.send(DEST, digest(), "k1")
    restarted = SlackSink(slack.api_url, token=BOT_TOKEN)  # a new process knows nothing of the first send
    assert await restarted.find_sent(DEST, "k1") == posted.message_id
    [history] = slack.calls_to("conversations.history")
    assert history.body["include_all_metadata"] in ("1", "true", "True")
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_find_sent_looks_past_the_first_page_of_a_busy_channel(slack, sink):
    posted = await sink.send(DEST, digest(), "k1")
    for i in range(150):  # people keep talking after the digest
        slack.history["C1"].insert(0, {"type": "message", "ts": f"1800000000.{i:06d}", "text": "chat", "user": "U1"})
    assert await sink.find_sent(DEST, "k1") == posted.message_id
    assert len(slack.calls_to("conversations.history")) == 2


async def test_find_sent_is_none_for_a_delivery_never_posted(slack, sink):
    await sink.send(DEST, digest(), "k1")
    assert await sink.find_sent(DEST, "k2") is None
    assert await sink.find_sent(Destination("slack", "T1", "C2"), "k1") is None


async def test_a_digest_in_several_parts_counts_as_sent_only_when_complete_and_a_retry_posts_the_missing_parts(slack, sink):
    long = digest(entries=200, text="x" * 2000)
    total = len(render_reply(long))
    assert total > 2
    slack.fail_call("chat.postMessage", 2)  # the second part hits a server error
    with pytest.raises(TransientSendError):
        await sink.send(DEST, long, "big")
    assert await sink.find_sent(DEST, "big") is None  # one part is not a delivered digest
    await sink.send(DEST, long, "big")
    parts = [c.body["metadata"]["event_payload"]["part"] for c in slack.calls_to("chat.postMessage")]
    assert parts == [0, 1] + list(range(1, total))  # part 0 once, part 1 failed then posted, the rest once
    assert await sink.find_sent(DEST, "big") == slack.history["C1"][-1]["ts"]


async def test_rate_limit_is_transient_with_slacks_retry_after(slack, sink):
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(TransientSendError) as info:
        await sink.send(DEST, digest(), "k1")
    assert info.value.retry_after == 7.0


async def test_server_errors_are_transient(slack, sink):
    slack.fail_next("chat.postMessage", status=500, text="<html>Internal Server Error</html>")
    with pytest.raises(TransientSendError):
        await sink.send(DEST, digest(), "k1")
    slack.fail_next("chat.postMessage", status=503, error="service_unavailable")
    with pytest.raises(TransientSendError):
        await sink.send(DEST, digest(), "k1")


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "token_revoked", "missing_scope", "invalid_auth"])
async def test_errors_that_can_never_succeed_are_permanent_with_the_reason(slack, sink, error):
    slack.fail_next("chat.postMessage", error=error)
    with pytest.raises(PermanentSendError) as info:
        await sink.send(DEST, digest(), "k1")
    assert info.value.reason == error


async def test_find_sent_failures_are_sorted_the_same_way(slack, sink):
    slack.fail_next("conversations.history", status=429, retry_after=3)
    with pytest.raises(TransientSendError):
        await sink.find_sent(DEST, "k1")
    slack.fail_next("conversations.history", error="channel_not_found")
    with pytest.raises(PermanentSendError):
        await sink.find_sent(DEST, "k1")


async def test_slack_unreachable_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = SlackSink(f"http://127.0.0.1:{port}/api/", token=BOT_TOKEN)
    with pytest.raises(TransientSendError):
        await sink.send(DEST, digest(), "k1")
