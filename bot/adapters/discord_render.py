"""Reply -> Discord messages of embeds, within Discord's limits.

Pure functions on plain data. Feed text is untrusted: every string taken from
a Reply is escaped (markdown, mentions, angle-bracket tokens) before it lands in
an embed, and every message is sent with `NO_MENTIONS` on top of that, so
nothing a feed says can ping @everyone, @here, a user or a role, or break the
layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import discord

from bot.reply import Entry, Reply, Section

# Discord's documented limits for one message of embeds.
MAX_EMBEDS = 10
MAX_TOTAL_CHARS = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
FOOTER_BUDGET = 500  # a reply's own footer; longer ones are cut so the last message keeps its room

NO_MENTIONS = discord.AllowedMentions.none()

COLOURS = {
    "ok": discord.Colour(0x2B6CB0),
    "usage": discord.Colour(0x718096),
    "empty": discord.Colour(0xA0AEC0),
    "error": discord.Colour(0xC53030),
}

# "<@123>", "<@!123>", "<@&456>", "<#789>", "</cmd:1>", "<t:0>", "<:emoji:1>", "<a:x:1>", "<id:home>":
# rendered by Discord as mentions/links even where they cannot ping. A zero-width space after "<" keeps them text.
_ANGLE_TOKEN = re.compile(r"<(?=[@#/:!&]|t:|a:|id:)")
# Everything escape_mentions misses: short snowflakes in "@123", "@&role", and the two mass pings spelled oddly.
_AT_TOKEN = re.compile(r"@(?=everyone|here|[!&]?\d)", re.IGNORECASE)
_ZWSP = "\u200b"


def neutralise(text: str) -> str:
    """Untrusted text made inert: no pings, no mention/channel/emoji tokens, no markdown that breaks layout."""
    text = discord.utils.escape_markdown(text or "")
    text = discord.utils.escape_mentions(text)
    text = _AT_TOKEN.sub("@" + _ZWSP, text)
    return _ANGLE_TOKEN.sub("<" + _ZWSP, text)


def trim(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL that cannot break out of a markdown link, or None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # Parentheses, spaces, angle brackets and the like would end the link early.
    return quote(url, safe=":/?#[]@!$&'*+,;=%~.-_")


def link(label: str, url: str | None) -> str:
    """A markdown link with an escaped label, or just the escaped label."""
    target = safe_url(url)
    label = neutralise(label).replace("[", "(").replace("]", ")")
    return f"[{label}]({target})" if target else label


@dataclass
class MessagePayload:
    """One Discord message: what `send_message(embeds=...)` takes."""

    embeds: list[discord.Embed] = field(default_factory=list)

    def total_chars(self) -> int:
        return sum(len(embed) for embed in self.embeds)


def entry_field(entry: Entry) -> tuple[str, str]:
    """(name, value) of the embed field for one entry, within the field limits."""
    name = entry.title or "—"
    if entry.badges:
        name += " · " + ", ".join(entry.badges)
    name = trim(neutralise(name), MAX_FIELD_NAME)
    tail: list[str] = []
    meta = neutralise(entry.meta) if entry.meta else ""
    if entry.url and safe_url(entry.url):
        meta = (meta + " · " if meta else "") + link("link", entry.url)
    if meta:
        tail.append(meta)
    if entry.sources:
        tail.append("Also: " + ", ".join(link(outlet, url) for outlet, url in entry.sources[:8]))
    if entry.citation:
        cite = entry.citation
        tail.append(f"Source: {link(cite.title, cite.url)} ({neutralise(cite.label)})")
    tail_text = "\n".join(tail)
    # The tail (links, source) matters more than the end of a long body, so the body is what gets cut.
    if len(tail_text) > MAX_FIELD_VALUE // 2:
        tail_text = trim(tail_text, MAX_FIELD_VALUE // 2)
    room = MAX_FIELD_VALUE - len(tail_text) - (1 if tail_text else 0)
    body = trim(neutralise(entry.text), room) if entry.text else ""
    value = "\n".join(part for part in (body, tail_text) if part) or "—"
    return name, trim(value, MAX_FIELD_VALUE)


class _Builder:
    """Packs embeds into messages, and fields into embeds, without crossing a limit."""

    def __init__(self, reply: Reply, max_messages: int) -> None:
        self.reply = reply
        self.max_messages = max_messages
        self.colour = COLOURS.get(reply.kind, COLOURS["ok"])
        self.messages: list[MessagePayload] = [MessagePayload()]
        self.footer = trim(neutralise(reply.footer), FOOTER_BUDGET) if reply.footer else ""
        # Every message keeps room for the footer, an "and N more" and a delivery ref: any may turn out the last.
        self.reserve = len(self.footer) + 64

    @property
    def current(self) -> MessagePayload:
        return self.messages[-1]

    def _room(self) -> int:
        return MAX_TOTAL_CHARS - self.current.total_chars() - self.reserve

    def new_embed(self, title: str | None, description: str = "", *, need: int = 0) -> discord.Embed | None:
        """Start an embed with room for `need` more characters, in a new message if this one is full.

        None when the messages run out.
        """
        title = trim(neutralise(title), MAX_TITLE) if title else None
        wanted = len(title or "") + min(len(description), 200) + need + 1
        if len(self.current.embeds) >= MAX_EMBEDS or (self.current.embeds and wanted > self._room()):
            if len(self.messages) >= self.max_messages:
                return None
            self.messages.append(MessagePayload())
        room = self._room() - len(title or "") - need
        description = trim(description, max(0, min(MAX_DESCRIPTION, room)))
        embed = discord.Embed(title=title, description=description or None, colour=self.colour)
        self.current.embeds.append(embed)
        return embed

    def fits(self, embed: discord.Embed, name: str, value: str) -> bool:
        return len(embed.fields) < MAX_FIELDS and len(name) + len(value) <= self._room()


def render_reply(reply: Reply, *, max_messages: int = 3) -> list[MessagePayload]:
    """The messages for one reply: as many as needed up to `max_messages`, the rest counted as "…and N more"."""
    builder = _Builder(reply, max(1, max_messages))
    sections = reply.sections or (Section(),)
    dropped = 0
    for index, section in enumerate(sections):
        heading = reply.title if index == 0 else section.heading
        description = neutralise(section.text) if section.text else ""
        if index == 0 and section.heading:
            description = f"**{trim(neutralise(section.heading), MAX_TITLE)}**\n{description}".strip()
        embed = builder.new_embed(heading, description)
        if embed is None:
            dropped += len(section.entries) + section.more
            continue
        left = list(section.entries)
        while left and embed is not None:
            name, value = entry_field(left[0])
            if not builder.fits(embed, name, value):
                embed = builder.new_embed(None, need=len(name) + len(value))
                if embed is None or not builder.fits(embed, name, value):
                    break
            embed.add_field(name=name, value=value, inline=False)
            left.pop(0)
        dropped += len(left) + section.more
    _finish(builder, dropped)
    return builder.messages


def _finish(builder: _Builder, dropped: int) -> None:
    last = builder.current.embeds[-1] if builder.current.embeds else builder.new_embed(builder.reply.title)
    assert last is not None
    footer = builder.footer
    if dropped:
        more = f"…and {dropped} more"
        footer = f"{more} · {footer}" if footer else more
    if footer:
        last.set_footer(text=trim(footer, MAX_FOOTER))


def render_text_reply(title: str, text: str, kind: str = "error") -> MessagePayload:
    """A one-embed message for adapter-level notices (errors, refusals)."""
    return render_reply(Reply(title=title, sections=(Section(text=text),), kind=kind), max_messages=1)[0]  # type: ignore[arg-type]
