"""Digest delivery to Discord through the stand-in API: nonce, crash recovery, error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord_sink import DiscordSink, nonce_for, ref_for
from bot.digest.sink import Destination, PermanentSendError, TransientSendError
from bot.reply import Entry, Reply, Section
from tests.discord_support.standin import DiscordStandIn

CHANNEL = "700000000000000009"
DEST = Destination(platform="discord", workspace="700000000000000001", channel=CHANNEL)
DIGEST = Reply(
    title="Daily digest: US–China dialogue",
    sections=(Section(entries=(Entry(title="Talks resume @everyone", url="https://example.org/1", text="<@&456> summary"),)),),
    private=False,
    footer="daily 08:00 Europe/London",
)


@pytest.fixture
async def sink(standin) -> AsyncIterator[DiscordSink]:
    s = DiscordSink("test-token", api_url=standin.url)
    yield s
    await s.close()


def posts(standin: DiscordStandIn) -> list:
    return standin.matching("POST", f"/channels/{CHANNEL}/messages")


async def test_send_posts_embeds_with_a_nonce_and_no_mentions(sink, standin):
    result = await sink.send(DEST, DIGEST, "digest:sub-1:2026-05-14")
    body = posts(standin)[0].body
    assert body["nonce"] == nonce_for("digest:sub-1:2026-05-14") and len(body["nonce"]) <= 25
    assert body["enforce_nonce"] is True
    assert body["allowed_mentions"] == {"parse": []}
    assert body["embeds"][0]["title"] == "Daily digest: US–China dialogue"
    assert ref_for("digest:sub-1:2026-05-14") in body["embeds"][-1]["footer"]["text"]
    assert "@everyone" not in str(body["embeds"])
    assert result.message_id == standin.channels[CHANNEL][0]["id"]


async def test_find_sent_finds_a_message_posted_before_a_crash(sink, standin):
    sent = await sink.send(DEST, DIGEST, "digest:sub-1:2026-05-14")
    restarted = DiscordSink("test-token", api_url=standin.url)
    try:
        assert await restarted.find_sent(DEST, "digest:sub-1:2026-05-14") == sent.message_id
        assert await restarted.find_sent(DEST, "digest:sub-1:2026-05-15") is None
    finally:
        await restarted.close()
    assert len(posts(standin)) == 1


async def test_find_sent_ignores_other_authors_quoting_the_ref(sink, standin):
    other = standin.message(CHANNEL, {"embeds": [{"footer": {"text": ref_for("k")}}]}, author_id=42)
    standin.channels[CHANNEL] = [other]
    assert await sink.find_sent(DEST, "k") is None


async def test_rate_limit_is_transient_with_retry_after(sink, standin):
    standin.failures[CHANNEL] = (429, {"message": "You are being rate limited.", "retry_after": 64.0, "global": False},
                                 {"Via": "1.1 google"})
    with pytest.raises(TransientSendError) as caught:
        await sink.send(DEST, DIGEST, "k")
    assert caught.value.retry_after == 64.0


async def test_server_error_is_transient(sink, standin):
    standin.failures[CHANNEL] = (503, {"message": "Service Unavailable", "code": 0}, {})
    with pytest.raises(TransientSendError):
        await sink.send(DEST, DIGEST, "k")


@pytest.mark.parametrize(("status", "code", "reason"), [
    (403, 50001, "missing access"),
    (404, 10003, "unknown channel"),
    (403, 50013, "missing permissions"),
])
async def test_lost_access_or_channel_is_permanent_with_the_reason(sink, standin, status, code, reason):
    standin.failures[CHANNEL] = (status, {"message": reason.title(), "code": code}, {})
    with pytest.raises(PermanentSendError) as caught:
        await sink.send(DEST, DIGEST, "k")
    assert reason in caught.value.reason


async def test_find_sent_in_a_vanished_channel_is_permanent(sink, standin):
    standin.failures[CHANNEL] = (404, {"message": "Unknown Channel", "code": 10003}, {})
    with pytest.raises(PermanentSendError):
        await sink.find_sent(DEST, "k")


async def test_a_long_digest_is_one_message_within_limits(sink, standin):
    entries = tuple(Entry(title=f"Item {i}", text="x" * 2000, url=f"https://example.org/{i}") for i in range(500))
    await sink.send(DEST, Reply(title="Big", sections=(Section(entries=entries),), private=False), "big")
    body = posts(standin)[0].body
    assert len(body["embeds"]) <= 10
    assert "more" in body["embeds"][-1]["footer"]["text"] and ref_for("big") in body["embeds"][-1]["footer"]["text"]
