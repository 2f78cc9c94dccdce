"""`briefbot discord`: invite link, command registration, and a clear error without a token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.adapters.discord_cli import BOT_PERMISSIONS, application_id, invite_url, sync
from bot.cli import main
from bot.settings import Settings, get_settings
from tests.discord_support.standin import APP_ID


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("DISCORD_TOKEN", "DISCORD_APPLICATION_ID", "DISCORD_GUILD_ID", "DISCORD_API_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_invite_url_asks_for_bot_and_commands_scopes_and_minimal_permissions():
    query = parse_qs(urlsplit(invite_url(123)).query)
    assert query["client_id"] == ["123"]
    assert query["scope"] == ["bot applications.commands"]
    permissions = int(query["permissions"][0])
    assert permissions == BOT_PERMISSIONS.value
    # View Channel, Send Messages, Embed Links, Read Message History, Send Messages in Threads: nothing else.
    assert permissions == (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 38) == 274877991936


def test_invite_url_from_the_configured_application_id(monkeypatch, capsys):
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "123456789012345678")
    assert main(["discord", "--invite-url"]) == 0
    assert "client_id=123456789012345678" in capsys.readouterr().out


def test_missing_token_is_one_clear_line(capsys):
    assert main(["discord"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "DISCORD_TOKEN is not set" in err[0]


async def test_application_id_is_asked_of_discord_when_not_configured(standin):
    assert await application_id(Settings(DISCORD_TOKEN="t", DISCORD_API_URL=standin.url)) == APP_ID


async def test_sync_registers_commands_in_the_development_server(standin):
    count = await sync(Settings(DISCORD_TOKEN="t", DISCORD_API_URL=standin.url, DISCORD_GUILD_ID=42))
    assert count >= 1
    assert standin.matching("PUT", f"/applications/{APP_ID}/guilds/42/commands")
