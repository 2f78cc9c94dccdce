"""`briefbot ask` and `briefbot shell`: the console adapter over the same command core."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.adapters.console import demo_replies
from bot.cli import main
from bot.facts.load import load_facts
from bot.runtime import Runtime
from bot.settings import get_settings


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_ask_prints_the_cited_fact(sqlite_env, capsys):
    assert main(["ask", "/brief fact what is TC260?"]) == 0
    out = capsys.readouterr().out
    assert "tc260-profile" in out and "Source:" in out


def test_ask_json_prints_the_platform_neutral_reply(sqlite_env, capsys):
    assert main(["ask", "--json", "fact", "hotline", "agreement"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["kind"] == "ok" and reply["private"] is True
    assert reply["sections"][0]["entries"][0]["citation"]["label"]


def test_ask_exits_zero_when_nothing_is_found(sqlite_env, capsys):
    assert main(["ask", "/brief fact qqqqzzzz"]) == 0
    assert "No fact found" in capsys.readouterr().out


def test_shell_answers_lines_with_or_without_brief_and_quits(sqlite_env):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{sqlite_env / 'cli.db'}", "HOME": str(sqlite_env)}
    done = subprocess.run([sys.executable, "-m", "bot", "shell"], input="help\n/brief fact LTBT\nquit\n",
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "/brief timeline" in done.stdout and "limited-test-ban-treaty-1963" in done.stdout


async def test_demo_replies_answer_a_few_representative_commands(sqlite_db):
    await load_facts(sqlite_db)  # as open_runtime does at start
    pairs = await demo_replies(Runtime(settings=None, db=sqlite_db))
    assert len(pairs) >= 3 and all(reply.title for _, reply in pairs)
    assert pairs[0][1].kind == "ok"
