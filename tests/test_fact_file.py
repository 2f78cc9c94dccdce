"""The curated fact file: what it must contain, and how a broken file is reported."""

from __future__ import annotations

import copy

import pytest
import yaml

from bot.errors import ConfigError
from bot.facts.base import (
    DEFAULT_FACTS_FILE,
    MAX_QUOTE_WORDS,
    load_fact_file,
    parse_fact_base,
)
from bot.themes import THEME_IDS

RAW = yaml.safe_load(DEFAULT_FACTS_FILE.read_text())


def broken(edit) -> dict:
    data = copy.deepcopy(RAW)
    edit(data)
    return data


def test_bundled_file_has_at_least_sixty_cited_facts_with_known_themes():
    base = load_fact_file()
    assert len(base.facts) >= 60
    assert all(f.source in base.sources and f.themes and set(f.themes) <= set(THEME_IDS) for f in base.facts)
    assert base.digest


def test_quotes_are_short_and_attributed():
    for fact in load_fact_file().facts:
        if fact.quote:
            assert fact.quote.speaker and len(fact.quote.text.split()) <= MAX_QUOTE_WORDS


def test_the_named_acronyms_have_entities():
    aliases = {a.lower() for e in load_fact_file().entities.values() for a in (e.name, *e.aliases)}
    for acronym in ("tc260", "nist", "aiia", "frontier model forum", "pla", "waic", "bis"):
        assert acronym in aliases


def test_both_sides_of_the_debate_are_covered_and_events_are_dated():
    facts = load_fact_file().facts
    assert {f.side for f in facts} >= {"engagement", "pressure"}
    events = [f for f in facts if f.event]
    assert len(events) >= 10 and all(f.date for f in events)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["facts"][0].__setitem__("themes", ["no-such-theme"]), "field 'themes': unknown theme 'no-such-theme'"),
        (lambda d: d["facts"][0].__setitem__("entities", ["nobody"]), "field 'entities': unknown entity 'nobody'"),
        (lambda d: d["facts"][0].__setitem__("source", "blog"), "field 'source': unknown source 'blog'"),
        (lambda d: d["facts"][0].__setitem__("date", "May 2024"), "field 'date'"),
        (lambda d: d["facts"][0].__setitem__("side", "neither"), "field 'side'"),
        (lambda d: d["facts"][0].__setitem__("quote", {"text": "word " * 30, "speaker": "X"}), "longer than 25 words"),
        (lambda d: d["facts"].append(copy.deepcopy(d["facts"][0])), "id used twice"),
    ],
)
def test_a_bad_fact_is_reported_by_its_id_and_field(edit, message):
    first_id = RAW["facts"][0]["id"]
    with pytest.raises(ConfigError) as err:
        parse_fact_base(broken(edit), where="facts.yaml")
    assert message in str(err.value)
    assert f"fact '{first_id}'" in str(err.value)


def test_unreadable_or_invalid_yaml_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_fact_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_fact_file(bad)
