"""The learned layer: a logistic model per theme over the rules' scores and the item's words.

Why it exists: the rules are written by hand from the labelled items, and on items
they have never seen they keep or miss a theme that the words around their phrases
would settle. A per-theme logistic regression that reads the rules' scores and
decisions plus the item's word stems (title words and pairs, the lead of the
summary) corrects that; on labelled items the rules were never tuned on it lifted
macro-F1 (see the README). It stays explainable and deterministic: the rules still
give the evidence, and a theme the layer adds is shown with the words that weighed
most for it.

The layer is a JSON file of weights written by `briefbot train` (scikit-learn is
needed only there); applying it is a few hundred dictionary lookups in plain Python.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from bot.errors import ConfigError
from bot.themes import THEME_IDS

FORMAT = 1
# The summary's lead carries its subject; later words are mostly context.
SUMMARY_WORDS = 120
# Summary words count half as much as title words, which state the main subject.
SUMMARY_VALUE = 0.5
# A theme is chosen when the layer's probability reaches this.
THRESHOLD = 0.5


def features(title_words: Sequence[str], summary_words: Sequence[str],
             scores: dict[str, float], chosen: Iterable[str]) -> dict[str, float]:
    """Feature name -> value; the same function serves training and classification."""
    out: dict[str, float] = {}
    for w in title_words:
        out["t:" + w] = 1.0
    for a, b in zip(title_words, title_words[1:]):
        out["t:" + a + "_" + b] = 1.0
    lead = summary_words[:SUMMARY_WORDS]
    for w in lead:
        out["s:" + w] = SUMMARY_VALUE
    for a, b in zip(lead, lead[1:]):
        out["s:" + a + "_" + b] = SUMMARY_VALUE
    for tid, score in scores.items():
        if score:
            out["r:" + tid] = score
    for tid in chosen:
        out["p:" + tid] = 1.0
    return out


@dataclass(frozen=True)
class LearnedLayer:
    path: str
    digest: str  # short hash of the file's bytes: part of the classifier version
    intercepts: tuple[float, ...]  # per theme, THEME_IDS order
    weights: dict[str, tuple[tuple[int, float], ...]]  # feature -> ((theme index, weight), ...)
    trained_with: dict  # what it was trained on: theme file digest, items, data digest

    def logits(self, feats: dict[str, float]) -> list[float]:
        z = list(self.intercepts)
        weights = self.weights
        for name, value in feats.items():
            row = weights.get(name)
            if row:
                for k, w in row:
                    z[k] += w * value
        return z

    def probabilities(self, feats: dict[str, float]) -> dict[str, float]:
        return {tid: _sigmoid(z) for tid, z in zip(THEME_IDS, self.logits(feats))}

    def strongest_words(self, theme_id: str, feats: dict[str, float]) -> list[tuple[float, str]]:
        """The item's word features that weigh most for a theme, strongest first: (contribution, name)."""
        k = THEME_IDS.index(theme_id)
        found = []
        for name, value in feats.items():
            if name[0] in "ts":
                for index, w in self.weights.get(name, ()):
                    if index == k and w > 0:
                        found.append((w * value, name))
        return sorted(found, reverse=True)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def load_learned_layer(path: str | Path) -> LearnedLayer:
    """Read and check a layer file; ConfigError names the file and what is wrong."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"learned layer {path}: cannot read ({exc.strerror or exc}); the theme file's learned_layer names it: "
            "write it with `briefbot train --themes FILE`, or set `learned_layer: null` to use the rules alone"
        ) from exc
    try:
        data = json.loads(raw)
        return parse_learned_layer(data, str(path), hashlib.sha256(raw).hexdigest()[:8])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(f"learned layer {path}: {exc}; run `briefbot train` to write it again") from exc


def parse_learned_layer(data: dict, where: str, digest: str) -> LearnedLayer:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown format {data.get('format')!r} (this version reads {FORMAT})")
    if list(data["themes"]) != list(THEME_IDS):
        raise ValueError("its themes are not the current theme ids")
    intercepts = tuple(float(b) for b in data["intercepts"])
    if len(intercepts) != len(THEME_IDS):
        raise ValueError("needs one intercept per theme")
    weights: dict[str, tuple[tuple[int, float], ...]] = {}
    for name, row in data["weights"].items():
        pairs = tuple((int(k), float(w)) for k, w in row)
        if any(not 0 <= k < len(THEME_IDS) for k, _ in pairs):
            raise ValueError(f"feature {name!r}: theme index out of range")
        weights[str(name)] = pairs
    return LearnedLayer(where, digest, intercepts, weights, dict(data.get("trained_with") or {}))
