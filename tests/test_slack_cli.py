"""`briefbot slack` explains missing settings in one line instead of starting half-configured."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.settings import get_settings

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env file from the working directory
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def run_slack(capsys) -> tuple[int, str]:
    code = main(["slack"])
    return code, capsys.readouterr().err.strip()


def test_without_a_signing_secret_it_says_where_to_find_it(env, capsys):
    code, err = run_slack(capsys)
    assert code == 2
    assert err.count("\n") == 0 and "SLACK_SIGNING_SECRET is not set" in err


def test_without_a_bot_token_it_says_how_to_get_one(env, capsys):
    env.setenv("SLACK_SIGNING_SECRET", "s3cret-value")
    code, err = run_slack(capsys)
    assert code == 2 and "SLACK_BOT_TOKEN is not set" in err
    assert "s3cret-value" not in err


def test_half_configured_oauth_is_refused(env, capsys):
    env.setenv("SLACK_SIGNING_SECRET", "s")
    env.setenv("SLACK_CLIENT_ID", "111.222")
    code, err = run_slack(capsys)
    assert code == 2 and "SLACK_CLIENT_SECRET" in err


def test_socket_mode_needs_an_app_level_token(env, capsys):
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_APP_TOKEN", "xoxb-wrong-kind")
    code, err = run_slack(capsys)
    assert code == 2 and "xapp-" in err and "xoxb-wrong-kind" not in err


def test_an_empty_variable_counts_as_unset(env, capsys):
    env.setenv("SLACK_SIGNING_SECRET", "s")
    env.setenv("SLACK_BOT_TOKEN", "")
    code, err = run_slack(capsys)
    assert code == 2 and "SLACK_BOT_TOKEN is not set" in err
