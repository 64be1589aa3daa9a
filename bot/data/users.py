"""Users and their chosen language (cached: read on every update)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data.models import User


class UserLanguages:
    """The language each user chose; a small cache in front of `users`.

    `cache=False` when several processes share the database (REDIS_URL): a
    language chosen through another process must be seen at the next update."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, cache: bool = True
    ) -> None:
        self._sessionmaker = sessionmaker
        self._caching = cache
        self._cache: dict[int, str | None] = {}

    async def get(self, user_id: int) -> str | None:
        if user_id in self._cache:
            return self._cache[user_id]
        async with self._sessionmaker() as session:
            user = await session.get(User, user_id)
            language = user.language if user else None
        if self._caching:
            self._cache[user_id] = language
        return language

    async def set(self, user_id: int, language: str) -> None:
        async with self._sessionmaker() as session:
            user = await session.get(User, user_id)
            if user is None:
                session.add(User(id=user_id, language=language))
            else:
                user.language = language
            await session.commit()
        if self._caching:
            self._cache[user_id] = language
