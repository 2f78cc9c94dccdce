"""What a digest holds: grouped by theme, stories clustered, primary documents first, nothing twice."""

from __future__ import annotations

from datetime import timedelta

from bot.digest.compose import Candidate, Outlet, Target, compose_digest
from bot.digest.deliver import send_due
from bot.digest.plan import plan_digests
from bot.digest.schedule import Schedule
from bot.digest.sink import Destination
from storage.subscriptions import subscribe
from tests.digest_support import T0, Clock, RecordingSink, add_feed, add_item

DEST = Destination("console", "local", "analysts")
DAILY = Schedule(mode="daily", at_time="08:00", tz="UTC")


def cand(item_id, title, *, kind="news", outlet="Wire", scores=None, stance=None, evidence=(), hours_ago=1, summary=""):
    return Candidate(
        item_id=item_id, title=title, url=f"https://x.example/{item_id}", summary=summary,
        published_at=T0 - timedelta(hours=hours_ago), scores={"us-china-dialogue": 0.8} if scores is None else scores,
        stance=stance, evidence=tuple(evidence), outlets=(Outlet(outlet, kind),),
    )


def test_sections_follow_theme_order_then_keywords():
    composed = compose_digest(
        [
            cand(1, "Politburo study session on AI safety", scores={"china-ai-governance": 0.9}),
            cand(2, "Envoys meet on AI risk", scores={"us-china-dialogue": 0.7}),
            cand(3, "TC260 publishes a draft standard", scores={}),
        ],
        [Target("keyword", "TC260"), Target("theme", "china-ai-governance"), Target("theme", "us-china-dialogue")],
    )
    assert [s.heading for s in composed.reply.sections] == ["US–China dialogue", "China AI governance", "Watch: “TC260”"]
    assert composed.reply.title.startswith("Briefing: 3 new items in 3 themes")
    assert composed.reply.private is False


def test_an_item_appears_once_under_its_best_subscribed_theme():
    composed = compose_digest(
        [cand(1, "Chip rules and talks", scores={"us-china-dialogue": 0.5, "export-controls-compute": 0.9})],
        [Target("theme", "us-china-dialogue"), Target("theme", "export-controls-compute")],
    )
    assert [s.heading for s in composed.reply.sections] == ["Export controls & compute"]


def test_primary_documents_come_before_analysis_and_news_and_are_labelled():
    composed = compose_digest(
        [
            cand(1, "Reporters on the chip rule", kind="news", scores={"export-controls-compute": 0.99}),
            cand(2, "What the chip rule means", kind="think-tank", scores={"export-controls-compute": 0.6}),
            cand(3, "Interim final rule on advanced computing", kind="government", scores={"export-controls-compute": 0.5}),
            cand(4, "Newsletter take on compute thresholds", kind="newsletter", scores={"export-controls-compute": 0.7}),
        ],
        [Target("theme", "export-controls-compute")],
    )
    entries = composed.reply.sections[0].entries
    assert [e.title for e in entries] == [
        "Interim final rule on advanced computing", "Newsletter take on compute thresholds",
        "What the chip rule means", "Reporters on the chip rule",
    ]
    assert [e.badges[0] for e in entries] == ["primary document", "analysis", "analysis", "news"]


def test_the_same_story_from_several_outlets_is_one_entry_listing_its_sources():
    composed = compose_digest(
        [
            cand(1, "US and China agree to resume AI dialogue in Geneva", outlet="Reuters"),
            cand(2, "China and US agree to resume AI risk dialogue, Geneva talks set", outlet="SCMP"),
            cand(3, "Senate hearing on AI chips", outlet="Politico"),
        ],
        [Target("theme", "us-china-dialogue")],
    )
    [section] = composed.reply.sections
    assert len(section.entries) == 2
    clustered = next(e for e in section.entries if e.sources)
    assert [o for o, _ in clustered.sources] == ["Reuters", "SCMP"]
    assert composed.reply.title == "Briefing: 3 new items (2 stories) in 1 theme"
    assert sorted(composed.item_ids) == [1, 2, 3]


