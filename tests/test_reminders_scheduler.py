"""The scheduler inside the bot: reminders of domain.md §7 reach the parent once,
in the parent's language; the 18th birthday is recorded automatically (p.5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import AuditEntry, OutboxMessage, TerminationEvent
from bot.outbox.sender import run_sender
from bot.usecases.reminders import run_once, run_scheduler
from tests.conftest import RunningBot
from tests.staff_kit import (
    card_of,
    messages_with,
    one,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


async def approved(
    tg: FakeTelegram, bot: RunningBot, user_id: int, language: str, **answers: Any
) -> int:
    parent = tg.user(user_id, language_code=language)
    application_id = await submit_application(bot.app, tg, parent, language, **answers)
    member = staff(tg)
    card = await card_of(bot.app, tg, application_id)
    await member.press("🔎 Взять в работу", message=card)
    replies = await member.press("✅ Одобрить", message=card)
    await member.press("✅ Да, одобрить", message=one(replies, "Одобрить заявление"))
    await wait_outbox_idle(bot.app, tg)
    return application_id


CERTIFICATE = {
    "kk": "⏰ Еске салу: № ALA-2025-000001 өтініш бойынша оқу орнының анықтамасы 31.05.2026 күніне дейін жарамды.",
    "ru": "⏰ Напоминание: справка из учебного заведения по заявлению ALA-2025-000001 действует до 31.05.2026.",
}
SEPTEMBER = {
    "kk": "⏰ Жаңа оқу жылы басталды.",
    "ru": "⏰ Начался новый учебный год.",
}


def test_the_scheduler_and_the_sender_run_inside_the_bot(staffbot: RunningBot) -> None:
    assert run_sender in staffbot.app.background and run_scheduler in staffbot.app.background


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_certificate_and_new_school_year_reminders_are_sent_once(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    await approved(tg, staffbot, 5001, language)
    context = staffbot.app.context
    staffbot.clock.fixed = dt.date(2026, 4, 29)
    assert (await run_once(context))["reminders"] == 0
    staffbot.clock.fixed = dt.date(2026, 4, 30)
    assert (await run_once(context))["reminders"] == 1
    reminder = await wait_text(tg, 5001, CERTIFICATE[language])
    assert "/apply" in (reminder.text or "")
    # the scheduler runs again (every hour, and at every start): nothing new
    assert (await run_once(context))["reminders"] == 0
    staffbot.clock.fixed = dt.date(2026, 5, 20)
    assert (await run_once(context))["reminders"] == 0
    await staffbot.restart()
    staffbot.clock.fixed = dt.date(2026, 9, 1)
    assert (await run_once(staffbot.app.context))["reminders"] == 1
    await wait_text(tg, 5001, SEPTEMBER[language])
    assert (await run_once(staffbot.app.context))["reminders"] == 0
    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, 5001, CERTIFICATE[language])) == 1
    assert len(messages_with(tg, 5001, SEPTEMBER[language])) == 1
    async with staffbot.app.context.sessionmaker() as session:
        keys = sorted(
            k
            for k in (await session.scalars(select(OutboxMessage.dedupe_key))).all()
            if k and k.startswith("reminder:")
        )
    assert keys == [
        "reminder:1:certificate_end:2026-05-31",
        "reminder:1:new_school_year:2026-09-01",
    ]


async def test_eighteenth_birthday_reminder_and_automatic_termination(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    # Worked example 3 of domain.md §4: the child turns 18 on 10.02.2026.
    application_id = await approved(
        tg, staffbot, 5002, "ru", child_birth="2008-02-10", child_iin="080210500128"
    )
    context = staffbot.app.context
    staffbot.clock.fixed = dt.date(2026, 1, 1)
    assert (await run_once(context))["reminders"] == 1
    await wait_text(tg, 5002, "⏰ Напоминание: 10.02.2026 ребёнку исполнится 18 лет.")
    staffbot.clock.fixed = dt.date(2026, 2, 9)
    assert await run_once(context) == {
        "reminders": 0,
        "birthdays": 0,
        "cards": 0,
        "digest": 0,
        "official": 0,
    }
    staffbot.clock.fixed = dt.date(2026, 2, 10)
    assert (await run_once(context))["birthdays"] == 1
    notice = await wait_text(
        tg, 5002, "ℹ️ Выплата по заявлению ALA-2025-000001 прекращается с месяца «март 2026» (п. 5)"
    )
    assert "ребёнку исполнилось 18 лет" in (notice.text or "") or "18" in (notice.text or "")
    assert (await run_once(context))["birthdays"] == 0
    async with context.sessionmaker() as session:
        events = (await session.scalars(select(TerminationEvent))).all()
        audit = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "terminate"))
        ).all()
    assert [(e.reason, e.on, e.staff_id) for e in events] == [
        ("age_18", dt.date(2026, 2, 10), None)
    ]
    assert [(a.actor, a.actor_id) for a in audit] == [("system", None)]
    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, 5002, "прекращается с месяца «март 2026»")) == 1
    card = await card_of(staffbot.app, tg, application_id)
    assert "⏹ Прекращение (п. 5)" in (card.text or "")


async def test_a_newer_application_of_the_family_silences_the_old_certificate(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    await approved(tg, staffbot, 5003, "kk")
    parent = tg.user(5003, language_code="kk")
    await submit_application(staffbot.app, tg, parent, "kk", cert_from="2026-09", cert_to="2027-05")
    staffbot.clock.fixed = dt.date(2026, 4, 30)
    assert (await run_once(staffbot.app.context))["reminders"] == 0


async def test_a_card_that_was_never_posted_is_posted_by_the_scheduler(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    # An application sent while STAFF_CHAT_ID was not configured yet: no card was queued.
    parent = tg.user(5004, language_code="ru")
    context = staffbot.app.context
    no_staff = dataclasses.replace(
        context, settings=context.settings.model_copy(update={"staff_chat_id": None})
    )
    staffbot.app.context = no_staff
    try:
        application_id = await submit_application(staffbot.app, tg, parent, "ru", publish=False)
    finally:
        staffbot.app.context = context
    assert (await run_once(staffbot.app.context))["cards"] == 1
    card = await card_of(staffbot.app, tg, application_id)
    assert "ALA-2025-000001" in (card.text or "")
    assert (await run_once(staffbot.app.context))["cards"] == 0
