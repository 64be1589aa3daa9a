"""What a staff card shows, loaded in one go: the application with its attachments,
payment quarters, audit log, overpayments and termination events, and what core says
of it (screening, schedule) and a refusal waiting for its comment — so the view of the
card (bot.views.cards) computes nothing from the database rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.data.claims import ClaimWarnings, card_warnings
from bot.data.facts import schedule_for, screening_of, stops_of
from bot.data.models import (
    Application,
    AuditEntry,
    Overpayment,
    PaymentQuarter,
    TerminationEvent,
    pending_refusal,
)
from core.eligibility import Screening
from core.schedule import Estimate


@dataclass
class CardData:
    application: Application
    quarters: Sequence[PaymentQuarter]
    audit: Sequence[AuditEntry]
    overpayments: Sequence[Overpayment]
    stops: Sequence[TerminationEvent]
    warnings: ClaimWarnings = field(default_factory=ClaimWarnings)

    @cached_property
    def screening(self) -> Screening:
        """core's check (p.3, p.5) on what the application states."""
        return screening_of(self.application)

    @cached_property
    def schedule(self) -> Estimate | None:
        """core's estimate (p.4, p.5, p.7) with the termination events; None if it
        cannot be computed."""
        return schedule_for(self.application, stops_of(self.stops))

    @cached_property
    def refusal(self) -> AuditEntry | None:
        """The refusal waiting for its comment (p.8), if any."""
        return pending_refusal(self.application.status, self.audit)


async def load_card(session: AsyncSession, application_id: int) -> CardData | None:
    application = await session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .options(
            selectinload(Application.attachments),
            selectinload(Application.quarters),
            selectinload(Application.audit),
        )
    )
    if application is None:
        return None
    overpayments = (
        await session.scalars(
            select(Overpayment)
            .where(Overpayment.application_id == application_id)
            .order_by(Overpayment.id)
        )
    ).all()
    stops = (
        await session.scalars(
            select(TerminationEvent)
            .where(TerminationEvent.application_id == application_id)
            .order_by(TerminationEvent.on)
        )
    ).all()
    return CardData(
        application=application,
        quarters=sorted(application.quarters, key=lambda q: (q.school_year, q.quarter)),
        audit=sorted(application.audit, key=lambda e: e.id),
        overpayments=overpayments,
        stops=stops,
        warnings=await card_warnings(session, application),
    )
