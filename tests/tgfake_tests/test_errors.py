"""Telegram's errors as aiogram sees them."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from tests.tgfake import FakeTelegram


async def test_injected_429(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(10)
    tg.inject("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(10, "hi")
    assert info.value.retry_after == 3
    assert tg.calls_of("sendMessage")[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert tg.delivered == {}
    await bot.send_message(10, "hi")  # only once
    assert tg.delivered == {10: 1}


async def test_injected_for_one_chat_only(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(10)
    tg.user(11)
    tg.inject("sendMessage", 500, "Internal Server Error", times=2, chat_id=11)
    await bot.send_message(10, "ok")
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(11, "fails")
    await bot.send_message(11, "ok now")
    assert tg.delivered == {10: 1, 11: 1}


async def test_injected_403_and_block_user(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(12)
    tg.inject("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(12, "x")
    tg.block_user(12)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(12, "x")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_document(12, BufferedInputFile(b"abc", "a.txt"))
    tg.unblock_user(12)
    await bot.send_message(12, "back")
    assert [m.text for m in user.messages] == ["back"]


async def test_blocked_user_in_polling_bot(tg: FakeTelegram, echo: Dispatcher) -> None:
    user = tg.user(13)
    tg.block_user(13)
    assert await user.send("hi") == []  # the handler's error is only logged by polling
    assert tg.calls_of("sendMessage")[-1].status == 403


async def test_html_validation(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(14)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(14, "a < b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "div"'):
        await bot.send_message(14, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Can't find end tag"):
        await bot.send_message(14, "<b>bold", parse_mode="HTML")
    msg = await bot.send_message(14, "<b>Сумма</b>: 5 &lt; 6", parse_mode="HTML")
    assert msg.text == "Сумма: 5 < 6"
    assert msg.entities is not None and msg.entities[0].type == "bold"
    assert (msg.entities[0].offset, msg.entities[0].length) == (0, 5)
    # without parse_mode anything goes
    await bot.send_message(14, "a < b <div>")


async def test_text_limits(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(15)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(15, "")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(15, "<b> </b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(15, "я" * 4097)
    await bot.send_message(15, "я" * 4096)
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_document(15, BufferedInputFile(b"x", "x.txt"), caption="c" * 1025)


async def test_callback_data_limit(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(16)

    def kb(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="b", callback_data=data)]]
        )

    await bot.send_message(16, "ok", reply_markup=kb("x" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(16, "too long", reply_markup=kb("x" * 65))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(16, "cyrillic", reply_markup=kb("я" * 33))  # 66 bytes


async def test_chat_not_found_and_unknown_method(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "x")

    class Bogus(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "bogusMethod"

    with pytest.raises(TelegramNotFound):
        await bot(Bogus())
    assert tg.calls_of("bogusmethod")[0].status == 404


async def test_edit_not_modified(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(17)
    kb = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="d")]])
    msg = await bot.send_message(17, "one", reply_markup=kb)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("one", chat_id=17, message_id=msg.message_id, reply_markup=kb)
    await bot.edit_message_text("two", chat_id=17, message_id=msg.message_id, reply_markup=kb)
    assert user.last_text == "two" and user.last is not None and user.last.edit_count == 1
    # editing the text without reply_markup removes the inline keyboard, like Telegram
    await bot.edit_message_text("two", chat_id=17, message_id=msg.message_id)
    assert user.last.buttons == []
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=17, message_id=msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=17, message_id=12345)


async def test_getfile_too_big(tg: FakeTelegram, bot: Bot, echo: Dispatcher) -> None:
    user = tg.user(18)
    await user.send_document("big.bin", size=20 * 1024 * 1024 + 1)
    file_id = tg.calls_of("getFile")[-1].params["file_id"]
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(file_id)
