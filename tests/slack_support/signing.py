"""Requests signed the way Slack signs them (v0:timestamp:body, HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode


def signature(secret: str, timestamp: int, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: str, content_type: str, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(secret, ts, body),
    }


def slash_body(text: str, *, response_url: str, team: str = "T1", channel: str = "C1", user: str = "U1") -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "policy",
            "user_id": user,
            "user_name": "analyst",
            "command": "/brief",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def share_body(value: str, *, response_url: str, team: str = "T1", channel: str = "C1", user: str = "U2") -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": "example"},
        "user": {"id": user, "username": "sharer", "team_id": team},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": channel, "is_ephemeral": True},
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "policy"},
        "response_url": response_url,
        "actions": [
            {"action_id": "briefbot_share", "block_id": "briefbot_share", "type": "button", "value": value, "action_ts": "1.2"}
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict, *, team: str = "T1") -> str:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": team,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": "Ev1",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
        }
    )
