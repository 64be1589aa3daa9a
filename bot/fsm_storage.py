"""aiogram FSM storage on SQLAlchemy: the wizard survives a bot restart.

One row per `StorageKey`; writes are atomic upserts (INSERT … ON CONFLICT),
so two updates of the same user never lose each other's row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FsmRecord, utcnow


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


class SqlAlchemyStorage(BaseStorage):
    """FSM state and data in the `fsm_records` table."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def _upsert(self, key: StorageKey, values: dict[str, Any]) -> None:
        async with self._sessionmaker() as session:
            dialect = session.bind.dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            row = {"key": storage_key(key), "user_id": key.user_id, "updated_at": utcnow()}
            statement = insert(FsmRecord).values(**row, **{"state": None, "data": {}, **values})
            statement = statement.on_conflict_do_update(
                index_elements=[FsmRecord.key], set_={**values, "updated_at": row["updated_at"]}
            )
            await session.execute(statement)
            await session.commit()

    async def _load(self, key: StorageKey) -> FsmRecord | None:
        async with self._sessionmaker() as session:
            return await session.get(FsmRecord, storage_key(key))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._load(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._load(key)
        return dict(record.data) if record and record.data else {}

    async def forget_user(self, user_id: int) -> None:
        """Erase every FSM row of a user (personal data of unsent drafts)."""
        async with self._sessionmaker() as session:
            await session.execute(delete(FsmRecord).where(FsmRecord.user_id == user_id))
            await session.commit()

    async def keys_of_user(self, user_id: int) -> list[str]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(select(FsmRecord.key).where(FsmRecord.user_id == user_id))
            return list(rows)

    async def close(self) -> None:
        """The engine is owned and disposed by the application."""
