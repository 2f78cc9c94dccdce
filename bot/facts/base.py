"""The curated fact file: read, validate, and turn into plain records.

Pure code on plain data; storage/facts.py puts the result in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.themes import THEME_IDS
from bot.yaml_file import read_yaml

DEFAULT_FACTS_FILE = Path(__file__).parent / "facts.yaml"
SIDES = ("engagement", "pressure")
MAX_QUOTE_WORDS = 25
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    outlet: str
    kind: str | None = None
    year: int | None = None
    side: str | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        return f"{self.outlet}, {self.year}" if self.year else self.outlet


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str
    role: str | None = None
    where: str | None = None


@dataclass(frozen=True)
class FactRecord:
    id: str
    claim: str
    source: str
    themes: tuple[str, ...]
    entities: tuple[str, ...]
    side: str | None = None
    quote: Quote | None = None
    date: str | None = None
    event: bool = False
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactBase:
    sources: dict[str, Source]
    entities: dict[str, Entity]
    facts: tuple[FactRecord, ...]
    digest: str = ""  # sha256 of the file's bytes: unchanged file, nothing to do
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def load_fact_file(path: Path | str = DEFAULT_FACTS_FILE) -> FactBase:
    path = Path(path)
    data, digest = read_yaml(path, "fact file")
    return parse_fact_base(data, where=str(path), digest=digest)


def parse_fact_base(data: Any, *, where: str = "fact file", digest: str = "") -> FactBase:
    """Validate the whole file; the first problem raises ConfigError naming the fact and field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with sources, entities and facts")
    sources = {sid: _source(sid, body, where) for sid, body in _mapping(data, "sources", where).items()}
    entities = {eid: _entity(eid, body, where) for eid, body in _mapping(data, "entities", where).items()}
    raw_facts = data.get("facts")
    if not isinstance(raw_facts, list) or not raw_facts:
        raise ConfigError(f"{where}: 'facts' must be a non-empty list")
    facts: list[FactRecord] = []
    seen: set[str] = set()
    for index, body in enumerate(raw_facts):
        fact = _fact(index, body, sources, entities, where)
        if fact.id in seen:
            raise ConfigError(f"{where}: fact '{fact.id}': id used twice")
        seen.add(fact.id)
        facts.append(fact)
    return FactBase(sources=sources, entities=entities, facts=tuple(facts), digest=digest, version=int(data.get("version") or 1))


def _mapping(data: dict, key: str, where: str) -> dict:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where}: '{key}' must be a non-empty mapping")
    return value


def _text(value: Any, what: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, (str, int, float)) or not str(value).strip():
        raise ConfigError(f"{what}: must be non-empty text")
    return str(value).strip()


def _source(sid: str, body: Any, where: str) -> Source:
    what = f"{where}: source '{sid}'"
    if not isinstance(body, dict):
        raise ConfigError(f"{what}: expected a mapping")
    year = body.get("year")
    if year is not None and not isinstance(year, int):
        raise ConfigError(f"{what}: field 'year' must be a year like 2025")
    side = body.get("side")
    if side is not None and side not in SIDES:
        raise ConfigError(f"{what}: field 'side' must be one of {', '.join(SIDES)}")
    return Source(
        id=str(sid), title=_text(body.get("title"), f"{what}: field 'title'"),
        outlet=_text(body.get("outlet"), f"{what}: field 'outlet'"),
        kind=_text(body.get("kind"), f"{what}: field 'kind'", required=False), year=year, side=side,
        url=_text(body.get("url"), f"{what}: field 'url'", required=False),
    )


def _entity(eid: str, body: Any, where: str) -> Entity:
    what = f"{where}: entity '{eid}'"
    if not isinstance(body, dict):
        raise ConfigError(f"{what}: expected a mapping")
    aliases = body.get("aliases") or []
    if not isinstance(aliases, list):
        raise ConfigError(f"{what}: field 'aliases' must be a list")
    return Entity(id=str(eid), name=_text(body.get("name"), f"{what}: field 'name'"),
                  aliases=tuple(str(a).strip() for a in aliases if str(a).strip()))


def _fact(index: int, body: Any, sources: dict, entities: dict, where: str) -> FactRecord:
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: fact #{index + 1}: expected a mapping")
    fid = str(body.get("id") or "")
    what = f"{where}: fact '{fid or f'#{index + 1}'}'"
    if not _ID.match(fid):
        raise ConfigError(f"{what}: field 'id' must be lower-case words joined by hyphens")
    source = body.get("source")
    if source not in sources:
        raise ConfigError(f"{what}: field 'source': unknown source '{source}' (known: {', '.join(sources)})")
    themes = body.get("themes") or []
    if not isinstance(themes, list):
        raise ConfigError(f"{what}: field 'themes' must be a list")
    for theme in themes:
        if theme not in THEME_IDS:
            raise ConfigError(f"{what}: field 'themes': unknown theme '{theme}'")
    ents = body.get("entities") or []
    if not isinstance(ents, list):
        raise ConfigError(f"{what}: field 'entities' must be a list")
    for ent in ents:
        if ent not in entities:
            raise ConfigError(f"{what}: field 'entities': unknown entity '{ent}'")
    side = body.get("side")
    if side is not None and side not in SIDES:
        raise ConfigError(f"{what}: field 'side' must be engagement, pressure or null")
    date = body.get("date")
    if date is not None:
        date = str(date)
        if not _DATE.match(date):
            raise ConfigError(f"{what}: field 'date' must look like YYYY, YYYY-MM or YYYY-MM-DD")
    quote = None
    if body.get("quote") is not None:
        q = body["quote"]
        if not isinstance(q, dict):
            raise ConfigError(f"{what}: field 'quote' must be a mapping with text and speaker")
        text = _text(q.get("text"), f"{what}: field 'quote.text'")
        if len(text.split()) > MAX_QUOTE_WORDS:
            raise ConfigError(f"{what}: field 'quote.text' is longer than {MAX_QUOTE_WORDS} words")
        quote = Quote(text=text, speaker=_text(q.get("speaker"), f"{what}: field 'quote.speaker'"),
                      role=_text(q.get("role"), f"{what}: field 'quote.role'", required=False),
                      where=_text(q.get("where"), f"{what}: field 'quote.where'", required=False))
    event = body.get("event", False)
    if not isinstance(event, bool):
        raise ConfigError(f"{what}: field 'event' must be true or false")
    if event and date is None:
        raise ConfigError(f"{what}: field 'date' is needed when 'event' is true")
    keywords = body.get("keywords") or []
    if not isinstance(keywords, list):
        raise ConfigError(f"{what}: field 'keywords' must be a list")
    return FactRecord(
        id=fid, claim=_text(body.get("claim"), f"{what}: field 'claim'"), source=source,
        themes=tuple(themes), entities=tuple(ents), side=side, quote=quote, date=date, event=event,
        keywords=tuple(str(k) for k in keywords),
    )


def search_head(fact: FactRecord, entities: dict[str, Entity]) -> str:
    """The most heavily weighted search text: id words, entity names and aliases, keywords, speaker."""
    parts = [fact.id.replace("-", " ")]
    for eid in fact.entities:
        entity = entities[eid]
        parts.append(entity.name)
        parts.extend(entity.aliases)
    parts.extend(fact.keywords)
    if fact.quote:
        parts.append(fact.quote.speaker)
    return " ; ".join(parts)
