"""Commands used only by the Slack tests: fast, slow (held until released), public, long, failing, managing."""

from __future__ import annotations

import asyncio

from bot.commands import Command, Invocation
from bot.reply import Citation, Entry, Reply, Section

EVIL_TITLE = "<!channel> & <@U123> <https://evil.example|click> &lt;!here&gt; @everyone"


async def fact(inv: Invocation) -> Reply:
    query = " ".join(inv.args) or "hotline"
    return Reply(
        title=f"Fact: {query}",
        sections=(
            Section(
                entries=(
                    Entry(
                        title=EVIL_TITLE,
                        url="https://example.org/a?x=1&y=2",
                        text="Body with <b>tags</b> & more",
                        citation=Citation(label="Example, 2025", title="A | source", url="https://example.org/src"),
                    ),
                )
            ),
        ),
        shareable=True,
    )


async def slow(inv: Invocation) -> Reply:
    release: asyncio.Event = inv.services.extra["release"]  # the test decides when the answer is ready
    await release.wait()
    return Reply(title="Slow answer", sections=(Section(text="Took a while."),), shareable=True)


async def public(inv: Invocation) -> Reply:
    return Reply(title="Public answer", sections=(Section(text="Everyone sees this."),), private=False)


async def long(inv: Invocation) -> Reply:
    entries = tuple(Entry(title=f"Item {i}", text="x" * 10_000, url=f"https://example.org/{i}") for i in range(500))
    return Reply(title="Long answer", sections=(Section(heading="Items", entries=entries),))


async def boom(inv: Invocation) -> Reply:
    raise RuntimeError("kaboom")


async def broken(inv: Invocation) -> Reply:
    return None  # type: ignore[return-value]  # breaks the contract: the adapter itself fails


async def subscribe(inv: Invocation) -> Reply:
    return Reply(title=f"Subscribed {inv.ctx.channel}", private=False)


async def whoami(inv: Invocation) -> Reply:
    ctx = inv.ctx
    return Reply(title=f"{ctx.platform} {ctx.workspace} {ctx.channel} {ctx.user} manage={ctx.can_manage}")


COMMANDS = [
    Command("fact", "fact <query>", "a fact", fact),
    Command("slow", "slow", "an answer that takes its time", slow),
    Command("public", "public", "a public answer", public),
    Command("long", "long", "a very long answer", long),
    Command("boom", "boom", "fails", boom),
    Command("broken", "broken", "returns no reply", broken),
    Command("subscribe", "subscribe", "manage the channel", subscribe, manage=True),
    Command("whoami", "whoami", "the chat context", whoami),
]
