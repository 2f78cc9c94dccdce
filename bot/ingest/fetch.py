"""Fetching feed documents over HTTP: async, bounded, polite and conditional.

One `Fetcher` holds an httpx client for a whole poll. Every outcome is a
`FetchResult` (ok / not_modified / error); the fetcher never raises for a
network or HTTP problem, so one bad feed cannot stop a cycle.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import urlsplit

import httpx

from bot import USER_AGENT

ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 7 * 24 * 3600

ErrorKind = Literal[
    "dns", "refused", "connect", "timeout", "tls", "http", "redirects", "too_large", "empty",
    "not_feed", "malformed", "parser", "invalid_url", "internal",
]


@dataclass(frozen=True)
class FeedError:
    """Why a feed could not be read: a machine `kind` and a reason for people."""

    kind: str
    reason: str
    retry_after: float | None = None  # seconds, from the server's Retry-After


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch told us, for a conditional GET and change detection."""

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None


@dataclass(frozen=True)
class FetchResult:
    status: Literal["ok", "not_modified", "error"]
    url: str
    final_url: str | None = None
    http_status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    error: FeedError | None = None


@dataclass(frozen=True)
class FetchLimits:
    max_concurrency: int = 64
    per_host_concurrency: int = 4
    max_body_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    max_redirects: int = MAX_REDIRECTS


class BodyTooLarge(Exception):
    pass


class Fetcher:
    """Use as `async with Fetcher(limits) as fetcher: await fetcher.fetch(url, validators)`."""

    def __init__(self, limits: FetchLimits | None = None, *, user_agent: str = USER_AGENT) -> None:
        self.limits = limits or FetchLimits()
        self._global = asyncio.Semaphore(self.limits.max_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        # One small connection pool per host rather than one big shared one: httpcore scans
        # its whole pool on every request, which costs more than the parsing on big polls.
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._ssl = ssl.create_default_context()
        self._user_agent = user_agent

    def _client(self, host: str) -> httpx.AsyncClient:
        client = self._clients.get(host)
        if client is None:
            client = self._clients[host] = httpx.AsyncClient(
                headers={"User-Agent": self._user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
                timeout=httpx.Timeout(
                    connect=self.limits.connect_timeout, read=self.limits.read_timeout,
                    write=self.limits.read_timeout, pool=None,
                ),
                limits=httpx.Limits(
                    max_connections=self.limits.per_host_concurrency,
                    max_keepalive_connections=self.limits.per_host_concurrency,
                ),
                verify=self._ssl,
                follow_redirects=True,
                max_redirects=self.limits.max_redirects,
            )
        return client

    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _host_limit(self, host: str) -> asyncio.Semaphore:
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = asyncio.Semaphore(self.limits.per_host_concurrency)
        return sem

    async def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        validators = validators or Validators()
        try:
            host = (urlsplit(url).hostname or "").lower()
            async with self._global, self._host_limit(host):
                async with asyncio.timeout(self.limits.total_timeout):
                    return await self._fetch(self._client(host), url, validators)
        except TimeoutError:
            return _error(url, "timeout", f"timed out after {self.limits.total_timeout:g} s")
        except BodyTooLarge:
            return _error(url, "too_large", f"body larger than {_size(self.limits.max_body_bytes)}")
        except httpx.TooManyRedirects:
            return _error(url, "redirects", f"too many redirects (more than {self.limits.max_redirects})")
        except httpx.TimeoutException as exc:
            phase = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for the server"
            return _error(url, "timeout", f"timed out {phase}")
        except httpx.ConnectError as exc:
            return _connect_error(url, exc)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return _error(url, "invalid_url", f"invalid URL: {exc}")
        except httpx.DecodingError:
            return _error(url, "http", "the server sent a body that does not match its Content-Encoding")
        except httpx.HTTPError as exc:
            return _error(url, "connect", f"network error: {_describe(exc)}")

    async def _fetch(self, client: httpx.AsyncClient, url: str, validators: Validators) -> FetchResult:
        headers = {}
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        async with client.stream("GET", url, headers=headers) as response:
            final_url = str(response.url)
            status = response.status_code
            if status == 304:
                return FetchResult(
                    status="not_modified", url=url, final_url=final_url, http_status=304,
                    etag=response.headers.get("etag") or validators.etag,
                    last_modified=response.headers.get("last-modified") or validators.last_modified,
                    body_sha256=validators.body_sha256,
                )
            if status >= 400 or status < 200:
                retry_after = parse_retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
                reason = f"HTTP {status} {response.reason_phrase or ''}".rstrip()
                if retry_after is not None:
                    reason += f" (retry after {retry_after:g} s)"
                return FetchResult(
                    status="error", url=url, final_url=final_url, http_status=status,
                    error=FeedError("http", reason, retry_after),
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and "content-encoding" not in response.headers:
                if int(declared) > self.limits.max_body_bytes:
                    raise BodyTooLarge
            chunks: list[bytes] = []
            size = 0
            # aiter_bytes yields decoded (gunzipped) bytes, so the cap also stops compression bombs.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.limits.max_body_bytes:
                    raise BodyTooLarge
                chunks.append(chunk)
            body = b"".join(chunks)
            etag = response.headers.get("etag")
            last_modified = response.headers.get("last-modified")
            content_type = response.headers.get("content-type")
        if not body.strip():
            return FetchResult(
                status="error", url=url, final_url=final_url, http_status=status,
                error=FeedError("empty", "empty body: the server sent no content"),
            )
        digest = hashlib.sha256(body).hexdigest()
        if validators.body_sha256 == digest:
            # Same bytes as last time: nothing to parse.
            return FetchResult(
                status="not_modified", url=url, final_url=final_url, http_status=status,
                etag=etag, last_modified=last_modified, body_sha256=digest,
            )
        return FetchResult(
            status="ok", url=url, final_url=final_url, http_status=status, body=body,
            content_type=content_type, etag=etag, last_modified=last_modified, body_sha256=digest,
        )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped at a week."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return float(min(max(seconds, 0.0), MAX_RETRY_AFTER))


def _error(url: str, kind: str, reason: str) -> FetchResult:
    return FetchResult(status="error", url=url, error=FeedError(kind, reason))


def _connect_error(url: str, exc: httpx.ConnectError) -> FetchResult:
    host = urlsplit(url).hostname or url
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return _error(url, "dns", f"DNS lookup failed for {host}")
        if isinstance(cause, ConnectionRefusedError):
            return _error(url, "refused", f"connection refused by {host}")
        if isinstance(cause, ssl.SSLError):
            return _error(url, "tls", f"TLS error with {host}: {cause.reason or cause}")
    text = str(exc).lower()
    if "name or service not known" in text or "nodename nor servname" in text or "name resolution" in text:
        return _error(url, "dns", f"DNS lookup failed for {host}")
    if "refused" in text:
        return _error(url, "refused", f"connection refused by {host}")
    if "ssl" in text or "certificate" in text:
        return _error(url, "tls", f"TLS error with {host}: {_describe(exc)}")
    return _error(url, "connect", f"cannot connect to {host}: {_describe(exc)}")


def _causes(exc: BaseException):
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"
