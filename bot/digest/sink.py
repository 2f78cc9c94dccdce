"""Where digests and alerts go. Each chat platform implements `Sink`.

The outbox calls `find_sent` before every (re)try of a delivery: a sink that
can look up an already posted message by its idempotency key (Slack message
metadata, a Discord nonce or history scan) makes a crash between "send" and
"mark sent" harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.reply import Reply


@dataclass(frozen=True)
class Destination:
    platform: str  # console | slack | discord
    workspace: str  # Slack team id, Discord guild id
    channel: str


@dataclass(frozen=True)
class SendResult:
    message_id: str


class SendError(Exception):
    """A send that did not happen."""


class TransientSendError(SendError):
    """Try again later: rate limit, server error, timeout."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Never retry: channel gone, bot removed, no access. Disables the subscription."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sink(Protocol):
    platform: str

    async def find_sent(self, dest: Destination, key: str) -> str | None:
        """The id of a message already posted with this idempotency key, if any."""
        ...

    async def send(self, dest: Destination, message: Reply, key: str) -> SendResult:
        """Post `message` (private=False) and tag it with `key`; raise a SendError subclass on failure."""
        ...
