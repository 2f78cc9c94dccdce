"""Reply -> Slack messages (Block Kit plus a plain text fallback). Pure functions.

Every piece of text that comes from a Reply is data, possibly from a feed, so it
is escaped (&, <, >) before it goes into mrkdwn or plain_text: it can never
produce <!channel>, <!here>, <@U…> or <url|label> markup. Bare @here/@channel/
@everyone get a zero-width space after the @ so no client turns them into a
ping. Links are only built here, from validated http(s) URLs.

Slack's limits are respected by construction: a reply that does not fit in one
message is split over several (at most MAX_MESSAGES), and what still does not
fit is trimmed with "…and N more" instead of failing.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from bot.reply import Entry, Reply

MAX_BLOCKS = 50  # blocks per message
MAX_SECTION_CHARS = 3000  # text of a section block
MAX_HEADER_CHARS = 150  # plain_text of a header block
MAX_CONTEXT_CHARS = 2000  # each element of a context block
# Slack rejects very large messages long before 50 full sections (50 × 3000 chars);
# keeping the sum of block texts under this keeps every message comfortably postable.
MAX_BLOCK_CHARS_PER_MESSAGE = 12_000
MAX_FALLBACK_CHARS = 3000  # notification text (Slack allows 40,000; only the start is ever shown)
MAX_MESSAGES = 5  # a response_url accepts five posts; digests stay readable
MAX_BUTTON_VALUE = 2000

SHARE_ACTION_ID = "briefbot_share"

Message = dict[str, Any]

_MENTION_WORDS = re.compile(r"@(here|channel|everyone|group)\b", re.IGNORECASE)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,20}$")


def escape(text: str) -> str:
    """Slack's three control characters, plus broadcast words neutralised."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION_WORDS.sub(lambda m: "@\u200b" + m.group(1), text)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link that cannot break `<url|label>` markup."""
    if not url or len(url) > 2000:
        return None
    url = url.strip()
    if any(ch in url for ch in "<>|\"'` ") or any(ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def link(url: str | None, label: str) -> str:
    """`<url|label>` for a validated URL, else just the escaped label."""
    label = escape(label.replace("|", "¦")) or "link"
    good = safe_url(url)
    if good is None:
        return label
    return f"<{good.replace('&', '&amp;')}|{label}>"


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending with … when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def _fit(plain: str, limit: int, render=escape) -> str:
    """render(plain) cut so it is at most `limit` characters; cuts the plain text, never an entity."""
    rendered = render(plain)
    while len(rendered) > limit:
        over = len(rendered) - limit
        plain = plain[: max(len(plain) - over - 1, 0)]
        rendered = render(plain + "…") if plain else ""
    return rendered


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def _entry_text(entry: Entry) -> str:
    """One entry as mrkdwn within the section limit; the body text gives way first."""
    title = f"*{link(entry.url, truncate(entry.title, 300))}*"
    if entry.badges:
        title += "  " + " ".join(f"`{escape(truncate(b, 40)).replace('`', 'ˋ')}`" for b in entry.badges[:6])
    tail: list[str] = []
    if entry.meta:
        tail.append(f"_{escape(truncate(entry.meta, 300))}_")
    if entry.sources:
        outlets = [link(url, truncate(outlet, 80)) for outlet, url in entry.sources[:8]]
        more = len(entry.sources) - 8
        tail.append("Also: " + ", ".join(outlets) + (f" and {more} more" if more > 0 else ""))
    if entry.citation:
        cite = entry.citation
        tail.append(f"Source: {link(cite.url, truncate(cite.title, 300))} ({escape(truncate(cite.label, 100))})")
    head = title
    fixed = len(head) + sum(len(t) + 1 for t in tail)
    body = ""
    if entry.text:
        room = MAX_SECTION_CHARS - fixed - 1
        body = _fit(entry.text, room) if room > 20 else ""
    parts = [head] + ([body] if body else []) + tail
    # Small print gives way whole (never cut inside an entity or a link) until it fits.
    while len("\n".join(parts)) > MAX_SECTION_CHARS and len(parts) > 1:
        parts.pop()
    if len(parts[0]) > MAX_SECTION_CHARS:
        parts = [f"*{_fit(entry.title, MAX_SECTION_CHARS - 2)}*"]
    return "\n".join(parts)


def _more_block(count: int) -> dict[str, Any]:
    return _context(f"…and {count} more")


def _fallback_text(reply: Reply) -> str:
    """Notification and screen-reader text: title plus the first lines, escaped."""
    lines = [reply.title]
    for section in reply.sections:
        if section.heading:
            lines.append(section.heading)
        if section.text:
            lines.append(section.text)
        lines.extend(f"• {e.title}" for e in section.entries[:10])
    return _fit("\n".join(lines), MAX_FALLBACK_CHARS)


def _body_units(reply: Reply) -> list[tuple[dict[str, Any], bool]]:
    """The reply's blocks in order, each flagged True when it is an entry (countable for "and N more")."""
    units: list[tuple[dict[str, Any], bool]] = []
    for section in reply.sections:
        if section.heading:
            units.append((_section(f"*{_fit(section.heading, MAX_SECTION_CHARS - 2)}*"), False))
        if section.text:
            # Long prose is spread over several blocks rather than cut.
            text = section.text
            while text:
                chunk, text = text[:2500], text[2500:]
                units.append((_section(_fit(chunk, MAX_SECTION_CHARS)), False))
        for entry in section.entries:
            units.append((_section(_entry_text(entry)), True))
        if section.more:
            units.append((_more_block(section.more), False))
    return units


def _block_chars(block: dict[str, Any]) -> int:
    if "text" in block:
        return len(block["text"]["text"])
    return sum(len(el.get("text", "")) for el in block.get("elements", []))


def share_button(value: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "briefbot_share",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION_ID,
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": value[:MAX_BUTTON_VALUE],
            }
        ],
    }


