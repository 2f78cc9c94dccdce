"""Slash-command round trip on Discord: interaction in -> core -> embeds out, against the local stand-in API.

Measures the adapter's own overhead (parsing, core call, rendering, the HTTP
response) with the test command module; run from the repository root.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the stand-in lives with the tests

from bot.adapters.discord_app import build_client
from bot.commands import CommandCore, Services
from bot.settings import Settings
from tests.discord_support import interactions as ix
from tests.discord_support.standin import DiscordStandIn

RUNS = 200


async def main() -> None:
    standin = DiscordStandIn()
    await standin.start()
    core = CommandCore(Services(db=None), modules=("tests.discord_support.commands",))
    client = build_client(Settings(DISCORD_API_URL=standin.url, DISCORD_TOKEN="t"), core)
    await client.login("t")
    timings: list[float] = []
    try:
        for i in range(RUNS):
            done = len(standin.matching("POST", "/callback"))
            start = time.perf_counter()
            client._connection.parse_interaction_create(ix.brief("fact", ix.option("query", f"hotline {i}")))
            await standin.wait_for(lambda _: len(standin.matching("POST", "/callback")) > done)
            timings.append((time.perf_counter() - start) * 1000)
    finally:
        await client.close()
        await standin.close()
    timings.sort()
    print(f"/brief fact round trip over {RUNS} runs: median {statistics.median(timings):.2f} ms, "
          f"p95 {timings[int(RUNS * 0.95)]:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
