"""The single-statement writes of a process on SQLite, written together by one task in
the event loop's thread (the autocommit writer of bot/data/engine.py `create_fsm_writer`).

Every write that commits on its own goes through here: the FSM upserts
(bot/data/fsm_storage.py), the inbox's store and done marks (bot/data/inbox.py) and
`write_now` (funnel milestones, consent, language).  One task takes the writes queued
while the previous batch ran and runs the whole batch on its own sync SQLAlchemy
connection (pysqlite, autocommit, busy timeout 0) in the order the writes were queued:
the FSM upserts of a batch as one executemany per statement (at the place of the first),
every other statement on its own.  Why:

* in the loop's thread, not in a thread of its own: an upsert with its COMMIT costs SQLite
  about 20 µs (WAL, synchronous=NORMAL: no fsync), the hop to a thread and back cost more
  than that in the loop's thread alone (bench/dialog.py py-spy --gil, 200 users: the hop
  3 % and the thread's own Python 4.4 % of all GIL time) and a turn of a busy loop on the
  way back;
* the single-statement writes of the process never collide with each other in SQLite,
  and never with a gated transaction of the process: the batch runs when the gate is free
  (bot/data/write_gate.py), as one step that nothing interleaves with;
* another process's write lock is waited for in the event loop (SQLITE_BUSY returns at
  once; the batch goes on from the write that met it after a pause), never in SQLite's
  busy handler;
* SQLite's automatic checkpoint (at 1000 pages of WAL, 10–40 ms copying and syncing) is
  off on this connection; the writer checkpoints every `CHECKPOINT_ROWS` rows in a
  thread of its own, the writes going on meanwhile.

A caller's write returns once its statements committed (or raises the error of the
first that failed; the later ones of that caller do not run): the same durability as a
statement executed on its own.  A failed statement fails only its own caller.  The order
between the writes of different callers within a batch is not kept for the FSM upserts
(moved to the first of them); a caller that needs an order awaits its first write before
the next (the inbox marks an update done only after its handler's FSM writes returned).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from bot.data import write_gate

_BACKOFF = (0.001, 0.05)  # seconds: first and longest pause when another process writes
# Rows the writer commits between two WAL checkpoints (each row a page or two; SQLite's own
# automatic checkpoint, off on the writer's connection, comes at 1000 pages).
CHECKPOINT_ROWS = 400

log = logging.getLogger(__name__)


class _Job:
    """One caller's statements (run in order), or one row of an executemany."""

    __slots__ = ("future", "many", "params", "rows", "statements")

    def __init__(
        self,
        statements: tuple[Executable, ...],
        params: dict[str, Any] | None,
        many: bool,
        rows: list[dict[str, Any]] | None = None,
    ) -> None:
        self.statements = statements
        self.params = params
        self.many = many
        self.rows = rows  # execute_rows: the parameters of its one statement
        self.future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()


class _Unit:
    """What the thread runs as one step: one job's statements, or the rows of one
    executemany; `results` grows as its statements commit (a retry goes on from there)."""

    __slots__ = ("error", "jobs", "results")

    def __init__(self, jobs: list[_Job]) -> None:
        self.jobs = jobs
        self.results: list[Any] = []
        self.error: BaseException | None = None

    @property
    def rows(self) -> int:
        first = self.jobs[0]
        if first.many:
            return len(self.jobs)
        return len(first.rows) if first.rows is not None else len(first.statements)

    def run(self, connection: Connection) -> None:
        first = self.jobs[0]
        if first.many:
            connection.execute(first.statements[0], [job.params or {} for job in self.jobs])
            return
        if first.rows is not None:  # execute_rows: one statement, its rows
            result = connection.execute(first.statements[0], first.rows)
            self.results.append(result.scalars().all())
            return
        for statement in first.statements[len(self.results) :]:
            result = connection.execute(statement)
            # RETURNING rows read here; otherwise rowcount, inserted_primary_key stay
            self.results.append(result.freeze()() if result.returns_rows else result)


