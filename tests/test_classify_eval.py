"""Classifier quality on the held-out test split (tests/data/classify-test.jsonl): the targets are specs."""

from __future__ import annotations

import pytest

from bot.classify import default_classifier
from bot.classify.evaluate import evaluate, format_report, load_labeled, split_path


@pytest.fixture(scope="module")
def report():
    return evaluate(default_classifier(), load_labeled(split_path("test")))


def test_the_test_split_is_large_enough_to_mean_something(report) -> None:
    assert report.n >= 100


def test_macro_f1_over_the_eleven_themes_is_at_least_0_85(report) -> None:
    assert report.macro_f1 >= 0.85, format_report(report, "test split")


def test_relevance_f1_is_at_least_0_92(report) -> None:
    assert report.relevance.f1 >= 0.92, format_report(report, "test split")


def test_stance_accuracy_is_at_least_0_75(report) -> None:
    assert report.stance_accuracy >= 0.75, format_report(report, "test split")
