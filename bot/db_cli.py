"""`briefbot db upgrade`: apply migrations (the release phase runs this)."""

from __future__ import annotations

import argparse
import asyncio

from bot.runtime import open_runtime
from storage.db import redact_url


def add_commands(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = db_sub.add_parser("upgrade", help="migrate the database to the newest schema")
    up.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    async def run() -> str:
        async with open_runtime() as rt:
            return redact_url(rt.db.url)

    print(f"database is at the newest schema: {asyncio.run(run())}")
    return 0
