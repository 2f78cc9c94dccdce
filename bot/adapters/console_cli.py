"""`briefbot ask "TEXT" [--json]` and `briefbot shell`."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot.adapters.console import ask, console_core, render
from bot.runtime import open_runtime

HISTORY_FILE = Path(os.path.expanduser("~/.briefbot_history"))
SHELL_HELP = "Type a command as in chat, with or without /brief (e.g. `fact hotline`). `help` lists commands; `quit` or Ctrl-D leaves."


def add_commands(sub) -> None:
    p = sub.add_parser("ask", help="run one /brief command as if typed in chat and print the reply")
    p.add_argument("text", nargs="+", help='e.g. "/brief fact hotline"')
    p.add_argument("--json", action="store_true", help="print the platform-neutral reply as JSON")
    p.set_defaults(func=_ask)
    s = sub.add_parser("shell", help="interactive /brief commands, with history")
    s.set_defaults(func=_shell)


def _ask(args) -> int:
    async def run() -> None:
        async with open_runtime() as runtime:
            core = console_core(runtime.db)
            print(render(await ask(core, " ".join(args.text)), as_json=args.json))

    asyncio.run(run())
    return 0


def _shell(args) -> int:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        readline = None
    if readline is not None:
        try:
            readline.read_history_file(HISTORY_FILE)
        except OSError:
            pass
        readline.set_history_length(1000)

    async def run() -> None:
        async with open_runtime() as runtime:
            core = console_core(runtime.db)
            print("briefbot shell. " + SHELL_HELP)
            loop = asyncio.get_running_loop()
            while True:
                try:
                    line = await loop.run_in_executor(None, input, "/brief> ")
                except EOFError:
                    print()
                    break
                line = line.strip()
                if not line:
                    continue
                if line.lower() in ("quit", "exit", "/quit", "/exit"):
                    break
                print(render(await ask(core, line)))

    try:
        asyncio.run(run())
    finally:
        if readline is not None:
            try:
                readline.write_history_file(HISTORY_FILE)
            except OSError:
                pass
    return 0
