"""The poller against a real local HTTP server: storage, de-duplication, conditional GET,
edits, classification, and every kind of feed failure recorded with a clear reason."""

from __future__ import annotations

import asyncio
import gzip
from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import func, select, update

from bot import USER_AGENT
from bot.feeds_file import FeedEntry, FeedsFile
from bot.ingest.poller import Poller
from bot.settings import Settings
from storage.db import Database
from storage.feeds import feed_health
from storage.models import Feed, Item, ItemSource, ItemTheme
from storage.types import utcnow
from tests.feedserver import FeedServer, item, rss
from tests.ingest_classifier import classify


def make_settings(**overrides) -> Settings:
    values = {
        "BRIEFBOT_FETCH_TIMEOUT": 2.0, "BRIEFBOT_PARSE_WORKERS": 1, "BRIEFBOT_MAX_BODY_BYTES": 64 * 1024,
        "BRIEFBOT_MAX_CONCURRENCY": 8, "BRIEFBOT_PER_HOST_CONCURRENCY": 4,
    }
    values.update(overrides)
    return Settings(**values)


def feeds(*pairs: tuple[str, str]) -> FeedsFile:
    from pathlib import Path

    return FeedsFile(Path("feeds.yaml"), tuple(FeedEntry(name=n, url=u, kind="news") for n, u in pairs))


@pytest.fixture
async def server():
    srv = await FeedServer().start()
    yield srv
    await srv.stop()


async def poll(db: Database, file: FeedsFile, **kwargs):
    settings = kwargs.pop("settings", None) or make_settings()
    async with Poller(db, settings, **kwargs) as poller:
        return await poller.poll_all(file)


async def feed_row(db: Database, url: str) -> Feed:
    async with db.read() as s:
        return (await s.execute(select(Feed).where(Feed.url == url))).scalar_one()


async def count(db: Database, model) -> int:
    async with db.read() as s:
        return await s.scalar(select(func.count()).select_from(model))


# --- storing and de-duplicating -------------------------------------------------------------

async def test_a_feed_is_fetched_parsed_and_stored_as_clean_items(db, server):
    server.serve("/feed", rss(
        item("US &amp; China <b>talk</b>", "/news/1?utm_source=rss#top", "g1", "<p>Hotline&nbsp;news</p>"),
        item("Second", "http://example.org/2", "g2", "Text"),
    ))
    summary = await poll(db, feeds(("Example", server.url("/feed"))))
    assert (summary.ok, summary.failed, summary.new_items) == (1, 0, 2)
    async with db.read() as s:
        first = (await s.execute(select(Item).where(Item.url == f"{server.base}/news/1"))).scalar_one()
    assert first.title == "US & China talk"
    assert first.summary == "Hotline news"
    assert first.published_at.tzinfo is not None and first.date_is_fallback is False
    assert server.hits_for("/feed")[0].headers["User-Agent"] == USER_AGENT
    row = await feed_row(db, server.url("/feed"))
    assert (row.last_status, row.last_error, row.error_count, row.title) == ("ok", None, 0, "Test feed")


async def test_polling_again_stores_nothing_twice(db, server):
    server.serve("/feed", rss(item("A", "http://example.org/a"), item("B", "http://example.org/b")))
    file = feeds(("Example", server.url("/feed")))
    await poll(db, file)
    second = await poll(db, file)
    assert second.new_items == 0 and await count(db, Item) == 2


async def test_the_same_article_in_two_feeds_is_one_item_that_records_both_feeds(db, server):
    server.serve("/a", rss(item("Shared story", "http://example.org/story?utm_campaign=a", "a-guid")))
    server.serve("/b", rss(item("Shared story (B)", "http://example.org/story#frag", "b-guid", "Other summary")))
    summary = await poll(db, feeds(("A", server.url("/a")), ("B", server.url("/b"))))
    assert summary.new_items == 1 and summary.updated_items == 0
    async with db.read() as s:
        sources = (await s.execute(select(ItemSource.guid))).scalars().all()
    assert sorted(sources) == ["a-guid", "b-guid"]
    assert await count(db, Item) == 1


async def test_an_unchanged_feed_is_not_downloaded_again_thanks_to_conditional_get(db, server):
    server.serve_conditional("/feed", rss(item()), etag='"v1"', last_modified="Mon, 02 Nov 2026 10:00:00 GMT")
    file = feeds(("Example", server.url("/feed")))
    await poll(db, file)
    second = await poll(db, file)
    assert second.not_modified == 1
    headers = server.hits_for("/feed")[1].headers
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Mon, 02 Nov 2026 10:00:00 GMT"
    assert (await feed_row(db, server.url("/feed"))).last_status == "not_modified"


