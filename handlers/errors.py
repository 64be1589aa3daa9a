"""Errors in handlers: the user gets a short apology, the dialog state is kept.

Only the exception type and the handler's update type are logged: never the
update itself (it may carry an IIN, a phone or an IBAN).
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> bool:
    update = event.update
    log.error(
        "handler failed on update %s (%s): %s",
        update.update_id,
        update.event_type,
        type(event.exception).__name__,
    )
    text = _("Sorry, something went wrong on our side. What you entered is kept; please try again.")
    if update.message is not None:
        await update.message.answer(text)
    elif update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    return True


def router() -> Router:
    r = Router(name="errors")
    r.errors.register(on_error)
    return r
