"""On PostgreSQL a statement that needs no transaction around it runs in AUTOCOMMIT
(bot/data/engine.py create_autocommit): one round trip instead of three (BEGIN, it,
COMMIT/ROLLBACK). So are the language read (on every update when several processes
share the database: no per-process cache with REDIS_URL — it must still be the one
stored, whoever stored it), `write_now`'s writes and the inbox's insert and done mark."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from asyncpg.connection import Connection
from asyncpg.prepared_stmt import PreparedStatement
from sqlalchemy import text

from bot.data import inbox
from bot.data.engine import create_engine, create_sessionmaker
from bot.data.migrate import upgrade_to_head
from bot.data.models import InboundUpdate
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


async def test_single_writes_and_the_inbox_marks_are_one_round_trip_each(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(pg_url)
    try:
        await upgrade_to_head(engine)
        sessionmaker = create_sessionmaker(engine)
        languages = UserLanguages(sessionmaker, cache=False)
        sent = Sent(monkeypatch)
        assert await sent.of(lambda: languages.set(7, "kk")) == (None, ["INSERT"])
        assert await languages.get(7) == "kk"
        update = {"update_id": 41, "message": {"chat": {"id": 7}, "from": {"id": 7}}}
        assert await sent.of(lambda: inbox.store(sessionmaker, [update], "me")) == (
            {41},
            ["INSERT"],
        )
        assert await inbox.store(sessionmaker, [update], "me") == set()  # stored before
        assert await sent.of(lambda: inbox.mark_done(sessionmaker, [41])) == (None, ["UPDATE"])
        async with sessionmaker() as session:
            row = await session.get(InboundUpdate, 41)
            assert row is not None and (row.status, row.payload) == ("done", None)
    finally:
        await engine.dispose()
