"""Webhook mode (WEBHOOK_URL): setWebhook with the secret, updates POSTed by Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable

import aiohttp

from bot.app import Application
from bot.settings import Settings
from tests.tgfake.server import FakeTelegram


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
        webhook_secret="s3cret-token",
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    tg.user(3001, first_name="Асель", language_code="kk")  # the chat exists on Telegram's side
    app = await Application.create(settings)
    task = asyncio.create_task(app.run_webhook())
    try:
        await tg.wait_for(lambda: bool(tg.calls_of("setWebhook")), timeout=10)
        call = tg.calls_of("setWebhook")[0]
        assert call.params["url"] == settings.webhook_url
        assert call.params["secret_token"] == "s3cret-token"
        url = f"http://127.0.0.1:{port}/webhook"
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.post(url, json=start_update(1, 3001)) as response:
                        assert response.status == 401  # no secret header
                        break
                await asyncio.sleep(0.05)
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            async with http.post(url, json=start_update(2, 3001), headers=headers) as response:
                assert response.status == 200
        await tg.wait_for(lambda: bool(tg.messages(3001)), timeout=10)
        assert "Сәлеметсіз бе" in (tg.messages(3001)[0].text or "")
        assert len(tg.messages(3001)) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
