"""Long-running processes: the worker (poller + digests) and `briefbot run` (everything in one process).

Each part runs as a task until `stop` is set. A part that crashes stops the
whole process, so the platform's process manager restarts it rather than
leaving a half-working bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.runtime import Runtime

log = logging.getLogger("briefbot.service")


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (how platforms stop a process)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def run_services(
    rt: Runtime, stop: asyncio.Event, *, feeds_path: Path | None = None, poll: bool = True, chat: bool = True
) -> None:
    """Run the poller, the digest worker and (with `chat`) every configured chat app until `stop`."""
    parts: dict[str, Callable[[], Awaitable[None]]] = {}
    if poll:
        parts["poller"] = lambda: _poller(rt, stop, feeds_path or rt.settings.feeds_path)
    parts["digests"] = lambda: _digests(rt, stop)
    if chat:
        from bot.adapters import discord_cli, slack_cli

        if slack_cli.is_configured(rt):
            parts["slack"] = lambda: slack_cli.serve(rt, stop=stop, workspace_removed=_workspace_removed(rt))
        else:
            log.info("Slack not configured (SLACK_SIGNING_SECRET or SLACK_APP_TOKEN unset): skipped")
        if discord_cli.is_configured(rt):
            parts["discord"] = lambda: _discord(rt)
        else:
            log.info("Discord not configured (DISCORD_TOKEN unset): skipped")
    log.info("running: %s", ", ".join(parts))
    tasks = {asyncio.create_task(make(), name=name): name for name, make in parts.items()}
    stopper = asyncio.create_task(stop.wait(), name="stop")
    try:
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and task.exception() is not None:
                log.error("%s stopped with an error: %s", tasks[task], task.exception())
        stop.set()
        # Parts that watch `stop` finish their current work; the rest are cancelled.
        _, pending = await asyncio.wait(tasks, timeout=15)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        stopper.cancel()
    failed = [t for t in tasks if not t.cancelled() and t.exception() is not None]
    if failed:
        raise failed[0].exception()  # type: ignore[misc]


async def _poller(rt: Runtime, stop: asyncio.Event, feeds_path: Path) -> None:
    from bot.feeds_file import load_feeds
    from bot.ingest.cli import default_classifier
    from bot.ingest.poller import run_forever

    load_feeds(feeds_path)  # a broken file at start: one clear error, not a silent loop
    await run_forever(
        rt.db, rt.settings, lambda: load_feeds(feeds_path), classify=default_classifier(), stop=stop,
        on_summary=lambda s: log.info("%s", s.to_text().replace("\n", "; ")),
    )


async def _digests(rt: Runtime, stop: asyncio.Event) -> None:
    from bot.digest.cli import default_sinks
    from bot.worker import run_digest_worker

    sinks = default_sinks(rt)
    try:
        await run_digest_worker(rt, sinks, stop=stop)
    finally:
        for sink in sinks.values():
            close = getattr(sink, "close", None)
            if close is not None:
                await close()


async def _discord(rt: Runtime) -> None:
    from bot.adapters.discord_app import serve

    await serve(rt.settings, rt.db, suggest_facts=_fact_suggester(rt))


def _fact_suggester(rt: Runtime):
    try:
        from bot.facts.suggest import suggester_for
    except ImportError:
        return None
    return suggester_for(rt.db)


def _workspace_removed(rt: Runtime) -> Callable[[str], Awaitable[None]]:
    async def pause(team_id: str) -> None:
        from storage.subscriptions import disable_workspace

        count = await disable_workspace(rt.db, "slack", team_id, "briefbot was removed from this Slack workspace")
        log.info("Slack workspace removed: paused %d subscriptions", count)

    return pause
