"""The theme ids: a public contract (digests, subscriptions, classifier output).

Order here is the stable order digests use. Definitions for classification
live in bot/classify/themes.yaml; this module only names the themes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    blurb: str  # one line for `/brief topics`


THEMES: tuple[Theme, ...] = (
    Theme("us-china-dialogue", "US–China dialogue", "Government and track-2 talks between the US and China on AI risk."),
    Theme("export-controls-compute", "Export controls & compute", "Chip and chip-tool export controls, loopholes, enforcement; who has how much AI compute."),
    Theme("capability-race", "Capability race", "The US–China AI capability gap and the “race” framing."),
    Theme("arms-control-verification", "Arms control & verification", "Arms-control lessons for AI, verification, military AI and AI in nuclear command."),
    Theme("cbrn-cyber-misuse", "CBRN & cyber misuse", "AI misuse for biological, chemical, nuclear or cyber harm, and the thresholds for it."),
    Theme("loss-of-control", "Loss of control", "Advanced AI acting outside human control; catastrophic-risk warnings."),
    Theme("standards-evaluations", "Standards & evaluations", "Safety standards, testing and evaluation regimes, industry risk frameworks."),
    Theme("incident-response", "Incident response", "Incident reporting, AI hotlines, emergency response and early warning."),
    Theme("china-ai-governance", "China AI governance", "China’s domestic AI safety policy and politics."),
    Theme("us-ai-policy", "US AI policy", "US domestic AI policy and politics."),
    Theme("multilateral-governance", "Multilateral governance", "International AI governance: summits, the UN, G7/OECD, other bilateral channels."),
)

THEME_IDS: tuple[str, ...] = tuple(t.id for t in THEMES)
_BY_ID = {t.id: t for t in THEMES}
STANCES: tuple[str, ...] = ("engagement", "pressure", "neutral")


def get_theme(theme_id: str) -> Theme | None:
    return _BY_ID.get(theme_id)


def resolve_theme(text: str) -> Theme | None:
    """A theme from what a user typed: exact id, or an unambiguous prefix or name word ("export", "dialogue")."""
    key = text.strip().lower().lstrip("#")
    if key in _BY_ID:
        return _BY_ID[key]
    matches = [t for t in THEMES if t.id.startswith(key) or key in t.id.split("-") or key == t.name.lower()]
    return matches[0] if len(matches) == 1 else None
