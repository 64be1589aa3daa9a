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

from bot.usecases.reminders import run_once
from tests.chat import texts
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    application,
    card_of,
    running_staffbot,
    staff,
    submit_application,
    texts_to,
    wait_outbox_idle,
)
from tests.tgfake.server import FakeTelegram

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
