"""The parent's answers to the Department go back to the application's card.

A message in the private chat is taken here only when
* it replies to a message the Department sent about an application (relay_links):
  `reply_router()`, included early (right after the staff routers), so the reply is relayed
  even in the middle of another dialog (the dialog's state is left as it is); or
* the parent is in no dialog (no FSM state) and has an application with an open
  staff question (documents requested, or a staff message in the last days):
  `router()`, right before the fallback, after the apply wizard and the others.
Commands are never taken.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.context import AppContext
from bot.i18n import N_, Tr, _
from bot.usecases.cards import application_number
from bot.usecases.transitions import (
    ParentFile,
    StaffActionError,
    linked_application,
    open_question,
    parent_answer,
)
from bot.views.fmt import fmt, join
from bot.views.notifications import staff_language
from handlers._files import Refused, file_refusal
from handlers._files import receive as receive_file

log = logging.getLogger(__name__)

HEADER = N_("💬 Answer of the applicant, application {number}:")  # in the staff language


def _file(message: Message) -> ParentFile | None:
    if message.photo:
        photo = message.photo[-1]
        return ParentFile(photo.file_id, photo.file_unique_id, "photo", file_size=photo.file_size)
    if message.document:
        doc = message.document
        return ParentFile(
            doc.file_id, doc.file_unique_id, "document", doc.mime_type, doc.file_name, doc.file_size
        )
    return None


class ReplyToDepartment(Filter):
    """A reply to a message the Department sent about an application (any state)."""

    async def __call__(self, message: Message, app: AppContext) -> bool | dict[str, Any]:
        user = message.from_user
        replied = message.reply_to_message
        if user is None or replied is None or app.settings.staff_chat_id is None:
            return False
        if not _relayable(message):
            return False
        found = await linked_application(app, message.chat.id, replied.message_id, user.id)
        return {"relay_application": found} if found is not None else False


class AnswerToOpenQuestion(Filter):
    """No dialog going on, and an application with an open staff question."""

    async def __call__(
        self, message: Message, app: AppContext, state: FSMContext
    ) -> bool | dict[str, Any]:
        user = message.from_user
        if user is None or app.settings.staff_chat_id is None or not _relayable(message):
            return False
        if await state.get_state() is not None:
            return False
        found = await open_question(app, user.id)
        return {"relay_application": found} if found is not None else False


def _relayable(message: Message) -> bool:
    text = message.text or ""
    if text.startswith("/"):
        return False
    return bool(text.strip() or message.photo or message.document or message.caption)


async def on_answer(message: Message, relay_application: int, app: AppContext, bot: Bot) -> None:
    user = message.from_user
    assert user is not None
    file = _file(message)
    if file is not None:
        try:  # checked by content and kept by the Department before it counts as an answer
            kept = await receive_file(bot, app, file.file_id, file.file_size)
        except Refused as refused:
            await message.answer(
                join(
                    [
                        "❗ " + file_refusal(refused).text(),
                        _("Nothing was passed to the Department; please send the file again."),
                    ]
                )
            )
            return
        file = dataclasses.replace(
            file,
            mime_type=kept.mime_type,
            file_size=kept.size,
            sha256=kept.sha256,
            storage_path=kept.path,
        )
    text = (message.text or message.caption or "").strip()
    number = await _number(app, relay_application)
    header = fmt(Tr(app.i18n, staff_language(app))(HEADER), number=number)
    try:
        done = await parent_answer(
            app,
            relay_application,
            user.id,
            text=text,
            header=header,
            message_id=message.message_id,
            file=file,
        )
    except StaffActionError:
        await message.answer(_("Sorry, this application was not found."))
        return
    if done.old_status != done.new_status:
        return  # the parent gets the "documents received" notification instead
    if message.media_group_id and not _first_of_album(user.id, message.media_group_id):
        return  # one confirmation per album
    await message.answer(
        fmt(_("✉️ Passed to the Department (application {number})."), number=done.number)
    )


_ALBUMS: OrderedDict[tuple[int, str], None] = OrderedDict()


def _first_of_album(user_id: int, media_group_id: str) -> bool:
    key = (user_id, media_group_id)
    if key in _ALBUMS:
        return False
    _ALBUMS[key] = None
    while len(_ALBUMS) > 1000:
        _ALBUMS.popitem(last=False)
    return True


async def _number(app: AppContext, application_id: int) -> str:
    return await application_number(app, application_id) or "?"


def reply_router() -> Router:
    """Replies to the Department's messages: included early (after the staff routers), so a
    reply quoting the Department reaches it even in the middle of another dialog."""
    r = Router(name="relay-replies")
    r.message.register(on_answer, F.chat.type == "private", ReplyToDepartment())
    return r


def router() -> Router:
    """Plain messages while a staff question is open: right before the fallback."""
    r = Router(name="relay")
    r.message.register(on_answer, F.chat.type == "private", AnswerToOpenQuestion())
    return r
