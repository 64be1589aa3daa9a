"""The service-term clock in the staff chat (issue 13 item 1): "day N of 8 — due DD.MM"
on the card while the application awaits a decision, counted in working days (weekends
and public holidays of core/params/calendar/ skipped), and the digest at 09:00 Asia/
Almaty of applications due today and overdue — once a day, whatever runs how often."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.clock import ALMATY
from bot.usecases.reminders import run_once
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    card_of,
    messages_with,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
)
from tests.tgfake.server import FakeTelegram


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ALMATY)


async def submitted_on(bot: RunningBot, tg: FakeTelegram, day: dt.date, user_id: int) -> int:
    bot.clock.fixed = at(day, 11)
    parent = tg.user(user_id, language_code="ru")
    return await submit_application(bot.app, tg, parent, "ru")


async def card_text_on(bot: RunningBot, tg: FakeTelegram, application_id: int) -> str:
    await wait_outbox_idle(bot.app, tg)
    return (await card_of(bot.app, tg, application_id)).text or ""


async def test_the_card_counts_working_days_across_a_weekend_and_a_holiday(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    # Friday 12.12.2025; Sat 13 and Sun 14 are days off, Tue 16.12 is Independence Day:
    # the 8th working day after the submission is Thursday 25.12.
    friday = dt.date(2025, 12, 12)
    application_id = await submitted_on(staffbot, tg, friday, 6001)
    assert "⏱ День 0 из 8 — срок 25.12" in await card_text_on(staffbot, tg, application_id)

    context = staffbot.app.context
    staffbot.clock.fixed = at(dt.date(2025, 12, 14), 10)  # Sunday: nothing moves
    await run_once(context)
    assert "⏱ День 0 из 8 — срок 25.12" in await card_text_on(staffbot, tg, application_id)

    staffbot.clock.fixed = at(dt.date(2025, 12, 15), 10)  # Monday: the first working day
    await run_once(context)
    assert "⏱ День 1 из 8 — срок 25.12" in await card_text_on(staffbot, tg, application_id)

    # On the holiday a member takes the application: the card is redrawn, still day 1.
    staffbot.clock.fixed = at(dt.date(2025, 12, 16), 10)
    card = await card_of(staffbot.app, tg, application_id)
    await staff(tg).press("🔎 Взять в работу", message=card)
    text = await card_text_on(staffbot, tg, application_id)
    assert "Статус: на рассмотрении" in text
    assert "⏱ День 1 из 8 — срок 25.12" in text

    staffbot.clock.fixed = at(dt.date(2025, 12, 17), 10)  # Wednesday: day 2, not 3
    await run_once(context)
    assert "⏱ День 2 из 8 — срок 25.12" in await card_text_on(staffbot, tg, application_id)

    staffbot.clock.fixed = at(dt.date(2025, 12, 25), 10)  # the due date
    await run_once(context)
    assert "⏱ День 8 из 8 — срок 25.12" in await card_text_on(staffbot, tg, application_id)

    staffbot.clock.fixed = at(dt.date(2025, 12, 29), 10)  # Fri 26 and Mon 29: 2 days late
    await run_once(context)
    text = await card_text_on(staffbot, tg, application_id)
    assert "⏰ Срок нарушен: просрочка 2 раб. дн. — срок был 25.12" in text
    assert "День " not in text


async def test_no_clock_after_the_decision_and_no_guess_without_a_calendar(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    # 2027 has no calendar file: the card says so instead of guessing a date.
    late = await submitted_on(staffbot, tg, dt.date(2027, 2, 1), 6011)
    text = await card_text_on(staffbot, tg, late)
    assert "⏱ Срок оказания услуги: производственный календарь на 2027 год неизвестен" in text
    assert "День " not in text and "срок 1" not in text

    decided = await submitted_on(staffbot, tg, dt.date(2025, 12, 12), 6012)
    member = staff(tg)
    card = await card_of(staffbot.app, tg, decided)
    await member.press("🔎 Взять в работу", message=card)
    assert "⏱ День 0 из 8" in await card_text_on(staffbot, tg, decided)
    replies = await member.press("✅ Одобрить", message=card)
    confirm = next(r for r in replies if "Одобрить заявление" in (r.text or ""))
    await member.press("✅ Да, одобрить", message=confirm)
    text = await card_text_on(staffbot, tg, decided)
    assert "Статус: одобрено" in text
    assert "⏱" not in text and "⏰" not in text


DIGEST = {
    "ru": (
        "📋 Сроки оказания услуги на 25.12.2025\n\n"
        "Срок решения — сегодня:\n"
        "• ALA-2025-000002 — день 8 из 8\n\n"
        "Срок нарушен:\n"
        "• ALA-2025-000001 — просрочка 3 раб. дн. (срок 22.12)"
    ),
    "kk": (
        "📋 25.12.2025 күнгі қызмет көрсету мерзімдері\n\n"
        "Шешім мерзімі — бүгін:\n"
        "• ALA-2025-000002 — 8 жұмыс күнінің 8-күні\n\n"
        "Мерзімі өтіп кеткен:\n"
        "• ALA-2025-000001 — 3 жұмыс күні кешікті (мерзімі 22.12)"
    ),
}


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_digest_at_nine_lists_due_and_overdue_once(
    tg: FakeTelegram, make_settings: Any, language: str
) -> None:
    async with running_staffbot(tg, make_settings, default_locale=language) as bot:
        # Tue 09.12 → due Mon 22.12 (16.12 a holiday): on Thu 25.12, 3 working days late.
        overdue = await submitted_on(bot, tg, dt.date(2025, 12, 9), 6021)
        # Fri 12.12 → due Thu 25.12: due today.
        due = await submitted_on(bot, tg, dt.date(2025, 12, 12), 6022)
        # Wed 24.12 → day 1 on 25.12: not in the digest.
        await submitted_on(bot, tg, dt.date(2025, 12, 24), 6023)
        await wait_outbox_idle(bot.app, tg)
        assert (overdue, due) == (1, 2)

        thursday = dt.date(2025, 12, 25)
        bot.clock.fixed = at(thursday, 8, 59)
        assert (await run_once(bot.app.context))["digest"] == 0
        bot.clock.fixed = at(thursday, 9, 0)
        # two passes at once (two processes) and then more passes: one digest queued
        runs = await asyncio.gather(run_once(bot.app.context), run_once(bot.app.context))
        assert sorted(r["digest"] for r in runs) == [0, 1]
        bot.clock.fixed = at(thursday, 15, 30)
        assert (await run_once(bot.app.context))["digest"] == 0
        await bot.restart()  # runs a pass at start-up too
        assert (await run_once(bot.app.context))["digest"] == 0
        await wait_outbox_idle(bot.app, tg)
        digests = messages_with(tg, STAFF_CHAT_ID, "📋")
        assert [m.text for m in digests] == [DIGEST[language]]
        assert digests[0].reply_to_message_id is None

        # Saturday 27.12: no digest on a day off.
        bot.clock.fixed = at(dt.date(2025, 12, 27), 9, 30)
        assert (await run_once(bot.app.context))["digest"] == 0
        await wait_outbox_idle(bot.app, tg)
        assert len(messages_with(tg, STAFF_CHAT_ID, "📋")) == 1


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_quarter_opens_with_a_register_button_once(
    tg: FakeTelegram, make_settings: Any, language: str
) -> None:
    """Issue 13 item 2: when a quarter opens (its first month, the first digest pass at
    09:00 of a working day), the staff chat gets one notice whose button sends that
    quarter's payment register (XLSX); later passes and a restart send no second one."""
    async with running_staffbot(tg, make_settings, default_locale=language) as bot:
        # Q3 of 2025/2026 opens in January 2026; 01.01–02.01 are holidays, 05.01 a Monday.
        late = await submitted_on(bot, tg, dt.date(2025, 12, 12), 6031)
        await wait_outbox_idle(bot.app, tg)
        assert late == 1
        bot.clock.fixed = at(dt.date(2025, 12, 31), 9, 30)  # Q2: no notice
        await run_once(bot.app.context)
        bot.clock.fixed = at(dt.date(2026, 1, 2), 9, 30)  # a holiday: no pass at all
        await run_once(bot.app.context)
        await wait_outbox_idle(bot.app, tg)
        assert messages_with(tg, STAFF_CHAT_ID, "📄") == []

        monday = dt.date(2026, 1, 5)
        bot.clock.fixed = at(monday, 9, 0)
        await asyncio.gather(run_once(bot.app.context), run_once(bot.app.context))
        bot.clock.fixed = at(monday, 16, 0)
        await run_once(bot.app.context)
        await bot.restart()
        bot.clock.fixed = at(dt.date(2026, 1, 6), 9, 5)
        await run_once(bot.app.context)
        await wait_outbox_idle(bot.app, tg)
        [notice] = messages_with(tg, STAFF_CHAT_ID, "📄")
        expected = {
            "kk": "2025/2026 оқу жылының 3-тоқсаны басталды",
            "ru": "Начался 3-й квартал 2025/2026 учебного года",
        }[language]
        assert expected in notice.text
        [[button]] = notice.data["reply_markup"]["inline_keyboard"]

        member = staff(tg)
        replies = await member.press(button["text"], message=notice)
        [document] = [r for r in replies if r.kind == "document"]
        assert document.data["document"]["file_name"] == "register-2025-2026-Q3.xlsx"
        book = load_workbook(BytesIO(tg.file(document.data["document"]["file_id"]).read()))
        assert len(book.worksheets) == 2

        # someone outside the staff list gets an alert and no file
        outsider = tg.group(STAFF_CHAT_ID, "Alatau staff").member(999, "Бөгде", "ru")
        replies = await outsider.press(button["text"], message=notice)
        assert [r for r in replies if r.kind == "document"] == []