def attribution(user_id: str) -> str:
    """`Shared by <@U…>`; the id comes from Slack's signed payload and is still checked."""
    if _USER_ID.match(user_id or ""):
        return f"Shared by <@{user_id}>"
    return "Shared from /brief"


def render_reply(reply: Reply, *, share_value: str | None = None, shared_by: str | None = None) -> list[Message]:
    """The reply as one or more Slack messages, each `{"text": …, "blocks": […]}`.

    `share_value` (the command line, for private shareable replies) adds a
    "Share in channel" button to the last message; `shared_by` (a user id)
    adds an attribution line to the first.
    """
    header = {"type": "header", "text": {"type": "plain_text", "text": _fit(reply.title or "briefbot", MAX_HEADER_CHARS), "emoji": False}}
    top: list[dict[str, Any]] = [header]
    if shared_by is not None:
        top.append(_context(attribution(shared_by)))
    bottom: list[dict[str, Any]] = []
    if reply.footer:
        bottom.append(_context(_fit(reply.footer, MAX_CONTEXT_CHARS)))
    if share_value is not None and reply.private and reply.shareable:
        bottom.append(share_button(share_value))

    units = _body_units(reply)
    messages: list[list[dict[str, Any]]] = [list(top)]
    chars = sum(_block_chars(b) for b in top)
    reserve = len(bottom) + 1  # room for the closing blocks and an "and N more"
    reserve_chars = sum(_block_chars(b) for b in bottom) + 100
    leftover_entries = 0
    for index, (block, is_entry) in enumerate(units):
        current = messages[-1]
        size = _block_chars(block)
        last_message = len(messages) == MAX_MESSAGES
        limit_blocks = MAX_BLOCKS - (reserve if last_message else 0)
        if len(current) + 1 > limit_blocks or chars + size > MAX_BLOCK_CHARS_PER_MESSAGE - (reserve_chars if last_message else 0):
            if last_message:
                leftover_entries = sum(1 for _, e in units[index:] if e) + _pending_more(units[index:])
                break
            messages.append([])
            current = messages[-1]
            chars = 0
        current.append(block)
        chars += size
    if leftover_entries:
        messages[-1].append(_more_block(leftover_entries))
    messages[-1].extend(bottom)

    text = _fallback_text(reply)
    out: list[Message] = []
    for i, blocks in enumerate(messages):
        part_text = text if i == 0 else _fit(f"{reply.title} (continued)", MAX_FALLBACK_CHARS)
        out.append({"text": part_text, "blocks": blocks})
    return out


def _pending_more(units: list[tuple[dict[str, Any], bool]]) -> int:
    """Counts already summarised as "…and N more" blocks in the part that is cut off."""
    total = 0
    for block, is_entry in units:
        if not is_entry and block.get("type") == "context":
            match = re.match(r"…and (\d+) more", block["elements"][0]["text"])
            if match:
                total += int(match.group(1))
    return total