def test_stance_badge_and_why_its_here():
    composed = compose_digest(
        [cand(1, "Maximum pressure before any deal", stance="pressure", evidence=["entity list", "leverage"]),
         cand(2, "Revive the channel", stance="engagement"),
         cand(3, "Neutral note", stance="neutral")],
        [Target("theme", "us-china-dialogue")],
    )
    by_title = {e.title: e for e in composed.reply.sections[0].entries}
    assert by_title["Maximum pressure before any deal"].badges == ("news", "pressure")
    assert by_title["Maximum pressure before any deal"].text == "Why it's here: entity list; leverage"
    assert by_title["Revive the channel"].badges == ("news", "engagement")
    assert by_title["Neutral note"].badges == ("news",)


def test_top_items_per_theme_then_and_n_more():
    titles = ["Envoys meet in Geneva", "Senate hearing on chips", "Beijing issues AI rules", "Hotline proposal revived",
              "Summit agenda leaked", "Think tank urges pressure", "Lab publishes safety framework", "Scientists warn on risk"]
    composed = compose_digest([cand(i, t) for i, t in enumerate(titles, 1)],
                              [Target("theme", "us-china-dialogue")], per_section=5)
    section = composed.reply.sections[0]
    assert len(section.entries) == 5 and section.more == 3
    assert "…and 3 more" in composed.reply.to_text()
    assert len(composed.item_ids) == 8


def test_nothing_matching_means_no_digest():
    assert compose_digest([], [Target("theme", "us-china-dialogue")]) is None
    assert compose_digest([cand(1, "Off topic", scores={"loss-of-control": 0.9})], [Target("theme", "us-china-dialogue")]) is None


def test_keyword_matches_whole_words_case_insensitively():
    composed = compose_digest(
        [cand(1, "tc260 issues guidance", scores={}), cand(2, "XTC2600 launched", scores={}),
         cand(3, "Standards body", scores={}, summary="The TC260's new draft")],
        [Target("keyword", "TC260")],
    )
    assert sorted(e.title for e in composed.reply.sections[0].entries) == ["Standards body", "tc260 issues guidance"]


def test_mention_text_in_titles_stays_plain_text_for_adapters_to_neutralise():
    composed = compose_digest([cand(1, "<!channel> @everyone\nurgent", scores={"us-china-dialogue": 0.9})],
                              [Target("theme", "us-china-dialogue")])
    entry = composed.reply.sections[0].entries[0]
    assert entry.title == "<!channel> @everyone urgent"  # one line; escaping happens once, in each adapter


# Through the database: the planner picks the window and never repeats an item.

async def deliver(db, clock, sink):
    await plan_digests(db, clock())
    await send_due(db, {"console": sink}, clock=clock)


async def test_first_digest_counts_only_the_last_24_hours_not_a_feeds_backlog(db):
    clock = Clock(T0)
    feed = await add_feed(db, "New Feed")
    await add_item(db, "Fresh talks on AI risk", feeds=[feed], themes={"us-china-dialogue": 0.8}, published=T0 - timedelta(hours=3))
    for n in range(30):  # the feed's archive, first seen today
        await add_item(db, f"Archive piece {n} on dialogue", feeds=[feed], themes={"us-china-dialogue": 0.8},
                       published=T0 - timedelta(days=n + 2), seen=T0 - timedelta(minutes=5))
    await subscribe(db, DEST, "theme", "us-china-dialogue", DAILY, T0)
    sink = RecordingSink()
    clock.now = T0 + timedelta(hours=1)
    await deliver(db, clock, sink)
    [(_, reply, _)] = sink.posts
    assert "Fresh talks on AI risk" in reply.to_text()
    assert "Archive" not in reply.to_text()
    assert reply.title.startswith("Daily briefing, Mon 23 Nov 2026: 1 new item in 1 theme")


async def test_no_digest_is_posted_when_nothing_is_new_and_schedule_still_advances(db):
    clock = Clock(T0)
    await subscribe(db, DEST, "theme", "loss-of-control", DAILY, T0)
    sink = RecordingSink()
    clock.now = T0 + timedelta(hours=1, minutes=1)
    await deliver(db, clock, sink)
    assert sink.posts == []
    from storage.subscriptions import channel_subscriptions

    [sub] = await channel_subscriptions(db, DEST)
    assert sub.next_run_at == T0 + timedelta(days=1, hours=1)


