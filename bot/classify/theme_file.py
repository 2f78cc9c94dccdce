"""Loading and validating the theme file (bot/classify/themes.yaml or a user's copy).

Every problem is a ConfigError that names the entry and the field, so a user
tuning the file sees exactly what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.themes import STANCES, THEME_IDS
from bot.yaml_file import read_yaml

DEFAULT_THEME_FILE = Path(__file__).with_name("themes.yaml")


@dataclass(frozen=True)
class ThemeDef:
    id: str
    description: str
    requires: tuple[tuple[str, ...], ...]  # every entry must be met; an entry is met by any of its groups
    phrases: dict[str, float]  # phrase (entities and aliases included) -> weight
    negative: dict[str, float]
    examples: tuple[str, ...]
    threshold: float
    # Concept rules: (groups that must all occur, groups none of which may occur, weight, title only).
    # Each entry of `all`/`none` is a tuple of alternative context groups.
    rules: tuple[tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...], float, bool], ...] = ()


@dataclass(frozen=True)
class ThemeFile:
    path: str
    digest: str  # short hash of the file's bytes: part of the classifier version
    scale: float
    threshold: float
    title_boost: float
    missing_context_factor: float
    companion_threshold: float  # further themes of an item that already has one
    secondary_ratio: float  # a further theme needs at least this share of the top theme's score
    summary_only_ratio: float  # the same share for a theme only the summary supports, when the title names another
    relevance_floor: float  # best theme of an AI item about the US or China, when none reaches its threshold
    relevance_requires: tuple[tuple[str, ...], ...]  # context groups every relevant item has (`requires` syntax)
    contexts: dict[str, tuple[str, ...]]
    off_topic: dict[str, float]
    stance_min: float
    stance_news_min: float  # margin needed when the item has no argument cue
    argument_cues: tuple[str, ...]
    stance_cues: dict[str, dict[str, float]]  # engagement|pressure -> phrase -> weight
    themes: tuple[ThemeDef, ...]  # in THEME_IDS order


def load_theme_file(path: str | Path = DEFAULT_THEME_FILE) -> ThemeFile:
    path = Path(path)
    data, digest = read_yaml(path, "theme file")
    return parse_theme_file(data, str(path), digest[:10])


def parse_theme_file(data: Any, where: str = "<theme file>", digest: str = "") -> ThemeFile:
    if not isinstance(data, dict):
        raise ConfigError(f"theme file {where}: expected a mapping at the top level")
    contexts_raw = data.get("contexts") or {}
    if not isinstance(contexts_raw, dict):
        raise ConfigError(f"theme file {where}: 'contexts' must map a group name to a list of terms")
    contexts = {str(name): _terms(terms, f"contexts.{name}", where) for name, terms in contexts_raw.items()}

    stance_raw = data.get("stance") or {}
    if not isinstance(stance_raw, dict):
        raise ConfigError(f"theme file {where}: 'stance' must be a mapping")
    stance_cues = {}
    for side in ("engagement", "pressure"):
        stance_cues[side] = _weights(stance_raw.get(side) or {}, f"stance.{side}", where)
    for key in stance_raw:
        if key not in ("min", "news_min", "argument", "engagement", "pressure"):
            raise ConfigError(f"theme file {where}: stance.{key}: unknown field (stances are {', '.join(STANCES[:2])})")

    entries = data.get("themes")
    if not isinstance(entries, list):
        raise ConfigError(f"theme file {where}: 'themes' must be a list of theme entries")
    by_id: dict[str, ThemeDef] = {}
    default_threshold = _number(data.get("threshold", 0.5), "threshold", where, 0.0, 1.0)
    for index, entry in enumerate(entries):
        theme = _theme(entry, index, where, contexts, default_threshold)
        if theme.id in by_id:
            raise ConfigError(f"theme file {where}: themes[{index}] ({theme.id}): id: defined twice")
        by_id[theme.id] = theme
    missing = [tid for tid in THEME_IDS if tid not in by_id]
    if missing:
        raise ConfigError(f"theme file {where}: themes: missing theme(s) {', '.join(missing)}")

    return ThemeFile(
        path=where,
        digest=digest,
        scale=_number(data.get("scale", 2.0), "scale", where, 0.01, 1000.0),
        threshold=default_threshold,
        title_boost=_number(data.get("title_boost", 1.5), "title_boost", where, 0.0, 10.0),
        missing_context_factor=_number(data.get("missing_context_factor", 0.25), "missing_context_factor", where, 0.0, 1.0),
        companion_threshold=_number(data.get("companion_threshold", default_threshold), "companion_threshold", where, 0.0, 1.0),
        secondary_ratio=_number(data.get("secondary_ratio", 0.0), "secondary_ratio", where, 0.0, 1.0),
        summary_only_ratio=_number(data.get("summary_only_ratio", data.get("secondary_ratio", 0.0)), "summary_only_ratio",
                                   where, 0.0, 1.0),
        relevance_floor=_number(data.get("relevance_floor", 1.0), "relevance_floor", where, 0.0, 1.0),
        relevance_requires=_requires(data.get("relevance_requires"), "relevance_requires", where, contexts),
        contexts=contexts,
        off_topic=_weights(data.get("off_topic") or {}, "off_topic", where),
        stance_min=_number(stance_raw.get("min", 1.0), "stance.min", where, 0.0, 100.0),
        stance_news_min=_number(stance_raw.get("news_min", stance_raw.get("min", 1.0)), "stance.news_min", where, 0.0, 100.0),
        argument_cues=_terms(stance_raw.get("argument") or [], "stance.argument", where) if stance_raw.get("argument") else (),
        stance_cues=stance_cues,
        themes=tuple(by_id[tid] for tid in THEME_IDS),
    )


def _requires(raw: Any, field: str, where: str, contexts: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """A list of entries, each met by any of its "a|b" context groups."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"theme file {where}: {field}: must be a list of context groups (\"a|b\" means either)")
    out: list[tuple[str, ...]] = []
    for req in raw:
        groups = tuple(g.strip() for g in str(req).split("|"))
        for group in groups:
            if group not in contexts:
                raise ConfigError(f"theme file {where}: {field}: unknown context group {group!r}")
        out.append(groups)
    return tuple(out)


