"""Hand-over to the official channel (issue 12 item 4, decision p.6, p.4): /status tells
how to file officially, the parent records the official request number with a button,
the card and /export show it, and one reminder comes 3 days after Send without it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import AuditEntry, OutboxMessage
from bot.usecases.reminders import run_once
from bot.usecases.transitions import StaffMember, perform
from bot.views.cards import CardAction
from core.status import Action, Actor
from tests.chat import texts
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    application,
    card_of,
    one,
    running_staffbot,
    staff,
    submit_application,
    texts_to,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram

BUTTON = "🏛 № официального обращения"  # the card is in the staff language (ru)
ASK = "ответьте номером официального обращения по заявлению ALA-2025-000001"
NOT_A_NUMBER = "Это не номер обращения"
AGAIN = "Ответьте на это сообщение номером или /cancel."
REFUSED = "Это могут делать только сотрудники отдела, в чате сотрудников."
NOT_NOW = "Это действие невозможно в текущем статусе заявления."

WORDS = {
    "ru": {
        "service": "«Возмещение затрат на обучение на дому детей с инвалидностью»",
        "egov": "в приложении eGov Mobile",
        "con": "обратитесь в ЦОН с документами из списка (/documents)",
        "p4": "Выплата считается с месяца официального обращения (п. 4).",
        "button": "🏛 Я подал(а) официально · ALA-2025-000001",
        "ask": "Пожалуйста, отправьте номер вашего официального обращения",
        "bad": "Это не похоже на номер обращения",
        "saved": "Спасибо: номер официального обращения KZ-2025-0042 записан к заявлению ALA-2025-000001.",
        "status_line": "Официальное обращение: KZ-2025-0042",
        "card_line": "Официальное обращение (п. 6): KZ-2025-0042",
        "card_none": "Официальное обращение (п. 6): номер ещё не указан",
        "reminder": "⏰ Заявление ALA-2025-000001: вы уже подали официальное обращение",
    },
    "kk": {
        "service": "«Мүгедектігі бар балаларды үйде оқытуға жұмсалған шығындарды өтеу»",
        "egov": "eGov Mobile қосымшасында",
        "con": "ХҚКО-ға (халыққа қызмет көрсету орталығына) тізімдегі құжаттармен барыңыз (/documents)",
        "p4": "Төлем ресми өтініш берілген айдан бастап есептеледі (4-тармақ).",
        "button": "🏛 Ресми өтініш бердім · ALA-2025-000001",
        "ask": "Ресми өтінішіңіздің нөмірін жіберіңіз",
        "bad": "Бұл өтініш нөміріне ұқсамайды",
        "saved": "Рақмет: ALA-2025-000001 өтініші үшін KZ-2025-0042 ресми өтініш нөмірі жазылды.",
        "status_line": "Ресми өтініш: KZ-2025-0042",
        "card_line": "Официальное обращение (п. 6): KZ-2025-0042",  # the staff chat reads Russian
        "card_none": "Официальное обращение (п. 6): номер ещё не указан",
        "reminder": "⏰ ALA-2025-000001 өтініші: eGov Mobile арқылы немесе ХҚКО-да ресми өтініш бердіңіз бе",
    },
}


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_status_explains_the_official_channel_and_the_number_is_recorded(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    parent = tg.user(7001, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    card = await card_of(staffbot.app, tg, application_id)
    assert w["card_none"] in (card.text or "")

    replies = await parent.send("/status")
    text = texts(replies)
    for part in ("service", "egov", "con", "p4"):
        assert w[part] in text, part
    assert [w["button"]] in replies[-1].inline_buttons

    replies = await parent.press(w["button"])
    assert w["ask"] in replies[-1].text
    for bad in ("номер?", "x" * 41 + "1", "🏛🏛", "abc"):
        replies = await parent.send(bad)
        assert w["bad"] in replies[-1].text and w["ask"] in replies[-1].text, bad
    replies = await parent.send("kz-2025-0042")
    assert w["saved"] in replies[-1].text
    assert (await application(staffbot.app, application_id)).official_request == "KZ-2025-0042"

    replies = await parent.send("/status")
    text = texts(replies)
    assert w["status_line"] in text and w["service"] not in text
    assert all(w["button"] not in row for r in replies for row in r.inline_buttons)

    await wait_outbox_idle(staffbot.app, tg)
    card = await card_of(staffbot.app, tg, application_id)
    assert w["card_line"] in (card.text or "")

    member = staff(tg)
    replies = await member.send("/export")
    documents = [r for r in replies if r.kind == "document"]
    table = tg.file(documents[0].data["document"]["file_id"]).read().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(table), delimiter=";"))
    assert [(r["number"], r["official_request"]) for r in rows] == [
        ("ALA-2025-000001", "KZ-2025-0042")
    ]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_one_reminder_three_days_after_send_without_a_number(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    parent = tg.user(7101, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    sent = (await application(staffbot.app, application_id)).applied_on
    context = staffbot.app.context
    assert (await run_once(context, sent + dt.timedelta(days=2)))["official"] == 0
    assert (await run_once(context, sent + dt.timedelta(days=3)))["official"] == 1
    assert (await run_once(context, sent + dt.timedelta(days=4)))["official"] == 0  # once
    await wait_outbox_idle(staffbot.app, tg)
    assert sum(w["reminder"] in text for text in texts_to(tg, parent.id)) == 1

    # with the number given, no reminder at all
    other = tg.user(7102, language_code=language)
    second = await submit_application(staffbot.app, tg, other, language)
    await other.send("/status")
    await other.press(w["button"].replace("000001", "000002"))
    await other.send("123456789012")
    assert (await application(staffbot.app, second)).official_request == "123456789012"
    assert (await run_once(context, sent + dt.timedelta(days=5)))["official"] == 0


async def test_staff_record_the_number_by_replying_to_the_card(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(7201, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    card = await card_of(staffbot.app, tg, application_id)
    member = staff(tg)
    replies = await member.send("/official 12345")  # not a reply to a card
    assert "ответьте на карточку заявления командой /official НОМЕР" in texts(replies)
    replies = await member.reply(card, "/official номер?!")
    assert "Это не номер обращения" in texts(replies)
    assert (await application(staffbot.app, application_id)).official_request is None
    replies = await member.reply(card, "/official 0012-3456")
    assert "Для заявления ALA-2025-000001 записан номер официального обращения 0012-3456." in texts(
        replies
    )
    assert (await application(staffbot.app, application_id)).official_request == "0012-3456"
    await wait_outbox_idle(staffbot.app, tg)
    card = await card_of(staffbot.app, tg, application_id)
    assert "Официальное обращение (п. 6): 0012-3456" in (card.text or "")
    # an outsider in the staff chat cannot
    outsider = tg.group(STAFF_CHAT_ID).member(999, "Посторонний")
    await outsider.reply(card, "/official 999")
    assert (await application(staffbot.app, application_id)).official_request == "0012-3456"


async def official_audit(bot: RunningBot) -> list[tuple[str, int | None, str | None, str | None]]:
    async with bot.app.context.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "official_request")
                .order_by(AuditEntry.id)
            )
        ).all()
    return [(r.actor, r.actor_id, r.actor_name, r.comment) for r in rows]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_staff_record_the_number_with_the_card_button(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    parent = tg.user(7301, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    card = await card_of(staffbot.app, tg, application_id)
    assert card.buttons == [["🔎 Взять в работу", "⛔ Отказать"], [BUTTON, "📜 История"]]
    member = staff(tg)

    replies = await member.press(BUTTON, message=card)
    prompt = one(replies, ASK)
    assert (prompt.text or "").startswith("Гүлнар, ")  # addressed to the clerk who pressed
    assert prompt.reply_markup == {
        "force_reply": True,
        "selective": True,
        "input_field_placeholder": "ALA-2025-000001",
    }
    assert prompt.reply_to_message_id == card.message_id

    # not a number: said what is wrong, asked again; nothing recorded, nothing relayed
    replies = await member.reply(prompt, "номер?!")
    again = one(replies, NOT_A_NUMBER)
    assert AGAIN in (again.text or "") and (again.reply_markup or {}).get("force_reply")
    assert (await application(staffbot.app, application_id)).official_request is None
    # the answer to the new request (or to the first one) is the number
    replies = await member.reply(again, "kz-2025-0077")
    one(replies, "Для заявления ALA-2025-000001 записан номер официального обращения KZ-2025-0077.")
    assert (await application(staffbot.app, application_id)).official_request == "KZ-2025-0077"
    assert await official_audit(staffbot) == [("staff", 501, "Гүлнар", "KZ-2025-0077")]

    await wait_outbox_idle(staffbot.app, tg)
    card = await card_of(staffbot.app, tg, application_id)
    text = card.text or ""
    assert "Официальное обращение (п. 6): KZ-2025-0077" in text
    assert "Последнее действие: записан номер официального обращения — Гүлнар" in text
    async with staffbot.app.context.sessionmaker() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
    assert "staff_message" not in kinds  # the clerk's answers never reached the parent
    assert not any("номер?!" in t or "KZ-2025-0077" in t for t in texts_to(tg, parent.id))

    # the parent sees the number in /status, in their language, and is not asked for it
    replies = await parent.send("/status")
    assert w["status_line"].replace("KZ-2025-0042", "KZ-2025-0077") in texts(replies)
    assert all(w["button"] not in row for r in replies for row in r.inline_buttons)

    # a later message of the clerk is an ordinary reply again (the dialog is over)
    await member.reply(card, "Спасибо, номер записан.")
    await wait_text(tg, parent.id, "Спасибо, номер записан.")

    # a wrong number is corrected the same way; the question shows the number recorded
    replies = await member.press(BUTTON, message=card)
    prompt = one(replies, "Сейчас записан: KZ-2025-0077; ваш номер заменит его.")
    await member.reply(prompt, "KZ-2025-0078")
    assert (await application(staffbot.app, application_id)).official_request == "KZ-2025-0078"
    assert [a[3] for a in await official_audit(staffbot)] == ["KZ-2025-0077", "KZ-2025-0078"]


async def test_the_card_button_refuses_outsiders_and_closed_applications(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(7401, language_code="kk")
    application_id = await submit_application(staffbot.app, tg, parent, "kk")
    card = await card_of(staffbot.app, tg, application_id)
    member = staff(tg)

    # someone in the staff chat who is not staff: an alert, no question
    outsider = tg.group(STAFF_CHAT_ID).member(999, "Посторонний")
    replies = await outsider.press(BUTTON, message=card)
    assert not [m for m in replies if ASK in (m.text or "")]
    assert (outsider.callback_answers[-1].text, outsider.callback_answers[-1].show_alert) == (
        REFUSED,
        True,
    )
    # … nor can they answer a clerk's question
    prompt = one(await member.press(BUTTON, message=card), ASK)
    await outsider.reply(prompt, "999-999")
    assert (await application(staffbot.app, application_id)).official_request is None
    # staff forging the button in a private chat
    private = tg.user(501, language_code="ru")
    await private.send("/start")
    await private.press_data(CardAction(action="official", app=application_id).pack())
    assert private.callback_answers[-1].text == REFUSED

    # the applicant withdraws while the question waits: the answer records nothing
    await perform(
        staffbot.app.context,
        application_id,
        Action.WITHDRAW,
        StaffMember(parent.id),
        actor=Actor.PARENT,
    )
    replies = await member.reply(prompt, "0012-3456")
    one(replies, NOT_NOW)
    # the button pressed on the old card (its buttons drawn before the withdrawal)
    await member.press_data(CardAction(action="official", app=application_id).pack(), message=card)
    assert (member.callback_answers[-1].text, member.callback_answers[-1].show_alert) == (
        NOT_NOW,
        True,
    )
    assert (await application(staffbot.app, application_id)).official_request is None
    assert await official_audit(staffbot) == []
    await wait_outbox_idle(staffbot.app, tg)
    assert (await card_of(staffbot.app, tg, application_id)).buttons == [["📜 История"]]
    # nor with /official
    replies = await member.reply(card, "/official 0012-3456")
    assert "записывается только в заявление, которое ждёт решения или одобрено" in texts(replies)
    assert (await application(staffbot.app, application_id)).official_request is None


async def test_two_clerks_at_once_neither_number_is_lost_silently(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(7501, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    card = await card_of(staffbot.app, tg, application_id)
    first, second = staff(tg, 501, "Гүлнар"), staff(tg, 502, "Ерлан")
    asked_first = one(await first.press(BUTTON, message=card), ASK)
    asked_second = one(await second.press(BUTTON, message=card), ASK)
    assert (asked_second.text or "").startswith("Ерлан, ")

    await first.reply(asked_first, "111-1")
    replies = await second.reply(asked_second, "222-2")
    conflict = one(replies, "кто-то другой только что записал номер официального обращения 111-1")
    assert "ваш номер не записан" in (conflict.text or "") and AGAIN in (conflict.text or "")
    assert (await application(staffbot.app, application_id)).official_request == "111-1"
    # the second clerk, having seen it, confirms theirs
    replies = await second.reply(conflict, "222-2")
    one(replies, "записан номер официального обращения 222-2")
    assert (await application(staffbot.app, application_id)).official_request == "222-2"
    assert [(a[1], a[3]) for a in await official_audit(staffbot)] == [
        (501, "111-1"),
        (502, "222-2"),
    ]

    # the same number twice is no conflict and no second audit entry
    asked = one(await first.press(BUTTON, message=card), ASK)
    asked_too = one(await second.press(BUTTON, message=card), ASK)
    await first.reply(asked, "333-3")
    replies = await second.reply(asked_too, "333 3".replace(" ", "-"))
    one(replies, "записан номер официального обращения 333-3")
    assert len(await official_audit(staffbot)) == 3

    # /cancel leaves the question, nothing recorded
    asked = one(await first.press(BUTTON, message=card), ASK)
    replies = await first.reply(asked, "/cancel")
    one(replies, "Отменено.")
    assert (await application(staffbot.app, application_id)).official_request == "333-3"
