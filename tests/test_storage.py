"""FSM storage and migrations on SQLite, PostgreSQL (and Redis via aiogram's storage)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from sqlalchemy import inspect

from bot.data.engine import create_engine, create_sessionmaker
from bot.data.fsm_storage import SqlAlchemyStorage
from bot.data.migrate import upgrade_to_head


class Wizard(StatesGroup):
    surname = State()
    iin = State()


def key(user_id: int, chat_id: int | None = None) -> StorageKey:
    return StorageKey(bot_id=42, chat_id=chat_id or user_id, user_id=user_id)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'storage.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def sql_storage(database_url: str) -> AsyncIterator[SqlAlchemyStorage]:
    engine = create_engine(database_url)
    await upgrade_to_head(engine)
    yield SqlAlchemyStorage(create_sessionmaker(engine))
    await engine.dispose()


async def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade_to_head(engine)
    await upgrade_to_head(engine)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    assert {
        "applications",
        "fsm_records",
        "outbox",
        "consents",
        "audit_log",
        "alembic_version",
    } <= tables


async def test_state_and_data_round_trip(sql_storage: SqlAlchemyStorage) -> None:
    assert await sql_storage.get_state(key(1)) is None
    assert await sql_storage.get_data(key(1)) == {}
    await sql_storage.set_state(key(1), Wizard.iin)
    await sql_storage.set_data(key(1), {"surname": "Әбдіқадырова", "step": 4})
    assert await sql_storage.get_state(key(1)) == "Wizard:iin"
    assert await sql_storage.get_data(key(1)) == {"surname": "Әбдіқадырова", "step": 4}
    assert await sql_storage.update_data(key(1), {"iin": "x"}) == {
        "surname": "Әбдіқадырова",
        "step": 4,
        "iin": "x",
    }
    # another chat of the same user is another key
    assert await sql_storage.get_state(key(1, chat_id=-100)) is None
    await sql_storage.set_state(key(1), None)
    assert await sql_storage.get_state(key(1)) is None
    assert await sql_storage.get_data(key(1)) == {"surname": "Әбдіқадырова", "step": 4, "iin": "x"}


async def test_data_survives_a_new_storage_on_the_same_database(database_url: str) -> None:
    first_engine = create_engine(database_url)
    await upgrade_to_head(first_engine)
    await SqlAlchemyStorage(create_sessionmaker(first_engine)).set_data(
        key(7), {"phone": "+77011234567"}
    )
    await first_engine.dispose()
    second_engine = create_engine(database_url)
    assert await SqlAlchemyStorage(create_sessionmaker(second_engine)).get_data(key(7)) == {
        "phone": "+77011234567"
    }
    await second_engine.dispose()


async def test_concurrent_first_writes_do_not_collide(sql_storage: SqlAlchemyStorage) -> None:
    await asyncio.gather(*(sql_storage.set_state(key(99), Wizard.surname) for _ in range(10)))
    await asyncio.gather(*(sql_storage.set_data(key(100 + i), {"n": i}) for i in range(20)))
    assert [(await sql_storage.get_data(key(100 + i)))["n"] for i in range(20)] == list(range(20))


async def test_forget_user_erases_every_row_of_that_user_only(
    sql_storage: SqlAlchemyStorage,
) -> None:
    await sql_storage.set_data(key(5), {"iin": "1"})
    await sql_storage.set_data(key(5, chat_id=-100), {"iin": "2"})
    await sql_storage.set_data(key(6), {"iin": "3"})
    await sql_storage.forget_user(5)
    assert await sql_storage.get_data(key(5)) == {}
    assert await sql_storage.get_data(key(5, chat_id=-100)) == {}
    assert await sql_storage.get_data(key(6)) == {"iin": "3"}


async def test_redis_storage_path(redis_url: str) -> None:
    from aiogram.fsm.storage.redis import RedisStorage

    storage: BaseStorage = RedisStorage.from_url(redis_url)
    k = StorageKey(bot_id=int(asyncio.get_running_loop().time() * 1000), chat_id=1, user_id=1)
    try:
        await storage.set_state(k, Wizard.iin)
        await storage.set_data(k, {"a": 1})
        assert await storage.get_state(k) == "Wizard:iin"
        assert await storage.get_data(k) == {"a": 1}
    finally:
        await storage.set_state(k, None)
        await storage.set_data(k, {})
        await storage.close()


async def test_sqlite_writes_of_concurrent_updates_go_out_together(tmp_path: Path) -> None:
    """SQLite: the upserts of updates in flight are written as one batch per column set
    (bot/data/autocommit.py); each caller returns once its row is stored."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bot.data.engine import create_fsm_writer

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'storage.sqlite3'}")
    await upgrade_to_head(engine)
    writer = create_fsm_writer(engine)
    assert writer is not None
    round_trips: list[bool] = []

    def count(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        if "fsm_records" in statement:
            round_trips.append(bool(args[-1]))  # executemany

    # the writer's own engine (its thread's) is not the caller's: every engine's statements
    event.listen(Engine, "before_cursor_execute", count)
    storage = SqlAlchemyStorage(create_sessionmaker(engine), writer=writer)
    try:

        async def one_user(n: int) -> None:
            await storage.set_state(key(300 + n), Wizard.iin)
            await storage.set_data(key(300 + n), {"n": n})
            await storage.set_data(key(300 + n), {"n": n, "again": True})

        await asyncio.gather(*(one_user(n) for n in range(40)))
        assert len(round_trips) < 40 * 3  # batched
        assert any(round_trips)
        fresh = SqlAlchemyStorage(create_sessionmaker(engine), cache_size=0)
        for n in range(40):
            assert await fresh.get_state(key(300 + n)) == Wizard.iin.state
            assert await fresh.get_data(key(300 + n)) == {"n": n, "again": True}
    finally:
        event.remove(Engine, "before_cursor_execute", count)
        await storage.close()
        await writer.dispose()
        await engine.dispose()
