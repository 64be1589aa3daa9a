"""What staff do around a card besides changing a status: look an application or a
quarter up by id, load what the card shows, compute the schedule an approval would
store, use a re-posted card message from now on, queue a card refresh, find the
application a reply in the staff chat belongs to. Handlers call these and never open a
session; the results are typed (the card data is bot.data.cards.CardData)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from bot.context import AppContext
from bot.data.cards import CardData, load_card
from bot.data.facts import schedule_for, stops_of
from bot.data.models import Application, PaymentQuarter, RelayLink
from bot.outbox import store as outbox
from bot.outbox.messages import refresh_card_later
from core.months import Month
from core.schedule import Estimate


@dataclass(frozen=True)
class ApplicationRef:
    """An application as a staff button or command needs it (no personal data but the
    child's name for a confirmation)."""

    id: int
    number: str
    status: str
    applied_on: dt.date
    child_name: str | None
    staff_card_message_id: int | None
    official_request: str | None = None  # the number of the official request (p.6)

    @classmethod
    def of(cls, row: Application) -> ApplicationRef:
        return cls(
            id=row.id,
            number=row.number,
            status=row.status,
            applied_on=row.applied_on,
            child_name=row.child_name,
            staff_card_message_id=row.staff_card_message_id,
            official_request=row.official_request,
        )


@dataclass(frozen=True)
class QuarterRef:
    """One quarter of a stored schedule (p.7): its months typed, its amount Decimal."""

    id: int
    application_id: int
    school_year: str
    quarter: int
    months: tuple[Month, ...]
    amount: Decimal
    status: str

    @classmethod
    def of(cls, row: PaymentQuarter) -> QuarterRef:
        try:
            months = tuple(Month.parse_iso(str(m)) for m in row.months or [])
        except ValueError:
            months = ()
        return cls(
            id=row.id,
            application_id=row.application_id,
            school_year=row.school_year,
            quarter=row.quarter,
            months=months,
            amount=Decimal(row.amount),
            status=row.status,
        )


async def application_ref(app: AppContext, application_id: int) -> ApplicationRef | None:
    async with app.sessionmaker() as session:
        row = await session.get(Application, application_id)
        return ApplicationRef.of(row) if row is not None else None


async def quarter_ref(app: AppContext, quarter_id: int) -> QuarterRef | None:
    async with app.sessionmaker() as session:
        row = await session.get(PaymentQuarter, quarter_id)
        return QuarterRef.of(row) if row is not None else None


async def card_data(app: AppContext, application_id: int) -> CardData | None:
    """Everything the card and its History show, loaded in one read transaction."""
    async with app.sessionmaker() as session:
        return await load_card(session, application_id)


async def approval_schedule(app: AppContext, application_id: int) -> Estimate | None:
    """core's schedule (p.4, p.5, p.7) an approval would store now; None if it cannot be
    computed from the application's data."""
    data = await card_data(app, application_id)
    if data is None:
        return None
    return schedule_for(data.application, stops_of(data.stops))


async def use_card_message(app: AppContext, application_id: int, message_id: int) -> None:
    """A re-posted card is the card from now on: its edits and the replies to it."""
    chat_id = app.settings.staff_chat_id
    if chat_id is None:
        return
    async with app.sessionmaker() as session, session.begin():
        row = await session.get(Application, application_id)
        if row is not None:
            row.staff_card_message_id = message_id
            session.add(
                RelayLink(chat_id=chat_id, message_id=message_id, application_id=application_id)
            )


async def queue_card_refresh(app: AppContext, application_id: int) -> None:
    """Edit the card later, through the outbox (when editing it now failed)."""
    async with app.sessionmaker() as session, session.begin():
        await refresh_card_later(session, app, application_id)
    outbox.wake(app.sessionmaker)


async def replied_application(app: AppContext, chat_id: int, message_id: int) -> int | None:
    """The application a bot message in the staff chat belongs to (a card, a prompt)."""
    async with app.sessionmaker() as session:
        found = await session.scalar(
            select(RelayLink.application_id).where(
                RelayLink.chat_id == chat_id, RelayLink.message_id == message_id
            )
        )
        return int(found) if found is not None else None


async def application_number(app: AppContext, application_id: int) -> str | None:
    async with app.sessionmaker() as session:
        return await session.scalar(
            select(Application.number).where(Application.id == application_id)
        )
