"""Staff authorisation (forged callbacks), overpayment (p.9), termination (p.5),
history, /find, /export, /stats, and the relay that must not steal messages."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import AuditEntry, OutboxMessage, PaymentQuarter, TerminationEvent
from bot.views.cards import CardAction
from handlers.staff_decisions import ApproveConfirm
from handlers.staff_refusal import GroundPick
from tests.chat import start_in
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    application,
    card_of,
    one,
    outbox_rows,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram

REFUSED = "Это могут делать только сотрудники отдела, в чате сотрудников."


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


async def approve(tg: FakeTelegram, bot: RunningBot, application_id: int) -> None:
    member = staff(tg)
    card = await card_of(bot.app, tg, application_id)
    await member.press("🔎 Взять в работу", message=card)
    replies = await member.press("✅ Одобрить", message=card)
    await member.press("✅ Да, одобрить", message=one(replies, "Одобрить заявление"))
    await wait_outbox_idle(bot.app, tg)


async def test_forged_and_foreign_presses_are_refused_and_change_nothing(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(3001, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    card = await card_of(staffbot.app, tg, application_id)
    rows_before = len(await outbox_rows(staffbot.app))

    # Someone in the staff chat who is not in STAFF_USER_IDS.
    outsider = tg.group(STAFF_CHAT_ID).member(999, "Посторонний")
    await outsider.press("🔎 Взять в работу", message=card)
    await outsider.press_data(GroundPick(app=application_id, ground=2).pack(), message=card)
    assert [(a.text, a.show_alert) for a in outsider.callback_answers] == [
        (REFUSED, True),
        (REFUSED, True),
    ]

    # A staff member, but in a private chat, with forged callback data.
    member_private = tg.user(501, language_code="ru")
    await start_in(member_private, "ru")
    await member_private.press_data(CardAction(action="take", app=application_id).pack())
    await member_private.press_data(ApproveConfirm(app=application_id).pack())
    assert [a.text for a in member_private.callback_answers][-2:] == [REFUSED, REFUSED]

    # The parent forging an approval in their own chat.
    await parent.send("/start")
    await parent.press_data(ApproveConfirm(app=application_id).pack())
    assert parent.callback_answers[-1].text == REFUSED and parent.callback_answers[-1].show_alert

    stored = await application(staffbot.app, application_id)
    assert stored.status == "submitted" and stored.assigned_staff_id is None
    assert len(await outbox_rows(staffbot.app)) == rows_before
    async with staffbot.app.context.sessionmaker() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions == ["submit"]
    assert tg.messages(parent.id)[-1].text != ""  # only the /start dialog, no notification
    assert not [m for m in tg.messages(parent.id) if "ALA-2025-000001" in (m.text or "")]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_overpayment_dialog_asks_amount_and_reason(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    parent = tg.user(3002 if language == "kk" else 3003, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    await approve(tg, staffbot, application_id)
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    replies = await member.press("⚠️ Записать переплату", message=card)
    prompt = one(replies, "переплата по заявлению ALA-2025-000001 (п. 9)")
    replies = await member.reply(prompt, "сто")
    one(replies, "ответьте суммой в тенге")
    replies = await member.reply(prompt, "15 728,00")
    prompt = one(replies, "причиной переплаты 15\xa0728,00\xa0₸")
    replies = await member.reply(prompt, "Выплата за октябрь при справке с ноября")
    one(replies, "записана переплата 15\xa0728,00\xa0₸")
    expected = {
        "kk": "⚠️ Бөлім № ALA-2025-000001 өтініш бойынша артық төленген соманы тіркеді: 15\xa0728,00\xa0₸.",
        "ru": "⚠️ Отдел зафиксировал излишне выплаченную сумму по заявлению ALA-2025-000001: 15\xa0728,00\xa0₸.",
    }
    notice = await wait_text(tg, parent.id, expected[language])
    assert "Выплата за октябрь при справке с ноября" in (notice.text or "")
    assert ("9-тармақ" if language == "kk" else "(п. 9)") in (notice.text or "")
    card = await card_of(staffbot.app, tg, application_id)
    assert "⚠️ Переплата (п. 9): 15\xa0728,00\xa0₸ — Выплата за октябрь" in (card.text or "")


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_termination_event_cancels_later_quarters(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    parent = tg.user(3004 if language == "kk" else 3005, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    await approve(tg, staffbot, application_id)
    staffbot.clock.fixed = dt.date(2026, 1, 20)
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    replies = await member.press("⏹ Прекращение выплаты", message=card)
    picker = one(replies, "какое обстоятельство прекращает выплату")
    replies = await member.press("Обучение в государственном учреждении", message=picker)
    prompt = one(replies, "ответьте датой события")
    replies = await member.reply(prompt, "25.01.2026")
    one(replies, "Дата события не может быть в будущем")
    replies = await member.reply(prompt, "10.01.2026")
    one(replies, "выплата прекращается после 10.01.2026")
    expected = {
        "kk": "ℹ️ № ALA-2025-000001 өтініш бойынша төлем 2026 жылғы ақпан айынан бастап тоқтатылады (5-тармақ)",
        "ru": "ℹ️ Выплата по заявлению ALA-2025-000001 прекращается с месяца «февраль 2026» (п. 5)",
    }
    notice = await wait_text(tg, parent.id, expected[language])
    assert "10.01.2026" in (notice.text or "")
    async with staffbot.app.context.sessionmaker() as session:
        quarters = (
            await session.scalars(
                select(PaymentQuarter).order_by(PaymentQuarter.school_year, PaymentQuarter.quarter)
            )
        ).all()
        events = (await session.scalars(select(TerminationEvent))).all()
    # Q3 keeps January only (1/3 of 8 × 4 325), Q4 is cancelled (p.5).
    assert [(q.quarter, str(q.amount), q.status) for q in quarters] == [
        (2, "31456.00", "planned"),
        (3, "11533.33", "planned"),
        (4, "34600.00", "cancelled"),
    ]
    assert [(e.reason, e.on) for e in events] == [("state_institution", dt.date(2026, 1, 10))]
    card = await wait_text(
        tg, STAFF_CHAT_ID, "⏹ Прекращение (п. 5): обучение в государственном учреждении, 10.01.2026"
    )
    assert "отменено" in (card.text or "") or "отменён" in (card.text or "")


async def test_history_find_export_and_stats(staffbot: RunningBot, tg: FakeTelegram) -> None:
    parent = tg.user(3006, language_code="kk")
    first = await submit_application(staffbot.app, tg, parent, "kk")
    second_parent = tg.user(3007, language_code="ru")
    second = await submit_application(
        staffbot.app, tg, second_parent, "ru", child_iin="160101600129"
    )
    await approve(tg, staffbot, first)
    member = staff(tg)
    card = await card_of(staffbot.app, tg, second)
    replies = await member.press("⛔ Отказать", message=card)
    replies = await member.press(
        next(
            t
            for row in one(replies, "основание из п. 8").buttons
            for t in row
            if t.startswith("2)")
        ),
        message=one(replies, "основание из п. 8"),
    )
    await member.reply(one(replies, "ответьте комментарием"), "Адрес не в Алатау")
    await wait_outbox_idle(staffbot.app, tg)

    card = await card_of(staffbot.app, tg, first)
    replies = await member.press("📜 История", message=card)
    history = one(replies, "📜 История заявления ALA-2025-000001:")
    text = history.text or ""
    assert "отправлено — заявитель" in text
    assert "принято на рассмотрение — Гүлнар (отправлено → на рассмотрении)" in text
    assert "одобрено — Гүлнар (на рассмотрении → одобрено)" in text

    replies = await member.send("/find ALA-2025-000002")
    found = one(replies, "Найдено: 1")
    assert "ALA-2025-000002 — отказано" in (found.text or "")
    assert found.reply_to_message_id == (await card_of(staffbot.app, tg, second)).message_id
    replies = await member.send("/find 150302500123")
    assert "Найдено: 1" in (replies[0].text or "") and "ALA-2025-000001" in (replies[0].text or "")
    replies = await member.send("/find 900101400122")
    assert "Найдено: 2" in (replies[0].text or "")

    replies = await member.send("/export approved rejected 11.2025")
    documents = [r for r in replies if r.kind == "document"]
    assert [d.data["document"]["file_name"].rsplit(".", 1)[1] for d in documents] == [
        "csv",
        "csv",
        "xlsx",
    ]
    applications_csv = tg.file(documents[0].data["document"]["file_id"]).read().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(applications_csv), delimiter=";"))
    assert [(r["number"], r["status"], r["schedule_total"], r["refusal_ground"]) for r in rows] == [
        ("ALA-2025-000001", "approved", "100656.00", ""),
        ("ALA-2025-000002", "rejected", "0.00", "p.8(2)"),
    ]
    audit_csv = tg.file(documents[1].data["document"]["file_id"]).read().decode("utf-8-sig")
    audit = list(csv.DictReader(io.StringIO(audit_csv), delimiter=";"))
    assert [
        (a["number"], a["action"], a["old_status"], a["new_status"])
        for a in audit
        if a["action"] == "reject"
    ] == [("ALA-2025-000002", "reject", "submitted", "rejected")]
    assert any(a["comment"] == "Адрес не в Алатау" for a in audit)
    replies = await member.send("/export 2024")
    assert "Заявлений: 0" in (replies[0].text or "")
    replies = await member.send("/export soon")
    assert "Не понял «soon»" in (replies[0].text or "")

    replies = await member.send("/stats")
    stats = replies[0].text or ""
    assert "• одобрено: 1" in stats and "• отказано: 1" in stats
    assert "2-й квартал 2025/2026: 31\xa0456,00\xa0₸ / 0,00\xa0₸" in stats

    # Not for outsiders, even in the staff chat.
    outsider = tg.group(STAFF_CHAT_ID).member(999, "Посторонний")
    replies = await outsider.send("/export")
    assert [r.text for r in replies] == ["Эта команда — для сотрудников отдела в чате сотрудников."]


async def test_relay_does_not_steal_messages_of_other_conversations(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(3008, language_code="ru")
    await start_in(parent, "ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    # No open question: a plain text is not passed on by itself — the bot asks first
    # whether to send it to the Department (issue 12 item 5; tests/test_question.py).
    replies = await parent.send("привет")
    assert "Отправить это в отдел как вопрос" in (replies[-1].text or "")
    before = len(tg.messages(STAFF_CHAT_ID))

    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    await member.reply(card, "Уточните, пожалуйста, адрес.")
    await wait_text(tg, parent.id, "Уточните, пожалуйста, адрес.")
    # In a dialog (/check) the answer belongs to the dialog, not to the Department.
    await parent.send("/check")
    await parent.send("Да")
    await wait_outbox_idle(staffbot.app, tg)
    assert not [
        m for m in tg.messages(STAFF_CHAT_ID)[before:] if (m.text or "").split("\n")[-1] == "Да"
    ]
    # A reply to the Department's message is relayed even so.
    message = await wait_text(tg, parent.id, "Уточните, пожалуйста, адрес.")
    await parent.reply(message, "Алатау, мкр. Бірлік 7")
    relayed = await wait_text(tg, STAFF_CHAT_ID, "Алатау, мкр. Бірлік 7")
    assert relayed.reply_to_message_id == card.message_id
    async with staffbot.app.context.sessionmaker() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id))).all()
    assert kinds.count("parent_answer") == 1


async def test_an_abandoned_dialog_does_not_eat_a_later_reply(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(3009, language_code="kk")
    application_id = await submit_application(staffbot.app, tg, parent, "kk")
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    await member.press("🔎 Взять в работу", message=card)
    await member.press("📎 Запросить документы", message=card)  # … and never answers the prompt
    await member.reply(card, "Добрый день! Ваше заявление у нас.")
    notice = await wait_text(tg, parent.id, "Добрый день! Ваше заявление у нас.")
    assert (notice.text or "").startswith("✉️ ")
    assert (await application(staffbot.app, application_id)).status == "in_review"


async def test_two_staff_members_cannot_both_take(staffbot: RunningBot, tg: FakeTelegram) -> None:
    parent = tg.user(3010, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    card = await card_of(staffbot.app, tg, application_id)
    first, second = staff(tg, 501, "Гүлнар"), staff(tg, 502, "Ерлан")
    stale = dict(card.data)
    await first.press("🔎 Взять в работу", message=card)
    # the second presses the same (now stale) button
    await second.press_data(CardAction(action="take", app=application_id).pack(), message=card)
    assert (
        second.callback_answers[-1].text == "Это действие невозможно в текущем статусе заявления."
    )
    assert stale
    await wait_outbox_idle(staffbot.app, tg)
    assert (
        len([m for m in tg.messages(parent.id) if "принято на рассмотрение" in (m.text or "")]) == 1
    )


async def test_a_withdrawal_by_the_parent_reaches_both_sides(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    from bot.usecases.transitions import StaffMember, perform
    from core.status import Action, Actor

    parent = tg.user(3011, language_code="kk")
    application_id = await submit_application(staffbot.app, tg, parent, "kk")
    await perform(
        staffbot.app.context,
        application_id,
        Action.WITHDRAW,
        StaffMember(parent.id),
        actor=Actor.PARENT,
    )
    await wait_text(tg, parent.id, "↩️ Сіздің № ALA-2025-000001 өтінішіңіз кері қайтарылды.")
    notice = await wait_text(tg, STAFF_CHAT_ID, "↩️ Заявитель отозвал заявление ALA-2025-000001.")
    card = await card_of(staffbot.app, tg, application_id)
    assert notice.reply_to_message_id == card.message_id
    await wait_text(tg, STAFF_CHAT_ID, "Статус: отозвано")
    assert card.buttons == [["📜 История"]]
