"""SQLite through aiosqlite in one thread hop per statement (SQLAlchemy dialect ``sqlite+onehop``).

Why: aiosqlite runs every call of a connection in that connection's own thread, and each
call is a "hop" that costs the event loop's thread 40–90 µs of CPU (a future, the call
queued, ``call_soon_threadsafe``, the self-pipe wake-up, a GIL hand-off).  SQLAlchemy's
aiosqlite adapter makes about four hops per statement — ``cursor()``, ``execute()``,
``fetchall()`` when there are rows, the cursor's ``close()`` — and one per COMMIT and per
ROLLBACK, the pool's reset-on-return ROLLBACK after a read-only session included (a no-op
in SQLite when no transaction is open).  bench/dialog.py ``--worker full --users 50``
(1700 updates, ≈ 4 550 statements, hops counted on ``aiosqlite.Connection._execute``):
20 800 hops (12.2 per update) with the stock adapter, 6 350 (3.7 per update) with this one.

What this driver does differently (everything else is SQLAlchemy's aiosqlite dialect:
its URL options, pool, isolation levels, server-side cursors, ``create_function``,
``terminate``, the errors — the same ``sqlite3`` exceptions, mapped the same way):

* a statement is one function run in aiosqlite's thread on the raw ``sqlite3``
  connection (``aiosqlite.Connection._execute``): it opens a cursor, executes (or
  executemany), fetches every row when there is a description, reads description,
  rowcount and lastrowid, closes the cursor and returns them; the adapter cursor then
  serves ``fetchone``/``fetchmany``/``fetchall`` from memory, as the stock one does after
  its own ``fetchall()`` (buffered results; server-side cursors keep the stock adapter);
* COMMIT and ROLLBACK make no hop when the ``sqlite3`` connection has no open
  transaction (``in_transaction`` false): ``sqlite3`` itself would do nothing then.  The
  flag is read from the loop's thread; that is safe only while nothing runs on the
  connection in its thread, so the shortcut is taken only when this adapter's last call
  has finished there (`_Call.finished`, written by that thread) — after a cancelled await
  the call may still be running, and COMMIT/ROLLBACK then take their hop, queued behind it
  (SQLAlchemy invalidates a connection whose call was cancelled anyway; the stock
  server-side cursor's calls, unused by the bot, are not tracked).

* from a transaction's first write to its COMMIT or ROLLBACK, its statements run inline,
  in the event loop's own thread, without giving the loop away (`OneHopConnection._inline`).
  In WAL mode that first write took SQLite's write lock; until the transaction ends,
  nothing it does waits for another connection, and what SQLite then does per statement
  (tens of µs) costs less than the hop.  The first write itself runs inline when the
  connection holds the process's write gate (bot/data/engine.py gives it the gate: then
  nobody else of this process holds the lock), with SQLite's busy timeout off for it;
  if another process holds the lock (SQLITE_BUSY) it takes its hop and waits there, in
  SQLite's busy handler, as before.  Why: the lock was held across a hop and a turn of a busy
  loop per statement — the Send step's transaction (about ten statements) held it 21 ms
  at the median, 79 ms at p99, while every FSM write of the process waited (bench/dialog.py
  ``--tail``: the slowest 1 % of updates).  The sqlite3 connection is opened with
  ``check_same_thread=False``; it is used in one thread at a time (`_idle`).

``bot/data/engine.py`` ``create_engine`` uses it for ``sqlite+aiosqlite`` URLs (the
DATABASE_URL users write stays as it is).
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

from bot.data import write_gate

DRIVER = "onehop"  # URL: sqlite+onehop:///path

_Description = tuple[tuple[Any, ...], ...] | None


class _Call:
    """``function(raw sqlite3 connection)`` as run in aiosqlite's thread; `finished` is
    set there (only there) when it returns or raises."""

    __slots__ = ("finished", "function", "owner")

    def __init__(
        self, owner: aiosqlite.Connection, function: Callable[[sqlite3.Connection], Any]
    ) -> None:
        self.owner = owner
        self.function = function
        self.finished = False

    def __call__(self) -> Any:
        try:
            return self.function(self.owner._conn)
        finally:
            self.finished = True


_Outcome = tuple[_Description, list[Any], int, int | None, bool]


def _run_statement(
    raw: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """The whole of one statement (in aiosqlite's thread, or inline: `OneHopConnection`);
    the last item: the connection now holds SQLite's write lock (a write in an open
    transaction — in WAL mode the lock is then held until COMMIT or ROLLBACK)."""
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        locked = raw.in_transaction and write_gate.is_write(operation)
        return description, rows, cursor.rowcount, cursor.lastrowid, locked
    finally:
        cursor.close()


def _first_write(
    raw: sqlite3.Connection, run: Callable[[sqlite3.Connection], _Outcome], busy_timeout_ms: int
) -> _Outcome | None:
    """A transaction's first write, inline: SQLite's busy timeout off meanwhile, so that
    it never waits for the write lock in the loop's thread; None when another connection
    holds the lock (SQLITE_BUSY: nothing written, the caller takes the hop and waits there)."""
    raw.execute("PRAGMA busy_timeout=0").close()
    try:
        return run(raw)
    except sqlite3.OperationalError as error:
        if write_gate.is_busy(error):
            return None
        raise
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}").close()


async def _now(function: Callable[[sqlite3.Connection], Any], raw: sqlite3.Connection) -> Any:
    return function(raw)


def _commit(raw: sqlite3.Connection) -> None:
    raw.commit()


def _rollback(raw: sqlite3.Connection) -> None:
    raw.rollback()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A DBAPI cursor whose statement is one hop and whose rows are in memory."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")
    _adapt_connection: OneHopConnection

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No aiosqlite cursor (the stock __init__ opens one: a hop).
        self._adapt_connection = cast(OneHopConnection, adapt_connection)
        self._connection = adapt_connection._connection
        self._rows = deque()
        self._description: _Description = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        description, rows, rowcount, lastrowid, _ = self._adapt_connection._statement(
            operation, parameters, many
        )
        self._description = description
        self._rows = deque(rows)
        self._rowcount = rowcount
        self._lastrowid = lastrowid

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in the statement's hop."""

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        """sqlite3 cursors have one result set."""
        raise self._adapt_connection.dbapi.NotSupportedError("nextset() is not supported")

    def setinputsizes(self, *inputsizes: Any) -> None:
        """A no-op in sqlite3 as well."""


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The adapted connection: statements, COMMIT and ROLLBACK in at most one hop, none
    while its transaction holds the write lock."""

    __slots__ = ("_last_call", "_locked", "busy_timeout_ms", "gate")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._last_call: _Call | None = None
        self._locked = False  # the open transaction holds SQLite's write lock
        # Set by bot/data/engine.py: the process's write gate (bot/data/write_gate.py,
        # its holder: this object) and the busy timeout the connection was given.
        self.gate: write_gate.WriteGate | None = None
        self.busy_timeout_ms = 0

    def _statement(self, operation: str, parameters: Any, many: bool) -> _Outcome:
        """One statement: inline while this connection holds the write lock, and for the
        first write of a transaction that holds the process's write gate (unless another
        process holds SQLite's lock); else a hop."""

        def run(raw: sqlite3.Connection) -> _Outcome:
            return _run_statement(raw, operation, parameters, many)

        if self._idle():
            if self._locked:
                return cast(_Outcome, self._inline(run))
            if (
                self.gate is not None
                and self.gate.holder is self
                and write_gate.is_write(operation)
            ):
                first = self._inline(lambda raw: _first_write(raw, run, self.busy_timeout_ms))
                if first is not None:
                    self._locked = first[4]
                    return cast(_Outcome, first)
        outcome: _Outcome = self._call(run)
        self._locked = outcome[4]
        return outcome

    def _inline(self, function: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``function(raw sqlite3 connection)`` in the event loop's own thread, without
        giving the loop away (a coroutine that never suspends: SQLAlchemy's async API wants
        every execute to await, ``AwaitRequired``)."""
        try:
            return await_(_now(function, cast(sqlite3.Connection, self._connection._conn)))
        except Exception as error:
            self._handle_exception(error)

    def _call(self, function: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``function(raw sqlite3 connection)`` in aiosqlite's thread: one hop."""
        call = _Call(cast(aiosqlite.Connection, self._connection), function)
        self._last_call = call
        try:
            return await_(self._connection._execute(call))
        except Exception as error:
            self._handle_exception(error)

    def _idle(self) -> bool:
        """True when nothing of ours runs or waits in aiosqlite's thread."""
        return self._last_call is None or self._last_call.finished

    def _in_transaction(self, raw: sqlite3.Connection) -> bool:
        if not self._idle():
            return True  # unknown yet: take the hop, it queues behind the running call
        try:
            return raw.in_transaction
        except sqlite3.Error:
            return True  # closed meanwhile: the hop raises as the stock adapter does

    def commit(self) -> None:
        self._end(_commit)

    def rollback(self) -> None:
        self._end(_rollback)

    def _end(self, function: Callable[[sqlite3.Connection], None]) -> None:
        """COMMIT or ROLLBACK: none when no transaction is open, inline when it holds the
        write lock, else one hop."""
        raw = self._connection._connection
        try:
            if self._locked and self._idle():
                self._inline(function)
            elif raw is not None and self._in_transaction(raw):
                self._call(function)
        finally:
            self._locked = False

    def create_function(self, *args: Any, **kw: Any) -> None:
        self._call(lambda raw: raw.create_function(*args, **kw))

    @property
    def isolation_level(self) -> str | None:
        return cast(str | None, self._connection.isolation_level)

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        def set_level(raw: Any) -> None:
            raw.isolation_level = value

        self._call(set_level)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        if creator_fn:
            connection = creator_fn(*arg, **kw)
        else:
            # Statements of a transaction holding the write lock run in the loop's thread.
            kw.setdefault("check_same_thread", False)
            connection = self.aiosqlite.connect(*arg, **kw)
            connection._thread.daemon = True  # as SQLAlchemy's: exit never waits for it
        return OneHopConnection(self, await_(connection))


class SQLiteDialect_onehop(SQLiteDialect_aiosqlite):
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneHopDBAPI:
        return OneHopDBAPI(aiosqlite, sqlite3)


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_onehop")
