"""Bot API methods of the fake, called through aiogram's Bot."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from tests.tgfake import FakeTelegram
from tests.tgfake.echo import run_polling
from tests.tgfake.server import decode_param


def test_decode_param() -> None:
    assert decode_param("text", "123") == "123"
    assert decode_param("chat_id", "-100123") == -100123
    assert decode_param("chat_id", "@channel") == "@channel"
    assert decode_param("disable_notification", "true") is True
    assert decode_param("reply_markup", '{"inline_keyboard": []}') == {"inline_keyboard": []}
    assert decode_param("caption", "[not json]") == "[not json]"


async def test_params_are_decoded(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(1)
    await bot.send_message(1, "123", disable_notification=True)
    params = tg.calls_of("sendMessage")[0].params
    assert params == {"chat_id": 1, "text": "123", "disable_notification": True}


async def test_upload_document_and_reuse(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(2)
    sent = await bot.send_document(
        2, BufferedInputFile(b"a,b\n1,2\n", "report.csv"), caption="<b>Отчёт</b>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert sent.document.file_name == "report.csv"
    assert sent.document.mime_type == "text/csv"
    assert sent.caption == "Отчёт"
    call = tg.calls_of("sendDocument")[0]
    assert call.files[0].name == "report.csv" and call.files[0].size == 8
    assert call.params["document"].startswith("attach://")
    assert user.last is not None and user.last.kind == "document"
    assert user.last.raw_text == "<b>Отчёт</b>"
    assert user.last.file is not None and user.last.file.read() == b"a,b\n1,2\n"
    # download what the bot uploaded, and re-send by file_id
    data = await bot.download(sent.document.file_id)
    assert data is not None and data.read() == b"a,b\n1,2\n"
    again = await bot.send_document(2, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(2, "no-such-file-id")


async def test_send_photo(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(3)
    msg = await bot.send_photo(3, BufferedInputFile(b"\xff\xd8jpeg", "p.jpg"), caption="фото")
    assert msg.photo and msg.photo[-1].file_size == 6
    assert user.last is not None and user.last.kind == "photo" and user.last.text == "фото"


async def test_media_group_copy_forward(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(4)
    staff = tg.group(-1009, "Staff")
    msgs = await bot.send_media_group(
        4,
        [
            InputMediaPhoto(media=BufferedInputFile(b"1", "1.jpg"), caption="one"),
            InputMediaDocument(media=BufferedInputFile(b"22", "2.pdf")),
        ],
    )
    assert len(msgs) == 2 and msgs[0].media_group_id == msgs[1].media_group_id
    assert [m.kind for m in user.messages] == ["photo", "document"]
    copied = await bot.copy_message(-1009, 4, msgs[1].message_id, caption="copy")
    assert staff.last is not None and staff.last.message_id == copied.message_id
    assert staff.last.kind == "document" and staff.last.text == "copy"
    forwarded = await bot.forward_message(-1009, 4, msgs[0].message_id)
    assert forwarded.forward_origin is not None
    assert forwarded.caption == "one"
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(-1009, 4, 999)


async def test_copy_user_document_to_group(tg: FakeTelegram, bot: Bot) -> None:
    router = Router()
    seen: list[Message] = []

    @router.message(F.document)
    async def forward_to_staff(message: Message) -> None:
        seen.append(message)
        await message.copy_to(-1002, caption="from user")

    dp = Dispatcher()
    dp.include_router(router)
    user = tg.user(5)
    staff = tg.group(-1002, "Staff")
    async with run_polling(dp, bot):
        assert await user.send_document("cert.pdf", content=b"PDF") == []
    assert staff.last is not None and staff.last.text == "from user"
    assert staff.last.file is not None and staff.last.file.read() == b"PDF"


async def test_edit_caption_and_markup_and_delete(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(6)
    kb = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="yes")]]
    )
    doc = await bot.send_document(6, BufferedInputFile(b"x", "x.txt"), caption="old")
    await bot.edit_message_caption(chat_id=6, message_id=doc.message_id, caption="new")
    assert user.last is not None and user.last.text == "new"
    await bot.edit_message_reply_markup(chat_id=6, message_id=doc.message_id, reply_markup=kb)
    assert user.last.buttons == [["Да"]] and user.last.callback_data("Да") == "yes"
    with pytest.raises(TelegramBadRequest, match="no text in the message"):
        await bot.edit_message_text("t", chat_id=6, message_id=doc.message_id)
    assert await bot.delete_message(6, doc.message_id)
    assert user.messages == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(6, doc.message_id)


async def test_reply_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(7)
    kb = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Меню")], [KeyboardButton(text="Помощь")]]
    )
    msg = await bot.send_message(7, "choose", reply_markup=kb)
    assert msg.reply_markup is None  # Telegram echoes only inline keyboards
    assert user.last is not None and user.last.buttons == [["Меню"], ["Помощь"]]
    assert user.keyboard == [["Меню"], ["Помощь"]]
    await bot.send_message(7, "bye", reply_markup=ReplyKeyboardRemove())
    assert user.keyboard is None


async def test_commands_per_scope(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands(
        [BotCommand(command="start", description="Бастау")], language_code="kk"
    )
    await bot.set_my_commands(
        [BotCommand(command="help", description="Help")], scope=BotCommandScopeAllPrivateChats()
    )
    await bot.set_my_commands(
        [BotCommand(command="stats", description="Stats")], scope=BotCommandScopeChat(chat_id=-5)
    )
    assert [c.command for c in await bot.get_my_commands(language_code="kk")] == ["start"]
    assert await bot.get_my_commands() == []
    assert tg.commands({"type": "all_private_chats"})[0]["command"] == "help"
    assert tg.commands({"type": "chat", "chat_id": -5})[0]["command"] == "stats"
    await bot.delete_my_commands(language_code="kk")
    assert tg.commands(language_code="kk") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_webhook_and_misc(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(8, "Асель", username="asel")
    assert (await bot.get_webhook_info()).url == ""
    await bot.set_webhook("https://example.org/hook", secret_token="s3cr3t")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    assert tg.webhook["secret_token"] == "s3cr3t"
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == []
    assert await bot.send_chat_action(8, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong type of action"):
        await bot.send_chat_action(8, "dancing")
    chat = await bot.get_chat(8)
    assert chat.type == "private" and chat.username == "asel"
    member = await bot.get_chat_member(8, user.id)
    assert isinstance(member, ChatMemberMember)
    assert await bot.close() is True
    assert await bot.log_out() is True


async def test_group_members(tg: FakeTelegram, bot: Bot) -> None:
    group = tg.group(-1001000000003, "Staff")
    admin = group.member(30, "Admin", status="administrator")
    tg.user(31)
    chat = await bot.get_chat(-1001000000003)
    assert chat.type == "supergroup" and chat.title == "Staff"
    assert isinstance(await bot.get_chat_member(-1001000000003, admin.id), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(-1001000000003, 31), ChatMemberLeft)
    with pytest.raises(TelegramBadRequest, match="user not found"):
        await bot.get_chat_member(-1001000000003, 404)


async def test_group_reply(tg: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.message(F.reply_to_message)
    async def on_reply(message: Message) -> None:
        assert message.reply_to_message is not None
        await message.reply(f"re #{message.reply_to_message.message_id}: {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    group = tg.group(-1004, "Staff")
    member = group.member(40, "Ерлан")
    card = await bot.send_message(-1004, "Заявка №1")
    async with run_polling(dp, bot):
        replies = await member.reply(group.last, "принято")  # type: ignore[arg-type]
    assert replies[0].text == f"re #{card.message_id}: принято"
    assert replies[0].reply_to_message_id == card.message_id + 1
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(-1004, "x", reply_to_message_id=999)


async def test_answer_callback_twice(tg: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.callback_query()
    async def twice(query: Message) -> None:
        await query.answer("first")  # type: ignore[call-arg]
        try:
            await query.answer("second")  # type: ignore[call-arg]
        except TelegramBadRequest as e:
            await bot.send_message(query.from_user.id, e.message)  # type: ignore[union-attr]

    dp = Dispatcher()
    dp.include_router(router)
    user = tg.user(9)
    kb = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x")]])
    await bot.send_message(9, "m", reply_markup=kb)
    async with run_polling(dp, bot):
        replies = await user.press("x")
    assert "query is too old" in (replies[0].text or "")
    assert [a.text for a in user.callback_answers] == ["first"]


async def test_allowed_updates_drop_unhandled(tg: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.message()
    async def on_message(message: Message) -> None:
        await message.answer("ok")

    dp = Dispatcher()
    dp.include_router(router)
    user = tg.user(10)
    await bot.send_message(
        10,
        "m",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x")]]
        ),
    )
    async with run_polling(dp, bot):
        await user.send("hi")
        assert await user.press("x") == []  # not in allowed_updates: dropped, not hanging
    assert tg.dropped_updates == 1


async def test_second_poller_conflict(tg: FakeTelegram, bot: Bot) -> None:
    import asyncio

    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    assert await second == []
