"""`briefbot demo`: the offline end-to-end run."""

from __future__ import annotations

import argparse
import asyncio

from bot.runtime import open_runtime


def add_commands(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="offline end-to-end demo: sample feeds on loopback, classify, commands, a digest")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from bot.demo.run import run_demo

    async def main() -> None:
        async with open_runtime() as rt:
            await run_demo(rt)

    asyncio.run(main())
    return 0