async def test_a_body_identical_to_the_last_one_is_not_parsed_again(db, server):
    server.serve("/feed", rss(item()))  # no validators at all
    file = feeds(("Example", server.url("/feed")))
    await poll(db, file)
    second = await poll(db, file)
    assert (second.ok, second.not_modified) == (0, 1)


async def test_a_gzipped_feed_is_read(db, server):
    server.serve_gzip("/feed", rss(item("Zipped", "http://example.org/z")).encode())
    summary = await poll(db, feeds(("Example", server.url("/feed"))))
    assert summary.new_items == 1
    assert "gzip" in server.hits_for("/feed")[0].headers["Accept-Encoding"]


async def test_an_edited_item_is_updated_in_place_and_reclassified(db, server):
    url = server.url("/feed")
    server.serve("/feed", rss(item("Talks on chips", "http://example.org/a", "g1", "Export rules")))
    await poll(db, feeds(("Example", url)), classify=classify)
    server.serve("/feed", rss(item("Talks on a hotline", "http://example.org/a", "g1", "Crisis line")))
    summary = await poll(db, feeds(("Example", url)), classify=classify)
    assert (summary.new_items, summary.updated_items) == (0, 1)
    async with db.read() as s:
        stored = (await s.execute(select(Item))).scalar_one()
        themes = (await s.execute(select(ItemTheme.theme))).scalars().all()
    assert stored.title == "Talks on a hotline"
    assert stored.themes == ["hotline"] and themes == ["hotline"]
    assert stored.updated_at >= stored.first_seen_at


async def test_the_classifier_runs_in_the_parse_worker_and_its_output_is_stored(db, server):
    server.serve("/feed", rss(item("New hotline agreed", "http://example.org/h"), item("Weather", "http://example.org/w")))
    await poll(db, feeds(("Example", server.url("/feed"))), classify=classify)
    async with db.read() as s:
        items = {i.url: i for i in (await s.execute(select(Item))).scalars()}
        themes = (await s.execute(select(ItemTheme.theme, ItemTheme.score))).all()
    hot = items["http://example.org/h"]
    assert (hot.relevant, hot.themes, hot.scores, hot.stance, hot.evidence, hot.classifier_version) == (
        True, ["hotline"], {"hotline": 0.9}, "engagement", ["mentions hotline"], "test-1")
    assert items["http://example.org/w"].relevant is False
    assert themes == [("hotline", 0.9)]


async def test_entries_without_title_link_or_date_are_kept_with_fallbacks(db, server):
    server.serve("/feed", rss(
        item(title=None, link="http://example.org/no-title", description="Only a body of text here"),
        item(title="No link", link=None, guid="guid-1"),
        item(title="No date", link="http://example.org/nd", date=None),
        item(title=None, link=None, guid=None, description=None, date=None),  # nothing at all
    ))
    summary = await poll(db, feeds(("Example", server.url("/feed"))))
    assert summary.new_items == 3
    async with db.read() as s:
        items = {i.title: i for i in (await s.execute(select(Item))).scalars()}
    assert "Only a body of text here" in items
    assert items["No link"].url is None and items["No link"].identity.startswith("guid:")
    assert items["No date"].date_is_fallback is True
    warning = (await feed_row(db, server.url("/feed"))).last_warning
    assert "1 entries with no title, link or text skipped" in warning


async def test_duplicate_guids_in_one_document_are_stored_once(db, server):
    server.serve("/feed", rss(
        item("Same", "http://example.org/s", "dup"), item("Same again", "http://example.org/s", "dup"),
    ))
    summary = await poll(db, feeds(("Example", server.url("/feed"))))
    assert summary.new_items == 1
    assert "1 duplicate entries" in (await feed_row(db, server.url("/feed"))).last_warning


async def test_entries_sharing_a_home_page_link_with_distinct_guids_stay_distinct(db, server):
    server.serve("/feed", rss(
        item("Episode 1", "http://example.org/", "ep1"), item("Episode 2", "http://example.org/", "ep2"),
    ))
    assert (await poll(db, feeds(("Podcast", server.url("/feed"))))).new_items == 2


