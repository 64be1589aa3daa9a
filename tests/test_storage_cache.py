"""The FSM storage's write-through cache answers exactly as the database would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.fsm_storage import SqlAlchemyStorage


def key(user_id: int, destiny: str = "default") -> StorageKey:
    return StorageKey(bot_id=42, chat_id=user_id, user_id=user_id, destiny=destiny)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cache.sqlite3'}")
    await upgrade_to_head(engine)
    yield engine
    await engine.dispose()


def uncached(engine: AsyncEngine) -> SqlAlchemyStorage:
    """Reads straight from the database."""
    return SqlAlchemyStorage(create_sessionmaker(engine), cache_size=0)


async def test_data_comes_back_as_a_fresh_copy(engine: AsyncEngine) -> None:
    storage = SqlAlchemyStorage(create_sessionmaker(engine))
    await storage.set_data(key(1), {"files": [{"id": "a"}], "step": 3})
    first = await storage.get_data(key(1))
    first["files"].append({"id": "b"})
    first["step"] = 4
    assert await storage.get_data(key(1)) == {"files": [{"id": "a"}], "step": 3}
    assert await uncached(engine).get_data(key(1)) == {"files": [{"id": "a"}], "step": 3}


async def test_state_and_data_halves_are_kept_apart(engine: AsyncEngine) -> None:
    storage = SqlAlchemyStorage(create_sessionmaker(engine))
    assert await storage.get_state(key(2)) is None  # cached as "no row"
    await storage.set_state(key(2), "Wizard:iin")
    await storage.set_data(key(2), {"iin": "x"})
    await storage.set_state(key(2), None)
    for reader in (storage, uncached(engine)):
        assert await reader.get_state(key(2)) is None
        assert await reader.get_data(key(2)) == {"iin": "x"}


async def test_a_failed_write_leaves_the_previous_value(engine: AsyncEngine) -> None:
    storage = SqlAlchemyStorage(create_sessionmaker(engine))
    await storage.set_data(key(3), {"n": 1})
    with pytest.raises(Exception):  # noqa: B017 (whatever SQLAlchemy wraps the TypeError in)
        await storage.set_data(key(3), {"n": object()})
    assert await storage.get_data(key(3)) == {"n": 1}


async def test_interleaved_reads_and_writes_end_as_in_the_database(engine: AsyncEngine) -> None:
    storage = SqlAlchemyStorage(create_sessionmaker(engine))

    async def writer(i: int) -> None:
        await storage.set_state(key(4), f"S:{i}")
        await storage.set_data(key(4), {"i": i})

    async def reader() -> None:
        await storage.get_state(key(4))
        await storage.get_data(key(4))

    for _ in range(5):
        await asyncio.gather(*(writer(i) if i % 3 == 0 else reader() for i in range(30)))
        truth = uncached(engine)
        assert await storage.get_state(key(4)) == await truth.get_state(key(4))
        assert await storage.get_data(key(4)) == await truth.get_data(key(4))


async def test_forget_user_drops_the_cached_rows_of_that_user_only(engine: AsyncEngine) -> None:
    storage = SqlAlchemyStorage(create_sessionmaker(engine))
    await storage.set_data(key(5), {"iin": "1"})
    await storage.set_data(key(5, "apply"), {"iin": "2"})
    await storage.set_data(key(6), {"iin": "3"})
    for k in (key(5), key(5, "apply"), key(6)):
        await storage.get_data(k)  # cached now
    await storage.forget_user(5)
    assert await storage.get_data(key(5)) == {}
    assert await storage.get_data(key(5, "apply")) == {}
    assert await storage.get_data(key(6)) == {"iin": "3"}
    assert await storage.keys_of_user(5) == []


async def test_the_cache_is_bounded(engine: AsyncEngine) -> None:
    storage = SqlAlchemyStorage(create_sessionmaker(engine), cache_size=3)
    for user in range(10, 20):
        await storage.set_state(key(user), "S:x")
        await storage.get_state(key(user))
    assert len(storage._cache) == 3
    assert [await storage.get_state(key(user)) for user in range(10, 20)] == ["S:x"] * 10
