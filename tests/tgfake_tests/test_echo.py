"""The fake server driven by a bare aiogram echo bot over HTTP."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tests.tgfake import FakeTelegram, FakeUser
from tests.tgfake.echo import run_polling


async def test_get_me_uses_token_id(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == bot.id
    assert me.is_bot
    assert me.username == "alatau_test_bot"


async def test_send_and_receive(tg: FakeTelegram, echo: Dispatcher) -> None:
    user = tg.user(1001, "Айгерим", "kk")
    replies = await user.send("Сәлем!")
    assert [m.text for m in replies] == ["Сәлем!"]
    assert user.last_text == "Сәлем!"
    replies = await user.send("/start")
    assert replies[0].text == "Hello, Айгерим!"
    assert replies[0].buttons == [["Ping"]]
    assert replies[0].callback_data("Ping") == "ping"
    assert [m.text for m in user.messages] == ["Сәлем!", "Hello, Айгерим!"]
    call = tg.calls_of("sendMessage")[-1]
    assert call.chat_id == 1001
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ping"
    assert call.ok


async def test_message_ids_increase_per_chat(tg: FakeTelegram, echo: Dispatcher) -> None:
    a, b = tg.user(1, "A"), tg.user(2, "B")
    await a.send("x")
    await a.send("y")
    await b.send("z")
    # user message ids and bot message ids share one sequence per chat
    assert [m.message_id for m in a.messages] == [2, 4]
    assert [m.message_id for m in b.messages] == [2]


async def test_press_button(tg: FakeTelegram, echo: Dispatcher) -> None:
    user = tg.user(1002, "Данияр", "ru")
    await user.send("/start")
    replies = await user.press("Ping")
    assert [m.text for m in replies] == ["Pong!"]
    assert user.callback_answers[-1].text == "pong"
    assert not user.callback_answers[-1].show_alert
    await user.press_data("forged")
    assert user.callback_answers[-1].text == "Unknown button"
    assert user.callback_answers[-1].show_alert


async def test_press_missing_button_fails(tg: FakeTelegram, echo: Dispatcher) -> None:
    user = tg.user(1003)
    await user.send("/start")
    with pytest.raises(AssertionError, match="no bot message"):
        await user.press("Nope")


async def test_document_download(tg: FakeTelegram, echo: Dispatcher) -> None:
    user = tg.user(1004)
    replies = await user.send_document("cert.pdf", content=b"%PDF-1.4 hello")
    assert replies[0].text == "Got cert.pdf: 14 bytes"
    assert tg.calls_of("getFile")[-1].ok


async def test_document_of_given_size(tg: FakeTelegram, echo: Dispatcher) -> None:
    user = tg.user(1005)
    replies = await user.send_document("scan.pdf", size=3 * 1024 * 1024)
    assert replies[0].text == f"Got scan.pdf: {3 * 1024 * 1024} bytes"


async def test_too_big_file(tg: FakeTelegram, echo: Dispatcher) -> None:
    user = tg.user(1006)
    replies = await user.send_document("big.pdf", size=21 * 1024 * 1024)
    assert replies[0].text == "Cannot download: Bad Request: file is too big"
    call = tg.calls_of("getFile")[-1]
    assert call.status == 400
    assert call.description == "Bad Request: file is too big"


async def test_photo_is_resent_by_file_id(tg: FakeTelegram, echo: Dispatcher) -> None:
    user = tg.user(1007)
    replies = await user.send_photo(size=80_000, caption="look")
    assert replies[0].kind == "photo"
    assert replies[0].text == "Nice photo"
    assert replies[0].file is not None and replies[0].file.size == 80_000


async def test_wait_idle_and_wait_for(tg: FakeTelegram, echo: Dispatcher) -> None:
    users = [tg.user(2000 + i) for i in range(5)]
    for user in users:
        tg.push_update(
            "message",
            user.post({"text": f"hi {user.id}"}),
        )
    await tg.wait_idle()
    assert all(u.last_text == f"hi {u.id}" for u in users)
    msg = await tg.wait_for(lambda: users[0].last)
    assert msg.text == "hi 2000"


async def test_timeout_without_polling_reports(tg: FakeTelegram) -> None:
    user = tg.user(1008)
    with pytest.raises(AssertionError, match="never called getUpdates"):
        await user.send("hello", timeout=0.2)


async def test_feed_mode(tg: FakeTelegram, bot: Bot) -> None:
    from tests.tgfake.echo import build_echo_dispatcher

    tg.feed_to(build_echo_dispatcher(), bot)
    user = tg.user(1009)
    replies = await user.send("fed")
    assert [m.text for m in replies] == ["fed"]
    await user.send("/start")
    assert (await user.press("Ping"))[0].text == "Pong!"


async def test_background_notification_with_wait_for(tg: FakeTelegram, bot: Bot) -> None:
    import asyncio

    from aiogram import Router
    from aiogram.types import Message

    router = Router()
    tasks: set[asyncio.Task[None]] = set()

    @router.message()
    async def later(message: Message) -> None:
        async def notify() -> None:
            await asyncio.sleep(0.2)
            await message.answer("done later")

        task = asyncio.create_task(notify())
        tasks.add(task)

    dp = Dispatcher()
    dp.include_router(router)
    user = tg.user(1010)
    async with run_polling(dp, bot):
        assert await user.send("go") == []
        msg = await tg.wait_for(lambda: user.last, what="the late notification")
        assert msg.text == "done later"
        with pytest.raises(AssertionError, match="never"):
            await tg.wait_for(lambda: False, timeout=0.1, what="never")


async def test_other_content(tg: FakeTelegram, bot: Bot) -> None:
    from aiogram import Router
    from aiogram.types import Message

    router = Router()

    @router.message()
    async def kind(message: Message) -> None:
        extra = ""
        if message.contact:
            extra = f" {message.contact.phone_number} own={message.contact.user_id == message.from_user.id}"  # type: ignore[union-attr]
        await message.answer(f"{message.content_type.value}{extra}")

    dp = Dispatcher()
    dp.include_router(router)
    user = tg.user(1011)
    async with run_polling(dp, bot):
        assert (await user.send_sticker())[0].text == "sticker"
        assert (await user.send_contact("+77010000000"))[0].text == "contact +77010000000 own=True"
        assert (await user.send_location())[0].text == "location"
        assert (await user.send_photo())[0].text == "photo"


async def test_many_users_concurrently(tg: FakeTelegram, echo: Dispatcher) -> None:
    import asyncio

    users = [tg.user(50_000 + i, f"U{i}") for i in range(200)]

    async def scenario(user: FakeUser) -> None:
        assert (await user.send("/start"))[0].text == f"Hello, {user.first_name}!"
        assert (await user.press("Ping"))[0].text == "Pong!"
        assert (await user.send(f"hi {user.id}"))[0].text == f"hi {user.id}"

    await asyncio.gather(*(scenario(u) for u in users))
    assert tg.delivered_total == 600


async def test_feed_mode_raises_handler_errors(tg: FakeTelegram, bot: Bot) -> None:
    from aiogram import Router
    from aiogram.types import Message

    router = Router()

    @router.message()
    async def broken(message: Message) -> None:
        raise RuntimeError("boom")

    dp = Dispatcher()
    dp.include_router(router)
    tg.feed_to(dp, bot)
    with pytest.raises(RuntimeError, match="boom"):
        await tg.user(1012).send("hi")


async def test_late_callback_answer() -> None:
    from aiogram.exceptions import TelegramBadRequest

    async with FakeTelegram(callback_timeout=0.05) as tg:
        fast_bot = tg.make_bot()
        user = tg.user(1013)
        dp = Dispatcher()
        from aiogram import Router
        from aiogram.types import CallbackQuery

        router = Router()
        errors: list[str] = []

        @router.callback_query()
        async def slow(query: CallbackQuery) -> None:
            import asyncio

            await asyncio.sleep(0.1)
            try:
                await query.answer("late")
            except TelegramBadRequest as e:
                errors.append(e.message)

        dp.include_router(router)
        await fast_bot.send_message(
            1013,
            "m",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x")]]
            ),
        )
        async with run_polling(dp, fast_bot):
            await user.press("x")
        assert errors and "query is too old" in errors[0]
