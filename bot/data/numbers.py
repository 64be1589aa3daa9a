"""Public application numbers: ALA-<year>-<6 digits>, one counter per year.

The counter row is incremented with one atomic statement
(INSERT … ON CONFLICT (year) DO UPDATE SET last_value = last_value + 1
RETURNING last_value) inside the caller's transaction: on PostgreSQL the row
stays locked until that transaction ends, on SQLite the write lock serialises
writers. Two concurrent submits therefore never get the same number, and a
rolled-back submit gives its number back.

As every submit of the year waits for that row lock, a submit takes it last
(`number_application`): the application, its attachments, audit entry, funnel
event and outbox row are written first under a placeholder number (unique, seen
by no one: the transaction is not committed), then the counter and the number,
then COMMIT. Taken first, the lock was held over all of those round trips: on
the production bench (PostgreSQL, 200 parents) the slowest 1 % of the updates
were all "Send", waiting 1.6 s for it (and the other updates for the pool
connections those held).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.models import Application, NumberSequence

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


def placeholder_number() -> str:
    """A unique stand-in for an application's number until `number_application` (32
    characters at most, as the column); never committed."""
    return f"pending-{uuid.uuid4().hex[:24]}"


# PostgreSQL: the counter and the application's number in one statement (the row lock is
# held from its answer to COMMIT only); the number as format_number writes it (at least
# six digits, never cut)
_NUMBER_APPLICATION = text(
    "WITH n AS (INSERT INTO number_sequences (year, last_value) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last_value = number_sequences.last_value + 1 "
    "RETURNING last_value) "
    "UPDATE applications SET number = :prefix || '-' || CAST(:year AS TEXT) || '-' || "
    "lpad(CAST(n.last_value AS TEXT), greatest(6, length(CAST(n.last_value AS TEXT))), '0') "
    "FROM n WHERE applications.id = :id RETURNING applications.number"
)


async def number_application(session: AsyncSession, application_id: int, year: int) -> str:
    """Give the application (inserted in this transaction under `placeholder_number`) the
    next public number of `year`: the session's last statement(s) before COMMIT."""
    if session.get_bind().dialect.name == "postgresql":
        found = await session.execute(
            _NUMBER_APPLICATION, {"year": year, "prefix": PREFIX, "id": application_id}
        )
        return str(found.scalar_one())
    number = await next_number(session, year)
    await session.execute(
        update(Application)
        .where(Application.id == application_id)
        .values(number=number)
        .execution_options(synchronize_session=False)
    )
    return number
