"""Classifier quality on the held-out test split (tests/data/classify-test.jsonl).

The targets are macro-F1 >= 0.85 over the eleven themes, relevance F1 >= 0.92
and stance accuracy >= 0.75. Targets not yet met are marked xfail (with the
current number in the reason) and guarded by a floor a little below today's level:
one flipped label in a rare theme moves macro-F1 by about 0.005 on 184 items, so the
floor leaves room for that and fails on a real regression. Remove the xfail once a
target is reached.

A failing check prints the aggregate numbers only, never the split's items: the test
split is reported on, not tuned on (`briefbot eval PATH` prints the full report).
"""

from __future__ import annotations

import pytest

from bot.classify import default_classifier
from bot.classify.evaluate import Report, evaluate, load_labeled, split_path


def numbers(report: Report, split: str) -> str:
    return (f"{split}: macro-F1 {report.macro_f1:.4f}, relevance F1 {report.relevance.f1:.4f}, "
            f"stance accuracy {report.stance_accuracy:.4f} over {report.n} items")


@pytest.fixture(scope="module")
def report():
    return evaluate(default_classifier(), load_labeled(split_path("test")))


def test_the_test_split_is_large_enough_to_mean_something(report) -> None:
    assert report.n >= 150


@pytest.mark.xfail(reason="macro-F1 on the test split is 0.824 (dev 0.891, frozen sets 6 and 7 0.869 and 0.861): below the 0.85 target", strict=False)
def test_macro_f1_over_the_eleven_themes_reaches_the_target(report) -> None:
    assert report.macro_f1 >= 0.85, numbers(report, "test split")


def test_macro_f1_does_not_regress(report) -> None:
    assert report.macro_f1 >= 0.815, numbers(report, "test split")


def test_relevance_f1_reaches_the_target_of_0_92(report) -> None:
    assert report.relevance.f1 >= 0.92, numbers(report, "test split")


def test_relevance_f1_does_not_regress(report) -> None:
    assert report.relevance.f1 >= 0.945, numbers(report, "test split")


def test_stance_accuracy_is_at_least_0_75(report) -> None:
    assert report.stance_accuracy >= 0.75, numbers(report, "test split")


@pytest.fixture(scope="module")
def holdout():
    return evaluate(default_classifier(), load_labeled(split_path("holdout")))


def test_the_independently_written_holdout_items_meet_the_targets(holdout) -> None:
    # Written from THEMES.md alone, never tuned on: a check that the definitions generalise.
    assert holdout.macro_f1 >= 0.85, numbers(holdout, "holdout")
    assert holdout.relevance.f1 >= 0.92, numbers(holdout, "holdout")
    assert holdout.stance_accuracy >= 0.75, numbers(holdout, "holdout")
