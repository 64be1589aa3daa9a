"""Free text from a parent with a sent application becomes a question on the card
(issue 12 item 5); the staff reply comes back through the relay; without an
application the help answers as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.chat import start_in, texts
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram

WORDS = {
    "ru": {
        "ask": "Отправить это в отдел как вопрос по заявлению ALA-2025-000001?",
        "yes": "Да",
        "no": "Нет",
        "passed": "✉️ Передано в отдел (заявление ALA-2025-000001).",
        "not_sent": "Не отправлено.",
        "header": "❓ Вопрос заявителя, заявление ALA-2025-000001:",
        "help": "Я не понял. Выберите действие в меню или отправьте /help.",
    },
    "kk": {
        "ask": "Мұны ALA-2025-000001 өтініші бойынша сұрақ ретінде бөлімге жіберейін бе?",
        "yes": "Иә",
        "no": "Жоқ",
        "passed": "✉️ Бөлімге жіберілді (№ ALA-2025-000001 өтініш).",
        "not_sent": "Жіберілмеді.",
        "header": "❓ Вопрос заявителя, заявление ALA-2025-000001:",  # the staff chat reads Russian
        "help": None,
    },
}


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_question_reaches_the_card_and_the_answer_comes_back(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    parent = tg.user(7301, language_code=language)
    await submit_application(staffbot.app, tg, parent, language)
    replies = await parent.send("Когда будет решение?")
    assert w["ask"] in replies[-1].text
    replies = await parent.press(w["no"])
    assert w["not_sent"] in texts(replies)
    await wait_outbox_idle(staffbot.app, tg)
    assert not [m for m in tg.messages(STAFF_CHAT_ID) if "Когда будет решение?" in (m.text or "")]

    await parent.send("Когда будет решение?")
    replies = await parent.press(w["yes"])
    assert w["passed"] in texts(replies)
    question = await wait_text(tg, STAFF_CHAT_ID, w["header"])
    assert "Когда будет решение?" in (question.text or "")

    member = staff(tg)
    await member.reply(question, "Решение будет до 25.11.2025.")
    answer = await wait_text(tg, parent.id, "Решение будет до 25.11.2025.")
    assert answer is not None


async def test_without_an_application_the_help_answers(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(7302, language_code="ru")
    await start_in(parent, "ru")
    replies = await parent.send("Когда будет решение?")
    assert WORDS["ru"]["help"] in texts(replies)
