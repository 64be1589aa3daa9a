"""Several bot processes on one database: who may run, who leads, who is gone.

* Without REDIS_URL the wizard's state (FSM, bot/data/fsm_storage.py) and the
  users' languages are cached in the process, so only ONE process may use a
  database: it holds an exclusive lock for its lifetime and a second process is
  refused with `AnotherProcess` (`python -m bot` prints it as one line).
* With REDIS_URL (FSM and event isolation in Redis) any number of processes
  share a PostgreSQL database: each holds the lock shared. A process without
  REDIS_URL cannot join them, nor they it.
* Leader: the one process that runs the reminder scheduler (`lead()`); when it
  dies its lock is free and the next `lead()` of another process takes over.
* Owners: each process holds a lock named after its inbox owner id; the pending
  updates of a process whose lock is free are taken over (bot/inbox.py).

PostgreSQL: session-level advisory locks on one dedicated AUTOCOMMIT connection
held for the process lifetime — the server releases them when the process dies
(SIGKILL, power cut). Migrations take their own transaction lock
(bot/data/migrate.py) so processes may start together.
SQLite: one process per database file (an flock on "<file>.lock"), whatever
REDIS_URL says.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# Advisory lock keys (bigint) of this application; owner keys are 60-bit hashes.
PROCESSES_KEY = 7_461_001
LEADER_KEY = 7_461_002
MIGRATIONS_KEY = 7_461_003


class AnotherProcess(RuntimeError):
    """This process must not run next to the one already using the database."""


def owner_key(owner: str) -> int:
    """The advisory lock key of an inbox owner id (hex)."""
    return int(owner[:15], 16) | (1 << 60)


class Deployment:
    """This process among the bot processes sharing one database."""

    def __init__(
        self, engine: AsyncEngine, *, shared: bool, owner: str, connections: int | None = None
    ) -> None:
        self._engine = engine
        self._connections = connections  # the most this process opens (pool size + overflow)
        self._postgresql = engine.dialect.name == "postgresql"
        self.shared = shared and self._postgresql
        self.owner = owner
        self._connection: AsyncConnection | None = None
        self._file: IO[str] | None = None
        self._leader = False
        self._use = asyncio.Lock()  # one statement at a time on the connection

    async def _ask(self, statement: str, key: int) -> bool:
        assert self._connection is not None
        async with self._use:
            return bool(await self._connection.scalar(text(statement), {"key": key}))

    @property
    def solo(self) -> bool:
        """No other process can be running: whatever is pending is ours."""
        return not self.shared

    async def join(self) -> None:
        """Take this process's locks, or raise AnotherProcess."""
        if not self._postgresql:
            self._lock_sqlite_file()
            self._leader = True
            return
        connection = await self._engine.connect()
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        take = "pg_try_advisory_lock_shared" if self.shared else "pg_try_advisory_lock"
        if not await connection.scalar(text(f"SELECT {take}(:key)"), {"key": PROCESSES_KEY}):
            await connection.close()
            if self.shared:
                raise AnotherProcess(
                    "a bot process without REDIS_URL is using this database: "
                    "set the same REDIS_URL for every process (or run only one)"
                )
            raise AnotherProcess(
                "another bot process is using this database: without REDIS_URL the "
                "wizard's state is kept per process, so several processes need REDIS_URL "
                "set in every one of them"
            )
        await connection.execute(
            text("SELECT pg_advisory_lock(:key)"), {"key": owner_key(self.owner)}
        )
        self._connection = connection
        await self._check_connections(connection)

    async def _check_connections(self, connection: AsyncConnection) -> None:
        """Warn when the processes now sharing the database may together open more
        connections than PostgreSQL allows (README: "several processes")."""
        if self._connections is None:
            return
        row = (
            await connection.execute(
                text(
                    "SELECT current_setting('max_connections')::int"
                    " - current_setting('superuser_reserved_connections')::int,"
                    " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND classid = 0 AND objid = :key AND granted AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database()))"
                ),
                {"key": PROCESSES_KEY},
            )
        ).one()
        allowed, processes = int(row[0]), int(row[1])
        if processes * self._connections > allowed:
            log.warning(
                "%d bot processes × %d connections (DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW) "
                "may exceed PostgreSQL's %d: under load requests would fail; lower "
                "DATABASE_POOL_SIZE or DATABASE_MAX_OVERFLOW or raise max_connections",
                processes,
                self._connections,
                allowed,
            )

    def _lock_sqlite_file(self) -> None:
        database = self._engine.url.database or ""
        if not database or "memory" in database:
            return
        import fcntl

        path = Path(f"{database}.lock")
        handle = path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise AnotherProcess(
                f"another bot process is using the SQLite database {os.path.basename(database)}: "
                "run one process per SQLite file (several processes need PostgreSQL and REDIS_URL)"
            ) from None
        self._file = handle

    async def lead(self) -> bool:
        """Whether this process runs the once-per-deployment work (the scheduler)."""
        if self._leader:
            return True
        if self._connection is None:
            return False
        if await self._ask("SELECT pg_try_advisory_lock(:key)", LEADER_KEY):
            self._leader = True
            log.info("this process leads: it runs the reminder scheduler")
        return self._leader

    @contextlib.asynccontextmanager
    async def gone(self, owner: str) -> AsyncIterator[bool]:
        """Whether the process `owner` is gone (its lock free); while the block
        runs nobody else can decide the same for that owner."""
        if owner == self.owner:
            yield False
            return
        if self.solo or self._connection is None:
            yield True
            return
        key = owner_key(owner)
        free = await self._ask("SELECT pg_try_advisory_lock(:key)", key)
        try:
            yield free
        finally:
            if free:
                await self._ask("SELECT pg_advisory_unlock(:key)", key)

    async def leave(self) -> None:
        """Release every lock (a dead process releases them anyway)."""
        self._leader = False
        if self._connection is not None:
            async with self._use:
                with contextlib.suppress(Exception):
                    await self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None
