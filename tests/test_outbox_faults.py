"""The outbox under faults (issue 11 item 4): no silent loss, no repeats.

Through the fake Bot API: `tg.inject` answers 5xx at once; `FaultProxy`
(tests/tgfake/faults.py) adds late answers — delivered but answered after the
bot gave up, or a 502 after seconds.

* an outage longer than the old 12 attempts is waited out (retry window);
* past the retry window the row gives up, the card is flagged, staff are told
  once, and /requeue (staff only) delivers it after the recovery;
* a request that outlives its lease cannot lead to a second copy: the lease is
  longer than the wait for a turn plus the request timeout (Settings refuse
  less), and an old claim's late outcome never overwrites a newer claim;
* a request that timed out but was delivered is sent again once, never a
  third time: the row gives up as "unconfirmed" and staff decide.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import BotApp
from bot.data.engine import create_engine, create_sessionmaker
from bot.data.migrate import upgrade_to_head
from bot.data.models import OutboxMessage
from bot.i18n import create_i18n
from bot.outbox import store as outbox
from bot.outbox.sender import run_sender
from bot.outbox.store import PENDING, SENDING, SENT, Outcome
from bot.settings import Settings
from bot.views.notifications import UNDELIVERED_HEAD, UNDELIVERED_LOOSE, UNDELIVERED_REASONS
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
from tests.tgfake.faults import Fault, FaultProxy
from tests.tgfake.server import FakeTelegram

TAKEN = {"ru": "принято на рассмотрение", "kk": "қарауға алынды"}
I18N = create_i18n()


def tr(language: str, message: str, **params: Any) -> str:
    """A text as the bot words it (the catalogue), HTML-free here."""
    return I18N.gettext(message, locale=language).format(**params)


def alert(language: str, number: str) -> str:
    return tr(language, UNDELIVERED_HEAD, number=number, kind="taken")


def flag(language: str, number: str) -> str:
    return tr(
        language,
        "⚠️ Messages not delivered: {count}. To send them again: /requeue {number}",
        count=1,
        number=number,
    )


def queued(language: str, count: int) -> str:
    text = "Queued again: {count}. They go out as soon as Telegram accepts them."
    return tr(language, text, count=count)


def not_staff(language: str) -> str:
    return tr(language, "This command is for the Department's staff in the staff chat.")


@pytest.fixture
async def proxy(tg: FakeTelegram) -> AsyncIterator[FaultProxy]:
    server = FaultProxy(tg)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def take(tg: FakeTelegram, bot: RunningBot, application_id: int) -> None:
    card = await card_of(bot.app, tg, application_id)
    label = I18N.gettext("🔎 Take", locale=bot.settings.default_locale)
    await staff(tg).press(label, message=card)


async def rows_of(bot: RunningBot, kind: str) -> list[OutboxMessage]:
    async with bot.app.context.sessionmaker() as session:
        found = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
        return list(found.all())


async def wait_row(bot: RunningBot, kind: str, status: str, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        rows = await rows_of(bot, kind)
        if rows and all(r.status == status for r in rows):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{kind} rows: {[(r.status, r.last_error) for r in rows]}")


def copies(tg: FakeTelegram, chat_id: int, fragment: str) -> int:
    return len(messages_with(tg, chat_id, fragment))


# ------------------------------------------------------------ a) silent loss


async def test_an_outage_longer_than_twelve_attempts_is_waited_out(
    tg: FakeTelegram, make_settings: Any
) -> None:
    parent = tg.user(4201, language_code="ru")
    async with running_staffbot(tg, make_settings, outbox_backoff_max=0.1) as bot:
        application_id = await submit_application(bot.app, tg, parent, "ru")
        tg.inject("sendMessage", 500, times=30, chat_id=parent.id)  # 100 % 500s for a while
        await take(tg, bot, application_id)
        await wait_text(tg, parent.id, TAKEN["ru"], timeout=30)
        rows = await wait_outbox_idle(bot.app, tg)
        (row,) = [r for r in rows if r.kind == "taken"]
        assert row.status == SENT and row.attempts == 31
        await asyncio.sleep(0.3)
        assert copies(tg, parent.id, TAKEN["ru"]) == 1
        assert not [m for m in tg.messages(STAFF_CHAT_ID) if "⚠️" in (m.text or "")]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_past_the_retry_window_staff_are_told_once_and_requeue_delivers(
    tg: FakeTelegram, make_settings: Any, language: str
) -> None:
    parents = [tg.user(4211, language_code=language), tg.user(4212, language_code=language)]
    member = tg.group(STAFF_CHAT_ID, "Alatau staff").member(502, "Айгүл", language)
    stranger = tg.group(STAFF_CHAT_ID, "Alatau staff").member(777, "Бөгде", language)
    async with running_staffbot(
        tg,
        make_settings,
        default_locale=language,
        outbox_retry_window=1.0,
        outbox_backoff_max=0.2,
    ) as bot:
        ids = [await submit_application(bot.app, tg, p, language) for p in parents]
        numbers = [(await application(bot.app, i)).number for i in ids]
        for parent in parents:
            tg.inject("sendMessage", 500, times=100_000, chat_id=parent.id)  # a long outage
        for application_id in ids:
            await take(tg, bot, application_id)
        for number in numbers:
            told = await wait_text(tg, STAFF_CHAT_ID, alert(language, number))
            expired = tr(language, UNDELIVERED_REASONS["expired"], hours=f"{1 / 3600:g}")
            assert expired in (told.text or "")
            assert f"/requeue {number}" in (told.text or "")
        card = await card_of(bot.app, tg, ids[0])
        await tg.wait_for(
            lambda: flag(language, numbers[0]) in (card.text or ""),
            what="the card flagged",
        )
        await wait_row(bot, "taken", "undeliverable")
        await asyncio.sleep(1.0)  # nothing more is said about them
        for number in numbers:
            alerts = messages_with(tg, STAFF_CHAT_ID, alert(language, number))
            assert len(alerts) == 1
        assert not messages_with(tg, parents[0].id, TAKEN[language])

        tg.clear_faults()  # Telegram is back
        replies = await stranger.send("/requeue all")
        assert not_staff(language) in (replies[-1].text or "")
        await asyncio.sleep(0.3)
        assert all(r.status == "undeliverable" for r in await rows_of(bot, "taken"))

        replies = await member.send(f"/requeue {numbers[0].lower()}")
        assert queued(language, 1) in (replies[-1].text or "")
        await wait_text(tg, parents[0].id, TAKEN[language])
        await tg.wait_for(
            lambda: "/requeue" not in (card.text or ""), what="the flag gone from the card"
        )
        assert not messages_with(tg, parents[1].id, TAKEN[language])

        replies = await member.send("/requeue all")
        assert queued(language, 1) in (replies[-1].text or "")
        await wait_text(tg, parents[1].id, TAKEN[language])
        await wait_row(bot, "taken", SENT)
        await asyncio.sleep(0.3)
        assert [copies(tg, p.id, TAKEN[language]) for p in parents] == [1, 1]
        assert [(await application(bot.app, i)).undelivered for i in ids] == [0, 0]


# ----------------------------------------------------- b) outliving a lease


def test_the_lease_outlives_the_wait_and_the_request_by_construction() -> None:
    derived = Settings(_env_file=None, outbox_request_timeout=20, outbox_claim_ahead=10)
    assert derived.outbox_lease > 10 + 20
    with pytest.raises(ValidationError, match="OUTBOX_CLAIM_SECONDS=25 is too short"):
        Settings(
            _env_file=None,
            outbox_claim_seconds=25,
            outbox_request_timeout=20,
            outbox_claim_ahead=10,
        )


@pytest.fixture
async def sessionmaker(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'outbox.sqlite3'}")
    await upgrade_to_head(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def test_a_late_outcome_of_an_old_claim_never_overwrites_the_new_one(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session, session.begin():
        await outbox.enqueue(session, chat_id=1, kind="test", payload={"text": "x"})
    (old,) = await outbox.claim(sessionmaker, worker="w", limit=1, lease=5)
    later = outbox.utcnow() + dt.timedelta(seconds=6)
    # the same worker claims it again after the lease ran out
    (new,) = await outbox.claim(sessionmaker, worker="w", limit=1, lease=5, now=later)
    assert new.token == old.token + 1 and new.unconfirmed == 1
    await outbox.finish(sessionmaker, "w", [Outcome(old, PENDING, error="502 late")])
    async with sessionmaker() as session:
        stored = await session.get(OutboxMessage, old.id)
        assert stored is not None and stored.status == SENDING and stored.last_error is None
    await outbox.finish(sessionmaker, "w", [Outcome(new, SENT, message_id=7)])
    await outbox.finish(sessionmaker, "w", [Outcome(old, SENT, message_id=6)])
    async with sessionmaker() as session:
        stored = await session.get(OutboxMessage, old.id)
        assert stored is not None and stored.status == SENT and stored.telegram_message_id == 7


async def test_late_502s_longer_than_the_lease_send_nothing_twice(
    tg: FakeTelegram, make_settings: Any, proxy: FaultProxy
) -> None:
    parent = tg.user(4221, language_code="ru")
    tg.group(STAFF_CHAT_ID, "Alatau staff")
    # the first answer comes late; the second message then waits for its turn and its
    # own answer (a 502) comes late too — together longer than the 6 s claim
    proxy.script("sendMessage", Fault(delay=3.5), Fault(delay=3.5, status=502), chat_id=parent.id)
    async with running_staffbot(
        tg,
        make_settings,
        bot_api_url=proxy.base_url,
        outbox_request_timeout=4.0,
        outbox_claim_ahead=0.5,
        outbox_claim_seconds=6.0,
        outbox_backoff_max=0.2,
    ) as bot:
        async with bot.app.context.sessionmaker() as session, session.begin():
            for text in ("first", "second"):
                await outbox.enqueue(
                    session, chat_id=parent.id, kind="test", payload={"text": text}
                )
        outbox.wake(bot.app.context.sessionmaker)
        await wait_text(tg, parent.id, "second", timeout=30)
        await wait_row(bot, "test", SENT, timeout=30)
        await asyncio.sleep(2.0)  # a second copy would arrive meanwhile
    assert [m.text for m in tg.messages(parent.id)] == ["first", "second"]


# ----------------------------------------------- c) timed out, yet delivered


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_timed_out_but_delivered_message_is_sent_once_more_not_on_every_attempt(
    tg: FakeTelegram, make_settings: Any, proxy: FaultProxy, language: str
) -> None:
    parent = tg.user(4231, language_code=language)
    member = tg.group(STAFF_CHAT_ID, "Alatau staff").member(501, "Гүлнар", language)
    async with running_staffbot(
        tg,
        make_settings,
        bot_api_url=proxy.base_url,
        default_locale=language,
        outbox_request_timeout=1.0,
        outbox_claim_ahead=0.5,
        outbox_backoff_max=0.2,
    ) as bot:
        application_id = await submit_application(bot.app, tg, parent, language)
        number = (await application(bot.app, application_id)).number
        # Telegram delivers every message but answers after the bot stopped waiting
        proxy.script("sendMessage", *[Fault(delay=1.6)] * 10, chat_id=parent.id)
        await take(tg, bot, application_id)
        told = await wait_text(tg, STAFF_CHAT_ID, alert(language, number))
        assert tr(language, UNDELIVERED_REASONS["unconfirmed"]) in (told.text or "")
        await wait_row(bot, "taken", "undeliverable")
        await asyncio.sleep(1.5)  # no third copy comes
        assert copies(tg, parent.id, TAKEN[language]) == 2
        assert [r.answered for r in proxy.records] == [False, False]
        (row,) = await rows_of(bot, "taken")
        assert row.failure == "unconfirmed" and row.unconfirmed == 2

        proxy.clear()  # staff decide to send it once more
        replies = await member.send(f"/requeue {number}")
        assert queued(language, 1) in (replies[-1].text or "")
        await wait_row(bot, "taken", SENT)
        assert copies(tg, parent.id, TAKEN[language]) == 3


async def test_messages_without_an_application_are_told_once_until_requeue_all(
    tg: FakeTelegram, make_settings: Any
) -> None:
    parent = tg.user(4241, language_code="ru")
    tg.group(STAFF_CHAT_ID, "Alatau staff")
    loose = tr("ru", UNDELIVERED_LOOSE)
    async with running_staffbot(
        tg, make_settings, outbox_retry_window=0.5, outbox_backoff_max=0.1
    ) as bot:
        sessionmaker = bot.app.context.sessionmaker
        tg.inject("sendMessage", 500, times=100_000, chat_id=parent.id)
        for text in ("one", "two"):  # given up one after the other
            async with sessionmaker() as session, session.begin():
                await outbox.enqueue(
                    session, chat_id=parent.id, kind="test", payload={"text": text}
                )
            outbox.wake(sessionmaker)
            await wait_row(bot, "test", "undeliverable")
            await wait_text(tg, STAFF_CHAT_ID, loose)
        await asyncio.sleep(0.5)
        assert len(messages_with(tg, STAFF_CHAT_ID, loose)) == 1

        tg.clear_faults()
        replies = await staff(tg).send("/requeue all")
        assert queued("ru", 2) in (replies[-1].text or "")
        await wait_row(bot, "test", SENT)
        assert [m.text for m in tg.messages(parent.id)] == ["one", "two"]


async def test_a_connect_that_hangs_is_retried_not_taken_for_a_lost_answer(
    make_settings: Any,
) -> None:
    """Telegram unreachable (the connection hangs until the timeout): nothing went out,
    so the row keeps its retry window instead of giving up as "unconfirmed"."""
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # never accepts: once its queue is full, connects hang
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(listener.getsockname())
        await asyncio.sleep(0.1)
        host, port = listener.getsockname()
        settings = make_settings(
            bot_api_url=f"http://{host}:{port}",
            outbox_request_timeout=1.0,
            outbox_claim_ahead=0.5,
            outbox_backoff_base=0.05,
            outbox_backoff_max=0.1,
            outbox_poll_interval=0.05,
        )
        app = await BotApp.create(settings)
        sender = asyncio.create_task(run_sender(app.context, app.bot))
        try:
            async with app.context.sessionmaker() as session, session.begin():
                await outbox.enqueue(session, chat_id=4251, kind="test", payload={"text": "x"})
            outbox.wake(app.context.sessionmaker)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while True:
                async with app.context.sessionmaker() as session:
                    row = await session.scalar(select(OutboxMessage))
                assert row is not None
                if (row.attempts >= 3 and row.status == PENDING) or loop.time() > deadline:
                    break
                await asyncio.sleep(0.1)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            await app.close()
    assert (row.status, row.failure, row.unconfirmed) == (PENDING, None, 0)
    assert row.attempts >= 3 and row.last_error  # each attempt timed out while connecting
