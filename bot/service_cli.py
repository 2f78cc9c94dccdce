"""`briefbot run`: poller, digest worker and every configured chat app in one process."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.runtime import open_runtime


def add_commands(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run the poller, the digest worker and the configured chat apps in one process")
    run.add_argument("--feeds", type=Path, metavar="PATH", help="feeds file (default: $BRIEFBOT_FEEDS or ./feeds.yaml)")
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from bot.service import run_services, stop_on_signals

    async def main() -> None:
        async with open_runtime() as rt:
            await run_services(rt, stop_on_signals(), feeds_path=args.feeds)

    asyncio.run(main())
    return 0
