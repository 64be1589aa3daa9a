"""Public numbers ALA-<year>-<6 digits>: one counter per year, safe under concurrency,
on SQLite and PostgreSQL; and one application sent end to end on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.data.engine import create_engine, create_sessionmaker
from bot.data.migrate import upgrade_to_head
from bot.data.models import Application, NumberSequence
from bot.data.numbers import format_number, next_number
from bot.settings import Settings
from tests.apply_support import LABELS, Person, answer_all, begin, joined
from tests.conftest import FIXED_TODAY, RunningBot
from tests.tgfake.server import FakeTelegram


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'numbers.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    await upgrade_to_head(engine)
    yield create_sessionmaker(engine)
    await engine.dispose()


def test_format() -> None:
    assert format_number(2025, 123) == "ALA-2025-000123"
    assert format_number(2026, 1) == "ALA-2026-000001"


async def test_numbers_count_per_year(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    got = []
    for year in (2025, 2025, 2025, 2026, 2025):
        async with sessionmaker() as session, session.begin():
            got.append(await next_number(session, year))
    assert got == [
        "ALA-2025-000001",
        "ALA-2025-000002",
        "ALA-2025-000003",
        "ALA-2026-000001",
        "ALA-2025-000004",
    ]


async def test_a_rolled_back_submit_gives_its_number_back(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session, session.begin():
        assert await next_number(session, 2025) == "ALA-2025-000001"
    async with sessionmaker() as session, session.begin():
        assert await next_number(session, 2025) == "ALA-2025-000002"
        await session.rollback()
    async with sessionmaker() as session, session.begin():
        assert await next_number(session, 2025) == "ALA-2025-000002"


async def test_concurrent_submits_never_share_a_number(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async def one() -> str:
        async with sessionmaker() as session, session.begin():
            number = await next_number(session, 2025)
            await asyncio.sleep(0.005)  # hold the transaction open a little
            return number

    numbers = await asyncio.gather(*(one() for _ in range(25)))
    assert sorted(numbers) == [format_number(2025, n) for n in range(1, 26)]
    async with sessionmaker() as session:
        row = await session.scalar(select(NumberSequence).where(NumberSequence.year == 2025))
    assert row is not None and row.last_value == 25


async def test_application_sent_on_postgresql(
    tg: FakeTelegram, make_settings: Callable[..., Settings], pg_url: str
) -> None:
    running = RunningBot(tg, make_settings(database_url=pg_url), Clock(fixed=FIXED_TODAY))
    await running.start()
    try:
        user = tg.user(2301, language_code="ru")
        await begin(user, "ru")
        await answer_all(user, "ru", Person())
        replies = await user.press(LABELS["ru"]["send"])
        assert "ALA-2025-000001" in joined(replies)
        # another parent, the next number
        other = tg.user(2302, language_code="kk")
        await begin(other, "kk")
        await answer_all(other, "kk", Person(surname="Омарова"))
        replies = await other.press(LABELS["kk"]["send"])
        assert "ALA-2025-000002" in joined(replies)
        async with running.app.context.sessionmaker() as session:
            numbers = list(
                await session.scalars(select(Application.number).order_by(Application.id))
            )
        assert numbers == ["ALA-2025-000001", "ALA-2025-000002"]
    finally:
        await running.stop()


async def test_number_uses_the_year_of_the_bot_clock(running: RunningBot, tg: FakeTelegram) -> None:
    import datetime as dt

    running.clock.fixed = dt.date(2026, 1, 12)
    user = tg.user(2303, language_code="ru")
    await begin(user, "ru")
    await answer_all(user, "ru", Person())
    replies = await user.press(LABELS["ru"]["send"])
    assert "ALA-2026-000001" in joined(replies)


SUBMITS_WRITES = (
    "INSERT INTO applications",
    "INSERT INTO attachments",
    "INSERT INTO audit_log",
    "INSERT INTO funnel_events",
    "UPDATE funnel_visitors",
    "INSERT INTO outbox",
    "UPDATE applications SET number",
    "WITH n AS",
)


async def test_the_years_counter_is_locked_only_for_the_submits_last_statement(
    tg: FakeTelegram,
    make_settings: Callable[..., Settings],
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every submit of the year waits for the counter's row lock (held until COMMIT): the
    submit writes everything else first, then the counter and the number in one statement,
    then commits. A number past 999999 keeps all its digits (format_number)."""
    from sqlalchemy import event

    running = RunningBot(tg, make_settings(database_url=pg_url), Clock(fixed=FIXED_TODAY))
    await running.start()
    statements: list[tuple[int, str]] = []

    # by physical connection (the DBAPI one, kept by the pool)
    def seen(conn: Any, _cursor: object, statement: str, *_args: object) -> None:
        words = " ".join(statement.split()[:4])
        statements.append((id(conn.connection.dbapi_connection), words))

    engine = running.app.engine.sync_engine
    try:
        async with running.app.context.sessionmaker() as session, session.begin():
            session.add(NumberSequence(year=2025, last_value=999_999))
        user = tg.user(2304, language_code="ru")
        await begin(user, "ru")
        await answer_all(user, "ru", Person())
        event.listen(engine, "before_cursor_execute", seen)
        replies = await user.press(LABELS["ru"]["send"])
        event.remove(engine, "before_cursor_execute", seen)
        assert "ALA-2025-1000000" in joined(replies)
        # the submit's connection: from the application's INSERT to the counter, which
        # (INSERT INTO number_sequences … ) UPDATEs the application's number: the last
        connection = next(c for c, s in statements if s.startswith("WITH n AS"))
        on_it = [s for c, s in statements if c == connection]
        first = next(i for i, s in enumerate(on_it) if s.startswith("INSERT INTO applications"))
        counter = next(i for i, s in enumerate(on_it) if s.startswith("WITH n AS"))
        submit, after = on_it[first : counter + 1], on_it[counter + 1 :]
        for table in ("applications", "attachments", "audit_log", "funnel_events", "outbox"):
            assert any(s.startswith(f"INSERT INTO {table}") for s in submit), table
        # next on that connection: COMMIT (not a cursor's statement), then another checkout
        assert not [s for s in after[:1] if s.startswith(SUBMITS_WRITES)]
        async with running.app.context.sessionmaker() as session:
            numbers = list(await session.scalars(select(Application.number)))
        assert numbers == ["ALA-2025-1000000"]
    finally:
        await running.stop()
