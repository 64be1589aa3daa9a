"""/status: the user's applications, newest first — status, history, payment schedule;
the parent's withdrawal of an application before a decision (domain.md §7).

Each application the parent may still withdraw (core.status.allowed_actions for
the parent) gets an inline button under the message that shows it; the button
asks for confirmation; "Yes" withdraws through bot.usecases.applications.withdraw
(owner checked, then transitions.perform: audit, notifications, staff card).
Callback data carry only a step code and the application id.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import Tr
from bot.usecases.applications import (
    WithdrawRefused,
    my_applications,
    owned,
    withdraw,
    withdrawable,
)
from bot.views import official as official_view
from bot.views.fmt import b, fmt
from bot.views.status import STATUS_ICONS, status_pages, status_text
from bot.views.ui import MENU_STATUS, Said, main_menu
from handlers.official import OfficialFiled

log = logging.getLogger(__name__)


class Numbered(Protocol):
    """An application a button names: its id and public number."""

    @property
    def id(self) -> int: ...

    @property
    def number(self) -> str: ...


class Withdraw(CallbackData, prefix="wd"):
    """`step`: "ask" (the button under /status), "yes" / "no" (the confirmation)."""

    step: str
    app: int


def withdraw_keyboard(
    tr: Tr, applications: Sequence[Numbered], unfiled: Sequence[Numbered] = ()
) -> InlineKeyboardMarkup | None:
    """Withdraw buttons, and «I have filed officially» for applications without its number."""
    _ = tr
    if not applications and not unfiled:
        return None
    filed = [
        [
            InlineKeyboardButton(
                text=f"{_(official_view.FILED_BUTTON)} · {application.number}",
                callback_data=OfficialFiled(app=application.id).pack(),
            )
        ]
        for application in unfiled
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            *filed,
            *(
                [
                    InlineKeyboardButton(
                        text=_("↩️ Withdraw application {number}", number=application.number),
                        callback_data=Withdraw(step="ask", app=application.id).pack(),
                    )
                ]
                for application in applications
            ),
        ]
    )


async def on_status(message: Message, app: AppContext, tr: Tr) -> None:
    user = message.from_user
    if user is None:
        return
    views = await my_applications(app, user.id)
    pages = status_pages(tr, views, app.clock.today())
    for number, page in enumerate(pages):
        markup = withdraw_keyboard(tr, page.withdrawable, page.unfiled)
        if markup is None and number == len(pages) - 1:
            await message.answer(page.text, reply_markup=main_menu())
        else:
            # A message carries one keyboard: the inline buttons win, the menu stays (persistent).
            await message.answer(page.text, reply_markup=markup)


def refusal(tr: Tr, error: WithdrawRefused) -> str:
    _ = tr
    if error.code == "not_allowed" and error.number:
        return _(
            "Application {number} can no longer be withdrawn: its status is “{status}”.",
            number=error.number,
            status=status_text(tr, error.status),
        )
    return _("This application is not among yours.")


async def on_withdraw(
    query: CallbackQuery,
    callback_data: Withdraw,
    callback_answer: CallbackAnswer,
    app: AppContext,
    tr: Tr,
) -> None:
    _ = tr
    user_id = query.from_user.id
    try:
        if callback_data.step == "ask":
            application = await withdrawable(app, application_id=callback_data.app, user_id=user_id)
            await ask_confirmation(query, tr, application)
            return
        if callback_data.step == "no":
            application = await owned(app, application_id=callback_data.app, user_id=user_id)
            await replace(
                query,
                fmt(
                    _("Application {number} is kept; nothing has changed."),
                    number=application.number,
                ),
            )
            return
        if callback_data.step != "yes":
            raise WithdrawRefused("not_found")
        done = await withdraw(app, application_id=callback_data.app, user_id=user_id)
    except WithdrawRefused as error:
        log.info("withdrawal refused for user %s: %s", user_id, error.code)
        callback_answer.text = refusal(tr, error)
        callback_answer.show_alert = True
        return
    text = "\n".join(
        [
            fmt(
                "{icon} {title}",
                icon=STATUS_ICONS.get(done.new_status, "•"),
                title=b(fmt(_("Application {number}"), number=done.number)),
            ),
            fmt(_("Status: {status}"), status=b(status_text(tr, done.new_status))),
        ]
    )
    await replace(query, text)


async def ask_confirmation(query: CallbackQuery, tr: Tr, application: Numbered) -> None:
    _ = tr
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("Yes, withdraw"),
                    callback_data=Withdraw(step="yes", app=application.id).pack(),
                ),
                InlineKeyboardButton(
                    text=_("No, keep it"),
                    callback_data=Withdraw(step="no", app=application.id).pack(),
                ),
            ]
        ]
    )
    text = fmt(
        _(
            "Withdraw application {number}? The Department will stop considering it. "
            "You can send a new application at any time with /apply."
        ),
        number=application.number,
    )
    await send(query, text, keyboard)


async def replace(query: CallbackQuery, text: str) -> None:
    """The confirmation message becomes the answer (its buttons go); else a new message."""
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(text, reply_markup=None)
            return
    await send(query, text, None)


async def send(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    if query.bot is not None:
        await query.bot.send_message(chat_id, text, reply_markup=markup)


def router() -> Router:
    r = Router(name="status")
    r.message.filter(F.chat.type == "private")
    r.callback_query.filter(F.message.chat.type == "private")
    r.message.register(on_status, Command("status"))
    r.message.register(
        on_status,
        Said(MENU_STATUS, words=("status", "статус", "мои заявления", "менің өтініштерім")),
    )
    r.callback_query.register(on_withdraw, Withdraw.filter())
    return r
