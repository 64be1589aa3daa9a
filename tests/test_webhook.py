"""Webhook mode (WEBHOOK_URL): setWebhook with the secret, updates POSTed by Telegram;
a POST without the secret is refused and changes nothing; no start without a strong secret."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import BotApp
from bot.data.models import AuditEntry, InboundUpdate
from bot.settings import Settings, webhook_secret_problem
from bot.views.cards import CardAction
from tests.conftest import BOT_TOKEN, STAFF_CHAT_ID, STAFF_IDS
from tests.staff_kit import FAST, application, card_of, submit_application
from tests.tgfake.server import FakeTelegram

REPO = Path(__file__).resolve().parents[1]
SECRET = "Zq3-vT8_kWm2Rx9LpYc4Hn7JdF1sGb6AeU5oNi0Q"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Асель", "language_code": "kk"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1763190000,
            "chat": {"id": user_id, "type": "private", "first_name": "Асель"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_checks_the_secret_and_answers(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    port = free_port()
    settings = make_settings(
        webhook_url=f"https://bot.example.kz:{port}/webhook",
        webhook_secret=SECRET,
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    tg.user(3001, first_name="Асель", language_code="kk")  # the chat exists on Telegram's side
    app = await BotApp.create(settings)
    task = asyncio.create_task(app.run_webhook())
    try:
        await tg.wait_for(lambda: bool(tg.calls_of("setWebhook")), timeout=10)
        call = tg.calls_of("setWebhook")[0]
        assert call.params["url"] == settings.webhook_url
        assert call.params["secret_token"] == SECRET
        url = f"http://127.0.0.1:{port}/webhook"
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.post(url, json=start_update(1, 3001)) as response:
                        assert response.status == 401  # no secret header
                        break
                await asyncio.sleep(0.05)
            headers = {SECRET_HEADER: SECRET}
            async with http.post(url, json=start_update(2, 3001), headers=headers) as response:
                assert response.status == 200
            await tg.wait_for(lambda: bool(tg.messages(3001)), timeout=10)
            async with app.context.sessionmaker() as session:
                stored = await session.get(InboundUpdate, 2)  # stored before the 200
                assert stored is not None
            # Telegram sends an update again when it missed our 200: handled once.
            async with http.post(url, json=start_update(2, 3001), headers=headers) as response:
                assert response.status == 200
            await app.dispatcher.inbox.wait_idle()  # type: ignore[union-attr]
        assert "Сәлеметсіз бе" in (tg.messages(3001)[0].text or "")
        assert len(tg.messages(3001)) == 1
        async with app.context.sessionmaker() as session:
            assert await session.get(InboundUpdate, 1) is None  # the 401 stored nothing
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def webhook_bot(settings: Settings, tg: FakeTelegram) -> AsyncIterator[BotApp]:
    app = await BotApp.create(settings)
    task = asyncio.create_task(app.run_webhook())
    try:
        await tg.wait_for(lambda: bool(tg.calls_of("setWebhook")) or task.done(), timeout=10)
        if task.done():
            task.result()
        yield app
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def post(url: str, update: dict[str, Any], headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with http.post(url, json=update, headers=headers) as response:
                    return response.status
            await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listens at {url}")


async def takes(app: BotApp, application_id: int) -> int:
    async with app.context.sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.application_id == application_id, AuditEntry.action == "take")
        )
        return int(count or 0)


async def test_forged_staff_press_without_the_secret_gets_401_and_changes_nothing(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    """A POST that looks exactly like Telegram's (a staff member pressing "Take" on a
    card) but lacks the secret token, or has a wrong one, is refused: 401, the
    application keeps its status, no audit row, the parent is told nothing."""
    port = free_port()
    settings = make_settings(
        **FAST,
        webhook_url=f"https://bot.example.kz:{port}/webhook",
        webhook_secret=SECRET,
        webhook_port=port,
    )
    assert settings.webhook_host == "127.0.0.1"  # the default: behind a reverse proxy
    parent = tg.user(3002, language_code="ru")
    async with webhook_bot(settings, tg) as app:
        application_id = await submit_application(app, tg, parent, "ru")
        card = await card_of(app, tg, application_id)
        member = tg.group(STAFF_CHAT_ID).member(STAFF_IDS[0], "Гүлнар", "ru")
        sent_before = len(tg.sent_calls())

        def press(update_id: int) -> dict[str, Any]:
            data = CardAction(action="take", app=application_id).pack()
            query = tg.callback_query(member.data, tg.chat(STAFF_CHAT_ID), card, data)
            return {"update_id": update_id, "callback_query": query}

        url = f"http://127.0.0.1:{port}/webhook"
        assert await post(url, press(11), {}) == 401
        assert await post(url, press(12), {SECRET_HEADER: "wrong-" + SECRET[6:]}) == 401
        assert await post(url, press(13), {SECRET_HEADER: SECRET[:-1]}) == 401
        await asyncio.sleep(0.5)  # had any of them been accepted, its handler would run now
        assert (await application(app, application_id)).status == "submitted"
        assert await takes(app, application_id) == 0
        assert len(tg.sent_calls()) == sent_before
        assert not tg.calls_of("answerCallbackQuery")

        # The same update with the secret is Telegram's: the press takes the application.
        assert await post(url, press(14), {SECRET_HEADER: SECRET}) == 200
        await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery"), timeout=10)
        assert (await application(app, application_id)).status == "in_review"
        assert await takes(app, application_id) == 1


@pytest.mark.parametrize(
    "secret",
    [
        None,
        "",
        "s3cret-token",  # too short
        "x" * 40,  # one repeated character
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",  # a run
        "abababababababababababababababababab",
        "Zq3-vT8_kWm2Rx9LpYc4Hn7JdF1sGb6AeU5oNi0Q!",  # not a character Telegram allows
    ],
)
def test_python_m_bot_refuses_a_webhook_without_a_strong_secret(
    secret: str | None, tmp_path: Path
) -> None:
    environment = {
        **os.environ,
        "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "BOT_TOKEN": BOT_TOKEN,
        "BOT_API_URL": "http://127.0.0.1:9",  # nothing may be called: it must stop before
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "WEBHOOK_URL": "https://bot.example.kz/webhook",
    }
    environment.pop("WEBHOOK_SECRET", None)
    if secret is not None:
        environment["WEBHOOK_SECRET"] = secret
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: WEBHOOK_SECRET ")
    assert "secrets.token_urlsafe(32)" in lines[0]
    if secret:
        assert secret not in lines[0]  # a secret is never printed
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing started


def test_random_secrets_pass_the_check() -> None:
    for _ in range(200):
        assert webhook_secret_problem(secrets.token_urlsafe(32)) is None
        assert webhook_secret_problem(secrets.token_hex(16)) is None  # 32 hex characters
    assert webhook_secret_problem(SECRET) is None


async def test_run_webhook_refuses_to_serve_without_a_secret(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(webhook_url="https://bot.example.kz/webhook", webhook_port=free_port())
    app = await BotApp.create(settings)
    try:
        with pytest.raises(RuntimeError, match="WEBHOOK_SECRET is required"):
            await app.run_webhook()
        assert not tg.calls_of("setWebhook")
    finally:
        await app.close()


async def test_a_repeated_post_while_the_update_is_handled_runs_it_once_and_in_order(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    """Telegram POSTs an update again when our 200 came late; meanwhile the first POST's
    update may still be in its handler, and the user's next update may arrive too. The
    update is handled once, the next one only after it (per user, in update-id order)."""
    port = free_port()
    settings = make_settings(
        webhook_url=f"https://bot.example.kz:{port}/webhook",
        webhook_secret=SECRET,
        webhook_port=port,
    )
    user = tg.user(3003, first_name="Асель", language_code="kk")
    app = await BotApp.create(settings)
    release, entered = asyncio.Event(), asyncio.Event()
    started: list[int] = []
    in_flight: set[int] = set()
    overlaps: list[tuple[int, set[int]]] = []

    async def slow_first(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        if in_flight:
            overlaps.append((event.update_id, set(in_flight)))
        started.append(event.update_id)
        in_flight.add(event.update_id)
        try:
            if event.update_id == 21:
                entered.set()
                await release.wait()  # the handler of the first POST is still running
            return await handler(event, data)
        finally:
            in_flight.discard(event.update_id)

    app.dispatcher.update.outer_middleware(slow_first)
    task = asyncio.create_task(app.run_webhook())
    try:
        await tg.wait_for(lambda: bool(tg.calls_of("setWebhook")) or task.done(), timeout=10)
        url, headers = f"http://127.0.0.1:{port}/webhook", {SECRET_HEADER: SECRET}
        assert await post(url, start_update(21, user.id), headers) == 200
        await asyncio.wait_for(entered.wait(), 10)
        assert await post(url, start_update(21, user.id), headers) == 200  # Telegram's retry
        assert await post(url, start_update(22, user.id), headers) == 200  # the next update
        assert await post(url, start_update(21, user.id), headers) == 200
        release.set()
        await app.dispatcher.inbox.wait_idle()  # type: ignore[union-attr]
        assert started == [21, 22]
        assert overlaps == []
        assert len(tg.messages(user.id)) == 2  # one greeting per update
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
