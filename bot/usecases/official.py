"""The official request number (decision 11-36 p.6): recorded by the parent on their own
sent application or by staff on the card; the card is refreshed through the outbox; one
reminder 3 days after Send when no number was given (dedupe key "official:<id>")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from bot.context import AppContext
from bot.data.models import Application
from bot.outbox import store as outbox
from bot.outbox.messages import notify, refresh_card_later
from bot.payloads import ReminderOfficial
from core.status import Status

# Applications where an official request still makes sense (not withdrawn nor erased).
OPEN = (
    Status.SUBMITTED,
    Status.IN_REVIEW,
    Status.DOCUMENTS_REQUESTED,
    Status.APPROVED,
)
# The reminder is for applications still awaiting the decision.
AWAITING = (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED)
REMIND_AFTER = dt.timedelta(days=3)


@dataclass(frozen=True)
class Recorded:
    application_id: int
    number: str
    official_request: str


async def record_by_parent(
    app: AppContext, *, application_id: int, user_id: int, official_request: str
) -> Recorded | None:
    """The parent's own open application gets the number; None if it is not theirs or closed."""
    async with app.sessionmaker() as session, session.begin():
        row = await session.get(Application, application_id)
        if row is None or row.user_id != user_id or row.status not in OPEN:
            return None
        row.official_request = official_request
        await refresh_card_later(session, app, row.id)
        result = Recorded(row.id, row.number, official_request)
    outbox.wake(app.sessionmaker)
    return result


async def record_by_staff(
    app: AppContext, *, application_id: int, official_request: str
) -> Recorded | None:
    async with app.sessionmaker() as session, session.begin():
        row = await session.get(Application, application_id)
        if row is None:
            return None
        row.official_request = official_request
        await refresh_card_later(session, app, row.id)
        result = Recorded(row.id, row.number, official_request)
    outbox.wake(app.sessionmaker)
    return result


async def queue_reminders(app: AppContext, today: dt.date) -> int:
    """Once per application: 3 days after Send, no official number yet → remind the parent."""
    queued = 0
    async with app.sessionmaker() as session, session.begin():
        rows = (
            await session.scalars(
                select(Application).where(
                    Application.official_request.is_(None),
                    Application.status.in_(AWAITING),
                    Application.personal_data_erased_at.is_(None),
                    Application.applied_on <= today - REMIND_AFTER,
                    Application.applied_on >= today - REMIND_AFTER - dt.timedelta(days=30),
                )
            )
        ).all()
        for row in rows:
            if await notify(session, row, ReminderOfficial(), dedupe_key=f"official:{row.id}"):
                queued += 1
    return queued
