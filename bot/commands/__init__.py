"""The command core: the words after `/brief` in, a platform-neutral Reply out.

Slack, Discord and the console all call `CommandCore.run`. Subcommands are a
registry, not an if-chain: each module in COMMAND_MODULES exposes `COMMANDS`.
"""

from __future__ import annotations

import importlib
import logging
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bot.reply import ChatContext, Reply, Section, usage

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 2000  # longer input is cut, not rejected: chat clients paste a lot

COMMAND_MODULES: tuple[str, ...] = (
    "bot.commands.help",
    "bot.commands.facts",
    "bot.commands.browse",
    "bot.commands.sources",
    "bot.commands.subscriptions",
)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    """What handlers may use. Tests pass their own clock."""

    db: object  # storage.db.Database; typed loosely so the core stays free of storage imports
    clock: Callable[[], datetime] = utc_now
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Invocation:
    name: str
    args: tuple[str, ...]  # shell-like words: quoted phrases stay together
    raw: str  # the text after the subcommand name, as typed (cut to MAX_INPUT_CHARS)
    ctx: ChatContext
    services: Services


Handler = Callable[[Invocation], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # "fact <query>"
    summary: str  # one line for help
    handler: Handler
    aliases: tuple[str, ...] = ()
    manage: bool = False  # changes the channel's settings: needs ctx.can_manage


class CommandCore:
    def __init__(self, services: Services, modules: Sequence[str] = COMMAND_MODULES) -> None:
        self.services = services
        services.extra.setdefault("core", self)  # `help` lists the registry it runs in
        self._commands: dict[str, Command] = {}
        for module in modules:
            for command in importlib.import_module(module).COMMANDS:
                self.register(command)

    def register(self, command: Command) -> None:
        for name in (command.name, *command.aliases):
            if name in self._commands:
                raise ValueError(f"command '{name}' registered twice")
            self._commands[name] = command

    @property
    def commands(self) -> list[Command]:
        """Each command once, in registration order (help, Discord's command tree)."""
        seen: dict[str, Command] = {}
        for command in self._commands.values():
            seen.setdefault(command.name, command)
        return list(seen.values())

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower())

    async def run(self, text: str, ctx: ChatContext) -> Reply:
        """Run one command line. Never raises: failures become a polite reply."""
        text = (text or "").strip()[:MAX_INPUT_CHARS]
        if text.lower().startswith("/brief"):
            text = text[len("/brief"):].strip()
        name, _, raw = text.partition(" ")
        raw = raw.strip()
        if not name:
            name = "help"
        command = self.get(name)
        if command is None:
            return usage(
                f"Unknown command “{name[:40]}”",
                "Try `/brief help` for the list of commands, e.g. `/brief fact hotline` or `/brief latest export-controls-compute`.",
            )
        if command.manage and not ctx.can_manage:
            return Reply(
                title="You can't change this channel's subscriptions",
                sections=(Section(text="Ask someone who can manage this channel."),),
                kind="error",
            )
        invocation = Invocation(name=command.name, args=split_args(raw), raw=raw, ctx=ctx, services=self.services)
        try:
            return await command.handler(invocation)
        except Exception:
            log.exception("command %s failed", command.name)
            return Reply(
                title="Something went wrong",
                sections=(Section(text="That command failed on our side; it has been logged. Please try again shortly."),),
                kind="error",
            )


def split_args(raw: str) -> tuple[str, ...]:
    """Shell-like words, forgiving of unbalanced quotes (users type those)."""
    if not any(c in raw for c in "\"'\\"):
        return tuple(raw.split())  # what shlex gives for text without quotes or escapes, at a fraction of the cost
    try:
        return tuple(shlex.split(raw))
    except ValueError:
        return tuple(raw.replace('"', " ").replace("'", " ").split())
