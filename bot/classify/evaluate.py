"""Measuring the classifier against labeled items (tests/data/classify-{dev,test}.jsonl).

A labeled line: {"id", "title", "summary", "source", "themes": [...], "stance", "relevant"}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.classify import Classification, Classifier
from bot.errors import ConfigError
from bot.themes import STANCES, THEME_IDS

DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "data"


def split_path(split: str) -> Path:
    return DATA_DIR / f"classify-{split}.jsonl"


@dataclass(frozen=True)
class Labeled:
    id: str
    title: str
    summary: str
    themes: frozenset[str]
    stance: str | None
    relevant: bool


def load_labeled(path: str | Path) -> list[Labeled]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"labeled data {path}: cannot read ({exc.strerror or exc})") from exc
    items: list[Labeled] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            themes = frozenset(row.get("themes") or [])
            unknown = themes - set(THEME_IDS)
            if unknown:
                raise ValueError(f"unknown theme(s) {sorted(unknown)}")
            stance = row.get("stance")
            if stance is not None and stance not in STANCES:
                raise ValueError(f"unknown stance {stance!r}")
            items.append(Labeled(
                id=str(row.get("id", number)), title=row.get("title") or "", summary=row.get("summary") or "",
                themes=themes, stance=stance, relevant=bool(row.get("relevant", bool(themes))),
            ))
        except (ValueError, AttributeError, TypeError) as exc:
            raise ConfigError(f"labeled data {path}: line {number}: {exc}") from exc
    return items


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, gold: bool, predicted: bool) -> None:
        self.tp += gold and predicted
        self.fp += predicted and not gold
        self.fn += gold and not predicted


@dataclass(frozen=True)
class Miss:
    item: Labeled
    predicted: Classification
    errors: int
    margin: float  # how far the wrong scores were from the threshold: bigger is worse


@dataclass
class Report:
    n: int = 0
    per_theme: dict[str, PRF] = field(default_factory=lambda: {t: PRF() for t in THEME_IDS})
    relevance: PRF = field(default_factory=PRF)
    stance_right: int = 0
    stance_total: int = 0  # items relevant in both the labels and the prediction
    stance_right_all: int = 0
    stance_total_all: int = 0  # items relevant in the labels (a missed item counts as wrong)
    misses: list[Miss] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        return sum(m.f1 for m in self.per_theme.values()) / len(self.per_theme)

    @property
    def stance_accuracy(self) -> float:
        return self.stance_right / self.stance_total if self.stance_total else 1.0

    @property
    def stance_accuracy_all(self) -> float:
        return self.stance_right_all / self.stance_total_all if self.stance_total_all else 1.0

    def worst(self, n: int = 10) -> list[Miss]:
        return sorted(self.misses, key=lambda m: (-m.errors, -m.margin, m.item.id))[:n]


def evaluate(classifier: Classifier, items: list[Labeled]) -> Report:
    report = Report()
    threshold = {t.id: t.threshold for t in classifier.theme_file.themes}
    for item in items:
        c = classifier.classify(item.title, item.summary)
        report.n += 1
        errors, margin = 0, 0.0
        for tid in THEME_IDS:
            gold, predicted = tid in item.themes, tid in c.themes
            report.per_theme[tid].add(gold, predicted)
            if gold != predicted:
                errors += 1
                margin += abs(c.scores[tid] - threshold[tid])
        report.relevance.add(item.relevant, c.relevant)
        if item.relevant and item.stance:
            report.stance_total_all += 1
            report.stance_right_all += c.stance == item.stance
            if c.relevant:
                report.stance_total += 1
                report.stance_right += c.stance == item.stance
                errors += c.stance != item.stance
        if item.relevant != c.relevant:
            errors += 1
        if errors:
            report.misses.append(Miss(item, c, errors, margin))
    return report


def format_report(report: Report, title: str, worst: int = 10) -> str:
    lines = [title, "", f"{'theme':<28}{'prec':>7}{'recall':>8}{'F1':>7}{'gold':>6}"]
    for tid, m in report.per_theme.items():
        lines.append(f"{tid:<28}{m.precision:>7.3f}{m.recall:>8.3f}{m.f1:>7.3f}{m.tp + m.fn:>6}")
    r = report.relevance
    lines += [
        "",
        f"items                       {report.n}",
        f"macro-F1 (11 themes)        {report.macro_f1:.3f}",
        f"relevance                   precision {r.precision:.3f}  recall {r.recall:.3f}  F1 {r.f1:.3f}",
        f"stance accuracy             {report.stance_accuracy:.3f}  ({report.stance_right}/{report.stance_total} items relevant in labels and prediction)",
        f"stance accuracy, strict     {report.stance_accuracy_all:.3f}  ({report.stance_right_all}/{report.stance_total_all} labeled relevant; a missed item counts as wrong)",
    ]
    misses = report.worst(worst)
    if misses:
        lines += ["", f"worst misclassified ({len(misses)} of {len(report.misses)}):"]
        for m in misses:
            gold = ",".join(sorted(m.item.themes, key=THEME_IDS.index)) or "off-topic"
            got = ",".join(m.predicted.themes) or "off-topic"
            lines.append(f"- [{m.item.id}] {_short(m.item.title, 90)}")
            lines.append(f"    expected {gold} / {m.item.stance or '-'}")
            lines.append(f"    got      {got} / {m.predicted.stance or '-'}")
            if m.predicted.evidence:
                lines.append(f"    because  {' | '.join(_short(e, 70) for e in m.predicted.evidence)}")
    return "\n".join(lines)


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def calibrate(classifier: Classifier, items: list[Labeled]) -> dict[str, tuple[float, float, float]]:
    """Per theme: (best threshold, F1 there, F1 at the current threshold), searched over 0.30–0.80.

    Run on the development split only; copy a threshold into the theme file when
    it clearly beats the current one (ties go to the value nearest 0.5).
    """
    scored = [(classifier.classify(i.title, i.summary).scores, i.themes) for i in items]
    current = {t.id: t.threshold for t in classifier.theme_file.themes}
    out: dict[str, tuple[float, float, float]] = {}
    for tid in THEME_IDS:
        def f1_at(cut: float) -> float:
            m = PRF()
            for scores, gold in scored:
                m.add(tid in gold, scores[tid] >= cut)
            return m.f1

        candidates = [round(0.30 + 0.01 * k, 2) for k in range(51)]
        best = max(candidates, key=lambda cut: (round(f1_at(cut), 4), -abs(cut - 0.5)))
        out[tid] = (best, f1_at(best), f1_at(current[tid]))
    return out
