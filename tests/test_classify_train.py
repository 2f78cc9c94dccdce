"""`briefbot train`: fitting the learned layer that makes the final decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.classify import Classifier, default_classifier
from bot.classify.evaluate import evaluate, load_labeled, split_path
from bot.classify.theme_file import DEFAULT_THEME_FILE
from bot.classify.train import file_digest
from bot.cli import main
from bot.themes import THEME_IDS


def _theme_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "themes.yaml"
    copy.write_text(DEFAULT_THEME_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    return copy


def test_train_writes_the_layer_the_theme_file_names_and_the_classifier_uses_it(tmp_path: Path, capsys) -> None:
    themes = _theme_copy(tmp_path)
    assert main(["train", "--themes", str(themes)]) == 0
    captured = capsys.readouterr()
    assert "training the learned layer on" in captured.err and "capability-race:" in captured.err
    assert "wrote " in captured.out and "briefbot reclassify" in captured.out
    layer = json.loads((tmp_path / "learned.json").read_text(encoding="utf-8"))
    assert layer["themes"] == list(THEME_IDS) and len(layer["intercepts"]) == len(THEME_IDS)
    assert layer["trained_with"]["items"] == len(load_labeled(split_path("dev")))
    classifier = Classifier.load(themes)
    assert classifier.layer is not None
    # Trained on the dev split, it fits it well: a check that training and classifying read the same features.
    assert evaluate(classifier, load_labeled(split_path("dev"))).macro_f1 >= 0.9


def test_the_bundled_layer_is_trained_on_the_bundled_dev_split() -> None:
    # After adding labelled items, run `briefbot train` so the layer learns from them.
    assert default_classifier().layer.trained_with["data"] == file_digest(split_path("dev"))


def test_train_needs_examples_with_and_without_every_theme(tmp_path: Path, capsys) -> None:
    data = tmp_path / "few.jsonl"
    data.write_text(json.dumps({"id": "1", "title": "US tightens AI chip export controls", "summary": "",
                                "themes": ["export-controls-compute"], "stance": "neutral"}) + "\n", encoding="utf-8")
    assert main(["train", str(data), "--themes", str(_theme_copy(tmp_path))]) == 2
    assert "need items with and without" in capsys.readouterr().err
    assert not (tmp_path / "learned.json").exists()


def test_a_theme_file_without_a_layer_needs_an_out_file(tmp_path: Path, capsys) -> None:
    themes = tmp_path / "themes.yaml"
    themes.write_text(DEFAULT_THEME_FILE.read_text(encoding="utf-8").replace(
        "learned_layer: learned.json", "learned_layer: null"), encoding="utf-8")
    assert main(["train", "--themes", str(themes)]) == 2
    assert "names no learned_layer file; pass --out FILE" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["[]", "''", "3"])
def test_a_learned_layer_entry_that_is_not_a_file_name_is_an_error(tmp_path: Path, value: str) -> None:
    from bot.classify.theme_file import load_theme_file
    from bot.errors import ConfigError

    themes = tmp_path / "themes.yaml"
    themes.write_text(DEFAULT_THEME_FILE.read_text(encoding="utf-8").replace(
        "learned_layer: learned.json", f"learned_layer: {value}"), encoding="utf-8")
    with pytest.raises(ConfigError, match="learned_layer: must be a file name"):
        load_theme_file(themes)
