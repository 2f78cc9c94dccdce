"""The console adapter: chat text in, the same CommandCore as Slack and Discord, plain text out."""

from __future__ import annotations

import json

from bot.commands import CommandCore, Services
from bot.reply import ChatContext, Reply
from storage.db import Database

CONSOLE = ChatContext(platform="console", workspace="local", channel="console", user="local", can_manage=True)


def console_core(db: Database) -> CommandCore:
    """The command core over `db` (opened by open_runtime, which has loaded the fact base)."""
    return CommandCore(Services(db=db))


def render(reply: Reply, *, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(reply.to_dict(), ensure_ascii=False, indent=2, default=str)
    return reply.to_text()


async def ask(core: CommandCore, text: str) -> Reply:
    """Run one line as typed in chat; `/brief` in front is optional."""
    return await core.run(text, CONSOLE)


DEMO_COMMANDS = (
    "/brief fact how much AI compute does China have?",
    "/brief fact TC260",
    "/brief fact hotlnie agreement",
    "/brief timeline us-china-dialogue",
    "/brief latest 3",
)


async def demo_replies(runtime) -> list[tuple[str, Reply]]:
    """A few representative commands and their replies, for `briefbot demo` to print."""
    core = console_core(runtime.db)
    return [(command, await ask(core, command)) for command in DEMO_COMMANDS]


def print_demo_replies(pairs: list[tuple[str, Reply]]) -> None:
    for command, reply in pairs:
        print(f"\n$ {command}")
        print(reply.to_text())
