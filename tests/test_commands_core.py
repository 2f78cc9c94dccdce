"""The /brief command core: every subcommand, and every kind of bad input gets a sensible reply."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.commands import Command, CommandCore, Invocation, Services, split_args
from bot.commands.facts import fact_search
from bot.facts.base import load_fact_file
from bot.reply import ChatContext, Reply
from storage.facts import store_fact_base
from storage.models import Feed, Item, ItemSource, ItemTheme

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=timezone.utc)
CTX = ChatContext()


@pytest.fixture
async def core(db):
    await store_fact_base(db, load_fact_file())
    return CommandCore(Services(db=db, clock=lambda: NOW))


async def add_item(db, n: int, *, themes=("us-china-dialogue",), relevant=True, stance="engagement", days_ago=1):
    published = NOW - timedelta(days=days_ago, minutes=n)
    async with db.transaction() as session:
        feed = await session.get(Feed, 1)
        if feed is None:
            feed = Feed(id=1, url="http://127.0.0.1/feed.xml", name="Think Tank Feed", kind="rss", enabled=True,
                        error_count=0, last_status="ok")
            session.add(feed)
            await session.flush()
        item = Item(identity=f"item-{n}", url=f"https://example.org/{n}", title=f"Item number {n}", summary="",
                    published_at=published, date_is_fallback=False, content_sha256="0" * 64, relevant=relevant,
                    themes=list(themes), stance=stance)
        session.add(item)
        await session.flush()
        session.add(ItemSource(item_id=item.id, feed_id=1))
        for theme in themes:
            session.add(ItemTheme(item_id=item.id, theme=theme, score=0.9, published_at=published))


def text_of(reply: Reply) -> str:
    return reply.to_text()


def test_arguments_split_like_a_shell_and_forgive_unbalanced_quotes():
    assert split_args('a "b c" d') == ("a", "b c", "d")
    assert split_args('say "unclosed') == ("say", "unclosed")


async def test_help_lists_every_registered_command_including_ones_added_later(core):
    async def ping(inv):
        return Reply(title="pong")

    core.register(Command("ping", "ping", "Answers pong.", ping))
    reply = await core.run("/brief help", CTX)
    for name in ("fact", "latest", "topics", "timeline", "sources", "ping"):
        assert f"/brief {name}" in text_of(reply)
    assert (await core.run("", CTX)).title == reply.title  # bare /brief is help


async def test_fact_answers_with_the_best_fact_its_citation_and_related_ones(core):
    reply = await core.run("/brief fact how much AI compute does China have?", CTX)
    assert reply.kind == "ok" and reply.private and reply.shareable
    best = reply.sections[0].entries[0]
    assert "2%" in best.title and "china-2-percent-compute" in best.meta
    assert best.citation.title == "How Trump Should Approach AI Talks With China"
    assert best.citation.label == "Council on Foreign Relations, 2026"
    assert reply.sections[1].heading == "Related" and 1 <= len(reply.sections[1].entries) <= 2


async def test_many_first_lookups_at_once_build_one_search_index(core):
    invocation = Invocation(name="fact", args=("hotline",), raw="hotline", ctx=CTX, services=core.services)
    searches = await asyncio.gather(*(fact_search(invocation) for _ in range(20)))
    assert len({id(s) for s in searches}) == 1
    replies = await asyncio.gather(*(core.run("fact hotline", CTX) for _ in range(5)))
    assert all(r.kind == "ok" for r in replies)


async def test_fact_shows_a_named_speakers_quote(core):
    reply = await core.run("fact who said braking system?", CTX)
    best = reply.sections[0].entries[0]
    assert "Ding Xuexiang" in best.text and "“" in best.text


async def test_fact_says_what_a_typo_was_read_as(core):
    reply = await core.run("fact hotlnie agreement", CTX)
    assert "hotline-agreement-1963" in reply.sections[0].entries[0].meta
    assert "hotlnie" in reply.footer


@pytest.mark.parametrize(
    "query",
    [
        "",
        "x" * 10_000,
        '"unbalanced',
        "* - : NEAR AND OR NOT",
        'NEAR("a" "b", 2) AND -x',
        "'; DROP TABLE facts; --",
        "1 OR 1=1 UNION SELECT * FROM facts",
        "中国人工智能安全",
        "<@U123> <!channel> @everyone @here <#C1|general>",
        "**bold** _it_ `code` ~~strike~~ <https://example.org|link>",
        "the of and what is",
    ],
)
async def test_bad_fact_queries_get_a_sensible_reply_never_an_error(core, query):
    reply = await core.run(f"/brief fact {query}", CTX)
    assert reply.kind in ("ok", "usage", "empty")
    assert reply.title and reply.sections
    if reply.kind == "empty":
        assert "/brief fact" in text_of(reply) and "us-china-dialogue" in text_of(reply)


async def test_empty_fact_query_explains_the_usage(core):
    reply = await core.run("/brief fact", CTX)
    assert reply.kind == "usage" and "fact <" in reply.title


async def test_unknown_subcommand_gets_a_usage_line(core):
    reply = await core.run("/brief frobnicate now", CTX)
    assert reply.kind == "usage" and "/brief help" in text_of(reply)


async def test_latest_shows_relevant_items_newest_first_with_outlet_date_themes_and_stance(core, db):
    for n in range(7):
        await add_item(db, n)
    await add_item(db, 99, relevant=False)
    reply = await core.run("/brief latest", CTX)
    entries = reply.sections[0].entries
    assert len(entries) == 5 and entries[0].title == "Item number 0"
    assert "Item number 99" not in text_of(reply)
    assert "Think Tank Feed" in entries[0].meta and "US–China dialogue" in entries[0].meta
    assert entries[0].badges == ("engagement",) and entries[0].url == "https://example.org/0"


async def test_latest_filters_by_theme_and_caps_n(core, db):
    await add_item(db, 1, themes=("export-controls-compute",))
    await add_item(db, 2, themes=("us-china-dialogue",))
    reply = await core.run("/brief latest export 50", CTX)
    assert [e.title for e in reply.sections[0].entries] == ["Item number 1"]
    assert (await core.run("/brief latest 3 export", CTX)).sections[0].entries[0].title == "Item number 1"


@pytest.mark.parametrize("args", ["nonsense", "export dialogue", "1 2 3 4", "-5"])
async def test_latest_with_bad_arguments_gets_usage(core, args):
    reply = await core.run(f"/brief latest {args}", CTX)
    assert reply.kind == "usage" and "latest [theme] [n]" in reply.title


async def test_latest_with_nothing_stored_says_so(core):
    reply = await core.run("/brief latest", CTX)
    assert reply.kind == "empty" and "No stored items" in text_of(reply)


async def test_topics_lists_every_theme_with_its_blurb_and_weekly_count(core, db):
    await add_item(db, 1, days_ago=2)
    await add_item(db, 2, days_ago=10)
    reply = await core.run("/brief topics", CTX)
    text = text_of(reply)
    assert len(reply.sections[0].entries) == 11
    assert "US–China dialogue (us-china-dialogue)" in text and "1 items in the last 7 days" in text


async def test_timeline_is_chronological_and_filters_by_theme(core):
    reply = await core.run("/brief timeline", CTX)
    titles = [e.title for e in reply.sections[0].entries]
    assert titles == sorted(titles, key=lambda t: t.split(" — ")[0])
    assert any(t.startswith("1963") for t in titles)
    dialogue = await core.run("/brief timeline us-china-dialogue", CTX)
    assert dialogue.title == "Timeline: US–China dialogue" and len(dialogue.sections[0].entries) < len(titles)
    assert (await core.run("/brief timeline nosuchtheme", CTX)).kind == "usage"


async def test_sources_reports_each_feeds_health(core, db):
    assert (await core.run("/brief sources", CTX)).kind == "empty"
    await add_item(db, 1)
    async with db.transaction() as session:
        session.add(Feed(id=2, url="http://127.0.0.1/broken.xml", name="Broken Feed", kind="rss", enabled=True,
                         error_count=3, last_status="error", last_error="HTTP 500"))
    reply = await core.run("/brief sources", CTX)
    text = text_of(reply)
    assert "2 feeds, 1 failing" in reply.title and "HTTP 500" in text and "1 items" in text
