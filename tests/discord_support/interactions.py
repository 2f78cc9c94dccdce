"""Interaction payloads shaped as Discord's gateway sends them (INTERACTION_CREATE)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.discord_support.standin import APP_ID, user_payload

GUILD_ID = 700000000000000001
CHANNEL_ID = 700000000000000002
USER_ID = 700000000000000003
MANAGE_CHANNELS = 1 << 4
VIEW_AND_SEND = (1 << 10) | (1 << 11)

_ids = itertools.count(800000000000000001)


def _base(kind: int, data: dict[str, Any], permissions: int, roles: list[str] | None = None) -> dict[str, Any]:
    interaction_id = str(next(_ids))
    return {
        "id": interaction_id, "application_id": str(APP_ID), "type": kind, "token": f"token-{interaction_id}",
        "version": 1, "guild_id": str(GUILD_ID), "channel_id": str(CHANNEL_ID),
        "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "policy", "position": 0,
                    "permission_overwrites": [], "nsfw": False, "parent_id": None},
        "member": {"user": user_payload(USER_ID, "ana"), "roles": roles or [], "joined_at": "2026-01-01T00:00:00+00:00",
                   "deaf": False, "mute": False, "flags": 0, "permissions": str(permissions)},
        "app_permissions": str(VIEW_AND_SEND), "locale": "en-GB", "guild_locale": "en-US",
        "attachment_size_limit": 8 * 1024 * 1024, "entitlements": [], "authorizing_integration_owners": {}, "context": 0,
        "data": data,
    }


def option(name: str, value: Any, *, focused: bool = False) -> dict[str, Any]:
    kind = 4 if isinstance(value, int) else 3
    opt: dict[str, Any] = {"name": name, "type": kind, "value": value}
    if focused:
        opt["focused"] = True
    return opt


def brief(sub: str, *options: dict[str, Any], permissions: int = VIEW_AND_SEND, autocomplete: bool = False,
          roles: list[str] | None = None) -> dict[str, Any]:
    """/brief <sub> with options; type 4 (autocomplete) when `autocomplete`."""
    data = {"id": "1", "name": "brief", "type": 1, "options": [{"name": sub, "type": 1, "options": list(options)}]}
    return _base(4 if autocomplete else 2, data, permissions, roles)


def top_level(name: str, *options: dict[str, Any], permissions: int = VIEW_AND_SEND, autocomplete: bool = False) -> dict[str, Any]:
    data = {"id": "2", "name": name, "type": 1, "options": list(options)}
    return _base(4 if autocomplete else 2, data, permissions)


def button(custom_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """A click on a button of `message` (type 3, MESSAGE_COMPONENT)."""
    payload = _base(3, {"custom_id": custom_id, "component_type": 2}, VIEW_AND_SEND)
    payload["message"] = message
    return payload
