"""Public application numbers: ALA-<year>-<6 digits>, one counter per year.

The counter row is incremented with one atomic statement
(INSERT … ON CONFLICT (year) DO UPDATE SET last_value = last_value + 1
RETURNING last_value) inside the caller's transaction: on PostgreSQL the row
stays locked until that transaction ends, on SQLite the write lock serialises
writers. Two concurrent submits therefore never get the same number, and a
rolled-back submit gives its number back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.models import NumberSequence

PREFIX = "ALA"


def format_number(year: int, value: int) -> str:
    """ALA-2025-000123."""
    return f"{PREFIX}-{year}-{value:06d}"


async def next_value(session: AsyncSession, year: int) -> int:
    """The next counter value of `year` (1, 2, …) in the session's transaction."""
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(NumberSequence)
            .values(year=year, last_value=1)
            .on_conflict_do_update(
                index_elements=[NumberSequence.year],
                set_={"last_value": NumberSequence.last_value + 1},
            )
            .returning(NumberSequence.last_value)
        )
        value = (await session.execute(statement)).scalar_one()
        return int(value)
    # Any other database: lock the row, then update it.
    row = await session.scalar(
        select(NumberSequence).where(NumberSequence.year == year).with_for_update()
    )
    if row is None:
        row = NumberSequence(year=year, last_value=0)
        session.add(row)
    row.last_value += 1
    await session.flush()
    return row.last_value


async def next_number(session: AsyncSession, year: int) -> str:
    """Reserve the next public number of `year` in the session's transaction."""
    return format_number(year, await next_value(session, year))
