"""Normalization: plain text, canonical links, dates and identity."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

from bot.ingest.fetch import parse_retry_after
from bot.ingest.normalize import (
    canonical_url,
    content_hash,
    entry_date,
    html_to_text,
    identity_key,
    struct_to_utc,
)
from bot.ingest.poller import BACKOFF_CAP, backoff_delay


def test_html_becomes_plain_text_with_entities_decoded_and_whitespace_folded():
    html = "<p>US &amp; China<br/>agree&nbsp;on   a <b>hotline</b></p><script>alert(1)</script><!-- x -->"
    assert html_to_text(html, 500) == "US & China agree on a hotline"


def test_double_escaped_html_is_decoded_once_more():
    assert html_to_text("&lt;p&gt;Talks &amp;amp; talks&lt;/p&gt;", 100) == "Talks & talks"


def test_long_text_is_capped_at_a_word_boundary_with_an_ellipsis():
    text = html_to_text("word " * 100, 50)
    assert len(text) <= 50 and text.endswith("…") and "wor…" not in text


def test_control_and_invisible_characters_are_removed():
    assert html_to_text("a\x00b\u200bc\ufeff", 10) == "abc"


def test_links_resolve_against_the_feed_and_lose_tracking_parameters_and_fragment():
    url = canonical_url("/news/1?id=7&utm_source=rss&utm_medium=feed&fbclid=x#comments", "HTTP://Example.ORG:80/feed.xml")
    assert url == "http://example.org/news/1?id=7"


def test_non_web_links_are_not_links():
    assert canonical_url("javascript:alert(1)") is None
    assert canonical_url("mailto:a@b.c") is None
    assert canonical_url("") is None
    assert canonical_url("http://[bad") is None


def test_default_https_port_is_dropped_and_path_case_is_kept():
    assert canonical_url("https://EXAMPLE.org:443/Path/A") == "https://example.org/Path/A"


def test_feedparser_dates_become_aware_utc():
    assert struct_to_utc(time.strptime("2026-11-02 10:00:00", "%Y-%m-%d %H:%M:%S")) == datetime(2026, 11, 2, 10, tzinfo=timezone.utc)
    assert struct_to_utc(None) is None


def test_missing_or_far_future_dates_fall_back():
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    future = now + timedelta(days=30)
    assert entry_date([None, future], now, now) == (now, True)
    past = now - timedelta(days=1)
    assert entry_date([None, past], now, now) == (past, False)


def test_identity_prefers_canonical_link_then_feed_scoped_guid_then_content():
    by_link_a = identity_key("http://x.org/a", "g1", "http://feed-a", "T", "S")
    by_link_b = identity_key("http://x.org/a", "other", "http://feed-b", "T2", "S2")
    assert by_link_a == by_link_b and by_link_a.startswith("link:")
    guid_a = identity_key(None, "g1", "http://feed-a", "T", "S")
    guid_b = identity_key(None, "g1", "http://feed-b", "T", "S")
    assert guid_a != guid_b and guid_a.startswith("guid:")
    assert identity_key(None, None, "http://feed-a", "T", "S").startswith("text:")
    assert all(len(k) <= 80 for k in (by_link_a, guid_a))


def test_content_hash_changes_when_the_text_is_edited():
    assert content_hash("T", "S", None) != content_hash("T", "S edited", None)


def test_backoff_grows_exponentially_is_capped_and_jittered():
    rng = random.Random(1)
    delays = [backoff_delay(n, rng=rng) for n in range(1, 12)]
    assert delays[1] > delays[0] * 1.3
    assert all(d <= BACKOFF_CAP * 1.2 for d in delays)
    assert delays[-1] >= BACKOFF_CAP * 0.8


def test_backoff_is_never_sooner_than_retry_after():
    assert backoff_delay(1, retry_after=3600, rng=random.Random(1)) >= timedelta(seconds=3600)


def test_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("120") == 120
    now = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Mon, 23 Nov 2026 10:05:00 GMT", now) == 300
    assert parse_retry_after("soon") is None
