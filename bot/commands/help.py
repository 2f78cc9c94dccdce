"""`/brief help`: generated from the registry, so every registered command appears."""

from __future__ import annotations

from bot.commands import Command, Invocation
from bot.reply import Entry, Reply, Section


async def help_command(inv: Invocation) -> Reply:
    core = inv.services.extra.get("core")
    commands = list(core.commands) if core is not None else []
    if inv.args:
        wanted = core.get(inv.args[0]) if core is not None else None
        if wanted is not None:
            return Reply(title=f"/brief {wanted.usage}", sections=(Section(text=wanted.summary),))
    entries = tuple(
        Entry(title=f"/brief {c.usage}", text=c.summary, badges=("managers",) if c.manage else ())
        for c in commands
    )
    return Reply(
        title="briefbot: US–China AI-safety diplomacy, cited",
        sections=(Section(text="Commands:", entries=entries),),
        footer="Examples: /brief fact hotline · /brief fact how much AI compute does China have? · /brief latest export 3",
    )


COMMANDS = [Command("help", "help [command]", "This list, or one command's usage.", help_command, aliases=("?",))]
