"""Anything no conversation took: a kind word and the menu (private chats only)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import _
from bot.views.ui import main_menu
from handlers._dialog import stale


async def on_anything(message: Message) -> None:
    await message.answer(
        _("I did not understand that. Please choose an action in the menu or send /help."),
        reply_markup=main_menu(),
    )


async def on_stale_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """A button no handler takes (an old message, unknown data): one alert, nothing else."""
    stale(callback_answer)


def router() -> Router:
    r = Router(name="fallback")
    r.message.register(on_anything, F.chat.type == "private")
    r.callback_query.register(on_stale_button)
    return r
