"""SQLite's single-statement writes (bot/data/autocommit.py): one task writes them, after
the write transaction of this process that holds the gate, and after another process's
write lock (waited for in the event loop: never "database is locked" at once)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.data import inbox
from bot.data.autocommit import CHECKPOINT_ROWS
from bot.data.engine import create_engine, create_fsm_writer, create_sessionmaker, write_now
from bot.data.fsm_storage import SqlAlchemyStorage
from bot.data.migrate import upgrade_to_head


@dataclass
class Database:
    path: Path
    engine: AsyncEngine
    writer: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def numbers(self) -> list[int]:
        async with self.engine.connect() as connection:
            rows = (await connection.execute(text("SELECT n FROM t ORDER BY rowid"))).all()
        return [row.n for row in rows]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "autocommit.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade_to_head(engine)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    writer = create_fsm_writer(engine)
    assert writer is not None
    try:
        yield Database(path, engine, writer, create_sessionmaker(engine))
    finally:
        await writer.dispose()
        await engine.dispose()


def insert(n: int) -> object:
    return text("INSERT INTO t (n) VALUES (:n)").bindparams(n=n)


async def test_a_write_goes_after_the_open_write_transaction(db: Database) -> None:
    async with db.engine.connect() as transaction:
        await transaction.execute(insert(1))  # holds the gate and SQLite's write lock
        write = asyncio.create_task(write_now(db.writer, db.sessionmaker, insert(2)))
        await asyncio.sleep(0.1)
        assert not write.done()
        await transaction.commit()
        await asyncio.wait_for(write, 5)
    assert await db.numbers() == [1, 2]


async def test_a_write_waits_for_another_process_holding_the_write_lock(db: Database) -> None:
    other = sqlite3.connect(db.path, isolation_level=None)  # as another process would
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t (n) VALUES (1)")
        write = asyncio.create_task(write_now(db.writer, db.sessionmaker, insert(2)))
        await asyncio.sleep(0.2)
        assert not write.done()  # not failed with "database is locked": waiting
        other.execute("COMMIT")
        await asyncio.wait_for(write, 5)
    finally:
        other.close()
    assert await db.numbers() == [1, 2]


async def test_concurrent_writes_of_every_kind_are_stored(db: Database) -> None:
    """FSM upserts, inbox rows and their done marks, and write_now statements of many
    callers at once; a statement that fails fails its own caller only."""
    storage = SqlAlchemyStorage(db.sessionmaker, writer=db.writer)

    async def user(n: int) -> None:
        key = StorageKey(bot_id=42, chat_id=n, user_id=n)
        update = {"update_id": n, "message": {"from": {"id": n}, "text": "secret"}}
        stored = await inbox.store(db.sessionmaker, [update], "me", db.writer)
        assert stored == {n}
        await storage.set_state(key, "Wizard:iin")
        await storage.set_data(key, {"n": n})
        await write_now(db.writer, db.sessionmaker, insert(n))
        await inbox.mark_done(db.sessionmaker, [n], db.writer)

    async def duplicate() -> None:
        with pytest.raises(IntegrityError):
            await write_now(db.writer, db.sessionmaker, insert(1000), insert(1000), insert(1001))

    try:
        await asyncio.gather(*(user(n) for n in range(1, 41)), duplicate())
    finally:
        await storage.close()
    assert sorted(await db.numbers()) == [*range(1, 41), 1000]  # 1001 never ran
    fresh = SqlAlchemyStorage(db.sessionmaker, cache_size=0)
    for n in range(1, 41):
        key = StorageKey(bot_id=42, chat_id=n, user_id=n)
        assert await fresh.get_state(key) == "Wizard:iin"
        assert await fresh.get_data(key) == {"n": n}
    async with db.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT status, payload FROM inbound_updates"))).all()
    assert len(rows) == 40
    assert {(row.status, row.payload) for row in rows} == {("done", None)}


async def test_the_wal_is_checkpointed_every_few_hundred_rows_outside_the_event_loop(
    db: Database,
) -> None:
    """The writer's commits run in the event loop's thread; SQLite's automatic checkpoint
    (at 1000 pages of WAL: tens of ms copying and syncing) is off on its connection, and
    the writer checkpoints in a thread every CHECKPOINT_ROWS rows: the pages reach the
    database file then, not before."""
    async with db.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE big (n INTEGER PRIMARY KEY, b BLOB)"))
    async with db.engine.connect() as connection:  # the schema, out of the WAL
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before = db.path.stat().st_size

    def row(n: int) -> object:
        return text("INSERT INTO big (n, b) VALUES (:n, zeroblob(16384))").bindparams(n=n)

    first = CHECKPOINT_ROWS - 10  # ≈ 1500 pages of WAL: SQLite would have checkpointed
    await asyncio.gather(*(write_now(db.writer, db.sessionmaker, row(n)) for n in range(first)))
    assert db.path.stat().st_size == before
    await asyncio.gather(
        *(write_now(db.writer, db.sessionmaker, row(n)) for n in range(first, first + 20))
    )
    for _ in range(500):  # the checkpoint's thread copies ≈ 6 MB
        if db.path.stat().st_size >= before + first * 16384:
            break
        await asyncio.sleep(0.01)
    assert db.path.stat().st_size >= before + first * 16384
    async with db.engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM big"))).scalar_one()
    assert count == first + 20
