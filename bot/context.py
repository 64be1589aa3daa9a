"""What every handler gets as `app`: settings and the services it may call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import LanguageStore
from bot.settings import Settings


class Leadership(Protocol):
    """The bot processes sharing the database (bot/data/instances.py: Deployment)."""

    async def lead(self) -> bool:
        """Whether this process runs the once-per-deployment work (the scheduler)."""
        ...


@dataclass
class AppContext:
    """Injected into handlers by aiogram as the keyword argument `app`."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    i18n: I18n
    languages: LanguageStore
    clock: Clock
    # The bot processes sharing the database (set when the bot runs; None in the console).
    deployment: Leadership | None = None
    # SQLite's autocommit engine of single-statement writes (bot/data/engine.py write_now);
    # None on PostgreSQL and in-memory SQLite.
    writer: AsyncEngine | None = None
    # Each user's latest consent answer as this process last read or wrote it
    # (bot/usecases/consent.py); None, no cache, when several processes share the database
    # (REDIS_URL): an answer given or withdrawn through another one must be seen at once.
    consent_cache: dict[int, Any] | None = None

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.staff_user_ids
