"""SQLite writers of one process queue in the event loop (bot/data/write_gate.py):
a writer waits for the transaction that holds the gate instead of sleeping in SQLite's
busy handler, and gets it as soon as that transaction ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from bot.data.engine import _GATES, create_engine, create_fsm_writer


async def test_a_writer_waits_for_the_open_write_transaction(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.sqlite3'}")
    writer = create_fsm_writer(engine)
    assert writer is not None
    gate = _GATES[engine.sync_engine]
    assert _GATES[writer.sync_engine] is gate  # one gate for the file
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        async with engine.connect() as first:
            await first.execute(text("INSERT INTO t VALUES (1)"))  # holds the gate
            async with engine.connect() as second:
                waiting = asyncio.create_task(second.execute(text("INSERT INTO t VALUES (2)")))
                await asyncio.sleep(0.1)
                assert not waiting.done()
                assert gate.waiting == 1
                await first.commit()  # gives the gate to the waiting writer at once
                await asyncio.wait_for(waiting, 5)
                await second.commit()
        assert gate.holder is None
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT n FROM t ORDER BY rowid"))).all()
        assert [row.n for row in rows] == [1, 2]
    finally:
        await writer.dispose()
        await engine.dispose()


async def test_many_concurrent_writers_all_commit(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))

        async def write(n: int) -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT count(*) FROM t"))
                await connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                await asyncio.sleep(0)  # other writers queue meanwhile
                if n % 7 == 0:
                    await connection.rollback()
                else:
                    await connection.commit()

        await asyncio.gather(*(write(n) for n in range(60)))
        async with engine.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM t"))).scalar()
        assert count == len([n for n in range(60) if n % 7])
        assert _GATES[engine.sync_engine].holder is None
    finally:
        await engine.dispose()


async def test_reads_go_on_while_many_writers_wait_for_the_gate(tmp_path: Path) -> None:
    """A writer waiting for the gate holds its pooled connection: a burst of them must not
    take every connection from the reads of other updates (bot/data/engine.py SQLITE_POOL)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        release = asyncio.Event()

        async def write(n: int) -> None:
            async with engine.connect() as connection:
                await connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                await release.wait()  # the first one holds the gate, the others queue
                await connection.commit()

        writers = [asyncio.create_task(write(n)) for n in range(25)]

        async def queued() -> None:
            while _GATES[engine.sync_engine].waiting < 24:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(queued(), 10)
        async with engine.connect() as connection:
            read = connection.execute(text("SELECT count(*) FROM t"))
            assert (await asyncio.wait_for(read, 5)).scalar() == 0
        release.set()
        await asyncio.gather(*writers)
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 25
    finally:
        await engine.dispose()
