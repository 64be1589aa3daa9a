"""The outbox rows: enqueue with a dedupe key, claims with a lease, outcomes
(SQLite here; PostgreSQL with FOR UPDATE SKIP LOCKED in test_outbox_postgres.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data.engine import create_engine, create_sessionmaker
from bot.data.migrate import upgrade_to_head
from bot.data.models import OutboxMessage, RelayLink
from bot.outbox import store as outbox
from bot.outbox.sender import Pacer
from bot.outbox.store import PENDING, SENDING, SENT, UNDELIVERABLE, Outcome


@pytest.fixture
async def sessionmaker(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'outbox.sqlite3'}")
    await upgrade_to_head(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def add_rows(
    sessionmaker: async_sessionmaker[AsyncSession], count: int, chat: int = 1000
) -> None:
    async with sessionmaker() as session, session.begin():
        for i in range(count):
            await outbox.enqueue(session, chat_id=chat + i, kind="test", payload={"text": f"m{i}"})


async def statuses(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[int, str]:
    async with sessionmaker() as session:
        return dict((await session.execute(select(OutboxMessage.id, OutboxMessage.status))).all())


async def test_dedupe_key_makes_enqueue_idempotent(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    for _ in range(3):
        async with sessionmaker() as session, session.begin():
            await outbox.enqueue(
                session,
                chat_id=1,
                kind="reminder",
                payload={"text": "x"},
                dedupe_key="reminder:1:a",
            )
    async with sessionmaker() as session, session.begin():
        first = await outbox.enqueue(
            session, chat_id=1, kind="reminder", payload={"text": "y"}, dedupe_key="reminder:1:b"
        )
        again = await outbox.enqueue(
            session, chat_id=1, kind="reminder", payload={"text": "y"}, dedupe_key="reminder:1:b"
        )
    assert (first, again) == (True, False)
    assert len(await statuses(sessionmaker)) == 2


async def test_a_rolled_back_change_leaves_no_row(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RuntimeError):
        async with sessionmaker() as session, session.begin():
            await outbox.enqueue(session, chat_id=1, kind="test", payload={"text": "x"})
            raise RuntimeError("the status change failed")
    assert await statuses(sessionmaker) == {}


async def test_claims_are_disjoint_and_committed(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await add_rows(sessionmaker, 30)
    first, second = await asyncio.gather(
        outbox.claim(sessionmaker, worker="a", limit=20, lease=30),
        outbox.claim(sessionmaker, worker="b", limit=20, lease=30),
    )
    ids_a, ids_b = {r.id for r in first}, {r.id for r in second}
    assert not ids_a & ids_b
    assert len(ids_a | ids_b) == 30
    assert set((await statuses(sessionmaker)).values()) == {SENDING}
    # nothing more to claim while the leases run
    assert await outbox.claim(sessionmaker, worker="c", limit=50, lease=30) == []


async def test_an_expired_lease_is_claimed_again(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await add_rows(sessionmaker, 1)
    (row,) = await outbox.claim(sessionmaker, worker="dead", limit=10, lease=30)
    later = outbox.utcnow() + dt.timedelta(seconds=31)
    (again,) = await outbox.claim(sessionmaker, worker="alive", limit=10, lease=30, now=later)
    assert again.id == row.id and again.attempts == 2
    # the dead worker's late answer does not overwrite the new claim
    await outbox.finish(sessionmaker, "dead", [Outcome(row, SENT, message_id=1)])
    async with sessionmaker() as session:
        stored = await session.get(OutboxMessage, row.id)
        assert stored is not None and stored.status == SENDING and stored.claimed_by == "alive"
    await outbox.finish(sessionmaker, "alive", [Outcome(again, SENT, message_id=2)])
    async with sessionmaker() as session:
        stored = await session.get(OutboxMessage, row.id)
        assert stored is not None and stored.status == SENT and stored.telegram_message_id == 2


async def test_outcomes_are_written_in_one_go(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session, session.begin():
        await outbox.enqueue(
            session, chat_id=7, kind="a", payload={"text": "x", "link": True}, application_id=None
        )
    await add_rows(sessionmaker, 3, chat=100)
    rows = await outbox.claim(sessionmaker, worker="w", limit=10, lease=30)
    soon = outbox.utcnow() + dt.timedelta(seconds=5)
    await outbox.finish(
        sessionmaker,
        "w",
        [
            Outcome(rows[0], SENT, message_id=11),
            Outcome(rows[1], PENDING, next_attempt_at=soon, error="500", count_attempt=True),
            Outcome(rows[2], PENDING, next_attempt_at=soon, error="429", count_attempt=False),
            Outcome(rows[3], UNDELIVERABLE, error="400 chat not found"),
        ],
    )
    async with sessionmaker() as session:
        stored = {r.id: r for r in (await session.scalars(select(OutboxMessage))).all()}
        links = (await session.scalars(select(RelayLink))).all()
    assert [stored[r.id].status for r in rows] == [SENT, PENDING, PENDING, UNDELIVERABLE]
    assert stored[rows[1].id].attempts == 1 and stored[rows[2].id].attempts == 0
    assert stored[rows[1].id].claimed_by is None
    assert links == []  # no application: nothing to link
    # retried rows are not due before next_attempt_at
    assert await outbox.claim(sessionmaker, worker="w", limit=10, lease=30) == []
    due = await outbox.claim(
        sessionmaker, worker="w", limit=10, lease=30, now=soon + dt.timedelta(seconds=1)
    )
    assert {r.id for r in due} == {rows[1].id, rows[2].id}


async def test_release_gives_rows_back_without_using_an_attempt(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await add_rows(sessionmaker, 2)
    rows = await outbox.claim(sessionmaker, worker="w", limit=10, lease=300)
    await outbox.release_all(sessionmaker, "w", rows)
    again = await outbox.claim(sessionmaker, worker="v", limit=10, lease=300)
    assert [r.attempts for r in again] == [1, 1]


def test_pacer_private_chat_one_second_after_the_answer() -> None:
    now = [100.0]
    pacer = Pacer(29.0, 1.0, 20, clock=lambda: now[0])
    assert pacer.chat_ready(5, 100.0) <= 100.0
    pacer.start(5, 100.0)
    assert pacer.chat_ready(5, 100.0) == float("inf")  # in flight
    pacer.finish(5, 100.2)
    assert pacer.chat_ready(5, 100.3) == pytest.approx(101.2)
    assert pacer.chat_ready(6, 100.3) <= 100.3  # other chats are free


def test_pacer_global_spacing_and_window() -> None:
    pacer = Pacer(29.0, 1.0, 20)
    t = 0.0
    starts = []
    for chat in range(100):
        ready = max(pacer.global_ready(t), pacer.chat_ready(chat, t))
        t = max(t, ready)
        starts.append(t)
        pacer.start(chat, t)
        pacer.finish(chat, t + 0.01)
    # never more than 30 requests in any one-second window
    for i, start in enumerate(starts):
        assert sum(1 for s in starts[i:] if s < start + 1.0) <= 30
    rate = (len(starts) - 1) / (starts[-1] - starts[0])
    assert 28.5 <= rate <= 29.01


def test_pacer_group_twenty_per_minute() -> None:
    pacer = Pacer(29.0, 1.0, 20, group_window=60.0)
    t = 0.0
    starts = []
    for _ in range(45):
        ready = max(pacer.global_ready(t), pacer.chat_ready(-100, t))
        t = max(t, ready)
        starts.append(t)
        pacer.start(-100, t)
        pacer.finish(-100, t + 0.05)
    for i, start in enumerate(starts):
        assert sum(1 for s in starts[i:] if s < start + 60.0) <= 20
    assert starts[20] >= starts[0] + 60.0


def test_pacer_honours_retry_after() -> None:
    now = [10.0]
    pacer = Pacer(29.0, 0.0, 20, clock=lambda: now[0])
    pacer.block(42, 3)
    assert pacer.chat_ready(42, 10.0) == pytest.approx(13.0)
    assert pacer.global_ready(10.0) == pytest.approx(11.0)  # everything pauses briefly