def _theme(entry: Any, index: int, where: str, contexts: dict[str, tuple[str, ...]], default_threshold: float) -> ThemeDef:
    if not isinstance(entry, dict):
        raise ConfigError(f"theme file {where}: themes[{index}]: expected a mapping with id, description, phrases")
    tid = entry.get("id")
    label = f"themes[{index}] ({tid})"
    if tid not in THEME_IDS:
        raise ConfigError(
            f"theme file {where}: {label}: id: unknown theme id {tid!r} (known: {', '.join(THEME_IDS)})"
        )
    known = {"id", "description", "requires", "rules", "phrases", "entities", "negative", "examples", "threshold"}
    for key in entry:
        if key not in known:
            raise ConfigError(f"theme file {where}: {label}: {key}: unknown field (known: {', '.join(sorted(known))})")
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"theme file {where}: {label}: description: must be non-empty text")

    requires = _requires(entry.get("requires"), f"{label}: requires", where, contexts)

    phrases = _weights(entry.get("phrases"), f"{label}: phrases", where, required=True)
    entities = entry.get("entities") or []
    if not isinstance(entities, list):
        raise ConfigError(f"theme file {where}: {label}: entities: must be a list of {{name, aliases, weight}}")
    for j, ent in enumerate(entities):
        if not isinstance(ent, dict) or not isinstance(ent.get("name"), str) or not ent["name"].strip():
            raise ConfigError(f"theme file {where}: {label}: entities[{j}]: needs a name")
        weight = _number(ent.get("weight", 1.0), f"{label}: entities[{j}].weight", where, -100.0, 100.0)
        aliases = _terms(ent.get("aliases") or [], f"{label}: entities[{j}].aliases", where)
        for name in (ent["name"], *aliases):
            phrases.setdefault(name, weight)
    rules = _rules(entry.get("rules") or [], label, where, contexts)
    examples = entry.get("examples") or []
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise ConfigError(f"theme file {where}: {label}: examples: must be a list of sentences")
    return ThemeDef(
        id=tid,
        description=" ".join(description.split()),
        requires=tuple(requires),
        phrases=phrases,
        negative=_weights(entry.get("negative") or {}, f"{label}: negative", where),
        examples=tuple(examples),
        threshold=_number(entry.get("threshold", default_threshold), f"{label}: threshold", where, 0.0, 1.0),
        rules=rules,
    )


