"""aiogram FSM storage on SQLAlchemy: the wizard survives a bot restart.

One row per `StorageKey`; writes are atomic upserts (INSERT … ON CONFLICT),
so two updates of the same user never lose each other's row.

Reads are served from a write-through cache of the rows this process has read
or written (aiogram asks for the state several times per update: every
StateFilter, the handler, `update_data`).  The database stays the truth: every
write goes to it first, a failed write leaves the key uncached, and the cache
is per process — which is the deployment of this storage anyway (with it the
events isolation is aiogram's in-process `SimpleEventIsolation`; several bot
processes use Redis, see bot/app.py).  Anything that changes `fsm_records`
must therefore go through this class (`forget_user` does).  Values are kept as
the JSON text the database would return, so callers get fresh objects exactly
as after a database read.  `cache_size=0` turns the cache off.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import DEFAULT_DESTINY, BaseStorage, StateType, StorageKey
from sqlalchemy import Insert, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import utcnow
from bot.data.engine import autocommit_writer
from bot.data.models import FsmRecord

DEFAULT_CACHE_SIZE = 10_000
_EMPTY_DATA = "{}"


def storage_key(key: StorageKey) -> str:
    """The row key: every field of aiogram's StorageKey, in order."""
    return ":".join(
        str(part)
        for part in (
            key.bot_id,
            key.chat_id,
            key.user_id,
            key.thread_id or "",
            key.business_connection_id or "",
            key.destiny,
        )
    )


@functools.cache
def _upsert_statement(dialect: str, columns: tuple[str, ...]) -> Insert:
    """INSERT … ON CONFLICT (key) DO UPDATE SET <columns>, updated_at: built once
    per dialect and column set, on the Core table (no ORM bulk-DML layer)."""
    table: Table = FsmRecord.__table__  # type: ignore[assignment]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(
        {c.name: bindparam(c.name, type_=c.type) for c in table.columns}
    )
    updated = (*columns, "updated_at")
    return statement.on_conflict_do_update(
        index_elements=[table.c.key], set_={c: statement.excluded[c] for c in updated}
    )


class _Cached:
    """A row as stored: state and the JSON text of data (`{}` for a missing row)."""

    __slots__ = ("data", "state", "user_id")

    def __init__(self, user_id: int | None, state: str | None, data: str) -> None:
        self.user_id = user_id
        self.state = state
        self.data = data


class _Pending:
    """A read or write of one key in flight; a write elsewhere makes it stale."""

    __slots__ = ("user_id", "valid")

    def __init__(self, user_id: int | None) -> None:
        self.user_id = user_id
        self.valid = True


