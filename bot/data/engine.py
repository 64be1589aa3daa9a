"""Engine and session factory (SQLAlchemy 2 async)."""

from __future__ import annotations

import inspect
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event, exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from bot.data import autocommit, sqlite_driver, write_gate

# SQLite's pool: a connection is a file handle and a thread, no server's; and a write
# transaction waiting for the write gate holds its pooled connection — with SQLAlchemy's
# 5 + 10 a burst of writers (200 parents pressing Send) took every connection and the
# reads of every other update waited for the pool behind them (bench/dialog.py --tail).
SQLITE_POOL = {"pool_size": 20, "max_overflow": 30}
# SQLite: how long a pooled connection waits for another process's write lock.
BUSY_TIMEOUT_MS = 30000

# PostgreSQL's pool when DATABASE_POOL_SIZE / DATABASE_MAX_OVERFLOW are unset (bot/settings.py
# has the same defaults).  A connection beyond the pool size is closed when it is returned, so
# with SQLAlchemy's 5 + 10 a burst kept opening new ones (a TCP connect, authentication, asyncpg
# preparing its statements again): bench/roundtrips.py, 50 users, 0.24 new connections per
# update; 15 + 5: 0.06; 20 + 0: 0.01 (only the first ones), CPU per update lower.  The same
# maximum of 20 as 15 + 5: two processes (README, "several processes") use 40 of
# max_connections=100.  The pool is LIFO (`create_engine`): under light load the same few
# connections are reused, the others stay idle — FIFO would rotate through all 20 and find
# each idle longer than `PING_IDLE`, a ping at every checkout.
POSTGRESQL_POOL = {"pool_size": 20, "max_overflow": 0}

# The write gate of each SQLite engine (its FSM writer engine shares it).
_GATES: weakref.WeakKeyDictionary[Engine, write_gate.WriteGate] = weakref.WeakKeyDictionary()


