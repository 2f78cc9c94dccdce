"""`briefbot worker` (the digest scheduler and sender) and `briefbot digest` (a preview)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
from datetime import datetime, timedelta
from pathlib import Path

from bot.commands import utc_now
from bot.digest.console_sink import ConsoleSink
from bot.digest.sink import Destination, Sink
from bot.reply import Reply
from bot.runtime import Runtime, open_runtime

DEMO_THEMES = ("us-china-dialogue", "export-controls-compute", "standards-evaluations", "china-ai-governance")
DEMO_CHANNEL = Destination(platform="console", workspace="local", channel="demo-briefing")


def add_commands(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser("worker", help="run the feed poller and the digest scheduler and sender")
    worker.add_argument("--once", action="store_true", help="run one digest tick (plan and send what is due) and exit")
    worker.add_argument("--feeds", type=Path, metavar="PATH", help="feeds file (default: $BRIEFBOT_FEEDS or ./feeds.yaml)")
    worker.add_argument("--no-poll", action="store_true", help="digests only: leave polling to another process")
    worker.set_defaults(func=_worker)
    digest = sub.add_parser("digest", help="print the digest a channel would get now (nothing is sent or recorded)")
    digest.add_argument("--channel", default="console", help="channel id (default: console)")
    digest.add_argument("--platform", default="console", help="console | slack | discord (default: console)")
    digest.add_argument("--workspace", default="local", help="Slack team or Discord guild id (default: local)")
    digest.add_argument("--print", action="store_true", help="print as plain text (the default)")
    digest.set_defaults(func=_digest)


# Modules with `make_sink(runtime) -> Sink | None` (None when that platform is not configured).
SINK_MODULES: tuple[str, ...] = ("bot.adapters.slack_cli", "bot.adapters.discord_cli")


def default_sinks(runtime: Runtime) -> dict[str, Sink]:
    """The console sink, plus every chat sink whose platform is configured."""
    sinks: dict[str, Sink] = {"console": ConsoleSink()}
    for name in SINK_MODULES:
        sink = importlib.import_module(name).make_sink(runtime)
        if sink is not None:
            sinks[sink.platform] = sink
    return sinks


def _worker(args: argparse.Namespace) -> int:
    from bot.service import run_services, stop_on_signals
    from bot.worker import run_once

    async def run() -> None:
        async with open_runtime() as rt:
            if args.once:
                await run_once(rt.db, default_sinks(rt))
                return
            await run_services(rt, stop_on_signals(), feeds_path=args.feeds, poll=not args.no_poll, chat=False)

    asyncio.run(run())
    return 0


def _digest(args: argparse.Namespace) -> int:
    from bot.commands import CommandCore, Services
    from bot.reply import ChatContext

    async def run() -> Reply:
        async with open_runtime() as rt:
            core = CommandCore(Services(db=rt.db), ("bot.commands.subscriptions",))
            ctx = ChatContext(platform=args.platform, workspace=args.workspace, channel=args.channel)
            return await core.run("digest", ctx)

    print(asyncio.run(run()).to_text())
    return 0


async def demo_digest(
    runtime: Runtime, clock=utc_now, *, themes: tuple[str, ...] = DEMO_THEMES, first_window: timedelta = timedelta(days=3650)
) -> Reply | None:
    """Subscribe a console channel to a few themes and return the digest it gets now (recorded, printed, marked sent).

    The bundled sample feeds carry fixed dates, so the demo looks back further
    than the 24 hours a real first digest does.
    """
    from sqlalchemy import update

    from bot.digest.deliver import send_due
    from bot.digest.plan import plan_digests
    from bot.digest.schedule import Schedule
    from storage.models import Subscription
    from storage.subscriptions import subscribe

    now: datetime = clock()
    for theme in themes:
        await subscribe(runtime.db, DEMO_CHANNEL, "theme", theme, Schedule(mode="daily", at_time="08:00", tz="UTC"), now)
    async with runtime.db.transaction() as session:  # due now, whatever the clock says
        await session.execute(
            update(Subscription)
            .where(Subscription.platform == DEMO_CHANNEL.platform, Subscription.workspace == DEMO_CHANNEL.workspace,
                   Subscription.channel == DEMO_CHANNEL.channel)
            .values(next_run_at=now)
        )
    captured: list[Reply] = []

    class _Capture(ConsoleSink):
        async def send(self, dest, message, key):
            captured.append(message)
            return await super().send(dest, message, key)

    await plan_digests(runtime.db, now, first_window=first_window)
    await send_due(runtime.db, {"console": _Capture()}, clock=clock)
    return captured[-1] if captured else None
