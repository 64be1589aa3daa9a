"""/start, language choice, /language, /help and the menu commands, over the Bot API."""

from __future__ import annotations

from tests.chat import start_in
from tests.conftest import RunningBot
from tests.tgfake.server import FakeTelegram


async def test_start_greets_in_both_languages_and_preselects_telegram_language(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(1001, language_code="kk")
    replies = await user.send("/start")
    assert len(replies) == 1
    assert "Сәлеметсіз бе" in replies[0].text and "Здравствуйте" in replies[0].text
    assert replies[0].buttons == [["✓ Қазақша"], ["Русский"]]

    ru_user = tg.user(1002, language_code="ru-RU")
    replies = await ru_user.send("/start")
    assert replies[0].buttons == [["✓ Русский"], ["Қазақша"]]


async def test_choosing_kazakh_answers_in_kazakh_with_the_menu(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(1003, language_code="ru")
    await start_in(user, "kk")
    assert user.last is not None
    assert "Тіл: Қазақша" in user.last.text
    assert "мүгедектігі бар балалардың" in user.last.text
    assert ["✅ Құқықты тексеру", "🧮 Төлемді есептеу"] in user.last.keyboard_buttons
    # the choice is stored: /start again goes straight to the menu, in Kazakh
    replies = await user.send("/start")
    assert "Төмендегі мәзірден" in replies[0].text


async def test_language_switch_at_any_time_and_help(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(1004, language_code="kk")
    await start_in(user, "kk")
    await user.send("/language")
    await user.press("Русский")
    assert user.last is not None and user.last.text.startswith("Язык: Русский.")
    replies = await user.send("/help")
    assert "/check — проверить право на выплату" in replies[0].text
    # the language survives a restart of the bot
    await running.restart()
    replies = await user.send("/help")
    assert "/check — проверить право на выплату" in replies[0].text


async def test_typed_menu_label_opens_language_choice(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(1005, language_code="ru")
    await start_in(user, "ru")
    replies = await user.send("тіл")
    assert replies[0].buttons[0][0].endswith("Русский")


async def test_menu_commands_are_set_for_both_languages(
    running: RunningBot, tg: FakeTelegram
) -> None:
    calls = tg.calls_of("setMyCommands")
    by_language = {call.params.get("language_code"): call.params["commands"] for call in calls}
    assert {"kk", "ru", None} <= set(by_language)
    kk = {c["command"]: c["description"] for c in by_language["kk"]}
    ru = {c["command"]: c["description"] for c in by_language["ru"]}
    assert kk["apply"] == "Өтінішті толтыру" and ru["apply"] == "Заполнить заявление"
    assert set(kk) == {
        "start",
        "check",
        "estimate",
        "documents",
        "apply",
        "status",
        "consent",
        "deletedata",
        "language",
        "help",
        "cancel",
    }


async def test_unknown_text_gets_help_not_silence(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(1006, language_code="ru")
    await start_in(user, "ru")
    replies = await user.send("🦄🦄🦄")
    assert "Я не понял" in replies[0].text
