"""/requeue in the staff chat: send again what the outbox gave up on (issue 11 item 4).

`/requeue ALA-2025-000123` — the messages of that application; `/requeue all` —
every message that gave up. Only STAFF_USER_IDS in the staff chat; the work is
bot.usecases.delivery.requeue.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.context import AppContext
from bot.i18n import _
from bot.usecases import delivery
from bot.views.fmt import fmt
from handlers._staff import not_staff


async def on_requeue(message: Message, command: CommandObject, app: AppContext) -> None:
    if await not_staff(message, app):
        return
    target = (command.args or "").strip()
    if not target or len(target.split()) != 1:
        await message.reply(
            _(
                "Usage: /requeue <application number> or /requeue all — sends again the "
                "messages that could not be delivered."
            )
        )
        return
    try:
        result = await delivery.requeue(app, target)
    except delivery.UnknownApplication:
        await message.reply(fmt(_("Nothing found for {query}."), query=target[:64]))
        return
    if not result.rows:
        await message.reply(_("Nothing to send again: every message was delivered."))
        return
    await message.reply(
        _("Queued again: {count}. They go out as soon as Telegram accepts them.").format(
            count=result.rows
        )
    )


def router(settings: Any = None) -> Router:
    """Before the staff router: its catch-all for the staff chat would take the command."""
    r = Router(name="requeue")
    staff_chat = getattr(settings, "staff_chat_id", None)
    if staff_chat is not None:
        r.message.register(on_requeue, F.chat.id == staff_chat, Command("requeue"))
    return r
