"""The Discord bot: /brief app commands in, the command core's Reply out as embeds.

Only translation lives here: typed options -> core text -> `CommandCore.run`
-> `discord_render`. The client is auto-sharded and asks for the `guilds`
intent only (no privileged intents).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Optional

import discord
from discord import app_commands
from discord.http import Route

from bot.adapters.discord_commands import (
    GENERIC_PARAMS,
    SUBCOMMANDS,
    Param,
    Subcommand,
    core_text,
)
from bot.adapters.discord_render import (
    NO_MENTIONS,
    MessagePayload,
    render_reply,
    render_text_reply,
)
from bot.commands import CommandCore
from bot.reply import ChatContext, Reply
from bot.settings import Settings
from bot.themes import THEMES

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFER_AFTER_SECONDS = 2.0  # Discord drops a response later than 3 s; leave room for the round trip
MAX_CHOICES = 25
SHARE_ID = "briefbot:share"

# Fact autocomplete: what the user typed so far -> suggestions (the integrator plugs in the fact search).
FactSuggester = Callable[[str], Awaitable[Sequence[str]]]

SCHEDULE_SUGGESTIONS = ("daily 08:00 UTC", "daily 08:00 Europe/London", "daily 09:00 America/New_York",
                        "weekly mon 08:00 UTC", "instant")


def intents() -> discord.Intents:
    """Guild events only: enough to know the servers and channels; nothing privileged."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


def apply_api_url(url: str | None) -> None:
    """Point discord.py at another Discord API root (a proxy, or a local stand-in)."""
    Route.BASE = (url or DEFAULT_API_URL).rstrip("/")


def parse_shard_ids(text: str | None) -> list[int] | None:
    if not text:
        return None
    return [int(part) for part in text.replace(" ", "").split(",") if part]


class RecentQueries:
    """Default fact suggester: the last queries people ran, then theme words."""

    def __init__(self, size: int = 200) -> None:
        self._recent: deque[str] = deque(maxlen=size)

    def remember(self, query: str) -> None:
        query = " ".join(query.split())[:100]
        if query and query not in self._recent:
            self._recent.appendleft(query)

    async def __call__(self, current: str) -> Sequence[str]:
        key = current.strip().lower()
        pool = [*self._recent, *(word for theme in THEMES for word in theme.id.split("-") if len(word) > 3)]
        seen: dict[str, None] = {}
        for text in pool:
            if not key or key in text.lower():
                seen.setdefault(text, None)
        return list(seen)


def theme_choices(current: str) -> list[app_commands.Choice[str]]:
    key = current.strip().lower().strip('"')
    return [
        app_commands.Choice(name=f"{theme.name} ({theme.id})"[:100], value=theme.id)
        for theme in THEMES
        if not key or key in theme.id or key in theme.name.lower()
    ][:MAX_CHOICES]


def keyword_choice(current: str) -> app_commands.Choice[str] | None:
    word = " ".join(current.replace('"', " ").split())[:90]
    if not word or any(word == theme.id for theme in THEMES):
        return None
    return app_commands.Choice(name=f'Keyword "{word}"', value=f'"{word}"')


