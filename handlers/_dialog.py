"""Navigation shared by the step-by-step dialogs /check and /estimate.

Each dialog keeps its progress under its own key of the FSM data ("check",
"estimate"): starting one forgets the other's answers, leaving one forgets only
its own; the data of other conversations stays. A dialog that reached its result
keeps its answers under "known" → key (bot.usecases.drafts.KNOWN): the /apply
wizard offers them (issue 12 item 1); /deletedata erases them with the FSM data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import _
from bot.usecases.drafts import KNOWN
from bot.views.ui import BACK, CANCEL, main_menu


def navigation_row(first: bool, button_data: Callable[[str], str]) -> list[InlineKeyboardButton]:
    """The Back button (not on the first question) and the Cancel button; `button_data(value)` packs their data."""
    row = []
    if not first:
        row.append(InlineKeyboardButton(text=_(BACK), callback_data=button_data("back")))
    row.append(InlineKeyboardButton(text=_(CANCEL), callback_data=button_data("cancel")))
    return row


async def begin(
    state: FSMContext, key: str, progress: dict[str, Any], question: State, replaces: str
) -> None:
    """Start the dialog kept under `key` at `progress`; the answers of a left `replaces` dialog go."""
    data = await state.get_data()
    data.pop(replaces, None)
    data[key] = progress
    await state.set_data(data)
    await state.set_state(question)


async def leave(state: FSMContext, key: str, keep: dict[str, str] | None = None) -> None:
    """Forget the progress of the dialog kept under `key`; other conversations' data stays.
    `keep`: the answers of a dialog that reached its result, kept for /apply under
    "known" → key (they replace the answers that dialog kept before)."""
    data = await state.get_data()
    data.pop(key, None)
    if keep is not None:
        data[KNOWN] = {**(data.get(KNOWN) or {}), key: dict(keep)}
    await state.set_data(data)
    await state.set_state(None)


async def stop(message: Message, state: FSMContext, key: str, stopped: str) -> None:
    """Leave the dialog kept under `key` and say `stopped` with the main menu."""
    await leave(state, key)
    await message.answer(stopped, reply_markup=main_menu())


def stale(callback_answer: CallbackAnswer) -> None:
    """Answer a button that belongs to no live question: one short alert, nothing else.

    The answer itself is sent once, by CallbackAnswerMiddleware (bot/app.py), the only
    owner of answerCallbackQuery; a handler never calls `query.answer()` (Telegram
    refuses a second answer and the error handler would apologise).
    """
    callback_answer.text = _("This button is no longer active.")
    callback_answer.show_alert = True


async def pressed(
    query: CallbackQuery, callback_answer: CallbackAnswer, button_step: str, current_step: str
) -> Message | None:
    """The message of a pressed button of the current question, its keyboard removed.

    None, after a "no longer active" alert, for a button of another question or
    a message the bot can no longer reach.
    """
    message = query.message
    if not isinstance(message, Message) or button_step != current_step:
        stale(callback_answer)
        return None
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    return message


async def navigated(
    value: str, stop: Callable[[], Awaitable[None]], go_back: Callable[[], Awaitable[None]]
) -> bool:
    """Run the Cancel or Back button of a dialog; False for an answer button."""
    if value == "cancel":
        await stop()
        return True
    if value == "back":
        await go_back()
        return True
    return False
