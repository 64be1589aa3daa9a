"""The `inbound_updates` table: updates Telegram delivered, stored before they are
confirmed (bot/inbox.py runs them). No aiogram here.

An update is marked done in the same transaction as the first write to the audit
log or the outbox made while it is handled (`handling(update_id)`): SQLAlchemy
session events add the mark to that commit, so such an effect and its update's
done mark are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, event, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from bot.clock import utcnow
from bot.data.engine import autocommit_writer, create_autocommit, is_postgresql
from bot.data.models import InboundUpdate

KEEP_DONE = dt.timedelta(days=2)  # Telegram keeps an unconfirmed update for 24 h
# Writes that make an update's effect visible: done in the same transaction.
EFFECT_TABLES = frozenset({"audit_log", "outbox"})


# ---------------------------------------------------------------- done marks
@dataclass
class Handling:
    """The update being handled in this task; `marked` once its done mark committed."""

    update_id: int
    marked: bool = False


_handling: ContextVar[Handling | None] = ContextVar("inbound_update", default=None)


@contextmanager
def handling(update_id: int) -> Iterator[Handling]:
    """Within the block (and tasks it starts) commits with effects mark the update done."""
    current = Handling(update_id)
    token = _handling.set(current)
    try:
        yield current
    finally:
        _handling.reset(token)


def _done(update_ids: Iterable[int]) -> Any:
    return (
        update(InboundUpdate)
        .where(InboundUpdate.update_id.in_(list(update_ids)), InboundUpdate.status != "done")
        .values(status="done", payload=null(), done_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _adds_effect(session: Session) -> bool:
    return any(getattr(row, "__tablename__", None) in EFFECT_TABLES for row in session.new)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    if _handling.get() is not None and _adds_effect(session):
        session.info["inbox_effect"] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if _handling.get() is None or not state.is_insert:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in EFFECT_TABLES:
        state.session.info["inbox_effect"] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    handling = _handling.get()
    if handling is None or handling.marked:
        return
    if session.info.pop("inbox_effect", False) or _adds_effect(session):
        session.execute(_done([handling.update_id]))
        session.info["inbox_marked"] = handling


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    handling = session.info.pop("inbox_marked", None)
    if handling is not None:
        handling.marked = True


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("inbox_effect", None)
    session.info.pop("inbox_marked", None)


def user_key(payload: dict[str, Any]) -> int | None:
    """Whose update this is (its updates run in order): the sender, else the chat."""
    for kind, body in payload.items():
        if kind == "update_id" or not isinstance(body, dict):
            continue
        for field in ("from", "user", "chat", "voter_chat"):
            value = body.get(field)
            if isinstance(value, dict) and isinstance(value.get("id"), int):
                return int(value["id"])
        message = body.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            chat_id = message["chat"].get("id")
            return int(chat_id) if isinstance(chat_id, int) else None
    return None


async def _autocommit(writer: AsyncEngine, statement: Any) -> Any:
    """One statement on the SQLite autocommit engine (bot.data.engine.create_fsm_writer),
    with the FSM upserts and the other single statements of the process (bot/data/autocommit.py):
    the write lock held only while SQLite runs it, never two of ours colliding."""
    (result,) = await autocommit_writer(writer).execute(statement)
    return result


async def store(
    sessionmaker: async_sessionmaker[AsyncSession],
    payloads: list[dict[str, Any]],
    owner: str,
    writer: AsyncEngine | None = None,
) -> set[int]:
    """Insert the updates (one statement, atomic); the ids that were not stored before.
    `writer`: SQLite's autocommit engine; PostgreSQL: in AUTOCOMMIT (one round trip);
    else a session's transaction."""
    if not payloads:
        return set()
    now = utcnow()
    rows = [
        {
            "update_id": int(payload["update_id"]),
            "user_key": user_key(payload),
            "payload": payload,
            "status": "pending",
            "owner": owner,
            "received_at": now,
        }
        for payload in payloads
    ]
    if writer is not None:
        statement = _insert(writer.dialect.name)
        return set(await autocommit_writer(writer).execute_rows(statement, rows))
    bind = sessionmaker.kw["bind"]
    if is_postgresql(bind):  # one round trip, not BEGIN, INSERT, COMMIT
        async with create_autocommit(bind).connect() as connection:
            return set((await connection.execute(_insert("postgresql"), rows)).scalars())
    async with sessionmaker() as session, session.begin():
        connection = await session.connection()
        statement = _insert(connection.dialect.name)
        return set((await connection.execute(statement, rows)).scalars())


@functools.cache
def _insert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING update_id, built once per dialect; the rows
    go as parameters (SQLAlchemy sends them as one multi-row INSERT, "insertmanyvalues", from a
    compiled form it caches — `.values(rows)` would be compiled again for every batch)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(InboundUpdate)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboundUpdate.update_id)
    )


async def take_over(
    sessionmaker: async_sessionmaker[AsyncSession], me: str, owner: str | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """Make the pending updates of `owner` (None: of anybody) this process's; they
    are returned oldest first, to be handled again."""
    condition = InboundUpdate.status == "pending"
    if owner is not None:
        condition = condition & (InboundUpdate.owner == owner)
    async with sessionmaker() as session, session.begin():
        rows = await session.execute(
            update(InboundUpdate)
            .where(condition)
            .values(owner=me)
            .returning(InboundUpdate.update_id, InboundUpdate.payload)
            .execution_options(synchronize_session=False)
        )
        return sorted((row.update_id, row.payload or {}) for row in rows)


async def owners_of_pending(sessionmaker: async_sessionmaker[AsyncSession], me: str) -> list[str]:
    """The other processes with updates not done."""
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(InboundUpdate.owner)
            .where(InboundUpdate.status == "pending", InboundUpdate.owner != me)
            .distinct()
        )
        return [owner for owner in rows if owner]


async def mark_done(
    sessionmaker: async_sessionmaker[AsyncSession],
    update_ids: list[int],
    writer: AsyncEngine | None = None,
) -> None:
    """Done, and the payload (the user's text) cleared (one statement; `writer` as in `store`)."""
    if writer is not None:
        await _autocommit(writer, _done(update_ids))
        return
    bind = sessionmaker.kw["bind"]
    if is_postgresql(bind):  # one round trip, not BEGIN, UPDATE, COMMIT
        async with create_autocommit(bind).connect() as connection:
            await connection.execute(_done(update_ids))
        return
    async with sessionmaker() as session, session.begin():
        await session.execute(_done(update_ids))


async def prune(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Delete the rows done longer than KEEP_DONE ago (ids Telegram no longer resends)."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            delete(InboundUpdate).where(
                InboundUpdate.status == "done", InboundUpdate.done_at < utcnow() - KEEP_DONE
            )
        )
