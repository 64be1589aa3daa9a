"""Public numbers ALA-<year>-<6 digits>: one counter per year, safe under concurrency,
on SQLite and PostgreSQL; and one application sent end to end on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

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
