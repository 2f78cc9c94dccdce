"""/brief through discord.py's own app-command machinery, against a recording stand-in of Discord's API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord_app import BriefClient, build_client
from bot.commands import CommandCore, Services
from bot.settings import Settings
from tests.discord_support import interactions as ix
from tests.discord_support.standin import APP_ID, DiscordStandIn

EPHEMERAL = 64


async def make_bot(standin: DiscordStandIn, **kwargs) -> tuple[BriefClient, Services]:
    settings = Settings(DISCORD_API_URL=standin.url, DISCORD_TOKEN="test-token", **kwargs.pop("settings", {}))
    services = Services(db=None, extra={"gate": asyncio.Event()})
    core = CommandCore(services, modules=("tests.discord_support.commands",))
    client = build_client(settings, core, **kwargs)
    await client.login("test-token")
    return client, services


@pytest.fixture
async def bot(standin) -> AsyncIterator[tuple[BriefClient, Services]]:
    client, services = await make_bot(standin)
    yield client, services
    await client.close()


def callbacks(standin: DiscordStandIn) -> list:
    return standin.matching("POST", "/callback")


async def dispatch_and_wait(client, standin, payload, count: int = 1) -> list:
    before = len(callbacks(standin)) + len(standin.matching("POST", "/webhooks/"))
    client._connection.parse_interaction_create(payload)
    await standin.wait_for(lambda _: len(callbacks(standin)) + len(standin.matching("POST", "/webhooks/")) >= before + count)
    return standin.requests


async def test_lookup_replies_privately_with_embeds_a_share_button_and_no_mentions(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief("fact", ix.option("query", "hotline  between militaries")))
    body = callbacks(standin)[-1].body
    assert body["type"] == 4
    data = body["data"]
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == "fact: hotline between militaries"
    assert data["allowed_mentions"] == {"parse": []}
    button = data["components"][0]["components"][0]
    assert button["custom_id"] == "briefbot:share" and button["label"] == "Share in channel"


async def test_typed_options_become_the_core_text_form(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief(
        "subscribe", ix.option("topic", "export-controls-compute"), ix.option("schedule", "daily 08:00 Europe/London"),
        permissions=ix.MANAGE_CHANNELS | ix.VIEW_AND_SEND,
    ))
    title = callbacks(standin)[-1].body["data"]["embeds"][0]["title"]
    assert title == "subscribe: export-controls-compute daily 08:00 Europe/London"


async def test_keyword_with_spaces_reaches_the_core_as_one_quoted_word(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief(
        "subscribe", ix.option("topic", "chip smuggling"), permissions=ix.MANAGE_CHANNELS,
    ))
    assert "args=['chip smuggling']" in callbacks(standin)[-1].body["data"]["embeds"][0]["description"]


async def test_latest_passes_theme_and_count(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief("latest", ix.option("theme", "capability-race"), ix.option("n", 5)))
    assert callbacks(standin)[-1].body["data"]["embeds"][0]["title"] == "latest: capability-race 5"


async def test_subscription_change_without_manage_channels_is_politely_refused(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief("subscribe", ix.option("topic", "capability-race")))
    data = callbacks(standin)[-1].body["data"]
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == "You can't change this channel's subscriptions"
    assert "components" not in data or data["components"] == []


def join_guild(client) -> None:
    """The GUILD_CREATE Discord sends on connect (guilds intent): the server with its roles."""
    role = {"id": "555000000000000002", "name": "Briefing editors", "color": 0, "hoist": False, "position": 1,
            "permissions": "0", "managed": False, "mentionable": False, "flags": 0}
    everyone = dict(role, id=str(ix.GUILD_ID), name="@everyone", position=0)
    client._connection.parse_guild_create({
        "id": str(ix.GUILD_ID), "name": "Think tank", "owner_id": "1", "roles": [everyone, role], "channels": [],
        "members": [], "emojis": [], "stickers": [], "features": [], "unavailable": False, "member_count": 2,
    })


async def test_manager_role_id_from_settings_may_change_subscriptions(standin):
    client, _ = await make_bot(standin, settings={"BRIEFBOT_DISCORD_MANAGER_ROLE": "555000000000000002"})
    try:
        join_guild(client)
        await dispatch_and_wait(client, standin, ix.brief(
            "unsubscribe", ix.option("topic", "all"), roles=["555000000000000002"],
        ))
        assert callbacks(standin)[-1].body["data"]["embeds"][0]["title"] == "unsubscribe: all"
    finally:
        await client.close()


async def test_slow_command_defers_before_replying(bot, standin):
    client, services = bot
    client._connection.parse_interaction_create(ix.brief("digest", ix.option("theme", "us-china-dialogue")))
    await standin.wait_for(lambda _: len(callbacks(standin)) == 1)
    deferral = callbacks(standin)[0].body
    assert deferral["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "briefbot is thinking…"
    assert standin.matching("POST", "/webhooks/") == [] and standin.matching("PATCH", "/webhooks/") == []
    services.extra["gate"].set()
    await standin.wait_for(lambda _: standin.matching("POST", "/webhooks/") or standin.matching("PATCH", "/webhooks/"))
    followup = (standin.matching("POST", "/webhooks/") + standin.matching("PATCH", "/webhooks/"))[0].body
    assert followup["embeds"][0]["title"] == "Digest"
    assert followup["allowed_mentions"] == {"parse": []}


async def test_a_reply_slower_than_the_threshold_is_deferred(standin):
    client, services = await make_bot(standin, defer_after=0.01)
    services.extra["hold"] = hold = asyncio.Event()
    try:
        client._connection.parse_interaction_create(ix.brief("help"))
        await standin.wait_for(lambda _: len(callbacks(standin)) == 1)
        assert callbacks(standin)[0].body["type"] == 5
        hold.set()
        await standin.wait_for(lambda _: len(standin.matching("POST", "/webhooks/")) == 1)
        assert standin.matching("POST", "/webhooks/")[0].body["embeds"][0]["title"] == "help"
    finally:
        await client.close()


async def test_fact_shortcut_runs_the_fact_command(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.top_level("fact", ix.option("query", "hotline")))
    assert callbacks(standin)[-1].body["data"]["embeds"][0]["title"] == "fact: hotline"


async def test_public_reply_has_no_share_button(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief("sources"))
    data = callbacks(standin)[-1].body["data"]
    assert not (data.get("flags") or 0) & EPHEMERAL
    assert not data.get("components")


async def test_feed_text_cannot_ping_or_mention_anyone(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief("topics"))
    data = callbacks(standin)[-1].body["data"]
    assert data["allowed_mentions"] == {"parse": []}
    text = str(data["embeds"])
    for raw in ("@everyone", "@here", "<@123>", "<@&456>", "<#789>", "<@!12345678901234567>"):
        assert raw not in text


async def test_share_button_posts_the_embeds_in_the_channel(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief("fact", ix.option("query", "hotline")))
    sent = callbacks(standin)[-1].body["data"]
    message = standin.message(str(ix.CHANNEL_ID), {"embeds": sent["embeds"], "components": sent["components"], "flags": EPHEMERAL})
    await dispatch_and_wait(client, standin, ix.button("briefbot:share", message))
    shared = callbacks(standin)[-1].body
    assert shared["type"] == 4
    assert not (shared["data"].get("flags") or 0) & EPHEMERAL
    assert shared["data"]["embeds"][0]["title"] == "fact: hotline"
    assert shared["data"]["content"] == f"Shared by <@{ix.USER_ID}>"
    assert shared["data"]["allowed_mentions"] == {"parse": []}


async def autocomplete(client, standin, payload) -> list[dict]:
    await dispatch_and_wait(client, standin, payload)
    body = callbacks(standin)[-1].body
    assert body["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    return body["data"]["choices"]


async def test_theme_autocomplete_offers_matching_theme_ids(bot, standin):
    client, _ = bot
    choices = await autocomplete(client, standin, ix.brief("latest", ix.option("theme", "export", focused=True), autocomplete=True))
    assert [c["value"] for c in choices] == ["export-controls-compute"]


async def test_topic_autocomplete_offers_a_quoted_keyword(bot, standin):
    client, _ = bot
    choices = await autocomplete(client, standin, ix.brief("subscribe", ix.option("topic", "chip smuggling", focused=True), autocomplete=True))
    assert choices[0] == {"name": 'Keyword "chip smuggling"', "value": '"chip smuggling"'}


async def test_fact_autocomplete_uses_the_pluggable_suggester(standin):
    async def suggest(current: str) -> list[str]:
        return [f"{current} between militaries", "x" * 150]

    client, _ = await make_bot(standin, suggest_facts=suggest)
    try:
        choices = await autocomplete(client, standin, ix.brief("fact", ix.option("query", "hotline", focused=True), autocomplete=True))
        assert choices[0] == {"name": "hotline between militaries", "value": "hotline between militaries"}
        assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    finally:
        await client.close()


async def test_fact_autocomplete_defaults_to_recent_queries(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief("fact", ix.option("query", "hotline")))
    choices = await autocomplete(client, standin, ix.brief("fact", ix.option("query", "hot", focused=True), autocomplete=True))
    assert choices[0]["value"] == "hotline"


async def test_sync_to_one_server_in_development(bot, standin):
    from bot.adapters.discord_app import sync_commands

    client, _ = bot
    await sync_commands(client.tree, ix.GUILD_ID)
    put = standin.matching("PUT", f"/applications/{APP_ID}/guilds/{ix.GUILD_ID}/commands")
    assert put and {c["name"] for c in put[0].body} == {"brief", "fact"}


async def test_sync_globally_in_production(bot, standin):
    from bot.adapters.discord_app import sync_commands

    client, _ = bot
    await sync_commands(client.tree, None)
    assert standin.matching("PUT", f"/applications/{APP_ID}/commands")


async def test_manager_role_name_from_settings_may_change_subscriptions(standin):
    client, _ = await make_bot(standin, settings={"BRIEFBOT_DISCORD_MANAGER_ROLE": "Briefing editors"})
    try:
        join_guild(client)
        await dispatch_and_wait(client, standin, ix.brief(
            "subscribe", ix.option("topic", "loss-of-control"), roles=["555000000000000002"],
        ))
        assert callbacks(standin)[-1].body["data"]["embeds"][0]["title"] == "subscribe: loss-of-control"
    finally:
        await client.close()


async def test_a_stale_command_gets_a_polite_private_reply(bot, standin):
    client, _ = bot
    await dispatch_and_wait(client, standin, ix.brief("retired-command"))
    data = callbacks(standin)[-1].body["data"]
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == "That command has changed"


async def test_failing_fact_suggestions_offer_no_choices_instead_of_an_error(standin):
    async def broken(current: str) -> list[str]:
        raise RuntimeError("search index unavailable")

    client, _ = await make_bot(standin, suggest_facts=broken)
    try:
        assert await autocomplete(client, standin, ix.brief("fact", ix.option("query", "ho", focused=True), autocomplete=True)) == []
    finally:
        await client.close()


async def test_the_running_bot_connects_with_guilds_intent_syncs_and_answers_over_the_gateway(standin):
    from bot.adapters.discord_app import serve

    settings = Settings(DISCORD_API_URL=standin.url, DISCORD_TOKEN="test-token", DISCORD_GUILD_ID=ix.GUILD_ID)
    core = CommandCore(Services(db=None), modules=("tests.discord_support.commands",))
    running = asyncio.create_task(serve(settings, None, core=core))
    try:
        await standin.wait_for(lambda _: standin.identify)
        assert standin.identify[0]["intents"] == 1  # guilds only: nothing privileged
        assert standin.matching("PUT", f"/applications/{APP_ID}/guilds/{ix.GUILD_ID}/commands")
        standin.push_event("INTERACTION_CREATE", ix.brief("fact", ix.option("query", "hotline")))
        await standin.wait_for(lambda _: callbacks(standin))
        assert callbacks(standin)[0].body["data"]["embeds"][0]["title"] == "fact: hotline"
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
