"""Configuration from environment variables (and `.env` when present)."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bot.sqlite3"


class Settings(BaseSettings):
    """Every knob of the bot; names are the contract of architecture.md."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    bot_api_url: str = "https://api.telegram.org"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    staff_chat_id: int | None = None
    staff_user_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    log_level: str = "INFO"
    default_locale: str = "ru"
    # Outbox sender pacing (Telegram limits, Bot FAQ).
    outbox_global_rate: float = 29.0
    outbox_private_interval: float = 1.0
    outbox_group_per_minute: int = 20
    # Outbox sender mechanics (bot/services/sender.py; tests shorten them).
    outbox_poll_interval: float = 1.0
    outbox_batch_size: int = 50
    outbox_claim_seconds: float = 60.0
    outbox_request_timeout: float = 20.0
    outbox_max_attempts: int = 12
    outbox_backoff_base: float = 2.0
    outbox_backoff_max: float = 600.0
    outbox_send_delay: float = 0.0  # testing: pause between claim and the API call
    scheduler_interval: float = 3600.0

    @field_validator("staff_user_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(
                int(part) for part in value.replace(";", ",").split(",") if part.strip()
            )
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("staff_chat_id", "redis_url", "webhook_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @cached_property
    def staff_enabled(self) -> bool:
        return self.staff_chat_id is not None
