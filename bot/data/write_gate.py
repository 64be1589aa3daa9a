"""One writer at a time, queued in the event loop (SQLite).

SQLite lets one connection write at a time.  Without a gate, every pooled
connection that wants to write while another one holds the lock sleeps in
SQLite's busy handler (1, 2, 5 … 100 ms steps) in its driver thread: under load
the writers convoy, a lock freed after 1 ms is taken up to 100 ms later, and a
writer that keeps losing gives up after the busy timeout ("database is locked":
an outbox claim or an inbox done mark failed).  The gate makes the writers of
this process queue in the event loop instead: a connection takes the gate before
its first INSERT/UPDATE/DELETE and gives it back when its transaction commits or
rolls back, the next writer in line gets it at once (FIFO).  SQLite's own lock and busy timeout stay for other
processes on the same file.

Installed by bot/data/engine.py on SQLite engines; the single-statement writes (FSM,
inbox, write_now) do not take the gate: they wait for it to be given back (`released`)
and go, bot/data/autocommit.py.  It waits only inside SQLAlchemy's greenlet (the async
engine); elsewhere it stays out of the way.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util.concurrency import await_, in_greenlet

WAIT_LIMIT = 30.0  # seconds, like the busy timeout: then "database is locked"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class WriteGate:
    """A FIFO mutex owned by a DBAPI connection (re-entrant for its owner)."""

    def __init__(self) -> None:
        self.holder: object | None = None
        self._waiters: deque[tuple[object, asyncio.Future[None]]] = deque()
        self._watchers: list[asyncio.Future[None]] = []  # `released` callers

    def acquire(self, holder: object) -> None:
        """Take the gate for `holder`; called inside the greenlet of an async execute."""
        if self.holder is holder:
            return
        if self.holder is None and not self._waiters:
            self.holder = holder
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((holder, future))
        try:
            await_(asyncio.wait_for(future, WAIT_LIMIT))
        except BaseException as error:
            if self.holder is holder:  # handed over just as the wait ended
                self.release(holder)
            if isinstance(error, TimeoutError):
                raise sqlite3.OperationalError("database is locked (write gate)") from None
            raise

    def release(self, holder: object) -> None:
        if self.holder is not holder:
            return
        self.holder = None
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:  # woken first: their statements go before the next holder's
            if not watcher.done():
                watcher.set_result(None)
        while self._waiters:
            waiter, future = self._waiters.popleft()
            if not future.done():
                self.holder = waiter
                future.set_result(None)
                return

    async def released(self) -> None:
        """Return when the holder gives the gate back (at once when nobody holds it)."""
        if self.holder is None:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watchers.append(future)
        await future

    @property
    def waiting(self) -> int:
        return sum(1 for _, future in self._waiters if not future.done())


def is_busy(error: BaseException) -> bool:
    """SQLITE_BUSY (any extended code): another connection holds SQLite's write lock."""
    original = error.orig if isinstance(error, DBAPIError) else error
    code = getattr(original, "sqlite_errorcode", None)
    return isinstance(original, sqlite3.OperationalError) and code is not None and code & 0xFF == 5


def _owner(connection: Any) -> object:
    """The DBAPI connection behind a pool's proxy (SQLAlchemy passes either)."""
    return getattr(connection, "dbapi_connection", None) or connection


def is_write(statement: str) -> bool:
    """An INSERT, UPDATE, DELETE or REPLACE (the statements that take SQLite's write lock)."""
    return statement.lstrip()[:6].upper() in _WRITES


def install(engine: Engine, gate: WriteGate, *, autocommit: bool) -> None:
    """Gate the write transactions of `engine` (a sync Engine: AsyncEngine.sync_engine).

    An autocommit engine (one statement, one round trip: SQLite holds its lock only
    while it runs the statement) is left ungated: the gate is given back only when the
    event loop sees the statement's result, a turn of the loop later — under load longer
    than SQLite's own lock, which its busy handler waits out in 1–2 ms steps."""
    if autocommit:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if is_write(statement) and in_greenlet():
            gate.acquire(_owner(conn.connection))

    dialect: Any = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            gate.release(_owner(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            gate.release(_owner(dbapi_connection))

    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback

    @event.listens_for(engine.pool, "close")
    def _closed(dbapi_connection: Any, _record: Any) -> None:
        gate.release(dbapi_connection)

    @event.listens_for(engine.pool, "invalidate")
    def _invalidated(dbapi_connection: Any, _record: Any, _error: Any) -> None:
        gate.release(dbapi_connection)
