"""Compose a digest: matching items grouped by theme, clustered by story, ranked.

Pure functions on plain data. Within a theme, primary documents (government
sources) come first, then analysis (think tanks, newsletters), then news.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.reply import Entry, Reply, Section
from bot.themes import THEMES, get_theme

PER_SECTION = 5
DOC_TYPES: dict[str, tuple[int, str]] = {
    "government": (0, "primary document"),
    "think-tank": (1, "analysis"),
    "newsletter": (1, "analysis"),
    "news": (2, "news"),
}
_UNKNOWN_DOC = (3, "news")
STANCE_BADGES = ("engagement", "pressure")
CLUSTER_SIMILARITY = 0.5
_STOPWORDS = frozenset(
    "the a an and or of to in on for with at by from as is are was were be its it that this over into after "
    "says say said new amid about than more will would could has have had not but".split()
)
_WORD = re.compile(r"[\w’'-]+", re.UNICODE)


@dataclass(frozen=True)
class Outlet:
    name: str
    kind: str  # feed kind: news | think-tank | newsletter | government
    url: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A stored item as the composer sees it."""

    item_id: int
    title: str
    url: str | None
    summary: str
    published_at: datetime
    scores: dict[str, float]
    stance: str | None = None
    evidence: tuple[str, ...] = ()
    outlets: tuple[Outlet, ...] = ()


@dataclass(frozen=True)
class Target:
    kind: str  # theme | keyword
    value: str


@dataclass
class Composed:
    reply: Reply
    item_ids: list[int] = field(default_factory=list)


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Case-insensitive whole-word match ("TC260" matches "TC260's" but not "XTC2600")."""
    return re.compile(r"(?<!\w)" + re.escape(keyword.strip()) + r"(?!\w)", re.IGNORECASE)


def matches_keyword(candidate: Candidate, keyword: str) -> bool:
    pattern = keyword_pattern(keyword)
    return bool(pattern.search(candidate.title) or pattern.search(candidate.summary))


def doc_type(candidate: Candidate) -> tuple[int, str]:
    return min((DOC_TYPES.get(o.kind, _UNKNOWN_DOC) for o in candidate.outlets), default=_UNKNOWN_DOC)


def clean(text: str, limit: int = 300) -> str:
    """One line, no control characters, bounded length: feed text is untrusted."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section_for(candidate: Candidate, targets: list[Target]) -> Target | None:
    """The one section an item goes in: its best-scoring subscribed theme, else the first matching keyword."""
    theme_order = {t.id: i for i, t in enumerate(THEMES)}
    themes = [t for t in targets if t.kind == "theme" and t.value in candidate.scores]
    if themes:
        return min(themes, key=lambda t: (-float(candidate.scores[t.value]), theme_order.get(t.value, 99)))
    keywords = sorted((t for t in targets if t.kind == "keyword"), key=lambda t: t.value.lower())
    return next((t for t in keywords if matches_keyword(candidate, t.value)), None)


def _tokens(title: str) -> frozenset[str]:
    return frozenset(w for w in (m.group(0).lower().strip("’'-") for m in _WORD.finditer(title)) if len(w) > 2 and w not in _STOPWORDS)


def same_story(a: frozenset[str], b: frozenset[str]) -> bool:
    shared = len(a & b)
    return shared >= 3 and shared / len(a | b) >= CLUSTER_SIMILARITY


def _rank(c: Candidate, target: Target) -> tuple:
    score = float(c.scores.get(target.value, 0.0)) if target.kind == "theme" else 0.0
    return (doc_type(c)[0], -score, -c.published_at.timestamp(), c.item_id)


def cluster(candidates: list[Candidate], target: Target) -> list[list[Candidate]]:
    """Greedy clustering by title overlap; each cluster is led by its best-ranked item."""
    clusters: list[tuple[frozenset[str], list[Candidate]]] = []
    for c in sorted(candidates, key=lambda c: _rank(c, target)):
        tokens = _tokens(c.title)
        for lead_tokens, members in clusters:
            if same_story(tokens, lead_tokens):
                members.append(c)
                break
        else:
            clusters.append((tokens, [c]))
    return [members for _, members in clusters]


def _entry(members: list[Candidate], target: Target) -> Entry:
    lead = members[0]
    rank, label = doc_type(lead)
    badges = [label]
    if lead.stance in STANCE_BADGES:
        badges.append(lead.stance)
    outlet = lead.outlets[0].name if lead.outlets else ""
    meta = [clean(outlet, 80), lead.published_at.strftime("%Y-%m-%d")]
    if target.kind == "theme":
        meta.append(f"score {float(lead.scores.get(target.value, 0.0)):.2f}")
    why = "; ".join(clean(e, 160).rstrip(" ;,") for e in lead.evidence[:2] if e)
    if target.kind == "keyword" and not why:
        why = f"mentions “{clean(target.value, 60)}”"
    sources: list[tuple[str, str | None]] = []
    if len(members) > 1:
        for m in members:
            name = clean(m.outlets[0].name, 80) if m.outlets else "unknown outlet"
            sources.append((name, m.url))
    return Entry(
        title=clean(lead.title) or "(untitled)",
        url=lead.url,
        text=f"Why it's here: {why}" if why else "",
        meta=" · ".join(p for p in meta if p),
        badges=tuple(badges),
        sources=tuple(sources),
    )


def heading(target: Target) -> str:
    if target.kind == "theme":
        theme = get_theme(target.value)
        return theme.name if theme else target.value
    return f"Watch: “{clean(target.value, 100)}”"


def order_targets(targets: list[Target]) -> list[Target]:
    theme_order = {t.id: i for i, t in enumerate(THEMES)}
    themes = sorted((t for t in targets if t.kind == "theme"), key=lambda t: theme_order.get(t.value, 99))
    keywords = sorted((t for t in targets if t.kind == "keyword"), key=lambda t: t.value.lower())
    return themes + keywords


def compose_digest(
    candidates: list[Candidate], targets: list[Target], *, label: str = "Briefing", per_section: int = PER_SECTION
) -> Composed | None:
    """The digest for these candidates, or None when nothing matches (no empty digests)."""
    by_section: dict[Target, list[Candidate]] = {}
    for c in candidates:
        target = section_for(c, targets)
        if target is not None:
            by_section.setdefault(target, []).append(c)
    if not by_section:
        return None
    sections: list[Section] = []
    item_ids: list[int] = []
    stories = 0
    for target in order_targets(list(by_section)):
        clusters = cluster(by_section[target], target)
        stories += len(clusters)
        item_ids.extend(c.item_id for members in clusters for c in members)
        shown = clusters[:per_section]
        sections.append(
            Section(heading=heading(target), entries=tuple(_entry(m, target) for m in shown), more=len(clusters) - len(shown))
        )
    n_items = len(item_ids)
    n_sections = len(sections)
    title = (
        f"{label}: {n_items} new item{'s' if n_items != 1 else ''}"
        + (f" ({stories} stories)" if stories != n_items else "")
        + f" in {n_sections} {'theme' if n_sections == 1 else 'themes'}"
    )
    return Composed(reply=Reply(title=title, sections=tuple(sections), private=False), item_ids=item_ids)


def compose_alert(candidate: Candidate, target: Target) -> Reply:
    section = Section(heading=heading(target), entries=(_entry([candidate], target),))
    return Reply(title=f"Alert: {heading(target)}", sections=(section,), private=False)
