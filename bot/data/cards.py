"""What a staff card shows, loaded in one go: the application with its attachments,
payment quarters, audit log, overpayments and termination events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.data.claims import ClaimWarnings, card_warnings
from bot.data.models import Application, AuditEntry, Overpayment, PaymentQuarter, TerminationEvent


@dataclass
class CardData:
    application: Application
    quarters: Sequence[PaymentQuarter]
    audit: Sequence[AuditEntry]
    overpayments: Sequence[Overpayment]
    stops: Sequence[TerminationEvent]
    warnings: ClaimWarnings = field(default_factory=ClaimWarnings)


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
