"""Entry point `briefbot` (also `python -m bot`).

Each feature registers its subcommands from its own module (listed in
COMMAND_MODULES), so this file only parses, dispatches and reports errors.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from bot import __version__
from bot.errors import BriefbotError

# Modules with `add_commands(subparsers)`; each registers its subcommands.
COMMAND_MODULES: tuple[str, ...] = (
    "bot.db_cli",
    "bot.adapters.slack_cli",
    "bot.classify.cli",
    "bot.adapters.discord_cli",
    "bot.ingest.cli",
    "bot.digest.cli",
    "bot.service_cli",
    "bot.demo.cli",
    "bot.adapters.console_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefbot",
        description="Briefing bot for US–China AI-safety diplomacy: feeds, themed digests and cited facts.",
    )
    parser.add_argument("--version", action="version", version=f"briefbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def configure_logging(verbose: bool) -> None:
    from bot.settings import get_settings

    level = logging.DEBUG if verbose else getattr(logging, get_settings().log_level, logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # Libraries' request logs would print URLs with tokens in them.
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio", "discord.http", "slack_sdk", "slack_bolt"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        configure_logging(args.verbose)
        result = args.func(args)
    except BriefbotError as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("briefbot: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)
