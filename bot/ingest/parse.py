"""Feed bytes -> ParsedFeed of normalized (and optionally classified) entries.

`parse_document` is a plain function; `ParsePool` runs it in worker processes
so that a big poll never blocks the event loop that also answers chat
commands. Everything that crosses the process boundary is a small frozen
dataclass of plain values.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.ingest.fetch import FeedError
from bot.ingest.normalize import (
    MAX_AUTHOR_CHARS,
    MAX_GUID_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    canonical_url,
    cap,
    content_hash,
    entry_date,
    html_to_text,
    identity_key,
    struct_to_utc,
)

log = logging.getLogger(__name__)

MAX_ENTRIES = 1000
FALLBACK_TITLE_CHARS = 120


@dataclass(frozen=True)
class Classified:
    relevant: bool
    themes: tuple[str, ...]
    scores: dict[str, float]
    stance: str | None
    evidence: tuple[str, ...]
    version: str


@dataclass(frozen=True)
class EntryData:
    identity: str
    url: str | None
    guid: str | None
    title: str
    summary: str
    author: str | None
    published_at: datetime
    date_is_fallback: bool
    content_sha256: str
    classification: Classified | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """A document's entries (empty on error) and what was wrong with it, if anything."""

    title: str | None
    entries: tuple[EntryData, ...]
    warning: str | None = None
    error: FeedError | None = None


Classifier = Callable[[str, str], Any]

# Entries are read by the keys feedparser stores them under: FeedParserDict's own lookup maps
# legacy names and warns on some (a missing updated_parsed), costly per entry of a big poll.
_get = dict.get

_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S)
_SAX_POSITION = re.compile(r"^<unknown>:(\d+):(\d+):\s*")


def parse_document(
    body: bytes,
    url: str,
    content_type: str | None,
    fetched_at: datetime,
    classify: Classifier | None = None,
    max_entries: int = MAX_ENTRIES,
) -> ParsedFeed:
    """Parse and normalize one feed document; never raises for bad input."""
    try:
        return _parse(body, url, content_type, fetched_at, classify, max_entries)
    except Exception as exc:  # a parser bug must not cost the whole cycle
        log.exception("parsing %s failed", url)
        return ParsedFeed(None, (), error=FeedError("parser", f"parser failed: {type(exc).__name__}: {exc}"))


def _parse(body, url, content_type, fetched_at, classify, max_entries) -> ParsedFeed:
    import feedparser

    if not body.strip():
        return ParsedFeed(None, (), error=FeedError("empty", "empty body: the server sent no content"))
    if _HTML_START.match(body[:4096]):
        return ParsedFeed(None, (), error=FeedError("not_feed", "not a feed: the server sent an HTML page"))
    # No content-location: feedparser would resolve every element against it; links are resolved here.
    headers: dict[str, str] = {}
    if content_type:
        headers["content-type"] = content_type
    # Sanitizing and resolving links inside HTML is wasted work: every text is reduced to plain text.
    doc = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    problem = _bozo_reason(doc) if doc.get("bozo") else None
    raw_entries = doc.get("entries") or []
    feed_info = doc.get("feed") or {}
    if not raw_entries:
        if not doc.get("version") and content_type and "html" in content_type.lower():
            return ParsedFeed(None, (), error=FeedError("not_feed", "not a feed: the server sent an HTML page"))
        if problem:
            kind = "not_feed" if problem.startswith("not served as XML") else "malformed"
            return ParsedFeed(None, (), error=FeedError(kind, problem))
        if not doc.get("version"):
            return ParsedFeed(None, (), error=FeedError("not_feed", "not a feed: no RSS or Atom elements found"))
    feed_title = html_to_text(feed_info.get("title"), MAX_TITLE_CHARS) or None
    feed_date = struct_to_utc(_get(feed_info, "updated_parsed") or _get(feed_info, "published_parsed"))
    notes: list[str] = []
    if len(raw_entries) > max_entries:
        notes.append(f"{len(raw_entries) - max_entries} entries beyond the first {max_entries} ignored")
        raw_entries = raw_entries[:max_entries]

    addresses = [_addresses(raw, url) for raw in raw_entries]
    shared = _links_shared_by_distinct_guids(addresses)
    entries: list[EntryData] = []
    seen: set[str] = set()
    duplicates = empty = undated = classify_failures = 0
    for raw, (link, guid) in zip(raw_entries, addresses):
        entry = _entry(raw, link, guid, link not in shared, url, feed_date, fetched_at)
        if entry is None:
            empty += 1
            continue
        if entry.identity in seen:
            duplicates += 1
            continue
        seen.add(entry.identity)
        undated += entry.date_is_fallback
        if classify is not None:
            try:
                entry = _with_classification(entry, classify(entry.title, entry.summary))
            except Exception as exc:
                classify_failures += 1
                if classify_failures == 1:
                    log.warning("classifier failed on an entry of %s: %s", url, exc)
        entries.append(entry)

    if problem and not entries:
        # A broken document whose parse yielded only empty shells (a text file, a page of
        # tag soup) has nothing readable: that is a failure, not a success with a warning.
        kind = "not_feed" if problem.startswith("not served as XML") else "malformed"
        return ParsedFeed(None, (), error=FeedError(kind, f"{problem}; no readable entries"))
    if problem:
        notes.insert(0, f"{problem}; {len(entries)} entries kept")
    if duplicates:
        notes.append(f"{duplicates} duplicate entries (same link or guid) skipped")
    if empty:
        notes.append(f"{empty} entries with no title, link or text skipped")
    if undated:
        notes.append(f"{undated} entries without a usable date (first-seen time used)")
    if classify_failures:
        notes.append(f"classifier failed on {classify_failures} entries (left unclassified)")
    return ParsedFeed(feed_title, tuple(entries), warning="; ".join(notes) or None)


