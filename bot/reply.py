"""Platform-neutral replies and digests.

The command core and the digest composer build these; adapters render them
(Slack Block Kit, Discord embeds, console text). All text here is plain and
unescaped: feed text is untrusted, so escaping and mention-neutralising are
each adapter's job, done once when rendering.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ReplyKind = Literal["ok", "usage", "empty", "error"]


@dataclass(frozen=True)
class Citation:
    """Where a statement comes from, quotable as is."""

    label: str  # e.g. "TIME, 2025"
    title: str  # the source's title
    url: str | None = None


@dataclass(frozen=True)
class Entry:
    """One line-item: a fact, a feed item, a subscription, a feed's health."""

    title: str
    url: str | None = None
    text: str = ""  # body: claim, summary, evidence
    meta: str = ""  # small print: "Reuters · 2026-05-14", "score 0.82"
    badges: tuple[str, ...] = ()  # short labels: "engagement", "primary document"
    citation: Citation | None = None
    sources: tuple[tuple[str, str | None], ...] = ()  # (outlet, url) when clustered from several feeds


@dataclass(frozen=True)
class Section:
    heading: str | None = None
    text: str = ""
    entries: tuple[Entry, ...] = ()
    more: int = 0  # entries left out: rendered as "and N more"


@dataclass(frozen=True)
class Reply:
    title: str
    sections: tuple[Section, ...] = ()
    kind: ReplyKind = "ok"
    private: bool = True  # only the caller sees it (Slack ephemeral, Discord ephemeral)
    shareable: bool = False  # offer a "share in channel" button
    footer: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_text(self) -> str:
        """Plain text, as the console adapter prints it."""
        lines: list[str] = [self.title]
        for section in self.sections:
            lines.append("")
            if section.heading:
                lines.append(f"== {section.heading} ==")
            if section.text:
                lines.append(section.text)
            for entry in section.entries:
                badge = f" [{', '.join(entry.badges)}]" if entry.badges else ""
                lines.append(f"• {entry.title}{badge}")
                if entry.text:
                    lines.append(f"  {entry.text}")
                if entry.meta:
                    lines.append(f"  {entry.meta}")
                if entry.url:
                    lines.append(f"  {entry.url}")
                for outlet, url in entry.sources:
                    lines.append(f"  – {outlet}" + (f": {url}" if url else ""))
                if entry.citation:
                    cite = entry.citation
                    lines.append(f"  Source: {cite.title} ({cite.label})" + (f" {cite.url}" if cite.url else ""))
            if section.more:
                lines.append(f"…and {section.more} more")
        if self.footer:
            lines.extend(["", self.footer])
        return "\n".join(lines)


def usage(title: str, text: str) -> Reply:
    return Reply(title=title, sections=(Section(text=text),), kind="usage")


@dataclass(frozen=True)
class ChatContext:
    """Who asked, and where. Commands that act on a channel use these ids."""

    platform: str = "console"  # console | slack | discord
    workspace: str = "local"  # Slack team id, Discord guild id
    channel: str = "console"
    user: str = "local"
    can_manage: bool = True  # may change the channel's subscriptions
    extra: dict[str, Any] = field(default_factory=dict)
