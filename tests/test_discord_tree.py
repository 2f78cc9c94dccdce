"""The command tree Discord would register: names, options and descriptions within Discord's limits."""

from __future__ import annotations

import re

import pytest

from bot.adapters.discord_app import build_client, intents
from bot.adapters.discord_commands import SUBCOMMANDS, core_text
from bot.commands import CommandCore, Services
from bot.settings import Settings

NAME = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture
def tree_dicts() -> list[dict]:
    core = CommandCore(Services(db=None), modules=("tests.discord_support.commands",))
    client = build_client(Settings(), core)
    return [command.to_dict(client.tree) for command in client.tree.get_commands()]


def walk(command: dict):
    yield command
    for option in command.get("options", []):
        yield option
        if option["type"] in (1, 2):
            yield from walk(option)


def test_top_level_commands_are_brief_and_the_fact_shortcut(tree_dicts):
    assert [c["name"] for c in tree_dicts] == ["brief", "fact"]


def test_brief_has_every_core_subcommand_in_the_core_order(tree_dicts):
    brief = tree_dicts[0]
    names = [o["name"] for o in brief["options"]]
    assert names == [s.name for s in SUBCOMMANDS] + ["export"]  # a core command without a spec still gets one


def test_every_name_and_description_is_within_discord_limits(tree_dicts):
    for command in tree_dicts:
        for item in walk(command):
            assert NAME.match(item["name"]) and item["name"] == item["name"].lower(), item["name"]
            assert 1 <= len(item["description"]) <= 100, item["name"]
            assert len(item.get("options", [])) <= 25


def test_required_options_come_before_optional_ones(tree_dicts):
    for command in tree_dicts:
        for item in walk(command):
            required = [o.get("required", False) for o in item.get("options", []) if o["type"] not in (1, 2)]
            assert required == sorted(required, reverse=True), item["name"]


def test_options_are_typed_with_autocomplete_where_it_helps(tree_dicts):
    subs = {o["name"]: o for o in tree_dicts[0]["options"]}
    latest = {o["name"]: o for o in subs["latest"]["options"]}
    assert latest["theme"]["type"] == 3 and latest["theme"]["autocomplete"] is True
    assert latest["n"]["type"] == 4 and latest["n"]["min_value"] == 1 and latest["n"]["max_value"] == 25
    fact = subs["fact"]["options"][0]
    assert fact["name"] == "query" and fact["required"] is True and fact["autocomplete"] is True
    assert {o["name"] for o in subs["subscribe"]["options"]} == {"topic", "schedule"}


def test_intents_ask_for_guilds_only_and_nothing_privileged():
    wanted = intents()
    assert wanted.guilds
    assert not (wanted.members or wanted.presences or wanted.message_content)
    assert wanted.value == 1


@pytest.mark.parametrize(("values", "text"), [
    ({"topic": "export-controls-compute", "schedule": "daily 08:00 Europe/London"},
     "subscribe export-controls-compute daily 08:00 Europe/London"),
    ({"topic": '"chip smuggling"', "schedule": "instant"}, 'subscribe "chip smuggling" instant'),
    ({"topic": "chip smuggling", "schedule": None}, 'subscribe "chip smuggling"'),
])
def test_typed_values_translate_to_the_core_usage(values, text):
    spec = next(s for s in SUBCOMMANDS if s.name == "subscribe")
    assert core_text("subscribe", spec.params, values) == text
