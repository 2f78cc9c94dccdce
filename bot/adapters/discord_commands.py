"""The /brief subcommands as Discord sees them: a declarative spec matching the core's usage strings.

Discord wants typed options; the command core wants the words after `/brief`.
Each subcommand here names its options in the core's order, so translating an
interaction back into core text is one generic function, `core_text`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Suggest = Literal["theme", "topic", "unsubscribe", "schedule", "fact"]


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    kind: type = str  # str or int
    required: bool = False
    suggest: Suggest | None = None  # which autocomplete feeds this option
    rest: bool = False  # several words passed through as typed (a query, a schedule), not one quoted word
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class Subcommand:
    name: str
    description: str
    params: tuple[Param, ...] = ()
    defer: bool = False  # known to take a while: acknowledge at once instead of waiting
    private: bool = True  # reply only to the caller unless the reply says otherwise


THEME = Param("theme", "Theme id, e.g. export-controls-compute", suggest="theme")

SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "What briefbot can do"),
    Subcommand("fact", "Look up a cited fact", (
        Param("query", "What to look up, e.g. hotline", required=True, suggest="fact", rest=True),
    )),
    Subcommand("latest", "Latest items, for one theme or all", (
        THEME,
        Param("n", "How many items (1-25)", kind=int, min_value=1, max_value=25),
    )),
    Subcommand("topics", "The themes briefbot follows"),
    Subcommand("timeline", "Key events over time", (THEME,), defer=True),
    Subcommand("sources", "The feeds briefbot reads and their health"),
    Subcommand("subscribe", "Post a digest of a theme or keyword in this channel", (
        Param("topic", 'Theme id, or a keyword in "quotes"', required=True, suggest="topic"),
        Param("schedule", "daily HH:MM Zone, weekly DAY HH:MM Zone, or instant", suggest="schedule", rest=True),
    )),
    Subcommand("unsubscribe", "Stop a digest in this channel", (
        Param("topic", 'Theme id, "keyword", or all', required=True, suggest="unsubscribe"),
    )),
    Subcommand("subscriptions", "This channel's digests"),
    Subcommand("digest", "A digest now, for one theme or all", (THEME,), defer=True),
    Subcommand("why", "Why an item was classified as it was", (
        Param("link", "The item's link", required=True, rest=True),
    )),
)

# Options for a core command this spec does not describe: its words, passed through.
GENERIC_PARAMS: tuple[Param, ...] = (Param("args", "Arguments, as for the text command", rest=True),)


def core_text(name: str, params: tuple[Param, ...], values: Mapping[str, object]) -> str:
    """The words the core expects, e.g. `subscribe export-controls-compute daily 08:00 Europe/London`."""
    words = [name]
    for param in params:
        value = values.get(param.name)
        if value is None:
            continue
        text = " ".join(str(value).split())  # no newlines or runs of spaces from the client
        if not text:
            continue
        if param.rest or param.kind is not str:
            words.append(text)
        elif text.startswith('"') and text.endswith('"') and len(text) > 1:
            words.append(text)  # already a quoted keyword
        elif any(ch.isspace() or ch in "'\"" for ch in text):
            words.append(shlex.quote(text) if '"' in text else f'"{text}"')
        else:
            words.append(text)
    return " ".join(words)
