"""Errors in handlers: the user gets a short apology, the dialog state is kept.

Only the exception type and the handler's update type are logged: never the
update itself (it may carry an IIN, a phone or an IBAN).
"""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.i18n import _

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    log.error(
        "handler failed on update %s (%s): %s",
        update.update_id,
        update.event_type,
        type(event.exception).__name__,
    )
    text = _("Sorry, something went wrong on our side. What you entered is kept; please try again.")
    # A callback query is already answered (empty) by CallbackAnswerMiddleware:
    # the apology goes to the chat of the button.
    chat_id: int | None = None
    if update.message is not None:
        chat_id = update.message.chat.id
    elif update.callback_query is not None:
        query = update.callback_query
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    if chat_id is not None:
        with contextlib.suppress(TelegramAPIError):
            await bot.send_message(chat_id, text)
    return True


def router() -> Router:
    r = Router(name="errors")
    r.errors.register(on_error)
    return r
