"""What /status shows of a user's applications, loaded in one go: each application with
its audit log, payment quarters and termination events, newest application first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.data.models import Application, AuditEntry, PaymentQuarter, TerminationEvent


@dataclass(frozen=True)
class ApplicationView:
    """What /status needs of one application (loaded once)."""

    application: Application
    audit: Sequence[AuditEntry]
    quarters: Sequence[PaymentQuarter]
    stops: Sequence[TerminationEvent]


async def load_views(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int
) -> list[ApplicationView]:
    """The user's applications, newest first, with history, schedule and stop events."""
    async with sessionmaker() as session:
        rows = (
            await session.scalars(
                select(Application)
                .where(Application.user_id == user_id)
                .options(selectinload(Application.audit), selectinload(Application.quarters))
                .order_by(Application.created_at.desc(), Application.id.desc())
            )
        ).all()
        ids = [row.id for row in rows]
        events: dict[int, list[TerminationEvent]] = {i: [] for i in ids}
        if ids:
            for event in (
                await session.scalars(
                    select(TerminationEvent)
                    .where(TerminationEvent.application_id.in_(ids))
                    .order_by(TerminationEvent.on)
                )
            ).all():
                events[event.application_id].append(event)
        return [
            ApplicationView(
                application=row,
                audit=sorted(row.audit, key=lambda e: (e.created_at, e.id)),
                quarters=sorted(row.quarters, key=lambda q: (q.school_year, q.quarter)),
                stops=events[row.id],
            )
            for row in rows
        ]