def _groups(value: Any, field: str, where: str, contexts: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list) or not all(isinstance(g, str) and g.strip() for g in value):
        raise ConfigError(f"theme file {where}: {field}: must be a list of context group names (\"a|b\" means either)")
    out = []
    for entry in value:
        alternatives = tuple(g.strip() for g in entry.split("|"))
        for group in alternatives:
            if group not in contexts:
                raise ConfigError(f"theme file {where}: {field}: unknown context group {group!r}")
        out.append(alternatives)
    return tuple(out)


def _rules(value: Any, label: str, where: str, contexts: dict[str, tuple[str, ...]]):
    if not isinstance(value, list):
        raise ConfigError(f"theme file {where}: {label}: rules: must be a list of {{all, none, weight}}")
    out = []
    for j, rule in enumerate(value):
        field = f"{label}: rules[{j}]"
        if not isinstance(rule, dict):
            raise ConfigError(f"theme file {where}: {field}: expected a mapping with all, none, weight")
        for key in rule:
            if key not in ("all", "none", "weight", "title"):
                raise ConfigError(f"theme file {where}: {field}: {key}: unknown field (known: all, none, title, weight)")
        if not isinstance(rule.get("title", False), bool):
            raise ConfigError(f"theme file {where}: {field}.title: must be true or false")
        if not rule.get("all"):
            raise ConfigError(f"theme file {where}: {field}: all: must list at least one context group")
        out.append((
            _groups(rule["all"], f"{field}.all", where, contexts),
            _groups(rule.get("none") or [], f"{field}.none", where, contexts),
            _number(rule.get("weight", 1.0), f"{field}.weight", where, 0.0, 100.0),
            bool(rule.get("title", False)),
        ))
    return tuple(out)


def _weights(value: Any, field: str, where: str, required: bool = False) -> dict[str, float]:
    if value is None or (required and not value):
        raise ConfigError(f"theme file {where}: {field}: must map at least one phrase to a weight")
    if not isinstance(value, dict):
        raise ConfigError(f"theme file {where}: {field}: must map phrases to weights (phrase: 1.5)")
    out: dict[str, float] = {}
    for phrase, weight in value.items():
        if not isinstance(phrase, (str, int, float)) or isinstance(phrase, bool) or not str(phrase).strip():
            raise ConfigError(f"theme file {where}: {field}: {phrase!r}: a phrase must be non-empty text")
        out[str(phrase)] = _number(weight, f"{field}: {phrase!r}", where, -100.0, 100.0)
    return out


def _terms(value: Any, field: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(t, (str, int, float)) and str(t).strip() for t in value):
        raise ConfigError(f"theme file {where}: {field}: must be a list of non-empty terms")
    return tuple(str(t) for t in value)


def _number(value: Any, field: str, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"theme file {where}: {field}: must be a number, got {value!r}")
    if not low <= float(value) <= high:
        raise ConfigError(f"theme file {where}: {field}: must be between {low:g} and {high:g}, got {value!r}")
    return float(value)
