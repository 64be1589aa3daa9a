"""The service-term clock's daily digest in the staff chat (issue 13 item 1).

`queue_digest()` runs in every pass of the scheduler (bot/usecases/reminders.py). From
09:00 Asia/Almaty (the injected Clock) on a working day it queues one message for the
staff chat: the applications whose decision is due today and those overdue (number and
working days only — no personal data), and those whose calendar year is unknown; a day
with none of these has no digest. The outbox row's dedupe key "term-digest:<date>" is
unique, so however many passes, restarts or processes run, the day's digest is queued
once. The cards awaiting a decision are refreshed once a day as well ("term-card:<id>:
<date>"), so their "day N of 8" is today's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.data import desk
from bot.outbox import store as outbox
from bot.outbox.messages import notice_staff
from bot.staff_payloads import CalendarMissing, DueToday, Overdue, RegisterOpen, TermDigest
from core.forecast import quarter_key, quarter_months
from core.months import Month
from core.workdays import CalendarUnknown, is_working_day, term_progress

DIGEST_AT = dt.time(9, 0)


def next_digest(now: dt.datetime) -> dt.datetime:
    """The next 09:00 (in `now`'s zone) after `now`."""
    at = dt.datetime.combine(now.date(), DIGEST_AT, tzinfo=now.tzinfo)
    return at if at > now else at + dt.timedelta(days=1)


async def queue_digest(app: AppContext) -> bool:
    """Queue today's digest if it is due and not queued yet; True when queued now."""
    chat_id = app.settings.staff_chat_id
    now = app.clock.now()
    if chat_id is None or now.time() < DIGEST_AT:
        return False
    today = now.date()
    if is_working_day(today) is False:  # weekends and holidays: none (unknown year: sent)
        return False
    async with app.sessionmaker() as session, session.begin():
        rows = await desk.awaiting(session)
        due: list[DueToday] = []
        overdue: list[Overdue] = []
        unknown: list[CalendarMissing] = []
        for row in rows:
            clock = term_progress(row.applied_on, today)
            if isinstance(clock, CalendarUnknown):
                unknown.append(CalendarMissing(row.number, clock.year))
            elif clock.overdue:
                overdue.append(Overdue(row.number, clock.overdue_working_days, clock.due))
            elif clock.due == today:
                due.append(DueToday(row.number, clock.elapsed, clock.term))
        overdue.sort(key=lambda item: (-item.working_days, item.number))
        await _queue_register_open(session, app, today)
        for row in rows:  # the cards' "day N of 8" moves on: once a day each
            await outbox.enqueue(
                session,
                chat_id=chat_id,
                kind="card_refresh",
                payload={"method": "card"},
                application_id=row.id,
                dedupe_key=f"term-card:{row.id}:{today.isoformat()}",
            )
        if not (due or overdue or unknown):
            return False
        digest = TermDigest(today, tuple(due), tuple(overdue), tuple(unknown))
        return await notice_staff(
            session, app, digest, dedupe_key=f"term-digest:{today.isoformat()}"
        )


async def _queue_register_open(session: AsyncSession, app: AppContext, today: dt.date) -> bool:
    """In the first month of an academic quarter (p.7), with the first digest pass of that
    month, a notice with the button that sends the quarter's payment register (issue 13
    item 2). Its dedupe key "register-open:<year>-Q<n>" makes it once per quarter."""
    month = Month.of(today)
    key = quarter_key(month)
    if key is None or quarter_months(key)[0] != month:
        return False
    return await notice_staff(
        session,
        app,
        RegisterOpen(year=key.start_year, quarter=key.number),
        dedupe_key=f"register-open:{key.start_year}-Q{key.number}",
    )
