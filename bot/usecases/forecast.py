"""/forecast: the facts of every approved schedule and every undecided application,
put through core.forecast (issue 13 item 3; p.7, MRP table of domain.md §4).

Approved: each quarter still planned (not paid, not cancelled) of an approved
application, with its stored payable months. Not yet decided (submitted, in review,
documents requested): the quarters core's schedule would give it today.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.context import AppContext
from bot.data.facts import schedule_for
from bot.data.models import Application, PaymentQuarter
from core.forecast import Forecast, forecast
from core.months import Month
from core.status import QuarterStatus, Status

UNDECIDED = (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED)


def _months(stored: list[object]) -> tuple[Month, ...]:
    found = []
    for value in stored:
        try:
            found.append(Month.parse_iso(str(value)))
        except ValueError:
            continue
    return tuple(found)


async def budget_forecast(app: AppContext) -> Forecast:
    """core.forecast over the stored schedules, on the bot's today (injected Clock)."""
    async with app.sessionmaker() as session:
        planned = (
            await session.execute(
                select(PaymentQuarter.months)
                .join(Application, Application.id == PaymentQuarter.application_id)
                .where(
                    Application.status == Status.APPROVED.value,
                    PaymentQuarter.status == QuarterStatus.PLANNED.value,
                )
            )
        ).all()
        undecided = (
            await session.scalars(
                select(Application).where(Application.status.in_([s.value for s in UNDECIDED]))
            )
        ).all()
    approved = [_months(list(row[0] or [])) for row in planned]
    pending = []
    for application in undecided:
        schedule = schedule_for(application)
        if schedule is None:
            continue
        pending += [q.months for q in schedule.quarters if q.amount > 0]
    return forecast(app.clock.today(), approved, pending)