class AutocommitWriter:
    """The one task that writes a SQLite file's single statements (and the thread of its
    checkpoints)."""

    def __init__(self, connect: Callable[[], Engine], gate: write_gate.WriteGate | None) -> None:
        self._connect = connect  # a sync autocommit engine with busy timeout 0
        self.gate = gate
        self._engine: Engine | None = None
        self._written = 0  # rows committed since the last checkpoint
        self._checkpoint: asyncio.Task[None] | None = None
        self._checkpoint_engine: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None  # the checkpoints'
        self._queue: list[_Job] = []
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def execute(self, *statements: Executable) -> list[Any]:
        """Run the statements in order, each committed on its own; their results
        (buffered: rowcount, inserted_primary_key, RETURNING rows)."""
        return await self._submit(_Job(statements, None, many=False))

    async def execute_rows(self, statement: Executable, rows: list[dict[str, Any]]) -> list[Any]:
        """`statement` with these rows as its parameters, committed on its own (an INSERT …
        RETURNING one column: the values returned)."""
        (values,) = await self._submit(_Job((statement,), None, many=False, rows=rows))
        return list(values)

    async def execute_many(self, statement: Executable, params: dict[str, Any]) -> None:
        """One row of `statement`, which the batch runs as one executemany with the other
        rows queued for the same statement object (an upsert: repeated after SQLITE_BUSY)."""
        await self._submit(_Job((statement,), params, many=True))

    async def _submit(self, job: _Job) -> list[Any]:
        task = self._task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            loop = asyncio.get_running_loop()  # writes left by a closed loop are dropped
            self._queue = [j for j in self._queue if j.future.get_loop() is loop]
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(  # not in the context of the update that wrote first
                self._run(self._ready), name="autocommit-writes", context=contextvars.Context()
            )
        assert self._ready is not None
        self._queue.append(job)
        self._ready.set()
        return await job.future

    async def _run(self, ready: asyncio.Event) -> None:
        while True:
            await ready.wait()
            ready.clear()
            batch, self._queue = self._queue, []
            if batch:
                try:
                    await self._write(_units(batch))
                except asyncio.CancelledError:
                    for job in batch:
                        job.future.cancel()
                    raise

    async def _write(self, units: list[_Unit]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + write_gate.WAIT_LIMIT
        pause = _BACKOFF[0]
        if self.gate is not None:
            await self.gate.released()  # not behind a transaction already writing: after it
        while units:
            try:
                done, busy = self._run_units(units)  # in the loop's thread, see the docstring
            except Exception as error:  # no connection: every write of the batch fails
                for unit in units:
                    unit.error = error
                done, busy = len(units), None
            for unit in units[:done]:
                self._written += unit.rows
                _settle(unit)
            units = units[done:]
            self._checkpoint_when_due()
            if busy is None:
                continue
            if loop.time() > deadline:
                for unit in units:
                    unit.error = busy
                    _settle(unit)
                return
            if self.gate is not None and self.gate.holder is not None:
                await self.gate.released()
            else:
                await asyncio.sleep(pause)
                pause = min(pause * 2, _BACKOFF[1])

    def _run_units(self, units: list[_Unit]) -> tuple[int, BaseException | None]:
        """Run the units in order; (how many were settled, the SQLITE_BUSY that stopped it)."""
        if self._engine is None:
            self._engine = self._connect()
        with self._engine.connect() as connection:
            for index, unit in enumerate(units):
                try:
                    unit.run(connection)
                except DBAPIError as error:
                    if write_gate.is_busy(error):
                        return index, error
                    unit.error = error
                except Exception as error:
                    unit.error = error
        return len(units), None

    def _checkpoint_when_due(self) -> None:
        """Every `CHECKPOINT_ROWS` rows, a PASSIVE checkpoint of the WAL in a thread of its own
        (it copies the pages into the database file and syncs it: 10–40 ms that must not
        stop the event loop; the writers go on meanwhile)."""
        if self._written < CHECKPOINT_ROWS:
            return
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        self._written = 0
        self._checkpoint = asyncio.create_task(
            self._run_checkpoint(), name="wal-checkpoint", context=contextvars.Context()
        )

    async def _run_checkpoint(self) -> None:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-checkpoint")
        try:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._checkpoint_now)
        except Exception as error:  # the next one will catch up; SQLite's data are safe
            log.warning("WAL checkpoint failed: %s", type(error).__name__)

    def _checkpoint_now(self) -> None:
        if self._checkpoint_engine is None:
            self._checkpoint_engine = self._connect()
        with self._checkpoint_engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").close()

    async def close(self) -> None:
        """Stop the task, wait for a checkpoint under way, close the connections; a later
        write starts again."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])
            self._checkpoint = None
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()
        thread, checkpoints, self._thread, self._checkpoint_engine = (
            self._thread,
            self._checkpoint_engine,
            None,
            None,
        )
        if thread is not None:
            if checkpoints is not None:
                await asyncio.get_running_loop().run_in_executor(thread, checkpoints.dispose)
            thread.shutdown(wait=False)


def _units(batch: list[_Job]) -> list[_Unit]:
    units: list[_Unit] = []
    many: dict[int, _Unit] = {}
    for job in batch:
        if not job.many:
            units.append(_Unit([job]))
        elif (unit := many.get(id(job.statements[0]))) is not None:
            unit.jobs.append(job)
        else:
            many[id(job.statements[0])] = unit = _Unit([job])
            units.append(unit)
    return units


def _settle(unit: _Unit) -> None:
    for job in unit.jobs:
        if job.future.done():
            continue
        if unit.error is None:
            job.future.set_result(unit.results)
        else:
            job.future.set_exception(unit.error)


_WRITERS: weakref.WeakKeyDictionary[Engine, AutocommitWriter] = weakref.WeakKeyDictionary()


def writer_of(
    key: Engine, connect: Callable[[], Engine], gate: write_gate.WriteGate | None
) -> AutocommitWriter:
    """The writer of an autocommit engine (`key`: its sync_engine; one writer per engine:
    one task, one thread, one queue)."""
    writer = _WRITERS.get(key)
    if writer is None:
        writer = _WRITERS[key] = AutocommitWriter(connect, gate)
    return writer
