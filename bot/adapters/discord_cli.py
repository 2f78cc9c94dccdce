"""`briefbot discord`: run the Discord bot, print its invite link, or register its slash commands."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

import discord

from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.adapters.discord_sink import DiscordSink

# What posting digests and answering commands needs, nothing more: no admin, no mention-everyone.
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    read_message_history=True,  # find an already posted digest after a crash
)
SCOPES = ("bot", "applications.commands")


def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("discord", help="run the Discord bot (needs DISCORD_TOKEN)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--invite-url", action="store_true", help="print the link a server admin opens to add the bot")
    action.add_argument("--sync", action="store_true",
                        help="register the slash commands (in DISCORD_GUILD_ID if set, else globally) and exit")
    parser.add_argument("--no-sync", action="store_true", help="run without registering the slash commands at start")
    parser.set_defaults(func=_discord)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=BOT_PERMISSIONS, scopes=SCOPES)


def _token(settings: Settings) -> str:
    if settings.discord_token is None:
        raise ConfigError("DISCORD_TOKEN is not set: copy the bot token from the Discord developer portal (Bot tab)")
    return settings.discord_token.get_secret_value()


async def application_id(settings: Settings) -> int:
    """DISCORD_APPLICATION_ID, or asked of Discord with the bot token."""
    if settings.discord_application_id:
        return settings.discord_application_id
    from bot.adapters.discord_app import apply_api_url

    apply_api_url(settings.discord_api_url)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(_token(settings))
        info = await http.application_info()
    except discord.LoginFailure:
        raise ConfigError("DISCORD_TOKEN was rejected by Discord") from None
    except (discord.HTTPException, OSError) as exc:
        raise ConfigError(f"cannot ask Discord for the application id ({exc}); set DISCORD_APPLICATION_ID") from None
    finally:
        await http.close()
    return int(info["id"])


async def sync(settings: Settings) -> int:
    from bot.adapters.discord_app import build_client, sync_commands
    from bot.commands import CommandCore, Services

    client = build_client(settings, CommandCore(Services(db=None)))
    try:
        await client.login(_token(settings))
        synced = await sync_commands(client.tree, settings.discord_guild_id)
    except discord.LoginFailure:
        raise ConfigError("DISCORD_TOKEN was rejected by Discord") from None
    finally:
        await client.close()
    return len(synced)


def _discord(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.invite_url:
        print(invite_url(asyncio.run(application_id(settings))))
        return 0
    if args.sync:
        count = asyncio.run(sync(settings))
        where = f"server {settings.discord_guild_id}" if settings.discord_guild_id else "all servers (may take up to an hour)"
        print(f"registered {count} slash commands in {where}")
        return 0
    _token(settings)  # fail with one clear line before opening the database

    async def run() -> None:
        from bot.adapters.discord_app import serve
        from bot.runtime import open_runtime

        async with open_runtime(settings) as rt:
            await serve(settings, rt.db, sync_on_start=not args.no_sync)

    try:
        asyncio.run(run())
    except discord.LoginFailure:
        raise ConfigError("DISCORD_TOKEN was rejected by Discord") from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError("Discord refused the intents; briefbot needs none that are privileged") from None
    return 0


def make_sink(rt: Runtime) -> DiscordSink | None:
    """The outbox's Discord sink, or None when Discord is not configured."""
    from bot.adapters.discord_sink import DiscordSink

    token = rt.settings.discord_token
    if token is None or not token.get_secret_value():
        return None
    return DiscordSink(token.get_secret_value(), api_url=rt.settings.discord_api_url)


def is_configured(rt: Runtime) -> bool:
    token = rt.settings.discord_token
    return token is not None and bool(token.get_secret_value())
