"""A bare aiogram echo bot for testing the fake server and for benchmarks.

``build_echo_dispatcher()`` handles: /start (greeting + inline "Ping" button),
the "ping" callback (answers "pong" and sends "Pong!"), documents (downloads
the file via ``bot.download`` and reports its size), photos (re-sent by
file_id), contacts (the number acknowledged) and any other text (echoed back).

``run_polling(dp, bot)`` runs ``dp.start_polling`` as a task in the mode the
fake server's waiting needs (``handle_as_tasks=False``) and stops it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

PING_KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Ping", callback_data="ping")]]
)


def build_echo_router() -> Router:
    router = Router(name="echo")

    @router.message(CommandStart())
    async def on_start(message: Message) -> None:
        name = message.from_user.first_name if message.from_user else "there"
        await message.answer(f"Hello, {name}!", reply_markup=PING_KEYBOARD)

    @router.callback_query(F.data == "ping")
    async def on_ping(query: CallbackQuery) -> None:
        await query.answer("pong")
        if query.message is not None:
            await query.message.answer("Pong!")

    @router.callback_query()
    async def on_other_callback(query: CallbackQuery) -> None:
        await query.answer("Unknown button", show_alert=True)

    @router.message(F.document)
    async def on_document(message: Message, bot: Bot) -> None:
        document = message.document
        assert document is not None
        try:
            buffer = await bot.download(document)
        except TelegramBadRequest as e:
            await message.answer(f"Cannot download: {e.message}")
            return
        assert buffer is not None
        size = len(buffer.read())
        await message.answer(f"Got {document.file_name}: {size} bytes")

    @router.message(F.photo)
    async def on_photo(message: Message) -> None:
        assert message.photo
        await message.answer_photo(message.photo[-1].file_id, caption="Nice photo")

    @router.message(F.contact)
    async def on_contact(message: Message) -> None:
        assert message.contact is not None
        await message.answer(f"Got the number {message.contact.phone_number}")

    @router.message(F.text)
    async def on_text(message: Message) -> None:
        assert message.text is not None
        await message.answer(message.text)

    return router


def build_echo_dispatcher() -> Dispatcher:
    dp = Dispatcher()
    dp.include_router(build_echo_router())
    return dp


@contextlib.asynccontextmanager
async def run_polling(
    dp: Dispatcher, bot: Bot, *, polling_timeout: int = 1, **polling_kwargs: Any
) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``dp.start_polling(bot, handle_as_tasks=False, handle_signals=False)``
    in a task for the duration of the block; stop via ``dp.stop_polling()``.
    Exceptions of the polling task are re-raised on exit."""
    task = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_as_tasks=False,
            handle_signals=False,
            polling_timeout=polling_timeout,
            **polling_kwargs,
        )
    )
    await asyncio.sleep(0)  # let start_polling take its running lock
    try:
        yield task
    finally:
        if not task.done():
            try:
                await asyncio.wait_for(dp.stop_polling(), timeout=10)
            except RuntimeError:  # polling not started (yet): just cancel
                task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
