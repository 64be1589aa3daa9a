"""Stale and unknown buttons (issue 11 item 3): every callback query is answered
exactly once — one short alert — and nothing else is sent to the chat.

The fake Bot API rejects a second answerCallbackQuery for the same query id
(as Telegram does: "query is too old ... or query ID is invalid"); a handler that
answers and a middleware that answers again would end in the error handler's
apology. Both are checked here over HTTP, in kk and ru.
"""

from __future__ import annotations

import pytest

from tests.chat import start_in
from tests.conftest import RunningBot
from tests.tgfake.people import FakeUser
from tests.tgfake.server import FakeTelegram

STALE = {"ru": "Эта кнопка больше не активна.", "kk": "Бұл батырма енді белсенді емес."}
APOLOGY = {"ru": "Извините", "kk": "Кешіріңіз"}
CHECK = {"ru": ("/check", "Да", "Не знаю"), "kk": ("/check", "Иә", "Білмеймін")}


def answers_to_last_query(tg: FakeTelegram, user: FakeUser) -> list[object]:
    """Every answerCallbackQuery request (accepted or refused) for the user's last press."""
    query_id = str(max(int(q) for q, v in tg._queries.items() if v["user_id"] == user.id))
    return [
        call
        for call in tg.calls_of("answerCallbackQuery")
        if str(call.params.get("callback_query_id")) == query_id
    ]


async def assert_one_alert(
    tg: FakeTelegram, user: FakeUser, language: str, replies: list[object]
) -> None:
    await tg.wait_idle()
    calls = answers_to_last_query(tg, user)
    assert len(calls) == 1, [c.short() for c in calls]  # type: ignore[attr-defined]
    [call] = calls
    assert call.ok  # type: ignore[attr-defined]
    assert call.params["text"] == STALE[language]  # type: ignore[attr-defined]
    assert call.params.get("show_alert") is True  # type: ignore[attr-defined]
    assert replies == []  # nothing in the chat: no apology, no question asked again
    assert not any(APOLOGY[language] in (m.text or "") for m in user.messages)


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_stale_and_unknown_buttons_get_one_alert_and_nothing_else(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    user = tg.user(2301 if language == "ru" else 2302, language_code=language)
    await start_in(user, language)
    command, yes, unsure = CHECK[language]

    # an old /check: the dialog was left, its question is still on screen
    await user.send(command)
    question = user.last
    assert question is not None
    await user.send("/cancel")
    replies = await user.press(unsure, message=question)
    await assert_one_alert(tg, user, language, replies)

    # a button of an earlier question of a /check still going on
    await user.send(command)
    first = user.last
    assert first is not None
    old_data = first.callback_data(unsure)  # the keyboard is taken away once answered
    assert old_data is not None
    await user.press(yes, message=first)
    replies = await user.press_data(old_data, message=first)
    await assert_one_alert(tg, user, language, replies)
    await user.send("/cancel")

    # the summary's edit button without any draft
    replies = await user.press_data("apply_edit:surname", message=first)
    await assert_one_alert(tg, user, language, replies)

    # data no handler knows
    replies = await user.press_data("no-such-button:42", message=first)
    await assert_one_alert(tg, user, language, replies)
