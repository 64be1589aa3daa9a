"""What /stats adds for the Department's desk (issue 13 items 1 and 4): the time to
decision in working days (median and 90th percentile) and the data of its two charts —
applications per week by status, money paid and forecast per quarter; the parents'
ratings and the application funnel per ISO week (issue 12 item 6: bot.usecases.feedback,
bot.usecases.funnel).

Time to decision: the working days (core.workdays, Labour Code Art. 84, 85 calendar)
after the day of submission up to the day of the decision (Asia/Almaty), 0 for a
decision on the day of submission. The median is the middle value (the mean of the two
middle ones for an even count); the 90th percentile is the nearest-rank one: the
smallest time that at least 90 % of the decisions did not exceed. A decision whose span
runs into a year without a calendar is counted apart, never guessed.

The forecast is the one /forecast shows (bot.usecases.forecast.budget_forecast:
core.forecast over the planned quarters of approved schedules and the quarters core's
schedule gives each application not yet decided, p.7).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.clock import ALMATY
from bot.context import AppContext
from bot.data import desk
from bot.funnel import Funnel
from bot.usecases.feedback import Ratings, ratings
from bot.usecases.forecast import budget_forecast
from bot.usecases.funnel import funnel
from core.forecast import Forecast
from core.months import Month
from core.workdays import CalendarUnknown, working_days_between


@dataclass(frozen=True)
class DecisionTimes:
    """Working days from submission to decision, ascending; ``unknown``: decisions not
    counted because a year of their span has no working-day calendar."""

    days: tuple[int, ...]
    unknown: int = 0

    @property
    def median(self) -> Decimal | None:
        if not self.days:
            return None
        return Decimal(str(statistics.median(self.days)))

    @property
    def p90(self) -> int | None:
        """The nearest-rank 90th percentile: the ⌈0.9·n⌉-th smallest time."""
        if not self.days:
            return None
        return self.days[math.ceil(0.9 * len(self.days)) - 1]


def decision_times(decided: Sequence[tuple[dt.date, dt.datetime]]) -> DecisionTimes:
    """The times of (day of submission, moment of decision) pairs, in working days."""
    days: list[int] = []
    unknown = 0
    for applied_on, moment in decided:
        count = working_days_between(applied_on, moment.astimezone(ALMATY).date())
        if isinstance(count, CalendarUnknown):
            unknown += 1
        else:
            days.append(count)
    return DecisionTimes(tuple(sorted(days)), unknown)


def months_of(stored: Sequence[str]) -> tuple[Month, ...]:
    found = []
    for value in stored:
        try:
            found.append(Month.parse_iso(value))
        except ValueError:
            continue
    return tuple(sorted(found))


@dataclass(frozen=True)
class DeskStats:
    """Everything /stats needs beyond the counts of bot.usecases.exports.stats."""

    today: dt.date
    times: DecisionTimes
    submissions: tuple[tuple[dt.date, str], ...]
    paid: tuple[tuple[tuple[Month, ...], Decimal], ...]
    forecast: Forecast
    funnel: Funnel  # issue 12 item 6: started / consented / summary / sent per ISO week
    ratings: Ratings  # the parents' 1–5 ratings


async def desk_stats(app: AppContext) -> DeskStats:
    """The desk's numbers on the bot's today (injected Clock)."""
    async with app.sessionmaker() as session:
        decided = await desk.decisions(session)
        submissions = await desk.submissions(session)
        paid = await desk.paid_quarters(session)
    return DeskStats(
        today=app.clock.today(),
        times=decision_times(decided),
        submissions=tuple(submissions),
        paid=tuple((months_of(months), amount) for months, amount in paid),
        forecast=await budget_forecast(app),
        funnel=await funnel(app),
        ratings=await ratings(app),
    )
