"""A worker process for the kill-and-restart tests: one tick against a stand-in chat API.

    python -m tests.outbox_worker_process DATABASE_URL API_BASE NOW_ISO
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import aiohttp

from bot.digest.deliver import SenderConfig
from bot.digest.sink import SendResult, TransientSendError
from bot.worker import run_once
from storage.db import Database


class HttpSink:
    platform = "console"

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base, self.session = base, session

    async def find_sent(self, dest, key):
        async with self.session.get(f"{self.base}/find", params={"key": key}) as resp:
            return (await resp.json())["id"]

    async def send(self, dest, message, key):
        async with self.session.post(f"{self.base}/post", json={"channel": dest.channel, "key": key, "text": message.title}) as resp:
            if resp.status != 200:
                raise TransientSendError(f"HTTP {resp.status}")
            return SendResult(message_id=(await resp.json())["id"])


async def main(url: str, base: str, now: str) -> None:
    db = Database.connect(url)
    clock = lambda: datetime.fromisoformat(now)  # noqa: E731
    try:
        async with aiohttp.ClientSession() as session:
            await run_once(db, {"console": HttpSink(base, session)}, clock=clock, config=SenderConfig(per_channel_interval=0))
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
