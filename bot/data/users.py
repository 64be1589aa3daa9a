"""Users and their chosen language (cached: read on every update)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data.models import User


class UserLanguages:
    """The language each user chose; a small cache in front of `users`."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._cache: dict[int, str | None] = {}

    async def get(self, user_id: int) -> str | None:
        if user_id not in self._cache:
            async with self._sessionmaker() as session:
                user = await session.get(User, user_id)
                self._cache[user_id] = user.language if user else None
        return self._cache[user_id]

    async def set(self, user_id: int, language: str) -> None:
        async with self._sessionmaker() as session:
            user = await session.get(User, user_id)
            if user is None:
                session.add(User(id=user_id, language=language))
            else:
                user.language = language
            await session.commit()
        self._cache[user_id] = language