async def test_restarting_between_polls_creates_no_duplicates(tmp_path, server):
    server.serve("/feed", rss(item("A", "http://example.org/a"), item("B", "http://example.org/b")))
    file = feeds(("Example", server.url("/feed")))
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    first_db = Database.connect(url)
    await first_db.upgrade()
    assert (await poll(first_db, file)).new_items == 2
    await first_db.close()
    second_db = Database.connect(url)
    try:
        # Forget the validators too, so the document is parsed and stored again.
        async with second_db.transaction() as s:
            await s.execute(update(Feed).values(etag=None, last_modified=None, body_sha256=None))
        again = await poll(second_db, file)
        assert (again.ok, again.new_items, again.updated_items) == (1, 0, 0)
        assert await count(second_db, Item) == 2 and await count(second_db, ItemSource) == 2
    finally:
        await second_db.close()


async def test_feeds_removed_from_the_file_are_disabled_not_deleted(db, server):
    server.serve("/a", rss(item("A", "http://example.org/a")))
    server.serve("/b", rss(item("B", "http://example.org/b")))
    await poll(db, feeds(("A", server.url("/a")), ("B", server.url("/b"))))
    await poll(db, feeds(("A", server.url("/a"))))
    row = await feed_row(db, server.url("/b"))
    assert row.enabled is False and await count(db, Item) == 2
    assert [h.name for h in await feed_health(db)] == ["A"]


# --- failures ---------------------------------------------------------------------------------

async def poll_one_failure(db, server, path: str, **settings):
    server.serve("/good", rss(item("Good", "http://example.org/good")))
    summary = await poll(db, feeds(("Bad", server.url(path) if path.startswith("/") else path),
                                   ("Good", server.url("/good"))), settings=make_settings(**settings))
    assert summary.ok == 1 and summary.failed == 1, "a failure must not touch other feeds"
    row = await feed_row(db, server.url(path) if path.startswith("/") else path)
    assert row.last_status == "error" and row.error_count == 1
    assert row.next_poll_at > utcnow()
    return row


async def test_dns_failure_is_recorded(db, server):
    row = await poll_one_failure(db, server, "http://no-such-host.invalid/feed")
    assert row.last_error == "DNS lookup failed for no-such-host.invalid"


async def test_refused_connection_is_recorded(db, server):
    row = await poll_one_failure(db, server, "http://127.0.0.1:1/feed")
    assert row.last_error == "connection refused by 127.0.0.1"


async def test_a_server_that_never_answers_times_out(db, server):
    async def hang(_request):
        await asyncio.sleep(30)
        return web.Response(text="late")

    server.routes["/slow"] = hang
    row = await poll_one_failure(db, server, "/slow", BRIEFBOT_FETCH_TIMEOUT=0.3)
    assert row.last_error.startswith("timed out")


@pytest.mark.parametrize("status, reason", [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error"),
                                            (410, "HTTP 410 Gone")])
async def test_http_errors_are_recorded_with_their_status(db, server, status, reason):
    server.serve("/bad", "nope", "text/plain", status=status)
    row = await poll_one_failure(db, server, "/bad")
    assert (row.last_error, row.last_http_status) == (reason, status)


async def test_503_with_retry_after_is_not_retried_sooner(db, server):
    server.serve("/busy", "busy", "text/plain", status=503, headers={"Retry-After": "7200"})
    row = await poll_one_failure(db, server, "/busy")
    assert row.last_error == "HTTP 503 Service Unavailable (retry after 7200 s)"
    assert row.next_poll_at >= utcnow() + timedelta(seconds=7190)


