"""The console sink: digests printed as plain text (the demo and `briefbot worker` without chat tokens)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.digest.sink import Destination, SendResult
from bot.reply import Reply


class ConsoleSink:
    platform = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out
        self._sent: dict[str, str] = {}  # within one process only: the console has no history to search

    async def find_sent(self, dest: Destination, key: str) -> str | None:
        return self._sent.get(key)

    async def send(self, dest: Destination, message: Reply, key: str) -> SendResult:
        out = self.out or sys.stdout
        out.write(f"--- #{dest.channel} ---\n{message.to_text()}\n\n")
        out.flush()
        message_id = f"console-{len(self._sent) + 1}"
        self._sent[key] = message_id
        return SendResult(message_id=message_id)
