"""A small command module for Discord adapter tests: every /brief name, echoing what the core received.

`digest` is deliberately slow: it waits for the test to open `services.extra["gate"]`,
so a test can see the deferral arrive before the reply.
"""

from __future__ import annotations

import asyncio

from bot.commands import Command, Invocation
from bot.reply import Entry, Reply, Section


async def echo(inv: Invocation) -> Reply:
    hold = inv.services.extra.get("hold")  # a test holds every command to see what happens meanwhile
    if isinstance(hold, asyncio.Event):
        await hold.wait()
    return Reply(
        title=f"{inv.name}: {inv.raw}" if inv.raw else inv.name,
        sections=(Section(text=f"args={list(inv.args)}", entries=(Entry(title="echo", text=inv.raw or "-"),)),),
        shareable=True,
    )


async def public_echo(inv: Invocation) -> Reply:
    reply = await echo(inv)
    return Reply(title=reply.title, sections=reply.sections, private=False)


async def slow_digest(inv: Invocation) -> Reply:
    gate = inv.services.extra.get("gate")
    if isinstance(gate, asyncio.Event):
        await gate.wait()
    return Reply(title="Digest", sections=(Section(text="Three new items."),), private=False)


async def hostile(inv: Invocation) -> Reply:
    return Reply(
        title="@everyone look",
        sections=(Section(text="@here <@123> <@&456> <#789> **bold** [x](https://evil.example)", entries=(
            Entry(title="<@!12345678901234567> ping", text="@everyone and @here", url="https://example.org/a)b"),
        )),),
        private=False,
    )


COMMANDS = [
    Command("help", "help", "What briefbot can do", echo),
    Command("fact", "fact <query>", "Look up a fact", echo),
    Command("latest", "latest [theme] [n]", "Latest items", echo),
    Command("topics", "topics", "Themes", hostile),
    Command("timeline", "timeline [theme]", "Timeline", echo),
    Command("sources", "sources", "Feeds", public_echo),
    Command("subscribe", "subscribe <theme> [schedule]", "Subscribe", echo, manage=True),
    Command("unsubscribe", "unsubscribe <theme|all>", "Unsubscribe", echo, manage=True),
    Command("subscriptions", "subscriptions", "Subscriptions", echo),
    Command("digest", "digest [theme]", "Digest now", slow_digest),
    Command("why", "why <link>", "Why", echo),
    Command("export", "export [format]", "A core command the Discord spec does not describe", echo),
]
