"""The scheduler inside the bot (no cron): reminders of domain.md §7, the 18th
birthday, and cards that were never published.

`run_scheduler()` is a background task of the bot (BotApp): it runs `run_once()` at
start-up and then every `Settings.scheduler_interval` seconds. Each run:

1. queues the reminders due today (core.reminders: one month before the
   certificate ends, the month before the 18th birthday, one month before the
   disability term ends, 1 September after a certificate that ended in May) for
   approved applications. The outbox row's `dedupe_key`
   ("reminder:<application>:<kind>:<date>") is unique, so a reminder is never
   queued twice, however often the scheduler runs or how many processes run it;
2. records the 18th birthday as a p.5 termination event (system, once) when it
   falls within the payable period and no such event exists yet;
3. queues the staff card of any sent application that has none (e.g. the bot
   stopped between the submission and the card);
4. queues once, 3 days after Send, a reminder to file officially (p.6) when the
   parent gave no official request number (bot/usecases/official.py);
5. from 09:00 queues the day's service-term digest for the staff chat, once
   (bot/usecases/term.py); the loop wakes at 09:00 for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from sqlalchemy import select

from bot.context import AppContext
from bot.data.models import Application, TerminationEvent
from bot.outbox import store as outbox
from bot.outbox.messages import enqueue_publish, notify
from bot.payloads import REMINDERS
from bot.usecases.official import queue_reminders as queue_official_reminders
from bot.usecases.term import next_digest, queue_digest
from bot.usecases.transitions import SYSTEM, StaffActionError, record_termination
from core.months import Month
from core.reminders import ReminderFacts, due_reminders
from core.schedule import StopReason
from core.status import Status
from core.termination import eighteenth_birthday

log = logging.getLogger(__name__)

# A birthday found later than this (the bot was off) is still recorded, but old ones are not.
BIRTHDAY_CATCH_UP = dt.timedelta(days=31)
# How often a process that does not lead checks whether the leader is gone (seconds).
LEADER_RETRY = 15.0
ACTIVE = (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED, Status.APPROVED)


def _month(value: str | None) -> Month | None:
    try:
        return Month.parse_iso(value) if value else None
    except ValueError:
        return None


async def run_once(app: AppContext, today: dt.date | None = None) -> dict[str, int]:
    """One pass of the scheduler; returns what it queued (for logs and tests)."""
    today = today or app.clock.today()
    queued = {"reminders": 0, "birthdays": 0, "cards": 0, "digest": 0, "official": 0}
    async with app.sessionmaker() as session:
        approved = list(
            (
                await session.scalars(
                    select(Application).where(
                        Application.status == Status.APPROVED,
                        Application.personal_data_erased_at.is_(None),
                    )
                )
            ).all()
        )
        events = (
            (
                await session.scalars(
                    select(TerminationEvent).where(
                        TerminationEvent.application_id.in_([a.id for a in approved])
                    )
                )
            ).all()
            if approved
            else []
        )
        newest_end: dict[int, Month] = {}
        for row in (
            await session.execute(
                select(Application.user_id, Application.certificate_end).where(
                    Application.status.in_(ACTIVE)
                )
            )
        ).all():
            month = _month(row.certificate_end)
            if month is not None and (
                row.user_id not in newest_end or month > newest_end[row.user_id]
            ):
                newest_end[row.user_id] = month
    stopped: dict[int, dt.date] = {}
    has_age_event: set[int] = set()
    for event in events:
        if event.reason in (StopReason.STATE_INSTITUTION.value, StopReason.DEATH.value):
            stopped[event.application_id] = min(
                event.on, stopped.get(event.application_id, event.on)
            )
        if event.reason == StopReason.AGE_18.value:
            has_age_event.add(event.application_id)

    async with app.sessionmaker() as session, session.begin():
        for application in approved:
            certificate_end = _month(application.certificate_end)
            if (
                certificate_end is not None
                and newest_end.get(application.user_id, certificate_end) > certificate_end
            ):
                continue  # a newer application of the family covers the next period
            facts = ReminderFacts(
                certificate_end=certificate_end,
                birth=application.child_birth,
                disability_until=application.disability_until,
                stopped_on=stopped.get(application.id),
            )
            for reminder in due_reminders(facts, today):
                if await notify(
                    session,
                    application,
                    REMINDERS[reminder.kind.value](event=reminder.event),
                    dedupe_key=f"reminder:{application.id}:{reminder.key}",
                ):
                    queued["reminders"] += 1

    for application in approved:
        if (
            application.child_birth is None
            or application.id in has_age_event
            or application.id in stopped
        ):
            continue
        birthday = eighteenth_birthday(application.child_birth)
        certificate_end = _month(application.certificate_end)
        if not (today - BIRTHDAY_CATCH_UP <= birthday <= today):
            continue
        if certificate_end is not None and Month.of(birthday) > certificate_end:
            continue
        try:
            await record_termination(
                app,
                application.id,
                StopReason.AGE_18,
                birthday,
                SYSTEM,
                dedupe_key=f"terminated:{application.id}:age_18",
            )
            queued["birthdays"] += 1
        except StaffActionError as error:
            log.info("18th birthday of application %s not recorded: %s", application.id, error.code)

    if app.settings.staff_chat_id is not None:
        async with app.sessionmaker() as session, session.begin():
            missing = (
                await session.scalars(
                    select(Application.id).where(
                        Application.staff_card_message_id.is_(None),
                        Application.status.in_(
                            (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED)
                        ),
                    )
                )
            ).all()
            for application_id in missing:
                if await enqueue_publish(session, app, application_id):
                    queued["cards"] += 1
    queued["official"] = await queue_official_reminders(app, today)
    queued["digest"] = int(await queue_digest(app))
    if any(queued.values()):
        outbox.wake(app.sessionmaker)
        log.info("scheduler: %s", queued)
    return queued


async def _leads(context: AppContext) -> bool:
    deployment = context.deployment
    if deployment is None:
        return True
    try:
        return await deployment.lead()
    except Exception as error:  # the database is down: not now
        log.warning("scheduler leadership unknown: %s", type(error).__name__)
        return False


async def run_scheduler(context: AppContext, bot: object = None) -> None:
    """Background task of the bot (BotApp.background; the scheduler sends nothing itself, the
    outbox sender does): `run_once()` now and every scheduler_interval."""
    interval = max(context.settings.scheduler_interval, 1.0)
    while True:
        if not await _leads(context):  # once per deployment, not once per process
            await asyncio.sleep(min(interval, LEADER_RETRY))
            continue
        running = asyncio.ensure_future(run_once(context))
        try:
            await asyncio.shield(running)
        except asyncio.CancelledError:
            # stopping: never cut a transaction in the middle; the run is short
            with contextlib.suppress(Exception):
                await asyncio.wait_for(running, timeout=30)
            raise
        except Exception as error:  # the database is down: try again next time
            log.warning("scheduler run failed: %s", type(error).__name__)
        # wake at 09:00 for the digest (bot/usecases/term.py), else every interval
        now = context.clock.now()
        await asyncio.sleep(min(interval, (next_digest(now) - now).total_seconds() + 1))
