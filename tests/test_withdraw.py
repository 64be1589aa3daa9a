"""The parent withdraws an application before a decision (domain.md §7), over the
fake Bot API, in kk and ru: /status → "Withdraw" → confirm → withdrawn, audited,
the parent told once, the staff chat told; "No" changes nothing; a forged button
for someone else's application or a decided one is refused and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.data.models import Application, AuditEntry, OutboxMessage
from handlers.status import Withdraw
from tests.chat import start_in
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    application,
    card_of,
    messages_with,
    running_staffbot,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram

NUMBER = "ALA-2025-000001"

WORDS = {
    "ru": {
        "menu": "📬 Мои заявления",
        "button": f"↩️ Отозвать заявление {NUMBER}",
        "confirm": f"Отозвать заявление {NUMBER}? Отдел прекратит его рассмотрение.",
        "yes": "Да, отозвать",
        "no": "Нет, оставить",
        "kept": f"Заявление {NUMBER} не отозвано, ничего не изменилось.",
        "header": f"Заявление № {NUMBER}",
        "submitted": "Статус: отправлено",
        "withdrawn": "Статус: отозвано",
        "history": "отправлено → отозвано",
        "told": f"↩️ Ваше заявление {NUMBER} отозвано.",
        "too_late": f"Заявление {NUMBER} уже нельзя отозвать: его статус — «{{status}}».",
        "approved": "одобрено",
        "withdrawn_word": "отозвано",
        "not_yours": "Этого заявления нет среди ваших.",
    },
    "kk": {
        "menu": "📬 Менің өтініштерім",
        "button": f"↩️ № {NUMBER} өтінішті қайтарып алу",
        "confirm": f"№ {NUMBER} өтінішті қайтарып аласыз ба? Бөлім оны қарауды тоқтатады.",
        "yes": "Иә, қайтарып алу",
        "no": "Жоқ, қалдыру",
        "kept": f"№ {NUMBER} өтініш өз күшінде қалды, ештеңе өзгерген жоқ.",
        "header": f"№ {NUMBER} өтініш",
        "submitted": "Мәртебесі: жіберілді",
        "withdrawn": "Мәртебесі: кері қайтарылды",
        "history": "жіберілді → кері қайтарылды",
        "told": f"↩️ Сіздің № {NUMBER} өтінішіңіз кері қайтарылды.",
        "too_late": f"№ {NUMBER} өтінішті енді қайтарып алу мүмкін емес: оның мәртебесі — «{{status}}».",
        "approved": "мақұлданды",
        "withdrawn_word": "кері қайтарылды",
        "not_yours": "Бұл өтініш сіздің өтініштеріңіздің арасында жоқ.",
    },
}
LANGUAGES = ("kk", "ru")
STAFF_TOLD = (
    f"↩️ Заявитель отозвал заявление {NUMBER}."  # the staff chat speaks the default locale (ru)
)


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


async def snapshot(bot: RunningBot) -> tuple[list[tuple[int, str]], int, int]:
    """Statuses of all applications, number of audit entries, number of outbox rows."""
    async with bot.app.context.sessionmaker() as session:
        statuses = [
            (a.id, a.status)
            for a in await session.scalars(select(Application).order_by(Application.id))
        ]
        audit = await session.scalar(select(func.count()).select_from(AuditEntry))
        rows = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return statuses, int(audit or 0), int(rows or 0)


async def audit_of(
    bot: RunningBot, application_id: int
) -> list[tuple[str, str, int | None, str | None, str | None]]:
    async with bot.app.context.sessionmaker() as session:
        entries = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.application_id == application_id)
            .order_by(AuditEntry.id)
        )
        return [(e.action, e.actor, e.actor_id, e.old_status, e.new_status) for e in entries]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_withdraw_from_status_after_confirmation(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    parent = tg.user(8001, language_code=language)
    await start_in(parent, language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    card = await card_of(staffbot.app, tg, application_id)

    replies = await parent.send("/status")
    assert len(replies) == 1
    status = replies[0]
    assert w["header"] in status.text and w["submitted"] in status.text
    # the withdraw button (and, above it, «I have filed officially», issue 12 item 4)
    assert [row for row in status.inline_buttons if row[0].startswith("↩️")] == [[w["button"]]]
    assert len(status.callback_data(w["button"]).encode()) <= 64

    replies = await parent.press(w["button"], message=status)
    assert len(replies) == 1
    confirm = replies[0]
    assert w["confirm"] in confirm.text and "/apply" in confirm.text
    assert confirm.inline_buttons == [[w["yes"], w["no"]]]
    assert (
        await application(staffbot.app, application_id)
    ).status == "submitted"  # asking changes nothing

    await parent.press(w["yes"], message=confirm)
    assert (
        w["header"] in confirm.text and w["withdrawn"] in confirm.text
    )  # the same message, edited
    assert confirm.inline_buttons == []
    assert parent.callback_answers[-1].show_alert is False
    assert (await application(staffbot.app, application_id)).status == "withdrawn"
    assert await audit_of(staffbot, application_id) == [
        ("submit", "parent", parent.id, "draft", "submitted"),
        ("withdraw", "parent", parent.id, "submitted", "withdrawn"),
    ]

    # The parent's notification (outbox), exactly once; the staff chat is told on the card.
    await tg.wait_for(
        lambda: messages_with(tg, parent.id, w["told"]), what="the parent's notification"
    )
    notice = await wait_text(tg, STAFF_CHAT_ID, STAFF_TOLD)
    assert notice.reply_to_message_id == card.message_id
    await wait_text(tg, STAFF_CHAT_ID, "Статус: отозвано")  # the card, edited in place
    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, parent.id, w["told"])) == 1
    assert len(messages_with(tg, STAFF_CHAT_ID, STAFF_TOLD)) == 1

    # /status shows the new status and history, and no withdraw button any more.
    replies = await parent.send("/status")
    assert w["withdrawn"] in replies[-1].text and w["history"] in replies[-1].text
    assert not replies[-1].inline_buttons and replies[-1].keyboard_buttons

    # The old button, pressed again: refused, nothing changes.
    before = await snapshot(staffbot)
    await parent.press(w["button"], message=status)
    answer = parent.callback_answers[-1]
    assert answer.text == w["too_late"].format(status=w["withdrawn_word"]) and answer.show_alert
    await parent.press_data(Withdraw(step="yes", app=application_id).pack(), message=status)
    assert parent.callback_answers[-1].text == w["too_late"].format(status=w["withdrawn_word"])
    assert await snapshot(staffbot) == before


@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_keep_it_changes_nothing(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    parent = tg.user(8002, language_code=language)
    await start_in(parent, language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    before = await snapshot(staffbot)

    replies = await parent.send(w["menu"])  # the menu button, typed
    (confirm,) = await parent.press(w["button"], message=replies[0])
    await parent.press(w["no"], message=confirm)
    assert confirm.text == w["kept"] and confirm.inline_buttons == []
    assert await snapshot(staffbot) == before
    assert (await application(staffbot.app, application_id)).status == "submitted"

    replies = await parent.send("/status")  # the button is still offered
    assert w["submitted"] in replies[0].text
    assert [row for row in replies[0].inline_buttons if row[0].startswith("↩️")] == [[w["button"]]]
    assert not messages_with(tg, parent.id, w["told"]) and not messages_with(
        tg, STAFF_CHAT_ID, STAFF_TOLD
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_forged_callback_for_someone_elses_application_is_refused(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    owner = tg.user(8003, language_code="ru")
    await start_in(owner, "ru")
    application_id = await submit_application(staffbot.app, tg, owner, "ru")
    intruder = tg.user(8004, language_code=language)
    await start_in(intruder, language)
    before = await snapshot(staffbot)
    sent_before = len(intruder.messages)

    for step in ("ask", "yes", "no", "zzz"):
        replies = await intruder.press_data(Withdraw(step=step, app=application_id).pack())
        assert replies == []
        answer = intruder.callback_answers[-1]
        assert (answer.text, answer.show_alert) == (w["not_yours"], True), step
        assert NUMBER not in (answer.text or "")
    await intruder.press_data(Withdraw(step="yes", app=999_999).pack())  # no such application
    assert intruder.callback_answers[-1].text == w["not_yours"]

    assert await snapshot(staffbot) == before
    assert (await application(staffbot.app, application_id)).status == "submitted"
    assert len(intruder.messages) == sent_before
    await wait_outbox_idle(staffbot.app, tg)
    assert not messages_with(tg, STAFF_CHAT_ID, STAFF_TOLD)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_approved_application_has_no_withdraw_button(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    parent = tg.user(8005, language_code=language)
    await start_in(parent, language)
    async with staffbot.app.context.sessionmaker() as session:
        approved = Application(
            number=NUMBER,
            user_id=parent.id,
            language=language,
            status="approved",
            applied_on=dt.date(2025, 11, 15),
            child_name="Асанов Арман",
            child_birth=dt.date(2015, 3, 2),
            certificate_start="2025-09",
            certificate_end="2026-05",
            created_at=dt.datetime(2025, 11, 15, 5, tzinfo=dt.UTC),
        )
        session.add(approved)
        await session.commit()
        approved_id = approved.id

    replies = await parent.send("/status")
    assert len(replies) == 1 and w["header"] in replies[0].text
    assert (
        not replies[0].inline_buttons and replies[0].keyboard_buttons
    )  # the main menu, no withdraw button

    before = await snapshot(staffbot)
    for step in ("ask", "yes"):
        await parent.press_data(Withdraw(step=step, app=approved_id).pack())
        answer = parent.callback_answers[-1]
        assert (answer.text, answer.show_alert) == (
            w["too_late"].format(status=w["approved"]),
            True,
        )
    assert await snapshot(staffbot) == before
    assert (await application(staffbot.app, approved_id)).status == "approved"
