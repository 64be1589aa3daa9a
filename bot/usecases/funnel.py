"""The application funnel (issue 12 item 6): how far parents get with /apply — started,
consented, reached the summary, sent — per ISO week, and where they came from (the
deep link ``t.me/<bot>?start=<source>`` they first opened).

What is stored, and why nothing identifies a parent:

- ``funnel_events``: one row per milestone of a *journey* (the drafts of one user up to
  one sent application), with its ISO week (the Monday, by the injected Clock in
  Asia/Almaty: no finer date, so an event cannot be matched to the day of an
  application) and the source. No user id, no answer, no name. The journey is a random token, unique with the
  milestone, so a repeated /apply or a summary shown again counts once.
- ``funnel_visitors``: the user id with the first deep-link source and the token of the
  current journey — the only link between a user and the events. After a sent
  application the token is replaced (the events of the sent journey are linked to
  nobody any more); /deletedata (bot/usecases/privacy.py) deletes the row and clears
  the token from the events of the current journey. What stays are counts.

Recording reads nothing: a milestone is one INSERT … SELECT of the event from the visitor
row (ON CONFLICT DO NOTHING: once per journey); only when it inserts nothing (no visitor row
yet, or counted already) is the visitor row created if missing and the event inserted again.
/apply, the first milestone of a journey, creates the visitor row first if missing (two
statements). The wizard keeps in its draft which milestones it has counted (names only:
the draft holds no token, so it adds no link to the events) and does not count them again:
a resumed draft or a summary shown again costs no statement. Sending is part of the
application's transaction; a /start with a deep link costs one upsert.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import Date, String, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.context import AppContext
from bot.data.engine import insert_for, write_now
from bot.data.models import FunnelEvent, FunnelVisitor
from bot.funnel import WEEKS, Funnel, Milestone, funnel_of, monday_of, parse_source

__all__ = [
    "Funnel",
    "Milestone",
    "came_from",
    "forget",
    "funnel",
    "parse_source",
    "reached",
    "record",
]


def _token() -> str:
    return secrets.token_hex(16)


def _new_visitor(dialect: str, user_id: int) -> Any:
    """The user's visitor row if missing."""
    return (
        insert_for(dialect, FunnelVisitor)
        .values(user_id=user_id, source=None, journey=_token(), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id"])
    )


def _count(dialect: str, user_id: int, milestone: Milestone, day: dt.date) -> Any:
    """INSERT the event of the user's current journey from the visitor row (nothing
    without one; once per journey: ON CONFLICT DO NOTHING)."""
    return (
        insert_for(dialect, FunnelEvent)
        .from_select(
            ["journey", "milestone", "day", "source"],
            select(
                FunnelVisitor.journey,
                literal(milestone.value, String),
                literal(monday_of(day), Date),
                FunnelVisitor.source,
            ).where(FunnelVisitor.user_id == user_id),
        )
        .on_conflict_do_nothing(index_elements=["journey", "milestone"])
    )


def _inserted(result: Any) -> bool:
    return bool(getattr(result, "rowcount", 0))


def _dialect(app: AppContext) -> str:
    return str((app.writer or app.sessionmaker.kw["bind"]).dialect.name)


async def came_from(app: AppContext, user_id: int, source: str) -> None:
    """The user opened a deep link with ``source``: kept if the user has none yet (the
    first source the user came with counts; a later link does not replace it)."""
    statement = insert_for(_dialect(app), FunnelVisitor).values(
        user_id=user_id, source=source, journey=_token(), created_at=utcnow()
    )
    await write_now(
        app.writer,
        app.sessionmaker,
        statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"source": statement.excluded.source},
            where=FunnelVisitor.source.is_(None),
        ),
    )


async def record(session: AsyncSession, user_id: int, milestone: Milestone, day: dt.date) -> None:
    """Count ``milestone`` for the user's current journey (once) in the ISO week of
    ``day``, in the caller's transaction; for SENT, which ends the journey, a new token
    for the next one."""
    dialect = session.get_bind().dialect.name
    count = _count(dialect, user_id, milestone, day)
    if not _inserted(await session.execute(count)):  # no visitor row (or counted already)
        await session.execute(_new_visitor(dialect, user_id))
        await session.execute(count)
    if milestone is Milestone.SENT:
        await session.execute(
            update(FunnelVisitor)
            .where(FunnelVisitor.user_id == user_id)
            .values(journey=_token())
            .execution_options(synchronize_session=False)
        )


async def reached(app: AppContext, user_id: int, milestone: Milestone) -> None:
    """Count ``milestone`` for the user (the day by the Clock), outside any transaction,
    without reading first: each statement committed on its own (bot/data/engine.py
    write_now: on SQLite the write lock is never held across a turn of the event loop).
    STARTED, which begins a journey, creates the visitor row if missing first (two
    statements); any other milestone is one statement, and two more only when it inserted
    nothing (no visitor row yet, or counted already: the caller remembers what it counted,
    handlers/apply.py, so that this is rare)."""
    if milestone is Milestone.SENT:  # ends the journey: with the application (submit)
        async with app.sessionmaker() as session, session.begin():
            await record(session, user_id, milestone, app.clock.today())
        return
    dialect = _dialect(app)
    count = _count(dialect, user_id, milestone, app.clock.today())
    if milestone is not Milestone.STARTED:
        (counted,) = await write_now(app.writer, app.sessionmaker, count)
        if _inserted(counted):
            return
    await write_now(app.writer, app.sessionmaker, _new_visitor(dialect, user_id), count)


async def forget(session: AsyncSession, user_id: int) -> None:
    """/deletedata: the user's link to the funnel goes (the counts stay, linked to nobody)."""
    visitor = await session.get(FunnelVisitor, user_id)
    if visitor is None:
        return
    await session.execute(
        update(FunnelEvent)
        .where(FunnelEvent.journey == visitor.journey)
        .values(journey=None)
        .execution_options(synchronize_session=False)
    )
    await session.delete(visitor)


# ------------------------------------------------------------------- /stats


async def funnel(app: AppContext, weeks: int = WEEKS) -> Funnel:
    """The funnel for /stats on the bot's today (injected Clock)."""
    today = app.clock.today()
    since = monday_of(today) - dt.timedelta(weeks=weeks - 1)
    async with app.sessionmaker() as session:
        rows = (
            await session.execute(
                select(FunnelEvent.day, FunnelEvent.milestone, FunnelEvent.source, func.count())
                .where(FunnelEvent.day >= since)
                .group_by(FunnelEvent.day, FunnelEvent.milestone, FunnelEvent.source)
            )
        ).all()
    return funnel_of([(d, m, s, int(c)) for d, m, s, c in rows], today, weeks)
