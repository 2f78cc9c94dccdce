"""Rendering speed for Discord: a 500-item reply with long texts into embeds (run on demand)."""

from __future__ import annotations

import time

from bot.adapters.discord_render import render_reply
from bot.reply import Citation, Entry, Reply, Section


def main() -> None:
    entries = tuple(
        Entry(title=f"Item {i} @everyone", text="Talks on AI risk resumed. " * 40, meta="Reuters · 2026-05-14",
              url=f"https://example.org/{i}", citation=Citation("Reuters, 2026", "Talks", f"https://example.org/{i}"))
        for i in range(500)
    )
    reply = Reply(title="Latest", sections=(Section(entries=entries),))
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        messages = render_reply(reply)
    per = (time.perf_counter() - start) / runs * 1000
    print(f"render 500 entries -> {len(messages)} messages, {sum(len(m.embeds) for m in messages)} embeds: {per:.2f} ms per reply")


if __name__ == "__main__":
    main()
