"""`briefbot train`: fit the learned layer (learned.py) to labelled items.

The layer reads the rules' scores, so train it again after editing the theme
file. Training needs scikit-learn (the `train` extra; `make install-test` has
it); classifying does not.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bot.classify import Classifier
from bot.classify.engine import item_words
from bot.classify.evaluate import Labeled
from bot.classify.learned import FORMAT, features
from bot.errors import ConfigError
from bot.themes import THEME_IDS

# L2 strength (scikit-learn's C: larger fits the items more closely). The default
# of 1 was kept: on items the rules had never seen it beat the rules alone.
C = 1.0
# Weights this small change no decision on their own; dropping them keeps the file
# small and the layer fast.
PRUNE_BELOW = 0.05


@dataclass(frozen=True)
class TrainedLayer:
    document: dict  # the layer file's content
    features: int  # distinct features kept
    weights: int  # non-zero weights kept


def train(classifier: Classifier, items: list[Labeled], data_digest: str = "",
          progress: Callable[[str], None] = lambda _: None) -> TrainedLayer:
    try:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:
        raise ConfigError("training needs scikit-learn: pip install -e '.[train]' "
                          "(the test install, `make install-test`, has it)") from exc
    rules = classifier.rules_only()
    rows = []
    for item in items:
        r = rules.classify(item.title, item.summary)
        title_words, summary_words = item_words(item.title, item.summary)
        rows.append(features(title_words, summary_words, r.scores, r.themes))
    vectorizer = DictVectorizer(sort=True)
    matrix = vectorizer.fit_transform(rows)
    names = vectorizer.get_feature_names_out()
    intercepts: list[float] = []
    weights: dict[str, list[list]] = {}
    for k, tid in enumerate(THEME_IDS):
        labels = [tid in item.themes for item in items]
        if all(labels) or not any(labels):
            raise ConfigError(f"train: the labelled items need items with and without {tid}")
        progress(f"{tid}: {sum(labels)} of {len(items)} items")
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(matrix, labels)
        intercepts.append(round(float(model.intercept_[0]), 4))
        for name, w in zip(names, model.coef_[0]):
            if abs(w) >= PRUNE_BELOW:
                weights.setdefault(str(name), []).append([k, round(float(w), 4)])
    document = {
        "format": FORMAT,
        "themes": list(THEME_IDS),
        "trained_with": {"theme_file": rules.theme_file.digest, "items": len(items), "data": data_digest,
                         "C": C, "prune_below": PRUNE_BELOW},
        "intercepts": intercepts,
        "weights": dict(sorted(weights.items())),
    }
    return TrainedLayer(document, len(weights), sum(len(row) for row in weights.values()))


def write_layer(document: dict, path: str | Path) -> None:
    """One feature per line (readable diffs), written whole or not at all."""
    path = Path(path)
    head = {k: v for k, v in document.items() if k != "weights"}
    lines = [json.dumps(name, ensure_ascii=False) + ": " + json.dumps(row, separators=(",", ":"))
             for name, row in document["weights"].items()]
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "weights": {\n' + ",\n".join(lines) + "\n}}\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]
