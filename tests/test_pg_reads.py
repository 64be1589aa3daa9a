"""On PostgreSQL a read of one statement runs without a transaction of its own
(bot/data/engine.py create_reader): one round trip instead of three. The language
is read so on every update when several processes share the database (REDIS_URL:
no per-process cache) — and must still be the one stored, whoever stored it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from asyncpg.connection import Connection
from asyncpg.prepared_stmt import PreparedStatement
from sqlalchemy import text

from bot.data.engine import create_engine, create_sessionmaker
from bot.data.migrate import upgrade_to_head
from bot.data.users import UserLanguages

T = TypeVar("T")


class Sent:
    """The requests asyncpg sends PostgreSQL while `of` runs (first word of each;
    statement preparations, cached per connection, left out)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requests: list[str] | None = None
        for owner, name in ((Connection, "execute"), (PreparedStatement, "fetch")):
            monkeypatch.setattr(owner, name, self._recording(getattr(owner, name)))

    def _recording(self, method: Any) -> Any:
        async def call(this: Any, *args: Any, **kwargs: Any) -> Any:
            if self.requests is not None:
                query = getattr(this, "_query", None) or (args[0] if args else "")
                self.requests.append(query.split()[0].rstrip(";"))
            return await method(this, *args, **kwargs)

        return call

    async def of(self, action: Callable[[], Awaitable[T]]) -> tuple[T, list[str]]:
        self.requests = []
        try:
            return await action(), self.requests
        finally:
            self.requests = None


async def test_the_language_is_read_without_a_transaction_and_seen_across_processes(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = create_engine(pg_url), create_engine(pg_url)  # two processes
    try:
        await upgrade_to_head(here)
        languages = UserLanguages(create_sessionmaker(here), cache=False)
        others = UserLanguages(create_sessionmaker(there), cache=False)
        sent = Sent(monkeypatch)
        assert await sent.of(lambda: languages.get(7)) == (None, ["SELECT"])
        await others.set(7, "kk")
        assert await sent.of(lambda: languages.get(7)) == ("kk", ["SELECT"])
        await others.set(7, "ru")
        assert await sent.of(lambda: languages.get(7)) == ("ru", ["SELECT"])

        async def in_a_session() -> Any:  # a session on the same pool still has its BEGIN
            async with create_sessionmaker(here)() as session:
                return await session.scalar(text("SELECT 1"))

        assert await sent.of(in_a_session) == (1, ["BEGIN", "SELECT", "ROLLBACK"])
    finally:
        await here.dispose()
        await there.dispose()
