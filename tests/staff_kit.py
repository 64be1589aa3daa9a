"""Shared steps of the staff / outbox / notification tests (no tests here).

`submit_application()` creates an application the way the apply wizard does
(bot.usecases.applications.submit) and publishes its card; `Staff` wraps a
member of the staff chat who presses the card's buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from bot.app import BotApp
from bot.clock import Clock
from bot.data.models import Application, OutboxMessage
from bot.outbox.messages import publish_card
from bot.usecases.applications import submit
from bot.usecases.drafts import Answers, FileRecord, decode_answers
from tests.conftest import FIXED_TODAY, STAFF_CHAT_ID, RunningBot
from tests.tgfake.models import FakeMessage
from tests.tgfake.people import FakeMember, FakeUser
from tests.tgfake.server import FakeTelegram

FAST = {
    "outbox_poll_interval": 0.05,
    "outbox_backoff_base": 0.05,
    "outbox_backoff_max": 0.5,
    "outbox_claim_ahead": 2.0,
    "outbox_request_timeout": 3.0,
    "outbox_claim_seconds": 6.0,
}


def answers(**overrides: Any) -> Answers:
    """The wizard's answers for worked example 1 of domain.md §4 (born 2015,
    certificate 09.2025–05.2026, applied 15.11.2025)."""
    values = {
        "surname": "Омарова",
        "name": "Айгерим",
        "patronymic": "Серікқызы",
        "iin": "900101400122",  # a valid IIN (control digit 2),
        "phone": "+77011234567",
        "address": "Алатау, ул. Абая 1",
        "relation": "mother",
        "child_name": "Омаров Нұрлан",
        "child_iin": "150302500123",
        "child_birth": "2015-03-02",
        "disability_until": "indefinite",
        "school": "School No. 5 <Alatau>",
        "cert_number": "17",
        "cert_date": "2025-09-01",
        "cert_from": "2025-09",
        "cert_to": "2026-05",
        "iban": "KZ86125KZT5004100100",
    }
    values.update(overrides)
    typed = decode_answers(values)
    dropped = [code for code, value in values.items() if value and not typed.has(code)]
    assert not dropped, f"invalid test answers: {dropped}"
    return typed


def certificate_file(tg: FakeTelegram) -> FileRecord:
    stored = tg.new_file(
        size=2048,
        content=None,
        folder="documents",
        file_name="certificate.pdf",
        mime_type="application/pdf",
    )
    return FileRecord(
        kind="certificate",
        file_id=stored.file_id,
        file_unique_id=stored.file_unique_id,
        media="document",
        mime_type="application/pdf",
        file_name="certificate.pdf",
        file_size=2048,
    )


async def submit_application(
    app: BotApp,
    tg: FakeTelegram,
    parent: FakeUser,
    language: str,
    *,
    publish: bool = True,
    **overrides: Any,
) -> int:
    """An application of `parent` (language stored as the user's), its card published."""
    context = app.context
    tg.group(STAFF_CHAT_ID, "Alatau staff")
    await context.languages.set(parent.id, language)
    result = await submit(
        context,
        user_id=parent.id,
        language=language,
        answers=answers(**overrides),
        files=[certificate_file(tg)],
    )
    if publish:
        await publish_card(context, result.application_id)
        await card_of(app, tg, result.application_id)
        await wait_outbox_idle(app, tg)  # the attachments too
    return result.application_id


async def card_of(
    app: BotApp, tg: FakeTelegram, application_id: int, timeout: float = 10.0
) -> FakeMessage:
    """The card message in the staff chat (waits until the sender posted it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with app.context.sessionmaker() as session:
            row = await session.get(Application, application_id)
            card_id = row.staff_card_message_id if row else None
        if card_id:
            return tg.group(STAFF_CHAT_ID).chat.messages[card_id]
        if loop.time() > deadline:
            raise AssertionError(
                tg.report(f"the card of application {application_id} was not posted")
            )
        await asyncio.sleep(0.02)


async def application(app: BotApp, application_id: int) -> Application:
    async with app.context.sessionmaker() as session:
        row = await session.get(Application, application_id)
        assert row is not None
        return row


async def outbox_rows(app: BotApp) -> list[OutboxMessage]:
    from sqlalchemy import select

    async with app.context.sessionmaker() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def wait_outbox_idle(
    app: BotApp, tg: FakeTelegram, timeout: float = 10.0
) -> list[OutboxMessage]:
    """Wait until no outbox row is pending or being sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        rows = await outbox_rows(app)
        if all(r.status in ("sent", "undeliverable") for r in rows):
            return rows
        if loop.time() > deadline:
            raise AssertionError(
                tg.report(
                    f"outbox not idle: {[(r.id, r.kind, r.status, r.last_error) for r in rows if r.status not in ('sent', 'undeliverable')]}"
                )
            )
        await asyncio.sleep(0.02)


def texts_to(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in tg.messages(chat_id)]


async def wait_text(
    tg: FakeTelegram, chat_id: int, fragment: str, timeout: float = 10.0
) -> FakeMessage:
    def found() -> FakeMessage | None:
        for message in reversed(tg.messages(chat_id)):
            if fragment in (message.text or ""):
                return message
        return None

    return await tg.wait_for(
        found, timeout=timeout, what=f"a message with {fragment!r} in chat {chat_id}"
    )


def staff(tg: FakeTelegram, user_id: int = 501, name: str = "Гүлнар") -> FakeMember:
    return tg.group(STAFF_CHAT_ID, "Alatau staff").member(user_id, name, "ru")


def today() -> dt.date:
    return dt.date(2025, 11, 15)


def fast_settings(make_settings: Any, **overrides: Any) -> Any:
    return make_settings(**{**FAST, **overrides})


@contextlib.asynccontextmanager
async def running_staffbot(
    tg: FakeTelegram, make_settings: Any, **overrides: Any
) -> AsyncIterator[RunningBot]:
    """The real bot with a fast outbox sender (short poll interval and back-off);
    test modules wrap it in their own `staffbot` fixture."""
    bot = RunningBot(tg, fast_settings(make_settings, **overrides), Clock(fixed=FIXED_TODAY))
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def latest(tg: FakeTelegram, chat_id: int) -> FakeMessage:
    message = tg.messages(chat_id)[-1]
    return message


def messages_with(tg: FakeTelegram, chat_id: int, fragment: str) -> list[FakeMessage]:
    return [m for m in tg.messages(chat_id) if fragment in (m.text or "")]


def one(messages: list[FakeMessage], fragment: str) -> FakeMessage:
    """The only message among `messages` whose text contains `fragment`."""
    found = [m for m in messages if fragment in (m.text or "")]
    assert len(found) == 1, f"{fragment!r} in {[m.text for m in messages]}"
    return found[0]
