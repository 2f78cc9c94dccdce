"""A tiny classifier with the product classifier's contract, for tests of the ingest hook.

Module level, so the parse worker processes can import it by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Classification:
    themes: tuple[str, ...]
    scores: dict[str, float] = field(default_factory=dict)
    stance: str | None = None
    relevant: bool = False
    evidence: tuple[str, ...] = ()
    version: str = "test-1"


def classify(title: str, summary: str) -> Classification:
    text = f"{title} {summary}".lower()
    themes = tuple(t for t, word in (("hotline", "hotline"), ("compute", "chip")) if word in text)
    return Classification(
        themes=themes,
        scores={t: 0.9 for t in themes},
        stance="engagement" if themes else None,
        relevant=bool(themes),
        evidence=tuple(f"mentions {t}" for t in themes),
    )
