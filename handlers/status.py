"""/status: the user's applications, newest first — status, history, payment schedule."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import I18n

from bot.context import AppContext
from bot.services.eligibility import Tr
from bot.services.status_view import load_views, render_status
from bot.ui import MENU_STATUS, Said, main_menu


async def on_status(message: Message, app: AppContext, i18n: I18n) -> None:
    user = message.from_user
    if user is None:
        return
    views = await load_views(app.sessionmaker, user.id)
    chunks = render_status(Tr(app.i18n, i18n.current_locale), views, app.clock.today())
    for number, chunk in enumerate(chunks):
        last = number == len(chunks) - 1
        await message.answer(chunk, reply_markup=main_menu() if last else None)


def router() -> Router:
    r = Router(name="status")
    r.message.filter(F.chat.type == "private")
    r.message.register(on_status, Command("status"))
    r.message.register(on_status, Said(MENU_STATUS, words=("status", "статус", "мои заявления", "менің өтініштерім")))
    return r
