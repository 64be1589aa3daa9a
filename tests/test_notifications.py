"""Notifications to the parent: every kind renders valid HTML in kk and ru; with
429 (retry_after), 500 and 403 injected on sendMessage each notification is
delivered exactly once (or marked undeliverable and staff are told on the card);
the pacer keeps within Telegram's limits."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import OutboxMessage
from bot.i18n import create_i18n
from bot.outbox import store as outbox
from bot.payloads import KINDS
from bot.staff_payloads import STAFF_KINDS
from bot.telegram_emulator.html import check_html
from bot.views.notifications import render
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    application,
    card_of,
    messages_with,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram

QUARTER = {
    "school_year": "2025/2026",
    "quarter": 2,
    "months": ["2025-11", "2025-12"],
    "amount": "31456.00",
}
PARAMS: dict[str, dict[str, Any]] = {
    "taken": {},
    "documents_requested": {"comment": "справка <с печатью> & подписью"},
    "documents_received": {},
    "approved": {"quarters": [QUARTER], "total": "31456.00", "comment": "ок"},
    "rejected": {"ground": 4, "comment": "нет согласия"},
    "withdrawn": {},
    "quarter_paid": QUARTER,
    "quarter_corrected": QUARTER,
    "overpayment": {"amount": "15728.00", "reason": "двойная выплата <октябрь>"},
    "terminated": {
        "reason": "death",
        "on": "2026-01-10",
        "stop_month": "2026-02",
        "cancelled": [QUARTER],
    },
    "staff_message": {"text": "Принесите <оригинал>"},
    "reminder_certificate_end": {"event": "2026-05-31"},
    "reminder_age_18": {"event": "2026-02-10"},
    "reminder_disability_end": {"event": "2026-03-31"},
    "reminder_new_school_year": {"event": "2026-09-01"},
    "reminder_official": {},
    "rating_asked": {"occasion": "payment"},
    "term_digest": {
        "date": "2025-12-25",
        "due": [["ALA-2025-000007", 8, 8]],
        "overdue": [["ALA-2025-000008", 3, "2025-12-22"]],
        "unknown": [["ALA-2027-000001", 2027]],
    },
    "register_open": {"year": 2025, "quarter": 3},
}


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


CONTEXT: Any = SimpleNamespace(i18n=create_i18n("ru"))


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("kind", sorted([*KINDS, *STAFF_KINDS]))
def test_every_notification_renders_in_both_languages(kind: str, language: str) -> None:
    text = render(CONTEXT, kind, {"number": "ALA-2025-000007", **PARAMS[kind]}, language)
    assert check_html(text) is None, text
    if kind == "register_open":  # a staff notice about a quarter, not an application
        assert "2025/2026" in text
    else:
        assert "ALA-2025-000007" in text
    other = render(
        CONTEXT,
        kind,
        {"number": "ALA-2025-000007", **PARAMS[kind]},
        "ru" if language == "kk" else "kk",
    )
    assert text != other
    if kind == "rejected":
        assert ("10-тармақ" if language == "kk" else "п. 10") in text
        assert ("14-тармағында" if language == "kk" else "п. 14 Правил № 84") in text
    if kind in ("quarter_paid", "approved"):
        assert "31\xa0456,00\xa0₸" in text
        assert ("2025 жылғы қараша" if language == "kk" else "ноябрь 2025") in text


async def take(tg: FakeTelegram, bot: RunningBot, application_id: int) -> None:
    card = await card_of(bot.app, tg, application_id)
    await staff(tg).press("🔎 Взять в работу", message=card)


TAKEN_RU = "🔎 Ваше заявление ALA-2025-000001 принято на рассмотрение"
TAKEN_KK = "🔎 Сіздің № ALA-2025-000001 өтінішіңіз қарауға алынды"


async def test_429_with_retry_after_is_honoured_and_delivered_once(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(4001, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    tg.inject("sendMessage", 429, retry_after=1, chat_id=parent.id)
    await take(tg, staffbot, application_id)
    await wait_text(tg, parent.id, TAKEN_RU)
    calls = [c for c in tg.calls_of("sendMessage") if c.chat_id == parent.id]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 1.0
    rows = await wait_outbox_idle(staffbot.app, tg)
    row = next(r for r in rows if r.kind == "taken")
    assert row.status == "sent" and row.attempts == 1  # a 429 does not use up an attempt
    await asyncio.sleep(0.3)
    assert len(messages_with(tg, parent.id, TAKEN_RU)) == 1


async def test_500_is_retried_with_back_off_and_delivered_once(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(4002, language_code="kk")
    application_id = await submit_application(staffbot.app, tg, parent, "kk")
    tg.inject("sendMessage", 500, times=2, chat_id=parent.id)
    tg.inject("sendMessage", 502, times=1, chat_id=parent.id)
    await take(tg, staffbot, application_id)
    await wait_text(tg, parent.id, TAKEN_KK)
    calls = [c for c in tg.calls_of("sendMessage") if c.chat_id == parent.id]
    assert [c.status for c in calls] == [500, 500, 502, 200]
    gaps = [b.time - a.time for a, b in itertools.pairwise(calls)]
    assert all(gap > 0.02 for gap in gaps)  # back-off, not a hot loop
    rows = await wait_outbox_idle(staffbot.app, tg)
    row = next(r for r in rows if r.kind == "taken")
    assert row.status == "sent" and row.attempts == 4
    await asyncio.sleep(0.3)
    assert len(messages_with(tg, parent.id, TAKEN_KK)) == 1


async def test_403_marks_undeliverable_and_tells_staff_on_the_card(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(4003, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    tg.block_user(parent.id)
    await take(tg, staffbot, application_id)
    warning = await wait_text(
        tg, STAFF_CHAT_ID, "⚠️ Заявление ALA-2025-000001: заявитель заблокировал бота"
    )
    card = await card_of(staffbot.app, tg, application_id)
    assert warning.reply_to_message_id == card.message_id
    await wait_text(
        tg, STAFF_CHAT_ID, "⚠️ Заявитель заблокировал бота: свяжитесь с ним по телефону."
    )
    rows = await wait_outbox_idle(staffbot.app, tg)
    row = next(r for r in rows if r.kind == "taken")
    assert row.status == "undeliverable" and row.attempts == 1 and "403" in (row.last_error or "")
    assert (await application(staffbot.app, application_id)).parent_unreachable
    calls = [c for c in tg.calls_of("sendMessage") if c.chat_id == parent.id]
    assert len(calls) == 1  # never retried


async def test_the_parent_reads_it_in_the_language_chosen_last(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(4004, language_code="kk")
    application_id = await submit_application(staffbot.app, tg, parent, "kk")
    await staffbot.app.context.languages.set(parent.id, "ru")
    await take(tg, staffbot, application_id)
    await wait_text(tg, parent.id, TAKEN_RU)
    assert not messages_with(tg, parent.id, TAKEN_KK)


async def test_pacing_keeps_within_telegram_limits(tg: FakeTelegram, make_settings: Any) -> None:
    tg.enforce_limits = True
    tg.group(STAFF_CHAT_ID, "Alatau staff")
    users = [tg.user(4100 + i, language_code="ru") for i in range(45)]
    async with running_staffbot(tg, make_settings, outbox_private_interval=1.0) as bot:
        sessionmaker = bot.app.context.sessionmaker
        async with sessionmaker() as session, session.begin():
            for user in users:
                await outbox.enqueue(
                    session, chat_id=user.id, kind="test", payload={"text": f"hello {user.id}"}
                )
            for i in range(3):  # three to one parent: one second apart
                await outbox.enqueue(
                    session, chat_id=users[0].id, kind="test", payload={"text": f"more {i}"}
                )
            for i in range(5):
                await outbox.enqueue(
                    session, chat_id=STAFF_CHAT_ID, kind="test", payload={"text": f"staff {i}"}
                )
        outbox.wake(sessionmaker)
        await tg.wait_for(
            lambda: tg.delivered_total >= 45 + 3 + 5, timeout=20, what="all delivered"
        )
        await wait_outbox_idle(bot.app, tg)
        async with sessionmaker() as session:
            statuses = (await session.scalars(select(OutboxMessage.status))).all()
    assert tg.too_many_requests == 0
    assert set(statuses) == {"sent"}
    assert tg.delivered[users[0].id] == 4 and tg.delivered[STAFF_CHAT_ID] == 5
    first = [c.time for c in tg.sent_calls(users[0].id)]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(first))
