"""Theme classification: which themes an item is about, how strongly, its stance, and why.

`classify(title, summary)` is the entry point the poller calls (in its parse
worker processes; it is a picklable module-level function that loads the
default theme file once per process). `Classifier` loads any theme file, for the
`classify`/`eval` commands and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.classify.engine import Matcher
from bot.classify.theme_file import DEFAULT_THEME_FILE, ThemeFile, load_theme_file

# Bump when the scoring code changes; the theme file's hash is appended.
ENGINE_VERSION = "kw9"


@dataclass(frozen=True)
class Classification:
    themes: tuple[str, ...]  # ids in bot.themes.THEME_IDS order
    scores: dict[str, float]  # every theme id -> [0, 1]
    stance: str | None  # engagement | pressure | neutral; None when not relevant
    relevant: bool
    evidence: tuple[str, ...]  # plain-text phrases or sentences, each at most 160 characters
    version: str

    def explain(self) -> str:
        """One plain-text line for consoles and digests: themes, stance and why."""
        if not self.relevant:
            return "off-topic (no theme)"
        why = " | ".join(f"“{e}”" for e in self.evidence)
        return f"{', '.join(self.themes)} · {self.stance}" + (f" · why: {why}" if why else "")

    def to_dict(self) -> dict:
        return {
            "themes": list(self.themes),
            "scores": dict(self.scores),
            "stance": self.stance,
            "relevant": self.relevant,
            "evidence": list(self.evidence),
            "classifier_version": self.version,
        }


class Classifier:
    """A classifier for one theme file (validated on load: ConfigError names the bad entry)."""

    def __init__(self, theme_file: ThemeFile) -> None:
        self.theme_file = theme_file
        self.version = f"{ENGINE_VERSION}-{theme_file.digest}" if theme_file.digest else ENGINE_VERSION
        self._matcher = Matcher(theme_file)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_THEME_FILE) -> "Classifier":
        return cls(load_theme_file(path))

    def classify(self, title: str, summary: str) -> Classification:
        r = self._matcher.classify(title if isinstance(title, str) else "", summary if isinstance(summary, str) else "")
        return Classification(r.themes, r.scores, r.stance, r.relevant, r.evidence, self.version)


_default: Classifier | None = None


def default_classifier() -> Classifier:
    global _default
    if _default is None:
        _default = Classifier.load(DEFAULT_THEME_FILE)
    return _default


def classify(title: str, summary: str) -> Classification:
    """Classify one item with the bundled theme file (loaded once per process)."""
    return default_classifier().classify(title, summary)


def classifier_version() -> str:
    return default_classifier().version


# The version of the bundled theme file and code; stored with every item.
def __getattr__(name: str) -> str:
    if name == "CLASSIFIER_VERSION":
        return classifier_version()
    raise AttributeError(name)


__all__ = ["Classification", "Classifier", "classify", "classifier_version", "default_classifier", "CLASSIFIER_VERSION"]
