"""`briefbot classify` and `briefbot eval` as a user runs them."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bot.classify import default_classifier
from bot.classify.cli import classify_stream
from bot.cli import main
from bot.themes import THEME_IDS


def test_classify_writes_one_json_line_per_item_keeping_id_and_link() -> None:
    lines = io.StringIO(
        json.dumps({"id": "a", "title": "BIS adds Chinese AI chip firms to the entity list", "summary": "", "link": "https://x.org/1"})
        + "\n\n"
        + json.dumps({"title": "Apple unveils a new iPhone", "summary": "Better camera."}) + "\n"
    )
    out, err = io.StringIO(), io.StringIO()
    assert classify_stream(default_classifier(), lines, out, err) == 0
    first, second = (json.loads(x) for x in out.getvalue().splitlines())
    assert first["id"] == "a" and first["link"] == "https://x.org/1"
    assert first["themes"] == ["export-controls-compute"] and first["relevant"] is True
    assert first["stance"] in ("engagement", "pressure", "neutral") and first["evidence"]
    assert set(first["scores"]) == set(THEME_IDS)
    assert second["themes"] == [] and second["relevant"] is False and second["stance"] is None
    assert err.getvalue() == ""


def test_a_bad_line_is_reported_by_number_and_the_rest_still_classified() -> None:
    lines = io.StringIO('{"title": "AI export controls", "summary": ""}\nnot json\n[1]\n{"title": 5}\n{"summary": "chips"}\n')
    out, err = io.StringIO(), io.StringIO()
    assert classify_stream(default_classifier(), lines, out, err) == 1
    assert len(out.getvalue().splitlines()) == 2
    assert "line 2: not valid JSON" in err.getvalue()
    assert "line 3:" in err.getvalue() and "line 4:" in err.getvalue()


def test_classify_reads_a_file_path(tmp_path: Path, capsys) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps({"title": "Xi chairs Politburo study session on AI", "summary": ""}) + "\n", encoding="utf-8")
    assert main(["classify", str(path)]) == 0
    assert "china-ai-governance" in json.loads(capsys.readouterr().out)["themes"]


def test_a_broken_theme_file_is_one_clear_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "themes.yaml"
    bad.write_text("themes:\n  - id: chips\n    description: x\n    phrases: {chip: 1}\n", encoding="utf-8")
    assert main(["classify", "--themes", str(bad), str(tmp_path / "none.jsonl")]) == 2
    assert "themes[0] (chips): id: unknown theme id" in capsys.readouterr().err


def test_eval_prints_per_theme_scores_and_the_worst_examples(tmp_path: Path, capsys) -> None:
    path = tmp_path / "labeled.jsonl"
    rows = [
        {"id": "1", "title": "US tightens AI chip export controls", "summary": "", "source": "t",
         "themes": ["export-controls-compute"], "stance": "neutral", "relevant": True},
        {"id": "2", "title": "Apple unveils iPhone", "summary": "", "source": "t", "themes": ["loss-of-control"],
         "stance": "neutral", "relevant": True},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["eval", str(path)]) == 0
    out = capsys.readouterr().out
    for word in ("export-controls-compute", "macro-F1", "relevance", "stance accuracy", "worst misclassified", "[2] Apple"):
        assert word in out
