"""Loading and validating `feeds.yaml`: one clear error naming the entry and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError

FeedKind = Literal["news", "think-tank", "newsletter", "government"]
FEED_KINDS: tuple[str, ...] = ("news", "think-tank", "newsletter", "government")


class FeedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000)
    kind: FeedKind
    poll_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value.strip()


@dataclass(frozen=True)
class FeedsFile:
    path: Path
    feeds: tuple[FeedEntry, ...]


def load_feeds(path: Path) -> FeedsFile:
    """Read and validate a feeds file; raise ConfigError with one readable line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: feeds file not found (set --feeds or BRIEFBOT_FEEDS)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read feeds file: {exc}") from None
    return parse_feeds(text, path)


def parse_feeds(text: str, path: Path = Path("feeds.yaml")) -> FeedsFile:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if isinstance(data, dict) and "feeds" in data:
        data = data["feeds"]
    if not isinstance(data, list):
        raise ConfigError(f"{path}: expected a list of feeds under 'feeds:'")
    feeds: list[FeedEntry] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data, start=1):
        label = _label(index, raw)
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: {label}: expected a mapping with name, url and kind")
        try:
            entry = FeedEntry.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "entry"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field (allowed: name, url, kind, poll_minutes)"
            elif err["type"] == "literal_error":
                msg = f"must be one of {', '.join(FEED_KINDS)}"
            raise ConfigError(f"{path}: {label}: field '{field}': {msg}") from None
        if entry.url in seen:
            raise ConfigError(f"{path}: {label}: field 'url': duplicate of entry {seen[entry.url]}")
        seen[entry.url] = index
        feeds.append(entry)
    return FeedsFile(path=path, feeds=tuple(feeds))


def _label(index: int, raw: object) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
        return f'entry {index} ("{raw["name"]}")'
    return f"entry {index}"
