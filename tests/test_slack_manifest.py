"""The Slack app manifest creates an app with exactly what the code needs."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.adapters.slack_app import BOT_SCOPES, EVENTS_PATH, SLASH_COMMAND

MANIFEST = yaml.safe_load((Path(__file__).parent.parent / "slack" / "manifest.yml").read_text())


def test_manifest_asks_for_the_scopes_the_app_requests_at_installation():
    assert tuple(MANIFEST["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES


def test_manifest_declares_the_slash_command_on_the_events_path():
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == SLASH_COMMAND
    assert command["url"].endswith(EVENTS_PATH)
    assert command["usage_hint"]


def test_manifest_subscribes_to_uninstall_events_and_enables_the_share_button():
    settings = MANIFEST["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_uninstalled", "tokens_revoked"}
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert settings["socket_mode_enabled"] is False
    assert MANIFEST["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
