"""The queries of the Department's desk (issue 13): applications awaiting a decision (the
service-term clock), decisions taken (time to decision), applications per week and
quarters paid (/stats and its charts). Statuses come from core.status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.models import Application, AuditEntry, PaymentQuarter
from core.status import QuarterStatus, awaiting_decision, decision_statuses


@dataclass(frozen=True)
class Awaiting:
    """An application awaiting a decision: its id, number and day of submission."""

    id: int
    number: str
    applied_on: dt.date


async def awaiting(session: AsyncSession) -> list[Awaiting]:
    """Every application awaiting a decision (core.status.awaiting_decision), oldest first."""
    rows = (
        await session.execute(
            select(Application.id, Application.number, Application.applied_on)
            .where(Application.status.in_([s.value for s in awaiting_decision()]))
            .order_by(Application.applied_on, Application.id)
        )
    ).all()
    return [Awaiting(r.id, r.number, r.applied_on) for r in rows]


async def decisions(session: AsyncSession) -> list[tuple[dt.date, dt.datetime]]:
    """(day of submission, moment of the decision in UTC) of every decided application:
    the first audit entry that led it to a decision status (core.status)."""
    rows = (
        await session.execute(
            select(Application.id, Application.applied_on, AuditEntry.created_at)
            .join(AuditEntry, AuditEntry.application_id == Application.id)
            .where(AuditEntry.new_status.in_([s.value for s in decision_statuses()]))
            .order_by(Application.id, AuditEntry.created_at, AuditEntry.id)
        )
    ).all()
    first: dict[int, tuple[dt.date, dt.datetime]] = {}
    for row in rows:
        moment = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
        first.setdefault(row.id, (row.applied_on, moment))
    return list(first.values())


async def submissions(session: AsyncSession) -> list[tuple[dt.date, str]]:
    """(day of submission, current status) of every application."""
    rows = (await session.execute(select(Application.applied_on, Application.status))).all()
    return [(r.applied_on, r.status) for r in rows]


async def paid_quarters(session: AsyncSession) -> list[tuple[list[str], Decimal]]:
    """(payable months "YYYY-MM", amount) of every quarter marked paid."""
    rows = (
        await session.execute(
            select(PaymentQuarter.months, PaymentQuarter.amount).where(
                PaymentQuarter.status == QuarterStatus.PAID.value
            )
        )
    ).all()
    return [([str(m) for m in (r.months or [])], Decimal(r.amount)) for r in rows]
