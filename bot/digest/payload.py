"""A Reply to and from the JSON stored in the outbox."""

from __future__ import annotations

from typing import Any

from bot.reply import Citation, Entry, Reply, Section


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    return reply.to_dict()


def reply_from_payload(data: dict[str, Any]) -> Reply:
    sections = []
    for s in data.get("sections") or ():
        entries = []
        for e in s.get("entries") or ():
            cite = e.get("citation")
            entries.append(
                Entry(
                    title=e.get("title", ""),
                    url=e.get("url"),
                    text=e.get("text", ""),
                    meta=e.get("meta", ""),
                    badges=tuple(e.get("badges") or ()),
                    citation=Citation(**cite) if cite else None,
                    sources=tuple((o, u) for o, u in (e.get("sources") or ())),
                )
            )
        sections.append(Section(heading=s.get("heading"), text=s.get("text", ""), entries=tuple(entries), more=s.get("more", 0)))
    return Reply(
        title=data.get("title", ""),
        sections=tuple(sections),
        kind=data.get("kind", "ok"),
        private=data.get("private", False),
        shareable=data.get("shareable", False),
        footer=data.get("footer", ""),
    )
