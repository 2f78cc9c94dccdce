"""Pure functions that turn what a feed says into clean, comparable data.

HTML to plain text, link canonicalization, dates to UTC, and the identity key
that makes one article one item across polls, restarts and feeds.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 4000
MAX_URL_CHARS = 2000
MAX_GUID_CHARS = 2000
MAX_AUTHOR_CHARS = 300

# Elements whose content is never readable text.
_INVISIBLE = re.compile(r"<(script|style|template|noscript|head)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|$)", re.S)
# Block-level boundaries become spaces so words on either side do not run together.
_BLOCK = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|section|article|hr|figure|figcaption|dd|dt)\b[^>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][^<>]*(?:>|$)|<![^<>]*>|<\?[^<>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")

# Query parameters that only track the reader, never select the content.
_TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "_hs", "ga_")
_TRACKING_NAMES = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "ref_src", "ref_url", "cmpid", "ncid", "ocid", "sr_share", "vero_id", "wt.mc_id",
    "oly_anon_id", "oly_enc_id", "rb_clickid", "s_cid", "spm", "__s",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A query parameter that parse_qsl and urlencode would hand back unchanged.
_PLAIN_PARAM = re.compile(r"[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*")


def html_to_text(value: str | None, max_chars: int) -> str:
    """Plain text from an HTML fragment: tags dropped, entities decoded, whitespace folded, capped."""
    if not value:
        return ""
    text = value
    if "<" in text:
        if "<!" in text:
            text = _CDATA.sub(r"\1", text)
            text = _COMMENT.sub(" ", text)
        text = _INVISIBLE.sub(" ", text)
        text = _BLOCK.sub(" ", text)
        text = _TAG.sub("", text)
    if "&" in text:
        # Twice: feeds often escape their HTML once more than they should ("&amp;amp;").
        text = html.unescape(html.unescape(text))
        if "<" in text:
            text = _TAG.sub("", text)
    text = _CONTROL.sub("", text)
    # split() folds the same Unicode whitespace as the regex \s, at a tenth of re.sub's cost.
    text = " ".join(text.split())
    return cap(text, max_chars)


def cap(text: str, max_chars: int) -> str:
    """At most max_chars characters, cut at a word boundary with an ellipsis when cut."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    if space > max_chars * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def canonical_url(link: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL without tracking parameters or fragment, or None when not a web link.

    Relative links resolve against `base` (the entry's or the feed's address).
    Scheme and host are lower-cased and default ports dropped; path and the
    remaining query are kept as they are, because servers may treat them
    case-sensitively and in order.
    """
    if not link:
        return None
    link = _CONTROL.sub("", link).strip()
    if not link:
        return None
    if base and not link.startswith(("http://", "https://")):  # an absolute link needs no joining
        try:
            link = urljoin(base, link)
        except ValueError:
            return None
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    path = parts.path or "/"
    query = parts.query
    if query:
        query = _without_tracking(query)
    url = urlunsplit((scheme, netloc, path, query, ""))
    return url if len(url) <= MAX_URL_CHARS else None


def _without_tracking(query: str) -> str:
    params = query.split("&")
    if all(_PLAIN_PARAM.fullmatch(param) for param in params):
        # The common case, without decoding and re-encoding: the same result, cheaper.
        kept = [param for param in params if not _is_tracking(param.partition("=")[0])]
        return query if len(kept) == len(params) else "&".join(kept)
    pairs = parse_qsl(query, keep_blank_values=True)
    kept_pairs = [(k, v) for k, v in pairs if not _is_tracking(k)]
    return query if len(kept_pairs) == len(pairs) else urlencode(kept_pairs, doseq=True)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def struct_to_utc(value: time.struct_time | tuple | None) -> datetime | None:
    """feedparser's parsed dates are UTC struct_time; None for missing or impossible dates."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(tuple(value)[:6] + (0, 0, 0)), tz=timezone.utc)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def entry_date(candidates: Iterable[datetime | None], fallback: datetime, now: datetime) -> tuple[datetime, bool]:
    """The first plausible date (not more than a day in the future), else the fallback.

    Returns (date, is_fallback).
    """
    horizon = now.timestamp() + 86400
    for value in candidates:
        if value is not None and value.year >= 1990 and value.timestamp() <= horizon:
            return value, False
    return fallback, True


def sha256_hex(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def identity_key(link: str | None, guid: str | None, feed_url: str, title: str, summary: str) -> str:
    """The stable identity of an item (at most 80 characters).

    The canonical link when there is one (so the same article in two feeds is
    one item), else the guid scoped to its feed (guids are only unique per
    feed), else a hash of feed, title and summary.
    """
    if link:
        return "link:" + sha256_hex(link)
    if guid:
        return "guid:" + sha256_hex(feed_url, guid)
    return "text:" + sha256_hex(feed_url, title, summary)


def content_hash(title: str, summary: str, link: str | None) -> str:
    """Changes when an item's visible content is edited."""
    return sha256_hex(title, summary, link or "")
