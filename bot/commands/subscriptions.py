"""`/brief subscribe|unsubscribe|subscriptions|digest|why`: a channel's standing orders."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from bot.commands import Command, Invocation
from bot.digest.compose import Candidate, matches_keyword
from bot.digest.plan import FIRST_WINDOW, compose_for_channel
from bot.digest.schedule import ScheduleError, parse_schedule, zone
from bot.digest.settings import DigestSettings
from bot.digest.sink import Destination
from bot.reply import ChatContext, Entry, Reply, Section, usage
from bot.themes import THEMES, get_theme, resolve_theme
from storage.models import ItemTheme, Subscription
from storage.outbox import find_item_by_link, item_delivery
from storage.subscriptions import (
    MAX_KEYWORD_CHARS,
    MAX_PER_CHANNEL,
    SubscriptionLimitError,
    channel_subscriptions,
    list_subscriptions,
    schedule_of,
    subscribe,
    unsubscribe,
)

SUBSCRIBE_USAGE = (
    "`/brief subscribe <theme|\"keyword\"> [daily 08:00 Europe/London | weekly mon 09:00 America/New_York | instant [0.7]]`\n"
    "Without a schedule: daily at 08:00 UTC."
)
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»"}


def _dest(ctx: ChatContext) -> Destination:
    return Destination(platform=ctx.platform, workspace=ctx.workspace, channel=ctx.channel)


def theme_list() -> str:
    return ", ".join(t.id for t in THEMES)


def split_target(raw: str) -> tuple[str | None, str, list[str]]:
    """(kind, value, remaining words) where kind is 'keyword' for quoted text, 'theme' for a bare word, None if empty."""
    raw = raw.strip()
    if not raw:
        return None, "", []
    if raw[0] in _QUOTES:
        close = raw.find(_QUOTES[raw[0]], 1)
        if close == -1 and raw[0] == "“":
            close = raw.find('"', 1)
        if close == -1:
            return "keyword", raw[1:].strip(), []
        return "keyword", raw[1:close].strip(), raw[close + 1:].split()
    word, _, rest = raw.partition(" ")
    return "theme", word, rest.split()


def _target_label(sub: Subscription) -> str:
    if sub.target_kind == "theme":
        theme = get_theme(sub.target)
        return f"{theme.name} ({sub.target})" if theme else sub.target
    return f"“{sub.target}”"


def _schedule_label(sub: Subscription, now: datetime) -> str:
    text = schedule_of(sub).describe()
    if not sub.enabled:
        return f"{text} · paused: {sub.disabled_reason or 'disabled'}"
    if sub.next_run_at:
        local = sub.next_run_at.astimezone(zone(sub.tz))
        text += f" · next {local:%a %d %b %H:%M %Z}"
    return text


def _validate_keyword(keyword: str) -> Reply | None:
    if not keyword or not re.search(r"\w", keyword):
        return usage("That keyword is empty", 'Put the words to watch in quotes, e.g. `/brief subscribe "TC260"`.')
    if len(keyword) > MAX_KEYWORD_CHARS:
        return usage(
            "That keyword is too long",
            f"Keywords are at most {MAX_KEYWORD_CHARS} characters (yours has {len(keyword)}). Watch a short, distinctive phrase such as \"TC260\".",
        )
    return None


async def subscribe_cmd(inv: Invocation) -> Reply:
    kind, value, rest = split_target(inv.raw)
    if kind is None:
        return usage("Subscribe to what?", f"{SUBSCRIBE_USAGE}\nThemes: {theme_list()}.")
    if kind == "theme":
        theme = resolve_theme(value)
        if theme is None:
            return usage(
                f"Unknown theme “{value[:40]}”",
                f"Themes: {theme_list()}.\nTo watch a word or phrase instead, put it in quotes: `/brief subscribe \"{value[:40]}\"`.",
            )
        value = theme.id
    else:
        value = " ".join(value.split())
        problem = _validate_keyword(value)
        if problem:
            return problem
    try:
        schedule = parse_schedule(rest)
    except ScheduleError as exc:
        return usage("That schedule doesn't work", f"{exc}\n{SUBSCRIBE_USAGE}")
    now = inv.services.clock()
    try:
        sub, created = await subscribe(inv.services.db, _dest(inv.ctx), kind, value, schedule, now)
    except SubscriptionLimitError:
        return usage(
            "This channel has too many subscriptions",
            f"A channel can have at most {MAX_PER_CHANNEL}. Remove some with `/brief unsubscribe <theme|\"keyword\">` "
            "(see `/brief subscriptions`), or combine keywords into a theme.",
        )
    verb = "Subscribed" if created else "Updated"
    return Reply(
        title=f"{verb}: {_target_label(sub)}",
        sections=(Section(text=f"This channel gets {_schedule_label(sub, now)}."),),
    )


async def unsubscribe_cmd(inv: Invocation) -> Reply:
    kind, value, _ = split_target(inv.raw)
    dest = _dest(inv.ctx)
    if kind is None:
        return usage("Unsubscribe from what?", '`/brief unsubscribe <theme|"keyword"|all>` (see `/brief subscriptions`).')
    if kind == "theme" and value.lower() == "all":
        removed = await unsubscribe(inv.services.db, dest, None, None)
        if not removed:
            return Reply(title="This channel has no subscriptions", kind="empty")
        return Reply(title=f"Unsubscribed from everything ({removed} subscription{'s' if removed != 1 else ''})")
    if kind == "theme":
        theme = resolve_theme(value)
        value = theme.id if theme else value
    removed = await unsubscribe(inv.services.db, dest, kind, " ".join(value.split()))
    if removed:
        label = f"“{value}”" if kind == "keyword" else value
        return Reply(title=f"Unsubscribed from {label}")
    subs = await channel_subscriptions(inv.services.db, dest)
    current = ", ".join(_target_label(s) for s in subs) or "nothing"
    return Reply(
        title=f"This channel isn't subscribed to “{value[:60]}”",
        sections=(Section(text=f"Current subscriptions: {current}."),),
        kind="empty",
    )


async def subscriptions_cmd(inv: Invocation) -> Reply:
    subs = await channel_subscriptions(inv.services.db, _dest(inv.ctx))
    if not subs:
        return Reply(
            title="This channel has no subscriptions",
            sections=(Section(text=f"{SUBSCRIBE_USAGE}\nThemes: {theme_list()}."),),
            kind="empty",
        )
    now = inv.services.clock()
    entries = tuple(
        Entry(title=_target_label(s), text=_schedule_label(s, now), badges=() if s.enabled else ("paused",)) for s in subs
    )
    return Reply(title=f"This channel's subscriptions ({len(subs)})", sections=(Section(entries=entries),))


async def digest_cmd(inv: Invocation) -> Reply:
    """A private preview of what the next digest would hold now; nothing is recorded."""
    db = inv.services.db
    dest = _dest(inv.ctx)
    now = inv.services.clock()
    async with db.read() as session:
        subs = [s for s in await list_subscriptions(session, dest) if s.mode != "instant"]
        if inv.args:
            theme = resolve_theme(inv.args[0])
            if theme is None:
                return usage(f"Unknown theme “{inv.args[0][:40]}”", f"Themes: {theme_list()}.")
            existing = next((s for s in subs if s.target_kind == "theme" and s.target == theme.id), None)
            subs = [existing or Subscription(target_kind="theme", target=theme.id, mode="daily", tz="UTC", last_run_at=None)]
        if not subs:
            return Reply(
                title="Nothing to preview: this channel has no digest subscriptions",
                sections=(Section(text=f"Try `/brief digest <theme>`, or subscribe: {SUBSCRIBE_USAGE}"),),
                kind="empty",
            )
        composed = await compose_for_channel(session, dest, subs, now, DigestSettings().first_window)
    if composed is None:
        return Reply(title="Nothing new since the last digest", kind="empty")
    reply = composed.reply
    return Reply(title=f"Preview — {reply.title}", sections=reply.sections, private=True, shareable=True)


async def why_cmd(inv: Invocation) -> Reply:
    link = inv.args[0] if inv.args else ""
    if not link:
        return usage("Why what?", "`/brief why <link>`: paste the link of a stored item.")
    dest = _dest(inv.ctx)
    async with inv.services.db.read() as session:
        item = await find_item_by_link(session, link)
        if item is None:
            return Reply(title="That link isn't among the stored items", sections=(Section(text=link[:300]),), kind="empty")
        themes = list(await session.execute(select(ItemTheme.theme, ItemTheme.score).where(ItemTheme.item_id == item.id)))
        delivery = await item_delivery(session, dest, item.id)
        subs = await list_subscriptions(session, dest)
    lines = []
    if themes:
        lines.append("Themes: " + ", ".join(f"{t} ({s:.2f})" for t, s in sorted(themes, key=lambda r: -r[1])))
    else:
        lines.append("Themes: none (off-topic)" if item.relevant is False else "Themes: none assigned")
    if item.stance:
        lines.append(f"Stance: {item.stance}")
    if item.evidence:
        lines.append("Evidence: " + "; ".join(f"“{e}”" for e in item.evidence[:4]))
    lines.append(status_line(item, themes, delivery, subs))
    return Reply(title=f"Why: {item.title[:200] or '(untitled)'}", sections=(Section(text="\n".join(lines)),))


def status_line(item, themes, delivery, subs: list[Subscription]) -> str:
    if delivery is not None:
        if delivery.state == "sent" and delivery.sent_at:
            return f"Delivered to this channel in a {delivery.kind} at {delivery.sent_at:%Y-%m-%d %H:%M} UTC."
        if delivery.state == "failed":
            return f"A {delivery.kind} carrying it to this channel failed: {delivery.last_error}."
        return f"Queued for this channel in a {delivery.kind} (state: {delivery.state})."
    theme_ids = {t for t, _ in themes}
    candidate = Candidate(item.id, item.title or "", item.url, item.summary or "", item.published_at, {})
    matching = [
        s for s in subs
        if (s.target_kind == "theme" and s.target in theme_ids) or (s.target_kind == "keyword" and matches_keyword(candidate, s.target))
    ]
    if not subs:
        return "Not delivered here: this channel has no subscriptions."
    if not matching:
        return "Not delivered here: none of this channel's subscriptions match it."
    sub = matching[0]
    if not sub.enabled:
        return f"Not delivered here: the matching subscription is paused ({sub.disabled_reason})."
    if sub.mode == "instant":
        score = max((s for t, s in themes if t == sub.target), default=None)
        if sub.target_kind == "theme" and score is not None and sub.min_score is not None and score < sub.min_score:
            return f"Not delivered here: its score {score:.2f} is below this channel's alert threshold {sub.min_score:.2f}."
        return "Not delivered here: it arrived before the alert subscription or outside the alert window."
    if sub.last_run_at is not None and item.published_at < sub.last_run_at - FIRST_WINDOW:
        return "Not delivered here: it was published before this channel's digest window."
    if sub.next_run_at:
        return f"Not delivered yet: it is due in the next digest at {sub.next_run_at:%Y-%m-%d %H:%M} UTC."
    return "Not delivered here."


COMMANDS = [
    Command("subscribe", 'subscribe <theme|"keyword"> [daily HH:MM Zone | weekly day HH:MM Zone | instant]',
            "Get a digest or alerts for a theme or keyword in this channel", subscribe_cmd, aliases=("sub",), manage=True),
    Command("unsubscribe", 'unsubscribe <theme|"keyword"|all>', "Stop a subscription in this channel", unsubscribe_cmd,
            aliases=("unsub",), manage=True),
    Command("subscriptions", "subscriptions", "This channel's subscriptions, schedules and status", subscriptions_cmd,
            aliases=("subs",)),
    Command("digest", "digest [theme]", "Preview the next digest for this channel (only you see it)", digest_cmd),
    Command("why", "why <link>", "Why an item was (or was not) delivered here: themes, scores, evidence", why_cmd),
]