class ShareButton(discord.ui.DynamicItem[discord.ui.Button], template=SHARE_ID):
    """Posts a private reply's embeds in the channel. Stateless, so it works after a restart."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label="Share in channel", style=discord.ButtonStyle.secondary, custom_id=SHARE_ID))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: Any, /) -> ShareButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        embeds = list(interaction.message.embeds) if interaction.message else []
        if not embeds:
            await interaction.response.send_message("There is nothing to share here.", ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.send_message(
            content=f"Shared by {interaction.user.mention}", embeds=embeds[:10], allowed_mentions=NO_MENTIONS,
        )


def share_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ShareButton())
    return view


class BriefTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Any failure becomes a polite private reply; the detail goes to the log only."""
        if isinstance(error, app_commands.CommandOnCooldown):
            title, text = "Slow down a little", f"Try again in {error.retry_after:.0f} s."
        elif isinstance(error, (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch)):
            # Discord still shows commands from before an update until the new ones are registered.
            log.warning("stale app command: %s", error)
            title, text = "That command has changed", "Discord is still showing an older version of it. Try `/brief help`."
        elif isinstance(error, app_commands.CheckFailure):
            title, text = "You can't do that here", "Ask someone who can manage this channel."
        else:
            log.error("app command failed", exc_info=error)
            title, text = "Something went wrong", "That command failed on our side; it has been logged. Please try again shortly."
        payload = render_text_reply(title, text)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(embeds=payload.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(embeds=payload.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not report an app command error to the user", exc_info=True)


class BriefGroup(app_commands.Group):
    """/brief <subcommand>: one Discord subcommand per core command, typed from the spec."""

    def __init__(self, client: BriefClient) -> None:
        super().__init__(name="brief", description="Briefings on US–China AI-safety diplomacy", guild_only=True)
        specs = {spec.name: spec for spec in SUBCOMMANDS}
        core_names = [command.name for command in client.core.commands]
        ordered = [name for name in specs if name in core_names] + [name for name in core_names if name not in specs]
        for name in ordered[:25]:  # Discord allows 25 subcommands per group
            spec = specs.get(name)
            if spec is None:
                core_command = client.core.get(name)
                summary = core_command.summary if core_command else name
                spec = Subcommand(name=name, description=summary[:100] or name, params=GENERIC_PARAMS)
            self.add_command(make_command(client, spec))


def _annotation(param: Param) -> Any:
    base: Any = param.kind
    if param.kind is int and (param.min_value is not None or param.max_value is not None):
        base = app_commands.Range[int, param.min_value, param.max_value]
    elif param.kind is str:
        base = app_commands.Range[str, 1, 100 if param.suggest else 1000]
    return base if param.required else Optional[base]


def make_command(client: BriefClient, spec: Subcommand, *, name: str | None = None) -> app_commands.Command:
    """An app command whose typed options are `spec.params`, running `spec` through the core."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await client.handle(interaction, spec, core_text(spec.name, spec.params, values))

    signature = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)]
    for param in spec.params:
        signature.append(inspect.Parameter(
            param.name, inspect.Parameter.KEYWORD_ONLY,
            annotation=_annotation(param), default=inspect.Parameter.empty if param.required else None,
        ))
    callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {p.name: p.description for p in spec.params}  # type: ignore[attr-defined]
    command = app_commands.Command(name=name or spec.name, description=spec.description, callback=callback)
    for param in spec.params:
        if param.suggest:
            command.autocomplete(param.name)(make_autocomplete(client, param))
    return command


def make_autocomplete(client: BriefClient, param: Param) -> Callable[..., Awaitable[list[app_commands.Choice[str]]]]:
    async def autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await client.suggest(param, current)

    return autocomplete


class BriefClient(discord.AutoShardedClient):
    def __init__(
        self,
        settings: Settings,
        core: CommandCore,
        *,
        suggest_facts: FactSuggester | None = None,
        defer_after: float = DEFER_AFTER_SECONDS,
        sync_on_start: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(intents=intents(), allowed_mentions=NO_MENTIONS, **options)
        self.settings = settings
        self.core = core
        self.defer_after = defer_after
        self.sync_on_start = sync_on_start
        self.recent_queries = RecentQueries()
        self.suggest_facts: FactSuggester = suggest_facts or self.recent_queries
        self.tree = BriefTree(self)
        self.tree.add_command(BriefGroup(self))
        fact = next(spec for spec in SUBCOMMANDS if spec.name == "fact")
        if core.get("fact") is not None:
            self.tree.add_command(make_command(self, fact))  # /fact: the lookup people use most, one word shorter

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ShareButton)
        if self.sync_on_start and (self.shard_ids is None or 0 in self.shard_ids):
            await sync_commands(self.tree, self.settings.discord_guild_id)

    # Interaction handling -------------------------------------------------

    def chat_context(self, interaction: discord.Interaction) -> ChatContext:
        return ChatContext(
            platform="discord",
            workspace=str(interaction.guild_id or "dm"),
            channel=str(interaction.channel_id or ""),
            user=str(interaction.user.id),
            can_manage=self.can_manage(interaction),
        )

    def can_manage(self, interaction: discord.Interaction) -> bool:
        """Manage Channels here (Discord computes it with overwrites), or the configured manager role."""
        if interaction.permissions.manage_channels:
            return True
        wanted = (self.settings.discord_manager_role or "").strip()
        if not wanted or not isinstance(interaction.user, discord.Member):
            return False
        # Roles resolve from the server cache the guilds intent keeps.
        return any(str(role.id) == wanted or role.name.lower() == wanted.lower() for role in interaction.user.roles)

    async def handle(self, interaction: discord.Interaction, spec: Subcommand, text: str) -> None:
        if spec.name == "fact":
            self.recent_queries.remember(text.partition(" ")[2])
        work = asyncio.ensure_future(self.core.run(text, self.chat_context(interaction)))
        if spec.defer:
            await interaction.response.defer(ephemeral=spec.private, thinking=True)
        else:
            done, _ = await asyncio.wait({work}, timeout=self.defer_after)
            if not done:
                await interaction.response.defer(ephemeral=spec.private, thinking=True)
        reply = await work
        await send_reply(interaction, reply, deferred_private=spec.private)

    async def suggest(self, param: Param, current: str) -> list[app_commands.Choice[str]]:
        if param.suggest == "theme":
            return theme_choices(current)
        if param.suggest in ("topic", "unsubscribe"):
            choices = theme_choices(current)
            if param.suggest == "unsubscribe" and "all".startswith(current.strip().lower()):
                choices.insert(0, app_commands.Choice(name="All of this channel's digests", value="all"))
            keyword = keyword_choice(current)
            if keyword is not None and not choices:
                choices.append(keyword)
            elif keyword is not None:
                choices.insert(0, keyword)
            return choices[:MAX_CHOICES]
        if param.suggest == "schedule":
            key = current.strip().lower()
            options = [s for s in SCHEDULE_SUGGESTIONS if s.startswith(key) or key in s]
            if key and key not in options:
                options.insert(0, " ".join(current.split())[:100])
            return [app_commands.Choice(name=s, value=s) for s in options][:MAX_CHOICES]
        if param.suggest == "fact":
            try:
                found = await self.suggest_facts(current)
            except Exception:
                log.warning("fact suggestions failed", exc_info=True)
                found = []
            return [app_commands.Choice(name=s[:100], value=s[:100]) for s in found if s.strip()][:MAX_CHOICES]
        return []


async def send_reply(interaction: discord.Interaction, reply: Reply, *, deferred_private: bool = True) -> None:
    """Every part of the reply, as the interaction's response and follow-ups, never pinging anyone."""
    payloads: list[MessagePayload] = render_reply(reply)
    responded = interaction.response.is_done()
    # After a deferral the first follow-up replaces the "thinking…" message and keeps its visibility.
    ephemeral = deferred_private if responded else reply.private
    shareable = ephemeral and (reply.shareable or reply.kind == "ok")
    for payload in payloads:
        extra: dict[str, Any] = {"view": share_view()} if shareable else {}
        if not interaction.response.is_done():
            await interaction.response.send_message(embeds=payload.embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **extra)
        else:
            await interaction.followup.send(embeds=payload.embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **extra)


async def sync_commands(tree: app_commands.CommandTree, guild_id: int | None) -> list[app_commands.AppCommand]:
    """Register the commands: in one server at once (development), or globally (production)."""
    if guild_id:
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
        log.info("synced %d commands to server %s", len(synced), guild_id)
    else:
        synced = await tree.sync()
        log.info("synced %d commands globally (may take up to an hour to show everywhere)", len(synced))
    return synced


def build_client(
    settings: Settings,
    core: CommandCore,
    *,
    suggest_facts: FactSuggester | None = None,
    defer_after: float = DEFER_AFTER_SECONDS,
    sync_on_start: bool = False,
) -> BriefClient:
    """The bot, pointed at the configured API and shards; not yet logged in."""
    apply_api_url(settings.discord_api_url)
    options: dict[str, Any] = {}
    if settings.discord_shard_count:
        options["shard_count"] = settings.discord_shard_count
        options["shard_ids"] = parse_shard_ids(settings.discord_shard_ids)
    if settings.discord_application_id:
        options["application_id"] = settings.discord_application_id
    return BriefClient(settings, core, suggest_facts=suggest_facts, defer_after=defer_after,
                       sync_on_start=sync_on_start, **options)


async def serve(
    settings: Settings,
    db: object,
    *,
    core: CommandCore | None = None,
    suggest_facts: FactSuggester | None = None,
    sync_on_start: bool = True,
) -> None:
    """Run the bot until cancelled (`briefbot discord`, and one task of `briefbot run`)."""
    from bot.commands import Services
    from bot.errors import ConfigError

    if settings.discord_token is None:
        raise ConfigError("DISCORD_TOKEN is not set; create a bot token in the Discord developer portal (see docs)")
    core = core or CommandCore(Services(db=db))
    client = build_client(settings, core, suggest_facts=suggest_facts, sync_on_start=sync_on_start)
    async with client:
        await client.start(settings.discord_token.get_secret_value())