def _addresses(raw: Any, feed_url: str) -> tuple[str | None, str | None]:
    """An entry's canonical link and guid."""
    link = canonical_url(_get(raw, "link"), feed_url)
    guid = _get(raw, "id")  # feedparser stores <guid> as "id"
    guid = cap(str(guid).strip(), MAX_GUID_CHARS) if guid else None
    if not link and guid and (_get(raw, "guidislink") or guid.startswith(("http://", "https://"))):
        # Many RSS feeds put the only link in <guid isPermaLink="true">.
        link = canonical_url(guid, feed_url)
    return link, guid


def _links_shared_by_distinct_guids(addresses: list[tuple[str | None, str | None]]) -> set[str]:
    """Links that several entries with different guids point to (a podcast's home page, a
    day's page of a microblog): there the link names a page, not the entry, so the guid is
    the identity. Entries sharing a link and a guid (or having no guid) stay duplicates."""
    guids: dict[str, set[str | None]] = {}
    for link, guid in addresses:
        if link:
            guids.setdefault(link, set()).add(guid)
    return {link for link, seen in guids.items() if len(seen - {None}) > 1}


def _entry(
    raw: Any, link: str | None, guid: str | None, link_is_identity: bool,
    feed_url: str, feed_date: datetime | None, fetched_at: datetime,
) -> EntryData | None:
    summary_html = _get(raw, "summary")
    if not summary_html:
        content = _get(raw, "content") or []
        summary_html = content[0].get("value") if content else None
    summary = html_to_text(summary_html, MAX_SUMMARY_CHARS)
    title = html_to_text(_get(raw, "title"), MAX_TITLE_CHARS)
    if not title and not summary and not link and not guid:
        return None
    identity = identity_key(link if link_is_identity or not guid else None, guid, feed_url, title, summary)
    if not title:
        title = cap(summary, FALLBACK_TITLE_CHARS) if summary else (link or "(untitled)")
    published, is_fallback = entry_date(
        (struct_to_utc(_get(raw, k)) for k in ("published_parsed", "updated_parsed", "created_parsed")),
        feed_date or fetched_at,
        fetched_at,
    )
    author = html_to_text(_get(raw, "author"), MAX_AUTHOR_CHARS) or None
    return EntryData(
        identity=identity, url=link, guid=guid, title=title, summary=summary, author=author,
        published_at=published, date_is_fallback=is_fallback,
        content_sha256=content_hash(title, summary, link),
    )


def _with_classification(entry: EntryData, result: Any) -> EntryData:
    classified = Classified(
        relevant=bool(result.relevant),
        themes=tuple(str(t) for t in result.themes),
        scores={str(k): float(v) for k, v in dict(result.scores).items()},
        stance=result.stance,
        evidence=tuple(str(e) for e in result.evidence),
        version=str(result.version),
    )
    return replace(entry, classification=classified)


def _bozo_reason(doc: Any) -> str:
    exc = doc.get("bozo_exception")
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "CharacterEncodingOverride":
        return f"wrong encoding declaration: {text}"
    if name == "CharacterEncodingUnknown":
        return f"unknown character encoding: {text}"
    if name == "NonXMLContentType":
        return f"not served as XML: {text}"
    if name == "SAXParseException" or "SAX" in name:
        message = getattr(exc, "getMessage", lambda: text)()
        line = getattr(exc, "getLineNumber", lambda: None)()
        message = _SAX_POSITION.sub("", str(message))
        return f"malformed XML: {message}" + (f" at line {line}" if line else "")
    if isinstance(exc, (UnicodeError, LookupError)):
        return f"wrong encoding: {text}"
    return f"malformed feed: {name}: {text}" if text else f"malformed feed: {name}"


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class ParsePool:
    """A process pool for `parse_document`; rebuilt if a worker dies."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # forkserver: no fork of a process that runs an event loop and database threads.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["bot.ingest.parse", "feedparser"])
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._executor

    async def parse(
        self, body: bytes, url: str, content_type: str | None, fetched_at: datetime,
        classify: Classifier | None = None, max_entries: int = MAX_ENTRIES,
    ) -> ParsedFeed:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self._pool(), parse_document, body, url, content_type, fetched_at, classify, max_entries,
            )
        except BrokenProcessPool:
            self.close()
            return ParsedFeed(None, (), error=FeedError("parser", "the parser process crashed on this document"))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> "ParsePool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
