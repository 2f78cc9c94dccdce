"""Digest settings from the environment (kept beside the feature so it merges cleanly)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DigestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    first_digest_hours: float = Field(default=24.0, alias="BRIEFBOT_FIRST_DIGEST_HOURS", gt=0, le=24 * 31)
    tick_seconds: float = Field(default=5.0, alias="BRIEFBOT_WORKER_TICK", gt=0, le=3600)
    send_concurrency: int = Field(default=32, alias="BRIEFBOT_SEND_CONCURRENCY", ge=1, le=512)

    @property
    def first_window(self) -> timedelta:
        return timedelta(hours=self.first_digest_hours)
