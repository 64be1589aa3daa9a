"""The FSM storage's write-through cache answers exactly as the database would,
with the upserts through the shared pool or through the autocommit writer engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.data.engine import create_engine, create_fsm_writer, create_sessionmaker
from bot.data.fsm_storage import SqlAlchemyStorage
from bot.data.migrate import upgrade_to_head


def key(user_id: int, destiny: str = "default") -> StorageKey:
    return StorageKey(bot_id=42, chat_id=user_id, user_id=user_id, destiny=destiny)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cache.sqlite3'}")
    await upgrade_to_head(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(params=["pool", "writer"])
async def cached(
    request: pytest.FixtureRequest, engine: AsyncEngine
) -> AsyncIterator[Callable[..., SqlAlchemyStorage]]:
    """Builds cached storages; with param "writer" they upsert through create_fsm_writer."""
    writer = create_fsm_writer(engine) if request.param == "writer" else None
    if request.param == "writer":
        assert writer is not None

    def build(**kwargs: Any) -> SqlAlchemyStorage:
        return SqlAlchemyStorage(create_sessionmaker(engine), writer=writer, **kwargs)

    yield build
    if writer is not None:
        await writer.dispose()


def uncached(engine: AsyncEngine) -> SqlAlchemyStorage:
    """Reads straight from the database."""
    return SqlAlchemyStorage(create_sessionmaker(engine), cache_size=0)


async def test_data_comes_back_as_a_fresh_copy(
    engine: AsyncEngine, cached: Callable[..., SqlAlchemyStorage]
) -> None:
    storage = cached()
    await storage.set_data(key(1), {"files": [{"id": "a"}], "step": 3})
    first = await storage.get_data(key(1))
    first["files"].append({"id": "b"})
    first["step"] = 4
    assert await storage.get_data(key(1)) == {"files": [{"id": "a"}], "step": 3}
    assert await uncached(engine).get_data(key(1)) == {"files": [{"id": "a"}], "step": 3}


async def test_state_and_data_halves_are_kept_apart(
    engine: AsyncEngine, cached: Callable[..., SqlAlchemyStorage]
) -> None:
    storage = cached()
    assert await storage.get_state(key(2)) is None  # cached as "no row"
    await storage.set_state(key(2), "Wizard:iin")
    await storage.set_data(key(2), {"iin": "x"})
    await storage.set_state(key(2), None)
    for reader in (storage, uncached(engine)):
        assert await reader.get_state(key(2)) is None
        assert await reader.get_data(key(2)) == {"iin": "x"}


async def test_a_failed_write_leaves_the_previous_value(
    engine: AsyncEngine, cached: Callable[..., SqlAlchemyStorage]
) -> None:
    storage = cached()
    await storage.set_data(key(3), {"n": 1})
    with pytest.raises(Exception):  # noqa: B017 (whatever SQLAlchemy wraps the TypeError in)
        await storage.set_data(key(3), {"n": object()})
    assert await storage.get_data(key(3)) == {"n": 1}


async def test_interleaved_reads_and_writes_end_as_in_the_database(
    engine: AsyncEngine, cached: Callable[..., SqlAlchemyStorage]
) -> None:
    storage = cached()

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


async def test_forget_user_drops_the_cached_rows_of_that_user_only(
    engine: AsyncEngine, cached: Callable[..., SqlAlchemyStorage]
) -> None:
    storage = cached()
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


async def test_the_cache_is_bounded(
    engine: AsyncEngine, cached: Callable[..., SqlAlchemyStorage]
) -> None:
    storage = cached(cache_size=3)
    for user in range(10, 20):
        await storage.set_state(key(user), "S:x")
        await storage.get_state(key(user))
    assert len(storage._cache) == 3
    assert [await storage.get_state(key(user)) for user in range(10, 20)] == ["S:x"] * 10


async def test_the_writer_engine_is_only_for_sqlite_files(tmp_path: Path) -> None:
    memory = create_engine("sqlite+aiosqlite:///:memory:")
    postgres = create_engine("postgresql+asyncpg://u@127.0.0.1:1/db")
    assert create_fsm_writer(memory) is None and create_fsm_writer(postgres) is None
    await memory.dispose()
    await postgres.dispose()


async def test_written_rows_are_committed_for_every_connection(
    engine: AsyncEngine, cached: Callable[..., SqlAlchemyStorage]
) -> None:
    storage = cached()
    await storage.set_state(key(7), "Wizard:iin")
    await storage.set_data(key(7), {"iin": "1"})
    assert await uncached(engine).get_state(key(7)) == "Wizard:iin"
    assert await uncached(engine).get_data(key(7)) == {"iin": "1"}
    assert await storage.keys_of_user(7) == ["42:7:7:::default"]


async def test_writing_back_the_stored_value_costs_no_database_write(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'skip.sqlite3'}")
    await upgrade_to_head(engine)
    storage = SqlAlchemyStorage(create_sessionmaker(engine))
    k = StorageKey(bot_id=1, chat_id=2, user_id=2)
    await storage.set_data(k, {"step": 3})
    await storage.set_state(k, "Wizard:iin")
    assert await storage.get_state(k) == "Wizard:iin"  # aiogram reads before handling
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    await storage.set_state(k, "Wizard:iin")
    await storage.set_data(k, {"step": 3})
    assert [s for s in statements if "INSERT" in s] == []
    await storage.set_data(k, {"step": 4})
    assert len([s for s in statements if "INSERT" in s]) == 1
    await engine.dispose()
    # and the database holds the last value
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'skip.sqlite3'}")
    assert await SqlAlchemyStorage(create_sessionmaker(engine)).get_data(k) == {"step": 4}
    await engine.dispose()
