"""Queries behind "one claim per child" (p.3, p.7; core.claims): other applications
for the same child whose period overlaps, and the same applicant IIN or IBAN sent
from another Telegram account. Nothing is refused here: the parent is told before
Send and the staff card shows a warning; staff decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.models import Application
from core.claims import Claim, ClaimPeriod, claim_period, competing_claims
from core.months import Month
from core.status import Status


@dataclass(frozen=True)
class OtherApplication:
    """Another application, as far as a warning may show it: its number, status and
    the id of its staff card message (no data of its applicant)."""

    number: str
    status: Status
    card_message_id: int | None


@dataclass(frozen=True)
class ClaimWarnings:
    """What the staff card of an application warns about (issue 10 item 1)."""

    same_child: tuple[OtherApplication, ...] = ()
    same_applicant_iin: tuple[OtherApplication, ...] = ()
    same_iban: tuple[OtherApplication, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.same_child or self.same_applicant_iin or self.same_iban)


def _month(value: str | None) -> Month | None:
    try:
        return Month.parse_iso(value) if value else None
    except ValueError:
        return None


def period_of(row: Application) -> ClaimPeriod | None:
    """The months the stored application claims (p.4), None when none or unknown."""
    end = _month(row.certificate_end)
    if end is None:
        return None
    return claim_period(row.applied_on, end, _month(row.certificate_start))


def _other(row: Application) -> OtherApplication:
    return OtherApplication(row.number, Status(row.status), row.staff_card_message_id)


async def competing_for_child(
    session: AsyncSession,
    child_iin: str,
    period: ClaimPeriod | None,
    *,
    before_id: int | None = None,
) -> tuple[OtherApplication, ...]:
    """Applications for the child `child_iin` that claim a month of `period` (core.claims),
    from any Telegram account; only those older than `before_id` when given."""
    if period is None:
        return ()
    query = select(Application).where(Application.child_iin == child_iin)
    if before_id is not None:
        query = query.where(Application.id < before_id)
    rows = {row.number: row for row in await session.scalars(query.order_by(Application.id))}
    claims = [Claim(number, Status(row.status), period_of(row)) for number, row in rows.items()]
    return tuple(_other(rows[claim.key]) for claim in competing_claims(period, claims))


async def card_warnings(session: AsyncSession, application: Application) -> ClaimWarnings:
    """The warnings of the staff card of `application`: older applications for the same
    child with an overlapping claim, and older applications from another Telegram
    account with the same applicant IIN or the same IBAN."""
    same_child: Sequence[OtherApplication] = ()
    if application.child_iin:
        same_child = await competing_for_child(
            session, application.child_iin, period_of(application), before_id=application.id
        )
    keys = [
        column == value
        for column, value in (
            (Application.applicant_iin, application.applicant_iin),
            (Application.iban, application.iban),
        )
        if value
    ]
    same_iin: list[OtherApplication] = []
    same_iban: list[OtherApplication] = []
    if keys:
        rows = await session.scalars(
            select(Application)
            .where(
                Application.id < application.id,
                Application.user_id != application.user_id,
                or_(*keys),
            )
            .order_by(Application.id)
        )
        for row in rows:
            if application.applicant_iin and row.applicant_iin == application.applicant_iin:
                same_iin.append(_other(row))
            if application.iban and row.iban == application.iban:
                same_iban.append(_other(row))
    return ClaimWarnings(tuple(same_child), tuple(same_iin), tuple(same_iban))
