"""The one-hop SQLite driver (bot/data/sqlite_driver.py) gives what SQLAlchemy's stock
aiosqlite driver gives — rows, rowcount, lastrowid, RETURNING, executemany, the same
errors, rollback — in one hop to aiosqlite's thread per statement, none for a ROLLBACK
or COMMIT with no open transaction.  Each check runs on both drivers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.data import sqlite_driver
from bot.data.engine import create_engine

STOCK, ONEHOP = "aiosqlite", sqlite_driver.DRIVER


@pytest.fixture(params=[STOCK, ONEHOP])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+{request.param}:///{tmp_path / 'driver.sqlite3'}")
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, n INTEGER)")
        )
    yield engine
    await engine.dispose()


class Hops:
    """Calls queued to aiosqlite's connection threads (aiosqlite.Connection._execute)."""

    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hops]:
    counter = Hops()
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counter.count += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield counter


async def test_rows_rowcount_lastrowid_returning_executemany(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        first = await connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
        assert first.lastrowid == 1
        assert first.rowcount == 1
        many = await connection.execute(
            text("INSERT INTO t (name, n) VALUES (:name, :n)"),
            [{"name": "b", "n": 2}, {"name": "c", "n": 2}, {"name": "d", "n": 3}],
        )
        assert many.rowcount == 3
        returned = await connection.execute(
            text("INSERT INTO t (name, n) VALUES ('e', 5) RETURNING id, name")
        )
        assert returned.all() == [(5, "e")]
        updated = await connection.execute(text("UPDATE t SET n = 0 WHERE n = 2"))
        assert updated.rowcount == 2
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT id, name, n FROM t ORDER BY id"))
        assert result.keys() == ["id", "name", "n"]
        assert result.fetchone() == (1, "a", 1)
        assert result.fetchmany(2) == [(2, "b", 0), (3, "c", 0)]
        assert result.fetchall() == [(4, "d", 3), (5, "e", 5)]
        nothing = await connection.execute(text("SELECT id FROM t WHERE n = 99"))
        assert nothing.all() == []
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 5


async def test_errors_are_the_stock_ones(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (name) VALUES ('a')"))
    async with engine.connect() as connection:
        with pytest.raises(exc.IntegrityError) as duplicate:
            await connection.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert type(duplicate.value.orig).__name__ == "IntegrityError"
        assert "UNIQUE constraint failed: t.name" in str(duplicate.value.orig)
        await connection.rollback()
        with pytest.raises(exc.OperationalError) as missing:
            await connection.execute(text("SELECT * FROM no_such_table"))
        assert "no such table: no_such_table" in str(missing.value.orig)
        await connection.rollback()
        # The connection still works after the errors.
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1


async def test_a_rolled_back_transaction_leaves_nothing(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO t (name) VALUES ('x')"))
        await connection.execute(text("UPDATE t SET n = 7"))
        await connection.rollback()
    sessionmaker = async_sessionmaker(engine)
    with pytest.raises(RuntimeError):
        async with sessionmaker() as session, session.begin():
            await session.execute(text("INSERT INTO t (name) VALUES ('y')"))
            raise RuntimeError("abandon the transaction")
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_one_hop_per_statement_none_for_an_idle_rollback(tmp_path: Path, hops: Hops) -> None:
    engine = create_async_engine(f"sqlite+{ONEHOP}:///{tmp_path / 'hops.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        hops.count = 0
        async with engine.connect() as connection:  # a read: SELECT, then the pool's ROLLBACK
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        assert hops.count == 1
        hops.count = 0
        async with engine.begin() as connection:  # a write: INSERT (hop), the rest inline
            await connection.execute(text("INSERT INTO t VALUES (1)"))
            await connection.execute(text("INSERT INTO t VALUES (10)"))
            await connection.execute(text("UPDATE t SET n = n + 1 WHERE n = 10"))
            rows = await connection.execute(text("SELECT n FROM t ORDER BY n"))
            assert rows.scalars().all() == [1, 11]
            await connection.execute(text("DELETE FROM t WHERE n = 11"))
        assert hops.count == 1
        hops.count = 0
        async with engine.connect() as connection:  # a write abandoned: INSERT, ROLLBACK
            await connection.execute(text("INSERT INTO t VALUES (2)"))
            await connection.execute(text("INSERT INTO t VALUES (3)"))
        assert hops.count == 1
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT n FROM t"))).scalars().all() == [1]
    finally:
        await engine.dispose()


async def test_the_bot_engine_uses_it_for_aiosqlite_urls(tmp_path: Path, hops: Hops) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        assert engine.url.drivername == f"sqlite+{ONEHOP}"
        async with engine.connect() as connection:
            hops.count = 0
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
            assert hops.count == 1
    finally:
        await engine.dispose()


async def test_a_transaction_holding_the_write_lock_never_gives_the_loop_away(
    tmp_path: Path,
) -> None:
    """From its first write (one hop: that is where it may wait for SQLite's lock) to its
    COMMIT, a transaction runs in the event loop's thread: no other task runs meanwhile,
    so SQLite's write lock is held for its own work only, not for other updates' turns."""
    engine = create_async_engine(f"sqlite+{ONEHOP}:///{tmp_path / 'lock.sqlite3'}")
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER UNIQUE)"))
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        async with engine.connect() as connection:
            await connection.execute(text("INSERT INTO t VALUES (1)"))
            seen = ticks
            for n in range(2, 12):
                await connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 11
            await connection.commit()
            assert ticks == seen
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 11
        await asyncio.sleep(0.01)
        assert ticks > seen  # the ticker runs whenever the loop is free
        stop.set()
        await task
    finally:
        await engine.dispose()


async def test_an_error_inside_a_locked_transaction_rolls_back_and_frees_the_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "error.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    other = create_async_engine(f"sqlite+{ONEHOP}:///{path}", connect_args={"timeout": 0})
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (name TEXT UNIQUE NOT NULL)"))
        with pytest.raises(exc.IntegrityError) as duplicate:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES ('a')"))
                await connection.execute(text("INSERT INTO t VALUES ('b')"))
                await connection.execute(text("INSERT INTO t VALUES ('a')"))  # inline, fails
        assert "UNIQUE constraint failed: t.name" in str(duplicate.value.orig)
        async with other.begin() as connection:  # the lock is free again (busy timeout 0)
            await connection.execute(text("INSERT INTO t VALUES ('c')"))
        async with engine.connect() as connection:
            names = (await connection.execute(text("SELECT name FROM t"))).scalars().all()
            assert names == ["c"]
    finally:
        await engine.dispose()
        await other.dispose()


async def test_the_bot_engine_writes_a_transaction_without_a_hop_unless_another_process_writes(
    tmp_path: Path, hops: Hops
) -> None:
    """The bot's engine gives its connections the process's write gate: a transaction that
    holds it writes inline from its first statement (nobody of this process holds SQLite's
    lock then); when another process holds the lock, the first write takes its hop and
    waits there, the event loop going on meanwhile."""
    path = tmp_path / "gated.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        hops.count = 0
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (1)"))
            await connection.execute(text("INSERT INTO t VALUES (2)"))
        assert hops.count == 0
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write lock
        other.execute("INSERT INTO t VALUES (3)")
        ticks = 0

        async def release_later() -> None:
            nonlocal ticks
            for _ in range(20):
                ticks += 1
                await asyncio.sleep(0.005)
            other.execute("COMMIT")

        releaser = asyncio.create_task(release_later())
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (4)"))  # waits in its hop
            assert ticks == 20
        await releaser
        other.close()
        assert hops.count == 1  # that write (SQLITE_BUSY inline, then its hop); COMMIT inline
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT n FROM t ORDER BY n"))
            assert rows.scalars().all() == [1, 2, 3, 4]
    finally:
        await engine.dispose()
