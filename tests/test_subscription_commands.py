"""`/brief subscribe|unsubscribe|subscriptions|digest|why` through the command core."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.commands import CommandCore, Services
from bot.digest.sink import Destination
from bot.reply import ChatContext
from storage.subscriptions import MAX_PER_CHANNEL, channel_subscriptions
from tests.digest_support import T0, Clock, add_feed, add_item

CTX = ChatContext(platform="slack", workspace="T1", channel="C1", user="U1")
DEST = Destination("slack", "T1", "C1")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def core(db, clock):
    return CommandCore(Services(db=db, clock=clock), ("bot.commands.subscriptions",))


async def test_subscribe_to_a_theme_with_a_daily_schedule_in_a_zone(core, db):
    reply = await core.run('/brief subscribe export-controls-compute daily 08:00 Europe/London', CTX)
    assert reply.kind == "ok", reply.to_text()
    assert "Subscribed" in reply.title and "Export controls" in reply.title
    assert "daily at 08:00 Europe/London" in reply.to_text()
    [sub] = await channel_subscriptions(db, DEST)
    assert (sub.target_kind, sub.target, sub.mode, sub.at_time, sub.tz) == ("theme", "export-controls-compute", "daily", "08:00", "Europe/London")
    assert sub.next_run_at == T0 + timedelta(hours=1)  # 08:00 GMT on 23 Nov


async def test_subscribe_to_a_quoted_keyword_weekly(core, db):
    reply = await core.run('subscribe "TC260" weekly mon 09:00 America/New_York', CTX)
    assert reply.kind == "ok", reply.to_text()
    [sub] = await channel_subscriptions(db, DEST)
    assert (sub.target_kind, sub.target, sub.mode, sub.weekday) == ("keyword", "TC260", "weekly", 0)


async def test_smart_quotes_from_mobile_keyboards_mean_a_keyword(core, db):
    reply = await core.run("subscribe “AI hotline” instant", CTX)
    assert reply.kind == "ok", reply.to_text()
    [sub] = await channel_subscriptions(db, DEST)
    assert (sub.target, sub.mode, sub.min_score) == ("AI hotline", "instant", 0.7)


async def test_subscribing_twice_updates_the_schedule_instead_of_duplicating(core, db):
    await core.run("subscribe export daily 08:00", CTX)
    reply = await core.run("subscribe export-controls-compute weekly fri 17:00 Asia/Shanghai", CTX)
    assert reply.title.startswith("Updated")
    [sub] = await channel_subscriptions(db, DEST)
    assert (sub.mode, sub.weekday, sub.at_time, sub.tz) == ("weekly", 4, "17:00", "Asia/Shanghai")
    await core.run('subscribe "tc260"', CTX)
    await core.run('subscribe "TC260"', CTX)
    assert len(await channel_subscriptions(db, DEST)) == 2


@pytest.mark.parametrize(
    "command, title_has, text_has",
    [
        ("subscribe quantum-computing", "Unknown theme", "us-china-dialogue"),
        ("subscribe export daily 25:99", "schedule doesn't work", "not a time of day"),
        ("subscribe export daily 08:00 Mars/Olympus", "schedule doesn't work", "not a time zone"),
        ("subscribe export fortnightly", "schedule doesn't work", "daily, weekly or instant"),
        ("subscribe", "Subscribe to what?", "/brief subscribe"),
        ('subscribe "  "', "keyword is empty", "quotes"),
    ],
)
async def test_bad_input_gets_a_usage_reply_and_changes_nothing(core, db, command, title_has, text_has):
    reply = await core.run(command, CTX)
    assert reply.kind == "usage"
    assert title_has in reply.title
    assert text_has in reply.to_text()
    assert await channel_subscriptions(db, DEST) == []


async def test_a_keyword_of_a_thousand_characters_is_refused(core, db):
    reply = await core.run(f'subscribe "{"x" * 1000}"', CTX)
    assert reply.kind == "usage" and "too long" in reply.title
    assert "at most 100 characters" in reply.to_text()
    assert await channel_subscriptions(db, DEST) == []


async def test_unsubscribe_what_is_not_subscribed_says_so(core):
    await core.run('subscribe "TC260"', CTX)
    reply = await core.run("unsubscribe loss-of-control", CTX)
    assert reply.kind == "empty"
    assert "isn't subscribed" in reply.title
    assert "TC260" in reply.to_text()


async def test_unsubscribe_one_then_all(core, db):
    await core.run('subscribe "TC260"', CTX)
    await core.run("subscribe dialogue", CTX)
    await core.run("subscribe export", CTX)
    assert (await core.run('unsubscribe "tc260"', CTX)).title == "Unsubscribed from “tc260”"
    assert (await core.run("unsubscribe dialogue", CTX)).title == "Unsubscribed from us-china-dialogue"
    assert "1 subscription" in (await core.run("unsubscribe all", CTX)).title
    assert await channel_subscriptions(db, DEST) == []
    assert (await core.run("unsubscribe all", CTX)).kind == "empty"


async def test_a_channel_cannot_pile_up_two_hundred_subscriptions(sqlite_db, clock):
    core = CommandCore(Services(db=sqlite_db, clock=clock), ("bot.commands.subscriptions",))
    replies = [await core.run(f'subscribe "watch {n}"', CTX) for n in range(200)]
    assert all(r.kind == "ok" for r in replies[:MAX_PER_CHANNEL])
    refused = replies[MAX_PER_CHANNEL:]
    assert all(r.kind == "usage" and "too many subscriptions" in r.title for r in refused)
    assert len(await channel_subscriptions(sqlite_db, DEST)) == MAX_PER_CHANNEL
    listing = await core.run("subscriptions", CTX)
    assert f"({MAX_PER_CHANNEL})" in listing.title
    # Changing an existing one still works at the cap.
    assert (await core.run('subscribe "watch 3" weekly', CTX)).title.startswith("Updated")


async def test_channels_are_kept_apart(core, db):
    await core.run("subscribe dialogue", CTX)
    other = ChatContext(platform="discord", workspace="G1", channel="C1")
    assert (await core.run("subscriptions", other)).kind == "empty"


async def test_only_channel_managers_change_subscriptions(core, db):
    reply = await core.run("subscribe dialogue", ChatContext(platform="slack", workspace="T1", channel="C1", can_manage=False))
    assert reply.kind == "error"
    assert await channel_subscriptions(db, DEST) == []


async def test_subscriptions_lists_schedule_next_run_and_paused_reason(core, db):
    from storage.subscriptions import disable_channel

    await core.run("subscribe dialogue daily 08:00 Europe/London", CTX)
    await core.run('subscribe "TC260" instant 0.8', CTX)
    text = (await core.run("subscriptions", CTX)).to_text()
    assert "US–China dialogue (us-china-dialogue)" in text
    assert "next Mon 23 Nov 08:00 GMT" in text
    assert "instant alerts (score ≥ 0.80)" in text
    async with db.transaction() as session:
        await disable_channel(session, DEST, "channel_not_found")
    text = (await core.run("subscriptions", CTX)).to_text()
    assert "paused: channel_not_found" in text


async def test_digest_previews_privately_without_recording(core, db):
    news = await add_feed(db, "Wire")
    await add_item(db, "US and China hold AI talks in Geneva", feeds=[news], themes={"us-china-dialogue": 0.9},
                   published=T0 - timedelta(hours=2))
    await core.run("subscribe dialogue", CTX)
    first = await core.run("digest", CTX)
    assert first.private and "Preview" in first.title and "Geneva" in first.to_text()
    again = await core.run("digest dialogue", CTX)
    assert "Geneva" in again.to_text()  # a preview sends nothing, so nothing is used up
    assert (await core.run("digest loss", CTX)).kind == "empty"


async def test_why_explains_themes_evidence_and_delivery(core, db, clock):
    from bot.digest.deliver import send_due
    from bot.digest.plan import plan_digests
    from tests.digest_support import RecordingSink

    gov = await add_feed(db, "BIS", kind="government")
    item = await add_item(db, "BIS tightens chip export rules", feeds=[gov], themes={"export-controls-compute": 0.93},
                          evidence=["entity list", "export controls"], stance="pressure", url="https://bis.example/rule",
                          published=T0 - timedelta(hours=1))
    await core.run("subscribe export daily 08:00", CTX)
    text = (await core.run("why https://bis.example/rule/", CTX)).to_text()
    assert "export-controls-compute (0.93)" in text and "“entity list”" in text and "Stance: pressure" in text
    assert "due in the next digest at 2026-11-23 08:00 UTC" in text
    clock.now = T0 + timedelta(hours=1)
    await plan_digests(db, clock())
    await send_due(db, {"slack": RecordingSink(platform="slack")}, clock=clock)
    text = (await core.run("why <https://bis.example/rule|bis.example/rule>", CTX)).to_text()
    assert "Delivered to this channel in a digest at 2026-11-23 08:00 UTC" in text
    other = ChatContext(platform="slack", workspace="T1", channel="C2")
    assert "no subscriptions" in (await core.run("why https://bis.example/rule", other)).to_text()
    assert (await core.run("why https://nowhere.example/x", CTX)).kind == "empty"
    assert item
