"""Theme classification: which themes an item is about, how strongly, its stance, and why.

`classify(title, summary)` is the entry point the poller calls (in its parse
worker processes; it is a picklable module-level function that loads the
default theme file once per process). `Classifier` loads any theme file, for the
`classify`/`eval` commands and tests.

Two stages: the theme file's rules (engine.py) score every theme and find the
evidence; when the theme file names a learned layer (learned.py), that layer makes
the final decision from the rules' scores and the item's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.classify.engine import Matcher
from bot.classify.learned import THRESHOLD as LEARNED_THRESHOLD
from bot.classify.learned import LearnedLayer, load_learned_layer
from bot.classify.theme_file import DEFAULT_THEME_FILE, ThemeFile, load_theme_file

# Bump when the scoring code changes; the theme file's hash is appended.
ENGINE_VERSION = "kw7"


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
    """A classifier for one theme file and its learned layer, if the file names one.

    Both are validated on load: a ConfigError names the bad entry or file.
    """

    def __init__(self, theme_file: ThemeFile, layer: LearnedLayer | None = None) -> None:
        self.theme_file = theme_file
        self.layer = layer
        version = f"{ENGINE_VERSION}-{theme_file.digest}" if theme_file.digest else ENGINE_VERSION
        self.version = f"{version}-{layer.digest}" if layer is not None and layer.digest else version
        self._matcher = Matcher(theme_file)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_THEME_FILE) -> "Classifier":
        theme_file = load_theme_file(path)
        layer = load_learned_layer(theme_file.learned_layer) if theme_file.learned_layer else None
        return cls(theme_file, layer)

    def rules_only(self) -> "Classifier":
        """The same theme file without its learned layer (what the layer is trained on)."""
        return self if self.layer is None else Classifier(self.theme_file)

    def threshold(self, theme_id: str) -> float:
        """The score at which a theme is chosen."""
        if self.layer is not None:
            return LEARNED_THRESHOLD
        return next(t.threshold for t in self.theme_file.themes if t.id == theme_id)

    def classify(self, title: str, summary: str) -> Classification:
        r = self._matcher.classify(title if isinstance(title, str) else "", summary if isinstance(summary, str) else "",
                                   self.layer)
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