class SqlAlchemyStorage(BaseStorage):
    """FSM state and data in the `fsm_records` table (write-through cached)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        writer: AsyncEngine | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        # SQLite: an autocommit engine on the same file for the upserts (one round
        # trip, the write lock held only inside SQLite): bot.data.engine.create_fsm_writer.
        # Owned by the caller (bot/app.py disposes it).
        self.writer = writer
        # The upserts of every update in flight go out together: bot/data/autocommit.py.
        self._group = autocommit_writer(writer) if writer is not None else None
        self._cache_size = cache_size
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        # Reads and writes in flight per key: a read or write that overlapped
        # another write must not put what it saw into the cache.
        self._pending: dict[str, list[_Pending]] = {}

    # ------------------------------------------------------------------ cache
    def _remember(self, row_key: str, entry: _Cached) -> None:
        if self._cache_size <= 0:
            return
        self._cache[row_key] = entry
        self._cache.move_to_end(row_key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _register(self, row_key: str, user_id: int | None) -> _Pending:
        pending = _Pending(user_id)
        self._pending.setdefault(row_key, []).append(pending)
        return pending

    def _unregister(self, row_key: str, pending: _Pending) -> None:
        others = self._pending[row_key]
        others.remove(pending)
        if not others:
            del self._pending[row_key]

    def _invalidate(self, row_key: str) -> None:
        self._cache.pop(row_key, None)
        for pending in self._pending.get(row_key, ()):
            pending.valid = False

    def _invalidate_user(self, user_id: int) -> None:
        for row_key in [k for k, entry in self._cache.items() if entry.user_id == user_id]:
            del self._cache[row_key]
        for pendings in self._pending.values():
            for pending in pendings:
                if pending.user_id == user_id:
                    pending.valid = False

    def _unchanged(self, row_key: str, values: dict[str, Any]) -> bool:
        """The cached row (= the database's, nothing in flight) already holds `values`."""
        entry = self._cache.get(row_key)
        if entry is None or row_key in self._pending:
            return False
        if "state" in values and values["state"] != entry.state:
            return False
        return "data" not in values or json.dumps(values["data"]) == entry.data

    # --------------------------------------------------------------- database
    async def _upsert(self, key: StorageKey, values: dict[str, Any]) -> None:
        row_key = storage_key(key)
        if self._unchanged(row_key, values):
            return  # aiogram and the wizards often write back what is already stored
        before = self._cache.get(row_key)
        self._invalidate(row_key)
        pending = self._register(row_key, key.user_id)
        try:
            row = {"key": row_key, "user_id": key.user_id, "state": None, "data": {}}
            params = {**row, **values, "updated_at": utcnow()}
            if self._group is not None:  # with the other updates' writes, autocommitted
                await self._group.execute_many(_upsert_statement("sqlite", tuple(values)), params)
            else:
                async with self._sessionmaker() as session:
                    statement = _upsert_statement(session.get_bind().dialect.name, tuple(values))
                    await session.execute(statement, params)
                    await session.commit()
        finally:
            self._unregister(row_key, pending)
            self._invalidate(row_key)  # reads that ran meanwhile may have seen the old row
        if before is None or not pending.valid:
            return  # the other half of the row is unknown, or another write overlapped
        state = values.get("state", before.state)
        data = json.dumps(values["data"]) if "data" in values else before.data
        self._remember(row_key, _Cached(key.user_id, state, data))

    async def _load(self, key: StorageKey) -> _Cached:
        row_key = storage_key(key)
        entry = self._cache.get(row_key)
        if entry is not None:
            self._cache.move_to_end(row_key)
            return entry
        pending = self._register(row_key, key.user_id)
        try:
            async with self._sessionmaker() as session:
                record = await session.get(FsmRecord, row_key)
                if record is None:
                    entry = _Cached(key.user_id, None, _EMPTY_DATA)
                else:
                    entry = _Cached(record.user_id, record.state, json.dumps(record.data or {}))
        finally:
            self._unregister(row_key, pending)
        if pending.valid:
            self._remember(row_key, entry)
        return entry

    # ----------------------------------------------------------- BaseStorage
    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((await self._load(key)).data)
        return data

    async def forget_user(self, user_id: int) -> None:
        """Erase every FSM row of a user (personal data of unsent drafts)."""
        self._invalidate_user(user_id)
        try:
            async with self._sessionmaker() as session:
                await session.execute(delete(FsmRecord).where(FsmRecord.user_id == user_id))
                await session.commit()
        finally:
            self._invalidate_user(user_id)  # rows read back while the delete was running

    async def keys_of_user(self, user_id: int) -> list[str]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(select(FsmRecord.key).where(FsmRecord.user_id == user_id))
            return list(rows)

    async def close(self) -> None:
        """The engine is owned and disposed by the application."""
        if self._group is not None:
            await self._group.close()
        self._cache.clear()


class FsmDrafts:
    """The unsent drafts and dialog states of users in every FSM storage the bot uses
    (this module's, and Redis when configured): bot.usecases.privacy.Drafts."""

    def __init__(self, storages: Sequence[BaseStorage], destinies: Sequence[str]) -> None:
        self.storages = list(storages)
        self.destinies = (DEFAULT_DESTINY, *destinies)

    async def forget(self, *, bot_id: int, chat_id: int, user_id: int) -> None:
        for storage in self.storages:
            if isinstance(storage, SqlAlchemyStorage):
                await storage.forget_user(user_id)
                continue
            for destiny in self.destinies:
                key = StorageKey(bot_id=bot_id, chat_id=chat_id, user_id=user_id, destiny=destiny)
                await storage.set_state(key, None)
                await storage.set_data(key, {})
