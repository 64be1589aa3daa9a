"""A card always fits one message (issue 11 item 6): with 50 events — overpayments with
long reasons, messages, termination events — the card is still edited after the next
action, its long parts are shortened with a pointer to History, and History comes as
several messages that each fit. The fake Bot API refuses texts over 4 096 characters
and invalid HTML."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.data.models import AuditEntry, Overpayment, TerminationEvent
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    card_of,
    one,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram

LONG = "Выплата <за> октябрь & ноябрь при справке с декабря; " * 18  # ~1 000 characters


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def test_a_card_with_50_events_still_fits_and_history_follows_in_parts(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(3401, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    await member.press("🔎 Взять в работу", message=card)
    replies = await member.press("✅ Одобрить", message=card)
    await member.press("✅ Да, одобрить", message=one(replies, "Одобрить заявление"))
    await wait_outbox_idle(staffbot.app, tg)

    # 46 more events as stored by the staff actions: 24 overpayments with long reasons,
    # 20 messages to the parent, 2 termination events (the parent's copies are not the point).
    at = dt.datetime(2025, 11, 15, 6, 0, tzinfo=dt.UTC)
    async with staffbot.app.context.sessionmaker() as session, session.begin():
        for n in range(24):
            reason = f"#{n} {LONG}"[:1000]
            session.add(
                Overpayment(
                    application_id=application_id,
                    amount=Decimal("1000.00"),
                    reason=reason,
                    staff_id=501,
                    created_at=at,
                )
            )
            session.add(_entry(application_id, "overpayment", f"1000.00 — {reason}", at))
        for n in range(20):
            session.add(_entry(application_id, "message", f"Сообщение {n}: {LONG}", at))
        for day in (3, 4):
            on = dt.date(2025, 11, day)
            session.add(
                TerminationEvent(
                    application_id=application_id,
                    reason="death" if day == 3 else "state_institution",
                    on=on,
                    staff_id=501,
                    created_at=at,
                )
            )
            session.add(_entry(application_id, "terminate", f"x {on.isoformat()}", at))

    # The next action through the bot: one more overpayment (the 50th event).
    card = await card_of(staffbot.app, tg, application_id)
    prompt = one(await member.press("⚠️ Записать переплату", message=card), "переплата по")
    prompt = one(await member.reply(prompt, "500"), "причиной переплаты")
    one(await member.reply(prompt, "Последняя <переплата> & причина " + "я" * 900), "записана")
    await wait_text(tg, parent.id, "Последняя <переплата>")
    await wait_outbox_idle(staffbot.app, tg)
    async with staffbot.app.context.sessionmaker() as session:
        events = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.application_id == application_id)
        )
    assert events == 50

    card = await card_of(staffbot.app, tg, application_id)
    text = card.text or ""
    assert utf16(text) <= 4096
    # the card was edited after the last action: it shows the newest overpayment …
    assert "Последнее действие: записана переплата — Гүлнар" in text
    assert "⚠️ Переплата (п. 9): 500,00\xa0₸ — Последняя <переплата> & причина яяя" in text
    # … shortened, with a pointer to History for the rest
    assert "я" * 900 not in text
    assert (
        "⚠️ … более ранних переплат ещё: 22; всего переплачено: 24\xa0500,00\xa0₸ — см. 📜 История"
        in text
    )
    assert "⚠️ Переплата" in text and text.count("⚠️ Переплата (п. 9)") == 3
    assert card.buttons[-1][-1] == "📜 История" or ["📜 История"] in card.buttons

    # History: every entry, in messages that each fit
    before = len(tg.messages(STAFF_CHAT_ID))
    await member.press("📜 История", message=card)
    parts = [m.text or "" for m in tg.messages(STAFF_CHAT_ID)[before:]]
    assert 2 <= len(parts) <= 5
    assert parts[0].startswith("📜 История заявления ALA-2025-000001:")
    assert all(utf16(part) <= 4096 for part in parts)
    history = "\n".join(parts)
    shown = history.count("\n• ") + history.startswith("• ")
    skipped = 50 - shown
    if skipped:
        assert f"… более ранних записей ещё: {skipped}; полный журнал — /export." in history
    assert "Последняя <переплата> & причина" in parts[-1]  # the newest entry comes last


def _entry(application_id: int, action: str, comment: str, at: dt.datetime) -> AuditEntry:
    return AuditEntry(
        application_id=application_id,
        actor="staff",
        actor_id=501,
        actor_name="Гүлнар",
        action=action,
        old_status="approved",
        new_status="approved",
        comment=comment,
        created_at=at,
    )


TEXT = ("Ответ <с> разметкой & длинный; " * 140)[:4090]  # as long as Telegram allows


def _unnumbered(texts: list[str]) -> str:
    """The parts' texts without their "(n/m) " marks, joined as one."""
    import re

    return " ".join(re.sub(r"^\(\d+/\d+\) ", "", t) for t in texts)


async def test_long_relayed_texts_arrive_whole_in_numbered_parts(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(3402, language_code="ru")
    application_id = await submit_application(staffbot.app, tg, parent, "ru")
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    text = TEXT.strip()
    assert 4080 < len(text) <= 4096

    # staff → parent: 4 090 characters do not fit the notification's frame: two parts
    await member.reply(card, text)
    await wait_outbox_idle(staffbot.app, tg)
    notices = [m.text or "" for m in tg.messages(parent.id)]
    assert len(notices) == 2 and all(utf16(n) <= 4096 for n in notices)
    bodies = [n.split("\n\n")[1] for n in notices]
    assert bodies[0].startswith("(1/2) ") and bodies[1].startswith("(2/2) ")
    assert _unnumbered(bodies).split() == text.split()

    # parent → staff: the same length back, under the answer's header, in two parts
    before = len(tg.messages(STAFF_CHAT_ID))
    await parent.reply(tg.messages(parent.id)[0], text)
    await wait_outbox_idle(staffbot.app, tg)
    relayed = [m.text or "" for m in tg.messages(STAFF_CHAT_ID)[before:]]
    assert len(relayed) == 2 and all(utf16(r) <= 4096 for r in relayed)
    assert relayed[0].startswith("💬 Ответ заявителя, заявление ALA-2025-000001:\n\n(1/2) ")
    assert relayed[1].startswith("(2/2) ")
    first = relayed[0].split("\n\n", 1)[1]
    assert _unnumbered([first, relayed[1]]).split() == text.split()

    # a photo with a long caption: the caption fits (1 024), the rest follows as a message
    caption = ("Фото справки & <печать> " * 42).strip()  # ~1 000 characters
    before = len(tg.messages(STAFF_CHAT_ID))
    await parent.send_photo(caption=caption)
    await wait_outbox_idle(staffbot.app, tg)
    arrived = tg.messages(STAFF_CHAT_ID)[before:]
    assert [m.kind for m in arrived] == ["photo", "text"]
    shown = arrived[0].data.get("caption") or ""
    assert shown.startswith("💬 Ответ заявителя, заявление ALA-2025-000001:\n(1/2) ")
    assert utf16(shown) <= 1024
    assert (arrived[1].text or "").startswith("(2/2) ")
    assert _unnumbered([shown.split("\n", 1)[1], arrived[1].text or ""]).split() == caption.split()
