"""A staff refusal waits for its comment in a visible state (issue 10 item 6): the card
says so, a reply to the card (console /reply) or any other message of that staff
member is never relayed to the parent meanwhile, and Cancel leaves the refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import AuditEntry, OutboxMessage
from bot.views.cards import CardAction
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    application,
    card_of,
    one,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.models import FakeMessage
from tests.tgfake.people import FakeMember
from tests.tgfake.server import FakeTelegram

WAITING = "⏳ Отказ по основанию пп. 2) п. 8 — ждёт комментария от Гүлнар."
NORMAL_BUTTONS = [
    ["🔎 Взять в работу", "⛔ Отказать"],
    ["🏛 № официального обращения", "📜 История"],
]
GROUND_2 = {"kk": "8-тармақтың 2) тармақшасы", "ru": "пп. 2) п. 8"}


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


async def start_refusal(
    tg: FakeTelegram, bot: RunningBot, member: FakeMember, application_id: int, ground: int
) -> FakeMessage:
    """Press Refuse and a ground on the card; returns the request for the comment."""
    card = await card_of(bot.app, tg, application_id)
    replies = await member.press("⛔ Отказать", message=card)
    picker = one(replies, "основание из п. 8")
    label = next(t for row in picker.buttons for t in row if t.startswith(f"{ground})"))
    return one(await member.press(label, message=picker), "ответьте комментарием")


async def staff_messages_to(bot: RunningBot, chat_id: int) -> list[str]:
    async with bot.app.context.sessionmaker() as session:
        kinds = (
            await session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.chat_id == chat_id)
            )
        ).all()
    return [k for k in kinds if k == "staff_message"]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_waiting_refusal_is_shown_and_its_comment_is_never_relayed(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    parent = tg.user(3301, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    member = staff(tg)
    prompt = await start_refusal(tg, staffbot, member, application_id, 2)
    card = await card_of(staffbot.app, tg, application_id)
    assert WAITING in (card.text or "")
    assert card.buttons == [
        ["🔎 Взять в работу", "↩️ Отменить отказ"],
        ["🏛 № официального обращения", "📜 История"],
    ]

    # The comment typed as a reply to the card (as the console's /reply does): not relayed.
    replies = await member.reply(card, "Справка школы недействительна")
    reminder = one(replies, "ждёт комментария")
    assert "Заявителю ничего не отправлено" in (reminder.text or "")
    # … nor a second try on the card, nor a message that replies to nothing
    replies = await member.reply(card, "Справка школы недействительна!")
    one(replies, "ждёт комментария")
    replies = await member.send("Коллеги, кто сегодня дежурит?")
    one(replies, "ждёт комментария")
    await wait_outbox_idle(staffbot.app, tg)
    assert await staff_messages_to(staffbot, parent.id) == []
    assert not [m for m in tg.messages(parent.id) if "Справка школы" in (m.text or "")]
    assert (await application(staffbot.app, application_id)).status == "submitted"
    assert WAITING in ((await card_of(staffbot.app, tg, application_id)).text or "")

    # The reminder is the new request: the comment in reply to it refuses, once.
    replies = await member.reply(reminder, "Справка школы недействительна")
    one(replies, "По заявлению ALA-2025-000001 отказано, основание пп. 2) п. 8")
    notice = await wait_text(tg, parent.id, "Справка школы недействительна")
    assert (notice.text or "").startswith("⛔") and GROUND_2[language] in (notice.text or "")
    await wait_outbox_idle(staffbot.app, tg)
    assert len([m for m in tg.messages(parent.id) if "Справка школы" in (m.text or "")]) == 1
    stored = await application(staffbot.app, application_id)
    assert (stored.status, stored.refusal_ground) == ("rejected", 2)
    card = await card_of(staffbot.app, tg, application_id)
    assert "ждёт комментария" not in (card.text or "")
    # the old prompt is dead: a late reply to it is neither a second refusal nor relayed
    await member.reply(prompt, "ещё раз")
    await wait_outbox_idle(staffbot.app, tg)
    assert await staff_messages_to(staffbot, parent.id) == []


async def test_cancel_leaves_the_waiting_refusal_and_others_cannot_start_a_second(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(3302, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    member, colleague = staff(tg, 501, "Гүлнар"), staff(tg, 502, "Ерлан")
    prompt = await start_refusal(tg, staffbot, member, application_id, 2)
    card = await card_of(staffbot.app, tg, application_id)
    assert WAITING in (card.text or "")

    # a colleague cannot start a second refusal meanwhile
    await colleague.press_data(CardAction(action="reject", app=application_id).pack(), message=card)
    assert colleague.callback_answers[-1].show_alert
    assert colleague.callback_answers[-1].text == (
        "Отказ по основанию пп. 2) п. 8 уже ждёт комментария от Гүлнар."
    )

    # the card's cancel button leaves it: the card is back to normal
    await member.press("↩️ Отменить отказ", message=card)
    assert member.callback_answers[-1].text == (
        "Отказ по заявлению ALA-2025-000001 отменён: заявителю ничего не отправлено."
    )
    card = await card_of(staffbot.app, tg, application_id)
    assert "ждёт комментария" not in (card.text or "")
    assert card.buttons == NORMAL_BUTTONS
    # a late answer to the old request neither refuses nor reaches the parent
    await member.reply(prompt, "Справка школы недействительна")
    await wait_outbox_idle(staffbot.app, tg)
    assert (await application(staffbot.app, application_id)).status == "submitted"
    assert not [m for m in tg.messages(parent.id) if "Справка школы" in (m.text or "")]

    # /cancel leaves it too; then the colleague may refuse
    await start_refusal(tg, staffbot, member, application_id, 2)
    replies = await member.send("/cancel")
    one(replies, "Отказ по заявлению ALA-2025-000001 отменён")
    card = await card_of(staffbot.app, tg, application_id)
    assert card.buttons == NORMAL_BUTTONS and "ждёт комментария" not in (card.text or "")
    prompt = await start_refusal(tg, staffbot, colleague, application_id, 1)
    await colleague.reply(prompt, "Документы недостоверны")
    notice = await wait_text(tg, parent.id, "Документы недостоверны")
    assert (notice.text or "").startswith("⛔") and "пп. 1) п. 8" in (notice.text or "")

    async with staffbot.app.context.sessionmaker() as session:
        log = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.ground).order_by(
                    AuditEntry.id
                )
            )
        ).all()
    assert [tuple(row) for row in log] == [
        ("submit", parent.id, None),
        ("refusal_started", 501, 2),
        ("refusal_left", 501, 2),
        ("refusal_started", 501, 2),
        ("refusal_left", 501, 2),
        ("refusal_started", 502, 1),
        ("reject", 502, 1),
    ]
    assert len(tg.messages(STAFF_CHAT_ID)) > 0
