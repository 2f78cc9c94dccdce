"""Settings from the environment (and a `.env` file when present).

Secrets live only here and are never logged: `Settings.__repr__` masks them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    feeds_path: Path = Field(default=Path("feeds.yaml"), alias="BRIEFBOT_FEEDS")
    log_level: str = Field(default="INFO", alias="BRIEFBOT_LOG_LEVEL")

    # Ingestion limits.
    max_concurrency: int = Field(default=128, alias="BRIEFBOT_MAX_CONCURRENCY", ge=1, le=1024)
    per_host_concurrency: int = Field(default=4, alias="BRIEFBOT_PER_HOST_CONCURRENCY", ge=1, le=64)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, alias="BRIEFBOT_MAX_BODY_BYTES", ge=1024)
    fetch_timeout: float = Field(default=30.0, alias="BRIEFBOT_FETCH_TIMEOUT", gt=0)
    default_poll_minutes: int = Field(default=30, alias="BRIEFBOT_POLL_MINUTES", ge=1)
    parse_workers: int | None = Field(default=None, alias="BRIEFBOT_PARSE_WORKERS", ge=1)

    # Chat platforms.
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    # Comma-separated Slack user ids allowed to change subscriptions; empty: everyone in the channel.
    slack_managers: str = Field(default="", alias="BRIEFBOT_SLACK_MANAGERS")
    port: int = Field(default=3000, alias="PORT", ge=1, le=65535)
    discord_token: SecretStr | None = Field(default=None, alias="DISCORD_TOKEN")
    discord_api_url: str | None = Field(default=None, alias="DISCORD_API_URL")
    discord_guild_id: int | None = Field(default=None, alias="DISCORD_GUILD_ID")
    discord_application_id: int | None = Field(default=None, alias="DISCORD_APPLICATION_ID")
    # Members with this role (name or id) may change subscriptions without Manage Channels.
    discord_manager_role: str | None = Field(default=None, alias="BRIEFBOT_DISCORD_MANAGER_ROLE")
    # Splitting shards across processes: each process runs DISCORD_SHARD_IDS ("0,1") of DISCORD_SHARD_COUNT.
    discord_shard_count: int | None = Field(default=None, alias="DISCORD_SHARD_COUNT", ge=1)
    discord_shard_ids: str | None = Field(default=None, alias="DISCORD_SHARD_IDS")

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = first["loc"][0] if first["loc"] else "settings"
        raise ConfigError(f"setting {name}: {first['msg']}") from None
