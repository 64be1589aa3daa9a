"""A failing handler: the user gets a short apology, the state is kept, nothing is logged."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import RunningBot
from tests.tgfake.server import FakeTelegram


async def test_handler_error_apologises_in_the_users_language_and_keeps_state(
    running: RunningBot,
    tg: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = tg.user(2001, first_name="Сәуле", language_code="kk")
    await user.send("/start")

    async def broken(user_id: int, language: str) -> None:
        raise RuntimeError("database is down")

    monkeypatch.setattr(running.app.context.languages, "set", broken)
    with caplog.at_level(logging.ERROR):
        await user.press("✓ Қазақша")
    assert user.last is not None and "Кешіріңіз" in user.last.text
    assert "handler failed" in caplog.text and "Сәуле" not in caplog.text

    # the bot still works and the choice can be made again
    monkeypatch.undo()
    await user.press("✓ Қазақша")
    assert user.last is not None and user.last.text.startswith("Тіл: Қазақша.")


async def test_database_down_still_answers_in_telegram_language(
    running: RunningBot, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tg.user(2002, language_code="ru")

    async def broken(user_id: int) -> str | None:
        raise RuntimeError("boom")

    monkeypatch.setattr(running.app.context.languages, "get", broken)
    replies = await user.send("/start")
    assert "что-то пошло не так" in replies[-1].text
