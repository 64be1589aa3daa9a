"""Marking quarters paid (p.7, issue 10 item 3): only a due quarter, earliest unpaid
first, after a confirmation with the amount; a future quarter is refused with an
alert; a wrong mark is corrected by staff — audited, the parent told once."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import AuditEntry, PaymentQuarter
from handlers.staff_payments import QuarterConfirm, QuarterPick
from tests.conftest import STAFF_CHAT_ID, RunningBot
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

Q2_LABEL = "2-й квартал 2025/2026 — 31\xa0456,00\xa0₸"
Q3_LABEL = "3-й квартал 2025/2026 — 34\xa0600,00\xa0₸ (с 01.01.2026)"
PAID = {
    "kk": "💰 Төленді: 2025/2026 оқу жылының 2-тоқсаны",
    "ru": "💰 Выплачено: 2-й квартал 2025/2026 учебного года",
}
CORRECTED = {  # the months are named by the locale's month names (not asserted here)
    "kk": (
        "↩️ Түзету: 2025/2026 оқу жылының 2-тоқсаны (",
        ") — 31\xa0456,00\xa0₸ қателікпен "
        "төленді деп белгіленген. Ол әлі төленген жоқ.\n№ ALA-2025-000001 өтініш.",
    ),
    "ru": (
        "↩️ Исправление: 2-й квартал 2025/2026 учебного года (",
        ") — 31\xa0456,00\xa0₸ был "
        "ошибочно отмечен как выплаченный. Он ещё не выплачен.\nЗаявление ALA-2025-000001.",
    ),
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> dict[str, str]:
    """The bot runs on SQLite and on PostgreSQL (row locks, guarded updates)."""
    if request.param == "sqlite":
        return {}
    url: str = request.getfixturevalue("pg_url")
    return {"database_url": url}


@pytest.fixture
async def staffbot(
    tg: FakeTelegram, make_settings: Any, database: dict[str, str]
) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings, **database) as bot:
        yield bot


async def approved(tg: FakeTelegram, bot: RunningBot, parent_id: int, language: str) -> int:
    application_id = await submit_application(bot.app, tg, tg.user(parent_id), language)
    member = staff(tg)
    card = await card_of(bot.app, tg, application_id)
    await member.press("🔎 Взять в работу", message=card)
    replies = await member.press("✅ Одобрить", message=card)
    await member.press("✅ Да, одобрить", message=one(replies, "Одобрить заявление"))
    await wait_outbox_idle(bot.app, tg)
    return application_id


async def quarters(bot: RunningBot) -> list[tuple[int, str]]:
    async with bot.app.context.sessionmaker() as session:
        rows = (
            await session.scalars(select(PaymentQuarter).order_by(PaymentQuarter.quarter))
        ).all()
    return [(q.quarter, q.status) for q in rows]


async def test_a_future_quarter_is_refused_and_a_due_one_is_confirmed_first(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(3201, language_code="ru")
    application_id = await approved(tg, staffbot, parent.id, "ru")
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    picker = one(await member.press("💰 Отметить выплату квартала", message=card), "какой квартал")
    assert picker.buttons[:2] == [[Q2_LABEL], [Q3_LABEL]]

    # 15.11.2025: Q3 (January–March 2026) is not due — an alert, nothing changes
    await member.press(Q3_LABEL, message=picker)
    answer = member.callback_answers[-1]
    assert answer.show_alert
    assert answer.text == (
        "Срок выплаты за 3-й квартал 2025/2026 ещё не наступил: отметить выплату можно с 01.01.2026."
    )
    # the same through forged callback data (a confirmation of Q3 that was never shown)
    q3_id = await _quarter_id(staffbot, 3)
    await member.press_data(
        QuarterConfirm(app=application_id, quarter=q3_id).pack(), message=picker
    )
    assert (
        member.callback_answers[-1].text == answer.text and member.callback_answers[-1].show_alert
    )

    # Q2 is due: the picker turns into a confirmation with the quarter and the amount
    await member.press(Q2_LABEL, message=picker)
    confirm = tg.group(STAFF_CHAT_ID).chat.messages[picker.message_id]
    assert confirm.text == (
        "💰 Отметить выплату по заявлению ALA-2025-000001: 2-й квартал 2025/2026 "
        "(11.2025, 12.2025) — 31\xa0456,00\xa0₸? Заявитель получит уведомление."
    )
    assert confirm.buttons == [["✅ Да, выплачено", "✖️ Отмена"]]
    assert await quarters(staffbot) == [(2, "planned"), (3, "planned"), (4, "planned")]
    await member.press("✅ Да, выплачено", message=confirm)
    await wait_text(tg, parent.id, PAID["ru"])
    assert await quarters(staffbot) == [(2, "paid"), (3, "planned"), (4, "planned")]

    # 10.04.2026: Q4 is due, but Q3 is still unpaid — in order
    staffbot.clock.fixed = dt.date(2026, 4, 10)
    q4_id = await _quarter_id(staffbot, 4)
    await member.press_data(QuarterPick(app=application_id, quarter=q4_id).pack(), message=picker)
    assert member.callback_answers[-1].text == (
        "Кварталы выплачиваются по порядку: сначала отметьте выплату за 3-й квартал 2025/2026."
    )
    assert member.callback_answers[-1].show_alert
    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, parent.id, "💰")) == 1
    assert await quarters(staffbot) == [(2, "paid"), (3, "planned"), (4, "planned")]


async def _quarter_id(bot: RunningBot, quarter: int) -> int:
    async with bot.app.context.sessionmaker() as session:
        found = await session.scalar(
            select(PaymentQuarter.id).where(PaymentQuarter.quarter == quarter)
        )
    assert found is not None
    return int(found)


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_wrong_paid_mark_is_corrected_audited_and_told_once(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    parent = tg.user(3202, language_code=language)
    application_id = await approved(tg, staffbot, parent.id, language)
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    picker = one(await member.press("💰 Отметить выплату квартала", message=card), "какой квартал")
    await member.press(Q2_LABEL, message=picker)
    await member.press("✅ Да, выплачено", message=picker)
    await wait_text(tg, parent.id, PAID[language])

    card = await card_of(staffbot.app, tg, application_id)
    replies = await member.press("↩️ Исправить отметку о выплате", message=card)
    picker = one(replies, "какой квартал ошибочно отмечен выплаченным")
    assert picker.buttons == [["2-й квартал 2025/2026 — 31\xa0456,00\xa0₸"], ["✖️ Отмена"]]
    await member.press("2-й квартал 2025/2026 — 31\xa0456,00\xa0₸", message=picker)
    confirm = tg.group(STAFF_CHAT_ID).chat.messages[picker.message_id]
    assert "Снять отметку «выплачено» с 2-го квартала 2025/2026 (11.2025, 12.2025)" in (
        confirm.text or ""
    )
    assert "31\xa0456,00\xa0₸" in (confirm.text or "")
    assert await quarters(staffbot) == [(2, "paid"), (3, "planned"), (4, "planned")]
    await member.press("↩️ Да, исправить", message=confirm)
    notice = await wait_text(tg, parent.id, CORRECTED[language][0])
    assert CORRECTED[language][1] in (notice.text or "")
    # pressing the (gone) confirmation again changes nothing
    closed = tg.group(STAFF_CHAT_ID).chat.messages[picker.message_id]
    assert "исправил(а) Гүлнар" in (closed.text or "") and not closed.buttons
    assert await quarters(staffbot) == [(2, "planned"), (3, "planned"), (4, "planned")]
    async with staffbot.app.context.sessionmaker() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "quarter_corrected")
            )
        ).all()
    assert [(e.actor, e.actor_id, e.comment) for e in entries] == [
        ("staff", 501, "2025/2026 Q2: 31456.00")
    ]
    card = await card_of(staffbot.app, tg, application_id)
    assert "2-й квартал 2025/2026 (11.2025, 12.2025): 31\xa0456,00\xa0₸ — запланировано" in (
        card.text or ""
    )
    assert "↩️ Исправить отметку о выплате" not in str(card.buttons)

    # marked paid again (now truly paid): the parent is told again, once
    picker = one(await member.press("💰 Отметить выплату квартала", message=card), "какой квартал")
    await member.press(Q2_LABEL, message=picker)
    await member.press("✅ Да, выплачено", message=picker)
    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, parent.id, PAID[language])) == 2
    assert len(messages_with(tg, parent.id, CORRECTED[language][0])) == 1


async def test_a_corrected_quarter_after_a_termination_event_is_cancelled_not_planned(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    """p.5: payments stop from the month after the event. A quarter marked paid before
    the event was recorded and then corrected is not payable any more: cancelled."""
    parent = tg.user(3203, language_code="ru")
    application_id = await approved(tg, staffbot, parent.id, "ru")
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    picker = one(await member.press("💰 Отметить выплату квартала", message=card), "какой квартал")
    await member.press(Q2_LABEL, message=picker)
    await member.press("✅ Да, выплачено", message=picker)
    await wait_text(tg, parent.id, PAID["ru"])
    # the child started study in a state institution in October: nothing payable from November
    card = await card_of(staffbot.app, tg, application_id)
    picker = one(await member.press("⏹ Прекращение выплаты", message=card), "прекращает выплату")
    prompt = one(
        await member.press("Обучение в государственном учреждении", message=picker),
        "ответьте датой события",
    )
    await member.reply(prompt, "20.10.2025")
    await wait_outbox_idle(staffbot.app, tg)
    assert await quarters(staffbot) == [(2, "paid"), (3, "cancelled"), (4, "cancelled")]

    card = await card_of(staffbot.app, tg, application_id)
    picker = one(
        await member.press("↩️ Исправить отметку о выплате", message=card), "ошибочно отмечен"
    )
    await member.press("2-й квартал 2025/2026 — 31\xa0456,00\xa0₸", message=picker)
    await member.press("↩️ Да, исправить", message=picker)
    notice = await wait_text(tg, parent.id, CORRECTED["ru"][0])
    assert (
        "Заявление ALA-2025-000001. Выплата прекращена (п. 5): этот квартал не будет выплачен."
        in (notice.text or "")
    )
    assert await quarters(staffbot) == [(2, "cancelled"), (3, "cancelled"), (4, "cancelled")]
    card = await card_of(staffbot.app, tg, application_id)
    assert "💰 Отметить выплату квартала" not in str(card.buttons)