async def test_429_with_an_http_date_retry_after_is_honoured(db, server):
    when = (utcnow() + timedelta(hours=3)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    server.serve("/limited", "slow down", "text/plain", status=429, headers={"Retry-After": when})
    row = await poll_one_failure(db, server, "/limited")
    assert row.last_error.startswith("HTTP 429 Too Many Requests (retry after")
    assert row.next_poll_at >= utcnow() + timedelta(hours=2, minutes=59)


async def test_an_html_page_is_not_a_feed(db, server):
    server.serve("/page", "<!DOCTYPE html><html><head><title>Hi</title></head><body>Welcome</body></html>", "text/html")
    row = await poll_one_failure(db, server, "/page")
    assert row.last_error == "not a feed: the server sent an HTML page"


async def test_an_empty_body_is_recorded(db, server):
    server.serve("/empty", b"", "application/rss+xml")
    row = await poll_one_failure(db, server, "/empty")
    assert row.last_error == "empty body: the server sent no content"


async def test_malformed_xml_without_entries_is_an_error_with_the_line(db, server):
    server.serve("/broken", '<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n<title>x</wrong>\n</channel></rss>')
    row = await poll_one_failure(db, server, "/broken")
    assert row.last_error.startswith("malformed XML: mismatched tag at line 4")


async def test_a_text_file_that_parses_into_empty_entries_is_not_a_success(db, server):
    server.serve("/notes", "id\tname\n1\t<item>\n2\t<entry>x\n", "text/tab-separated-values")
    row = await poll_one_failure(db, server, "/notes")
    assert row.last_error.endswith("no readable entries")


async def test_malformed_xml_with_readable_entries_is_a_success_with_a_warning(db, server):
    server.serve("/bozo", "\n" + rss(item("Kept", "http://example.org/kept")))  # blank line before the declaration
    summary = await poll(db, feeds(("Bozo", server.url("/bozo"))))
    assert summary.ok == 1 and summary.new_items == 1
    row = await feed_row(db, server.url("/bozo"))
    assert row.last_status == "ok" and row.last_warning.startswith("malformed XML:")
    assert "1 entries kept" in row.last_warning


async def test_a_wrong_encoding_declaration_is_read_with_a_warning(db, server):
    body = rss(item("Caf\u00e9 na\u00efve", "http://example.org/cafe")).encode("latin-1")  # declares utf-8
    server.serve("/latin", body, "application/xml")
    summary = await poll(db, feeds(("Latin", server.url("/latin"))))
    assert summary.new_items == 1
    async with db.read() as s:
        assert (await s.execute(select(Item.title))).scalar_one() == "Café naïve"
    assert "encoding" in (await feed_row(db, server.url("/latin"))).last_warning


async def test_an_oversized_body_is_refused_while_streaming(db, server):
    async def chunked(request):
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"<!-- padding -->" * 64)
        await response.write_eof()
        return response

    server.routes["/huge"] = chunked
    row = await poll_one_failure(db, server, "/huge", BRIEFBOT_MAX_BODY_BYTES=16 * 1024)
    assert row.last_error == "body larger than 16 KB"


async def test_a_declared_oversized_body_is_refused_before_downloading(db, server):
    server.serve("/big", b"x" * 40_000, "application/rss+xml")
    row = await poll_one_failure(db, server, "/big", BRIEFBOT_MAX_BODY_BYTES=16 * 1024)
    assert row.last_error == "body larger than 16 KB"


async def test_a_compression_bomb_is_stopped_at_the_body_limit(db, server):
    server.serve("/bomb", gzip.compress(b" " * 5_000_000), "application/rss+xml", headers={"Content-Encoding": "gzip"})
    row = await poll_one_failure(db, server, "/bomb", BRIEFBOT_MAX_BODY_BYTES=64 * 1024)
    assert row.last_error == "body larger than 64 KB"


async def test_redirects_are_followed_and_links_resolve_against_the_final_address(db, server):
    async def moved(_request):
        raise web.HTTPMovedPermanently(location="/new/feed.xml")

    server.routes["/old"] = moved
    server.serve("/new/feed.xml", rss(item("Moved", "story.html")))
    summary = await poll(db, feeds(("Moved", server.url("/old"))))
    assert summary.new_items == 1
    async with db.read() as s:
        assert (await s.execute(select(Item.url))).scalar_one() == f"{server.base}/new/story.html"


async def test_a_redirect_loop_is_an_error(db, server):
    async def loop(_request):
        raise web.HTTPFound(location="/loop")

    server.routes["/loop"] = loop
    row = await poll_one_failure(db, server, "/loop")
    assert row.last_error == "too many redirects (more than 5)"


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10))
    + ']>\n<rss version="2.0"><channel><title>t</title><item><title>&lol9;</title>'
    "<link>http://example.org/laughs</link></item></channel></rss>"
)
QUADRATIC_BLOWUP = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + "A" * 50_000 + '">]>\n'
    '<rss version="2.0"><channel><title>t</title><item><title>x</title><description>'
    + "&a;" * 10_000 + "</description><link>http://example.org/quad</link></item></channel></rss>"
)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, QUADRATIC_BLOWUP], ids=["billion-laughs", "quadratic-blowup"])
async def test_entity_expansion_bombs_are_not_expanded(db, server, document):
    server.serve("/bomb", document)
    summary = await poll(db, feeds(("Bomb", server.url("/bomb"))), settings=make_settings(BRIEFBOT_MAX_BODY_BYTES=1024 * 1024))
    assert summary.feeds == 1
    async with db.read() as s:
        texts = (await s.execute(select(Item.title, Item.summary))).all()
    # Either refused or parsed without expansion: nothing near the gigabytes the entities describe.
    assert all(len(title) + len(summary_text) < 10_000 for title, summary_text in texts)
    row = await feed_row(db, server.url("/bomb"))
    assert row.last_status in ("ok", "error")
    assert row.last_status == "ok" or row.last_error.startswith("malformed")


