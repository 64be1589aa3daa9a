"""The official request number (decision 11-36 p.6): recorded by the parent on their own
sent application or by staff on the card (a button or /official), audited ("official_request",
the number as its comment); the card is refreshed through the outbox; one
reminder 3 days after Send when no number was given (dedupe key "official:<id>")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.data.models import Application, AuditEntry
from bot.outbox import store as outbox
from bot.outbox.messages import notify, refresh_card_later
from bot.payloads import ReminderOfficial
from bot.usecases.transitions import StaffActionError, StaffMember, moment_of
from core.status import Actor, Status, takes_official_request

# The reminder is for applications still awaiting the decision.
AWAITING = (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED)
REMIND_AFTER = dt.timedelta(days=3)
AUDIT_ACTION = "official_request"  # the audit entry of a recorded number (comment: the number)


class _Unchecked(Enum):
    TOKEN = 0


UNCHECKED = _Unchecked.TOKEN  # record whatever number the application has now


@dataclass(frozen=True)
class Recorded:
    application_id: int
    number: str
    official_request: str
    changed: bool = True  # False: the application already had this very number


async def _record(
    session: AsyncSession,
    app: AppContext,
    row: Application,
    official_request: str,
    expected: str | _Unchecked | None,
    who: StaffMember,
    actor: Actor,
) -> Recorded:
    """The number kept on an open application (p.6) with its audit entry and a card
    refresh, in the caller's transaction. A guarded UPDATE: when the number changed since
    `expected` was read (two clerks at once), StaffActionError("official_changed") with
    the number now recorded, and nothing is written."""
    if not takes_official_request(row.status):
        raise StaffActionError("not_allowed")
    current = row.official_request
    if current == official_request:
        return Recorded(row.id, row.number, official_request, changed=False)
    if expected is not UNCHECKED and current != expected:
        raise StaffActionError(
            "official_changed", number=row.number, official=current or "—", current=current
        )
    same_number = (
        Application.official_request.is_(None)
        if current is None
        else Application.official_request == current
    )
    result = await session.execute(
        update(Application)
        .where(Application.id == row.id, Application.status == row.status, same_number)
        .values(official_request=official_request)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(row)
        raise StaffActionError(
            "official_changed",
            number=row.number,
            official=row.official_request or "—",
            current=row.official_request,
        )
    row.official_request = official_request
    session.add(
        AuditEntry(
            application_id=row.id,
            actor=actor.value,
            actor_id=who.id,
            actor_name=who.name if actor is Actor.STAFF else None,
            action=AUDIT_ACTION,
            old_status=row.status,
            new_status=row.status,
            comment=official_request,
            created_at=moment_of(app),
        )
    )
    await refresh_card_later(session, app, row.id)
    return Recorded(row.id, row.number, official_request)


async def record_by_parent(
    app: AppContext, *, application_id: int, user_id: int, official_request: str
) -> Recorded | None:
    """The parent's own open application gets the number (audited); None if it is not
    theirs or closed."""
    try:
        async with app.sessionmaker() as session, session.begin():
            row = await session.get(Application, application_id)
            if row is None or row.user_id != user_id:
                return None
            result = await _record(
                session,
                app,
                row,
                official_request,
                UNCHECKED,
                StaffMember(user_id),
                Actor.PARENT,
            )
    except StaffActionError:
        return None
    outbox.wake(app.sessionmaker)
    return result


async def record_by_staff(
    app: AppContext,
    *,
    application_id: int,
    official_request: str,
    who: StaffMember,
    expected: str | _Unchecked | None = UNCHECKED,
) -> Recorded:
    """Staff record the number on the card (audited, the card refreshed). `expected`: the
    number the clerk saw when asked (None: none yet); another number recorded meanwhile
    refuses with "official_changed". StaffActionError "not_found" | "not_allowed" (the
    application is refused or withdrawn) | "official_changed"."""
    async with app.sessionmaker() as session, session.begin():
        row = await session.get(Application, application_id)
        if row is None:
            raise StaffActionError("not_found")
        result = await _record(session, app, row, official_request, expected, who, Actor.STAFF)
    if result.changed:
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