async def test_an_item_edited_by_its_feed_is_not_posted_again(db):
    from storage.models import Item

    clock = Clock(T0)
    feed = await add_feed(db, "Wire")
    item_id = await add_item(db, "Talks set for Geneva", feeds=[feed], themes={"us-china-dialogue": 0.8}, published=T0 - timedelta(hours=1))
    await subscribe(db, DEST, "theme", "us-china-dialogue", DAILY, T0)
    sink = RecordingSink()
    clock.now = T0 + timedelta(hours=1)
    await deliver(db, clock, sink)
    async with db.transaction() as session:  # the poller updates the stored item in place
        item = await session.get(Item, item_id)
        item.title = "Talks set for Geneva (updated)"
        item.updated_at = clock.now + timedelta(hours=2)
    await add_item(db, "A second story on envoys", feeds=[feed], themes={"us-china-dialogue": 0.7},
                   published=clock.now + timedelta(hours=3))
    clock.now = T0 + timedelta(days=1, hours=1)
    await deliver(db, clock, sink)
    assert len(sink.posts) == 2
    second = sink.posts[1][1].to_text()
    assert "A second story on envoys" in second and "Geneva" not in second


async def test_one_digest_per_channel_combines_its_due_subscriptions(db):
    clock = Clock(T0)
    feed = await add_feed(db, "Wire")
    await add_item(db, "Envoys meet", feeds=[feed], themes={"us-china-dialogue": 0.8}, published=T0 - timedelta(hours=1))
    await add_item(db, "New BIS rule", feeds=[feed], themes={"export-controls-compute": 0.8}, published=T0 - timedelta(hours=1))
    await add_item(db, "TC260 draft", feeds=[feed], published=T0 - timedelta(hours=1))
    for kind, target in (("theme", "us-china-dialogue"), ("theme", "export-controls-compute"), ("keyword", "TC260")):
        await subscribe(db, DEST, kind, target, DAILY, T0)
    sink = RecordingSink()
    clock.now = T0 + timedelta(hours=1)
    await deliver(db, clock, sink)
    [(_, reply, key)] = sink.posts
    assert [s.heading for s in reply.sections] == ["US–China dialogue", "Export controls & compute", "Watch: “TC260”"]
    assert key == "digest:console/local/analysts:2026-11-23T08:00:00+00:00"


async def test_instant_alerts_fire_once_for_new_items_above_the_score(db):
    clock = Clock(T0)
    feed = await add_feed(db, "Wire")
    await add_item(db, "Old news before subscribing", feeds=[feed], themes={"incident-response": 0.95},
                   published=T0 - timedelta(hours=2), seen=T0 - timedelta(hours=2))
    await subscribe(db, DEST, "theme", "incident-response", Schedule(mode="instant", min_score=0.8), T0)
    clock.now = T0 + timedelta(minutes=5)
    await add_item(db, "AI hotline activated", feeds=[feed], themes={"incident-response": 0.9}, published=clock.now, seen=clock.now)
    await add_item(db, "Minor mention of incidents", feeds=[feed], themes={"incident-response": 0.5}, published=clock.now, seen=clock.now)
    sink = RecordingSink()
    from bot.worker import run_once

    await run_once(db, {"console": sink}, clock=clock)
    clock.now += timedelta(minutes=1)
    await run_once(db, {"console": sink}, clock=clock)
    assert [r.title for _, r, _ in sink.posts] == ["Alert: Incident response"]
    assert "AI hotline activated" in sink.posts[0][1].to_text()


async def test_a_channel_split_across_planning_batches_still_gets_one_complete_digest(db):
    clock = Clock(T0)
    feed = await add_feed(db, "Wire")
    themes = ["us-china-dialogue", "export-controls-compute", "capability-race", "loss-of-control"]
    for theme in themes:
        await add_item(db, f"Story about {theme}", feeds=[feed], themes={theme: 0.8}, published=T0 - timedelta(hours=1))
        await subscribe(db, DEST, "theme", theme, DAILY, T0)
    clock.now = T0 + timedelta(hours=1)
    await plan_digests(db, clock(), batch=2)
    sink = RecordingSink()
    await send_due(db, {"console": sink}, clock=clock)
    [(_, reply, _)] = sink.posts
    assert len(reply.sections) == 4