async def test_consecutive_failures_back_off_exponentially(db, server):
    server.serve("/down", "down", "text/plain", status=500)
    file = feeds(("Down", server.url("/down")))
    delays = []
    for _ in range(4):
        await poll(db, file)
        row = await feed_row(db, server.url("/down"))
        delays.append((row.next_poll_at - row.last_polled_at).total_seconds())
    assert row.error_count == 4
    assert delays[3] > delays[0] * 4  # 8x nominal, ±20% jitter each


async def test_a_recovered_feed_clears_its_error(db, server):
    server.serve("/flaky", "down", "text/plain", status=502)
    file = feeds(("Flaky", server.url("/flaky")))
    await poll(db, file)
    server.serve("/flaky", rss(item()))
    await poll(db, file)
    row = await feed_row(db, server.url("/flaky"))
    assert (row.last_status, row.last_error, row.error_count) == ("ok", None, 0)


async def test_many_broken_feeds_do_not_stop_the_cycle(db, server):
    server.serve("/good", rss(item("Good", "http://example.org/good")))
    server.serve("/html", "<html><body>x</body></html>", "text/html")
    server.serve("/e500", "x", "text/plain", status=500)
    server.serve("/empty", b"")
    server.serve("/junk", b"\x00\x01\x02 not xml at all")
    file = feeds(*[(p, server.url(p)) for p in ("/good", "/html", "/e500", "/empty", "/junk")],
                 ("dns", "http://nowhere.invalid/x"), ("refused", "http://127.0.0.1:1/x"))
    summary = await poll(db, file)
    assert (summary.feeds, summary.ok, summary.failed, summary.new_items) == (7, 1, 6, 1)
    health = {h.name: h for h in await feed_health(db)}
    assert all(h.last_error for name, h in health.items() if name != "/good")


# --- the polling loop -------------------------------------------------------------------------

async def test_the_loop_polls_due_feeds_only_and_stops_when_asked(db, server):
    from bot.ingest.poller import run_forever
    from storage.feeds import claim_due_feeds

    server.serve("/feed", rss(item("Looped", "http://example.org/loop")))
    file = feeds(("Loop", server.url("/feed")))
    summaries = []
    stop = asyncio.Event()

    def on_summary(summary):
        summaries.append(summary)
        stop.set()

    await asyncio.wait_for(run_forever(db, make_settings(), lambda: file, stop=stop, on_summary=on_summary), 60)
    assert summaries[0].new_items == 1
    row = await feed_row(db, server.url("/feed"))
    assert row.next_poll_at > utcnow() + timedelta(minutes=25)  # default interval: 30 minutes
    assert await claim_due_feeds(db, utcnow(), timedelta(minutes=15)) == []
    due = await claim_due_feeds(db, utcnow() + timedelta(minutes=31), timedelta(minutes=15))
    assert [f.name for f in due] == ["Loop"]


async def test_a_feed_that_cannot_be_stored_costs_only_itself(db, server):
    # A feed deleted while the cycle runs (say, by an administrator): storing its items
    # breaks a foreign key. On SQLite the feeds parsed meanwhile share one write
    # transaction; the failure must not take the others' items with it.
    from storage.feeds import feeds_for_update

    paths = [f"/f{n}" for n in range(6)] + ["/gone"]
    for path in paths:
        server.serve(path, rss(*(item(f"{path} story {k}", f"http://example.org{path}/{k}") for k in range(3))))
    file = feeds(*[(p, server.url(p)) for p in paths])
    async with Poller(db, make_settings()) as poller:
        await poller.sync(file)
        targets = await feeds_for_update(db, [f.url for f in file.feeds])
        async with db.transaction() as s:
            await s.execute(Feed.__table__.delete().where(Feed.url == server.url("/gone")))
        summary = await poller.poll(targets)
    assert (summary.ok, summary.failed, summary.new_items) == (6, 1, 18)
    failed = next(o for o in summary.outcomes if o.status == "error")
    assert failed.url == server.url("/gone") and "IntegrityError" in (failed.error or "")
    assert await count(db, Item) == 18
    for path in paths[:-1]:
        assert (await feed_row(db, server.url(path))).last_status == "ok"