def create_engine(
    url: str | URL,
    *,
    autocommit: bool = False,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    gate: write_gate.WriteGate | None = None,
) -> AsyncEngine:
    """Create the async engine; SQLite gets its folder, WAL (synchronous=NORMAL), foreign
    keys and a write gate (bot/data/write_gate.py; `gate`: share another engine's), and
    ``sqlite+aiosqlite`` URLs the one-hop driver (bot/data/sqlite_driver.py).

    ``autocommit=True`` (SQLite): every statement commits on its own — see
    `create_fsm_writer`.  ``pool_size``/``max_overflow`` (PostgreSQL; settings
    DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW): a process opens at most their sum
    of connections, the deployment lock's own one included (bot/data/instances.py);
    None: `POSTGRESQL_POOL`'s.  SQLite: `SQLITE_POOL`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        if autocommit:
            options["isolation_level"] = "AUTOCOMMIT"
            if "skip_autocommit_rollback" in inspect.signature(DefaultDialect.__init__).parameters:
                options["skip_autocommit_rollback"] = True  # SQLAlchemy ≥ 2.0.43
        if parsed.get_driver_name() == "aiosqlite":
            parsed = parsed.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
        if database and "memory" not in database:  # in memory: one connection (StaticPool)
            options.update(SQLITE_POOL)
        engine = create_async_engine(parsed, connect_args={"timeout": 30}, **options)

        gate = gate or write_gate.WriteGate()

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            _sqlite_pragmas(dbapi_connection, database, busy_timeout=BUSY_TIMEOUT_MS)
            if isinstance(dbapi_connection, sqlite_driver.OneHopConnection) and not autocommit:
                dbapi_connection.gate = gate  # its first write may then run inline
                dbapi_connection.busy_timeout_ms = BUSY_TIMEOUT_MS

        write_gate.install(engine.sync_engine, gate, autocommit=autocommit)
        _GATES[engine.sync_engine] = gate
        return engine
    pool: dict[str, Any] = dict(POSTGRESQL_POOL)
    if pool_size is not None:
        pool["pool_size"] = pool_size
    if max_overflow is not None:
        pool["max_overflow"] = max_overflow
    engine = create_async_engine(parsed, pool_use_lifo=True, **pool)
    _check_on_checkout(engine.sync_engine)
    return engine


# A pooled PostgreSQL connection idle longer than this is pinged before it is handed out.
PING_IDLE = 10.0  # seconds


def _check_on_checkout(engine: Engine) -> None:
    """Never hand out a pooled connection the server has closed — cheaper than
    ``pool_pre_ping``, whose ping is three round trips (BEGIN, ``;``, ROLLBACK) on every
    checkout (~2.5 per update: 6 of the bot's 15 round trips per update).

    * A closed connection (PostgreSQL restarted, or ended the backend: the server sends
      its goodbye and closes the socket, asyncpg marks the connection closed as soon as
      the event loop reads that) is seen without a round trip; then, as with
      ``pool_pre_ping``, every connection pooled before now is replaced (a restart ended
      them all) and the checkout gets a new one (tests/test_pool.py).
    * A connection idle longer than `PING_IDLE` is pinged as ``pool_pre_ping`` would: its
      peer may be gone without a word (a proxy's or firewall's idle timeout, a host that
      vanished).  Under load connections come back within milliseconds: no ping."""

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info.pop("idle_since", None)

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # new, never checked in
            return
        if dbapi_connection.driver_connection.is_closed():
            raise exc.InvalidatePoolError("the server closed the connection")
        if time.monotonic() - idle_since < PING_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.InvalidatePoolError(f"ping failed: {type(error).__name__}") from error


def _sqlite_pragmas(dbapi_connection: Any, database: str | None, *, busy_timeout: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if database and database != ":memory:":
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: commits no longer wait for an fsync (only checkpoints do);
        # still atomic and consistent, a power cut may lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
    cursor.close()


def create_autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The engine for a statement that needs no transaction around it (a read of one
    statement sees committed rows either way; one write is atomic on its own): on
    PostgreSQL the same pool in AUTOCOMMIT — one round trip instead of three (BEGIN, the
    statement, COMMIT or the ROLLBACK at a session's end); the engine itself elsewhere."""
    if engine.dialect.name != "postgresql":
        return engine
    found: AsyncEngine | None = getattr(engine.sync_engine, "_autocommit_view", None)
    if found is None:  # built once per engine: building it takes ~0.2 ms
        found = engine.execution_options(isolation_level="AUTOCOMMIT")
        engine.sync_engine._autocommit_view = found  # type: ignore[attr-defined]
    return found


def create_fsm_writer(engine: AsyncEngine) -> AsyncEngine | None:
    """A second engine on the same SQLite file whose connections autocommit, for
    the single-statement writes (FSM upserts, inbox, `write_now`); None for
    PostgreSQL and in-memory SQLite.  The caller disposes it.  Those writes go through
    `autocommit_writer` (bot/data/autocommit.py: one task, one thread, a batch per hop).

    Why: SQLite has one writer at a time.  Through the shared pool an upsert is
    two round trips to the driver's thread (INSERT, then COMMIT) and holds the
    write lock in between, while the event loop serves other updates; the other
    writers meanwhile sleep in SQLite's busy handler (1, 2, 5 … 100 ms steps).
    In autocommit mode the upsert is one round trip and holds the lock only while
    SQLite runs it (bench/dialog.py: capacity +30 %, p99 latency −40 %)."""
    url = engine.url
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or "memory" in database:
        return None
    return create_engine(url, autocommit=True, gate=_GATES.get(engine.sync_engine))


def gate_of(engine: AsyncEngine) -> write_gate.WriteGate | None:
    """The write gate of a SQLite engine (shared by its autocommit writer)."""
    return _GATES.get(engine.sync_engine)


def autocommit_writer(writer: AsyncEngine) -> autocommit.AutocommitWriter:
    """The one task writing the single statements of `writer` (`create_fsm_writer`):
    bot/data/autocommit.py.  It writes in the event loop's thread through a sync engine on
    the same file (pysqlite, autocommit, busy timeout 0: it waits in the event loop)."""
    url = writer.url.set(drivername="sqlite+pysqlite")

    def connect() -> Engine:
        engine = create_sync_engine(
            url,
            isolation_level="AUTOCOMMIT",
            poolclass=StaticPool,  # one connection, used by the writer only
            connect_args={"timeout": 0, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            _sqlite_pragmas(dbapi_connection, url.database, busy_timeout=0)
            # Its commits run in the event loop's thread: the checkpoints are the writer's,
            # in a thread (bot/data/autocommit.py CHECKPOINT_ROWS).
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0").close()

        return engine

    return autocommit.writer_of(writer.sync_engine, connect, gate_of(writer))


def insert_for(dialect_name: str, entity: Any) -> Any:
    """INSERT … that can take ON CONFLICT DO NOTHING/UPDATE, in the engine's dialect."""
    if dialect_name == "postgresql":
        return pg_insert(entity)
    return sqlite_insert(entity)


async def write_now(
    writer: AsyncEngine | None,
    sessionmaker: async_sessionmaker[AsyncSession],
    *statements: Any,
) -> list[Any]:
    """Run each write statement committed on its own, in order, on the autocommit `writer`
    (SQLite, `create_fsm_writer`; with the other single-statement writes of the process,
    bot/data/autocommit.py): SQLite's write lock is then held
    only while SQLite runs the statement, never across a turn of the event loop
    (a transaction through the pool holds it from its first write to COMMIT, while
    the FSM upserts and inbox marks of other updates sleep in SQLite's busy handler).
    PostgreSQL: each committed on its own too, in AUTOCOMMIT (`create_autocommit`: one
    round trip each instead of BEGIN, the statements, COMMIT).  In-memory SQLite: one
    transaction for all of them.  Returns the results (use only what a result holds
    without a cursor: rowcount, inserted_primary_key)."""
    results: list[Any] = []
    if writer is not None:
        return await autocommit_writer(writer).execute(*statements)
    bind = sessionmaker.kw["bind"]
    if is_postgresql(bind):
        async with create_autocommit(bind).connect() as connection:
            for statement in statements:
                results.append(await connection.execute(statement))
        return results
    async with sessionmaker() as session, session.begin():
        for statement in statements:
            results.append(await session.execute(statement))
    return results


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_postgresql(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
