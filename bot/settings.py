"""Configuration from environment variables (and `.env` when present)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property
from itertools import pairwise
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bot.sqlite3"
WEBHOOK_SECRET_MIN_LENGTH = 32
# Seconds of a claim beyond the longest wait + request: the least to write the outcome, and
# what a derived claim adds (the outcome is fenced anyway: bot/outbox/store.py).
OUTBOX_LEASE_MARGIN = 1.0
OUTBOX_LEASE_SLACK = 29.0
# Telegram's secret_token: 1-256 characters A-Z, a-z, 0-9, _ and - (setWebhook).
_SECRET_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")
_MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def webhook_secret_problem(secret: str | None) -> str | None:
    """Why `secret` cannot guard the webhook, or None when it can.

    The secret is the only proof that a POST comes from Telegram: required, at
    least 32 characters Telegram accepts, and not obviously guessable (a few
    distinct characters, or a run like "aaaa…" / "abcd…"); a random one from
    `secrets.token_urlsafe(32)` or `openssl rand -hex 32` always passes."""
    hint = f"generate one with: {_MAKE_SECRET}"
    if not secret:
        return f"WEBHOOK_SECRET is required in webhook mode (WEBHOOK_URL is set); {hint}"
    if len(secret) < WEBHOOK_SECRET_MIN_LENGTH or len(secret) > 256:
        return (
            f"WEBHOOK_SECRET must be {WEBHOOK_SECRET_MIN_LENGTH}-256 characters long "
            f"(it has {len(secret)}); {hint}"
        )
    if not _SECRET_CHARACTERS.fullmatch(secret):
        return f"WEBHOOK_SECRET may contain only A-Z, a-z, 0-9, _ and - (Telegram's rule); {hint}"
    steps = Counter(ord(b) - ord(a) for a, b in pairwise(secret))
    if len(set(secret)) < 8 or steps.most_common(1)[0][1] * 2 > len(secret) - 1:
        return f"WEBHOOK_SECRET is not random (repeated or sequential characters); {hint}"
    return None


class Settings(BaseSettings):
    """Every knob of the bot; names are the contract of architecture.md."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    bot_api_url: str = "https://api.telegram.org"
    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL connections of one process: at most pool size + overflow; N processes need
    # N × that below the server's max_connections (README, "several processes").  Unset: 20 + 0
    # (bot/data/engine.py POSTGRESQL_POOL: a burst keeps its connections instead of opening
    # new ones — with SQLAlchemy's 5 + 10 the ones beyond 5 were closed when returned).
    database_pool_size: int = Field(default=20, ge=1)
    database_max_overflow: int = Field(default=0, ge=0)
    redis_url: str | None = None
    staff_chat_id: int | None = None
    staff_user_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"  # behind a reverse proxy; "0.0.0.0" to expose it
    webhook_port: int = 8080
    log_level: str = "INFO"
    default_locale: str = "ru"
    # Outbox sender pacing (Telegram limits, Bot FAQ).
    outbox_global_rate: float = 29.0
    outbox_private_interval: float = 1.0
    outbox_group_per_minute: int = 20
    # Outbox sender mechanics (bot/outbox/sender.py; tests shorten them).
    outbox_poll_interval: float = 1.0
    outbox_batch_size: int = 50
    # The lease: a claimed row waits at most `outbox_claim_ahead` s for its turn, its request
    # lasts at most `outbox_request_timeout` s, so the claim must outlive both (+ a margin to
    # write the outcome). Unset: derived; set too short: refused at start (see the validator).
    outbox_claim_seconds: float | None = None
    outbox_claim_ahead: float = 10.0
    outbox_request_timeout: float = 20.0
    # Failed sends (5xx, network) are retried with back-off for this long (GOV.UK Notify: 72 h).
    outbox_retry_window: float = 72 * 3600.0
    outbox_backoff_base: float = 2.0
    outbox_backoff_max: float = 600.0
    outbox_send_delay: float = 0.0  # testing: pause between claim and the API call
    scheduler_interval: float = 3600.0
    # The Department's own copy of the documents parents send (bot/data/documents.py).
    documents_dir: str = "./data/documents"

    @model_validator(mode="after")
    def _lease_outlives_a_request(self) -> Settings:
        """The lease is longer than the longest wait for a turn plus the longest request,
        by construction: derived when unset, refused when set shorter."""
        if self.outbox_request_timeout < 1:
            raise ValueError("OUTBOX_REQUEST_TIMEOUT must be at least 1 second")
        if self.outbox_claim_ahead <= 0:
            raise ValueError("OUTBOX_CLAIM_AHEAD must be positive")
        needed = self.outbox_claim_ahead + self.outbox_request_timeout + OUTBOX_LEASE_MARGIN
        if self.outbox_claim_seconds is None:
            self.outbox_claim_seconds = needed + OUTBOX_LEASE_SLACK
        elif self.outbox_claim_seconds < needed:
            raise ValueError(
                f"OUTBOX_CLAIM_SECONDS={self.outbox_claim_seconds:g} is too short: a claimed "
                f"notification may wait OUTBOX_CLAIM_AHEAD={self.outbox_claim_ahead:g} s for its "
                f"turn and its request may last OUTBOX_REQUEST_TIMEOUT="
                f"{self.outbox_request_timeout:g} s, so the claim needs at least {needed:g} s "
                f"(+{OUTBOX_LEASE_MARGIN:g} s to write the outcome); leave it unset to derive it"
            )
        return self

    @model_validator(mode="after")
    def _pool_holds_the_lock_and_a_session(self) -> Settings:
        """On PostgreSQL one pooled connection holds the deployment's advisory locks for the
        process lifetime (bot/data/instances.py): with fewer than two nothing else could run."""
        if self.database_pool_size + self.database_max_overflow < 2:
            raise ValueError(
                f"DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW = "
                f"{self.database_pool_size + self.database_max_overflow} is too small: one "
                "connection holds the process's locks, so at least 2 are needed"
            )
        return self

    @property
    def outbox_lease(self) -> float:
        """The claim's length in seconds (derived or validated above)."""
        assert self.outbox_claim_seconds is not None
        return self.outbox_claim_seconds

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

    def webhook_problem(self) -> str | None:
        """Why webhook mode must not start with these settings (None: it may)."""
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else None
        return webhook_secret_problem(secret)

    @cached_property
    def staff_enabled(self) -> bool:
        return self.staff_chat_id is not None
