"""DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW bound the PostgreSQL connections
of one bot process (README: "One process, or several with PostgreSQL + Redis")."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import BotApp
from bot.clock import Clock
from bot.data.engine import POSTGRESQL_POOL, create_engine
from bot.settings import Settings
from tests.conftest import FIXED_TODAY, PG_ADMIN_URL, RunningBot
from tests.test_redis_keys import random_token
from tests.tgfake.server import FakeTelegram


def test_the_pool_size_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "1")
    settings = Settings(_env_file=None)
    assert (settings.database_pool_size, settings.database_max_overflow) == (3, 1)
    monkeypatch.delenv("DATABASE_POOL_SIZE")
    monkeypatch.delenv("DATABASE_MAX_OVERFLOW")
    unset = Settings(_env_file=None)
    assert (unset.database_pool_size, unset.database_max_overflow) == (20, 0)


async def hold_and_return(
    engine: AsyncEngine, count: int, database: str, keep: int
) -> tuple[int, int]:
    """Check out `count` connections at once (a burst), return them: the connections open
    meanwhile and those left afterwards (waiting a moment for more than `keep` to end)."""
    connections = [await engine.connect() for _ in range(count)]
    try:
        for connection in connections:
            await connection.scalar(text("SELECT 1"))
        during = await connections_to(database)
    finally:
        for connection in connections:
            await connection.close()
    after = await connections_to(database)
    for _ in range(500):  # a closed connection's backend exits a moment later
        if after <= keep:
            break
        await asyncio.sleep(0.01)
        after = await connections_to(database)
    return during, after


@pytest.mark.parametrize(
    ("environment", "pool", "burst"),
    [({}, 20, 20), ({"DATABASE_POOL_SIZE": "3", "DATABASE_MAX_OVERFLOW": "1"}, 3, 4)],
    ids=["unset", "set"],
)
async def test_a_postgresql_process_keeps_the_connections_of_a_burst(
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    pool: int,
    burst: int,
) -> None:
    """Unset, the pool is 20 + 0 (bot/data/engine.py POSTGRESQL_POOL), not SQLAlchemy's
    5 + 10, which closed every connection beyond 5 when a burst returned it; set, the
    variables win.  After the burst the pool hands out the connection returned last (LIFO):
    under light load the others stay idle instead of each being pinged in turn."""
    for name in ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None, database_url=pg_url)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    try:
        assert engine.pool.size() == pool  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == burst - pool  # type: ignore[attr-defined]
        database = pg_url.rsplit("/", 1)[1]
        before = await connections_to(database)
        during, after = await hold_and_return(engine, burst, database, before + pool)
        assert (during - before, after - before) == (burst, pool)
        pids = set()
        for _ in range(3):
            async with engine.connect() as connection:
                pids.add(await connection.scalar(text("SELECT pg_backend_pid()")))
        assert len(pids) == 1
    finally:
        await engine.dispose()


async def test_a_postgresql_engine_without_pool_arguments_gets_the_default(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        assert engine.pool.size() == POSTGRESQL_POOL["pool_size"] == 20  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == POSTGRESQL_POOL["max_overflow"] == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


def test_a_pool_too_small_for_the_lock_and_a_session_is_refused() -> None:
    with pytest.raises(ValidationError, match="DATABASE_POOL_SIZE"):
        Settings(_env_file=None, database_pool_size=1, database_max_overflow=0)


async def connections_to(database: str) -> int:
    admin = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        count = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
        )
    finally:
        await admin.close()
    return int(count)


async def test_a_busy_process_opens_no_more_connections_than_its_pool(
    tg: FakeTelegram, pg_url: str
) -> None:
    settings = Settings(
        _env_file=None,
        bot_token="123456789:POOL-token",
        bot_api_url=tg.base_url,
        database_url=pg_url,
        database_pool_size=2,
        database_max_overflow=1,
    )
    app = await BotApp.create(settings)
    try:
        pool = app.engine.pool
        assert pool.size() == 2  # type: ignore[attr-defined]
        await app.join()  # one connection holds the deployment's locks for good
        database = pg_url.rsplit("/", 1)[1]
        peak = 0

        async def busy() -> None:
            async with app.context.sessionmaker() as session:
                await session.execute(text("SELECT pg_sleep(0.2)"))

        async def watch() -> None:
            nonlocal peak
            while True:
                peak = max(peak, await connections_to(database))
                await asyncio.sleep(0.05)

        watcher = asyncio.create_task(watch())
        try:
            await asyncio.gather(*(busy() for _ in range(8)))  # 8 sessions wait their turn
        finally:
            watcher.cancel()
        assert 2 <= peak <= 3
    finally:
        await app.close()


def test_python_m_bot_refuses_a_pool_too_small_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "BOT_TOKEN": "123456789:POOL-token",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "DATABASE_POOL_SIZE": "1",
        "DATABASE_MAX_OVERFLOW": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "error: DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW = 1 is too small: one connection "
        "holds the process's locks, so at least 2 are needed"
    ]
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing started


async def test_processes_that_may_open_more_connections_than_postgresql_allows_are_warned(
    tg: FakeTelegram, pg_url: str, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        allowed = int(await admin.fetchval("SHOW max_connections")) - int(
            await admin.fetchval("SHOW superuser_reserved_connections")
        )
    finally:
        await admin.close()

    def settings(overflow: int) -> Settings:
        return Settings(
            _env_file=None,
            bot_token="123456789:POOL-token",
            bot_api_url=tg.base_url,
            database_url=pg_url,
            redis_url=redis_url,
            database_pool_size=2,
            database_max_overflow=overflow,
        )

    first = await BotApp.create(settings(allowed // 2 - 1))  # alone it fits
    second = await BotApp.create(settings(allowed // 2 - 1), migrate=False)
    try:
        with caplog.at_level("WARNING", logger="bot.data.instances"):
            await first.join()
            assert "connections" not in caplog.text
            await second.join()  # two of them may not
        [warning] = [r.getMessage() for r in caplog.records if "max_connections" in r.getMessage()]
        assert warning.startswith(f"2 bot processes × {allowed // 2 + 1} connections")
        assert f"may exceed PostgreSQL's {allowed}" in warning
    finally:
        await second.close()
        await first.close()


async def test_the_next_update_is_handled_after_postgresql_ended_the_pooled_connections(
    tg: FakeTelegram,
    make_settings: Callable[..., Settings],
    pg_url: str,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What a PostgreSQL restart does to the pool: the server ends every backend. The
    bot no longer pings a connection at each checkout (bot/data/engine.py): a connection
    the server closed must still never be handed out — the next update is stored and
    answered as usual, no error on the way (handed out, it failed the inbox's insert:
    "Failed to fetch or store updates", the update came only with the retry)."""
    running = RunningBot(
        tg,
        make_settings(database_url=pg_url, redis_url=redis_url, bot_token=random_token()),
        Clock(fixed=FIXED_TODAY),
    )
    await running.start()
    try:
        user = tg.user(random.randint(10**9, 2 * 10**9), language_code="ru")
        first = await user.send("/start")
        assert first
        database = pg_url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            # every pooled connection (the deployment's lock connection, outside the pool,
            # holds advisory locks and is left alone)
            ended = await admin.fetch(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid() AND pid NOT IN "
                "(SELECT pid FROM pg_locks WHERE locktype = 'advisory')",
                database,
            )
            assert ended and all(row[1] for row in ended)
            pids = [row[0] for row in ended]
            for _ in range(500):  # until those backends have exited
                if not await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids
                ):
                    break
                await asyncio.sleep(0.01)
        finally:
            await admin.close()
        with caplog.at_level(logging.WARNING):
            again = await user.send("/start")
        assert [m.text for m in again] == [m.text for m in first]
        # (the outbox sender's poll may have been running a statement on an ended backend:
        # it fails that poll, says so and polls again — in use, not handed out)
        problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.getMessage() for r in problems if r.name != "bot.outbox.sender"] == []
    finally:
        await running.stop()


async def test_a_connection_idle_longer_than_ping_idle_is_pinged_and_replaced_when_dead(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A peer gone without a word (no goodbye reached the socket: a proxy's idle timeout,
    a vanished host) is found by the ping of a connection idle longer than PING_IDLE."""
    from asyncpg.connection import Connection

    from bot.data import engine as engine_module

    monkeypatch.setattr(engine_module, "PING_IDLE", 0.0)
    engine = engine_module.create_engine(pg_url)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        admin = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
            while await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", first
            ):
                await asyncio.sleep(0.01)
        finally:
            await admin.close()
        monkeypatch.setattr(Connection, "is_closed", lambda self: False)  # the end not seen
        async with engine.connect() as connection:
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        monkeypatch.undo()
        await engine.dispose()
