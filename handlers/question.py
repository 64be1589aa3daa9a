"""Free text from a parent with a sent application (no dialog, not a command, not a menu
label, not an answer the relay takes): "Send this to the Department?"; on yes it reaches
the application's card as a question, and the staff reply comes back through the relay.
Without an application the fallback's help answers as before."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import N_, Tr, _
from bot.usecases.questions import question_target
from bot.usecases.transitions import StaffActionError, parent_answer
from bot.views.fmt import fmt
from bot.views.notifications import staff_language
from bot.views.ui import NO, YES
from handlers._dialog import stale
from handlers.eligibility import FreeText

HEADER = N_("❓ Question of the applicant, application {number}:")  # in the staff language
MAX_QUESTION = 3000


class AskQuestion(CallbackData, prefix="ask"):
    v: str


class FreeQuestion(Filter):
    """Plain text, no dialog going on, and an open application to send it to."""

    async def __call__(
        self, message: Message, app: AppContext, state: FSMContext
    ) -> bool | dict[str, Any]:
        user = message.from_user
        if user is None or app.settings.staff_chat_id is None or not message.text:
            return False
        if await state.get_state() is not None:
            return False
        target = await question_target(app, user.id)
        return {"target": target} if target is not None else False


async def on_text(message: Message, state: FSMContext, target: tuple[int, str]) -> None:
    text = (message.text or "").strip()[:MAX_QUESTION]
    await state.update_data(question={"text": text, "app": target[0], "msg": message.message_id})
    await message.answer(
        fmt(
            _("Send this to the Department as a question about application {number}?"),
            number=target[1],
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text=_(YES), callback_data=AskQuestion(v="yes").pack()),
                    InlineKeyboardButton(text=_(NO), callback_data=AskQuestion(v="no").pack()),
                ]
            ]
        ),
    )


async def on_answer(
    query: CallbackQuery,
    callback_data: AskQuestion,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    app: AppContext,
) -> None:
    pending = (await state.get_data()).get("question")
    if not isinstance(pending, dict) or not isinstance(query.message, Message):
        stale(callback_answer)
        return
    await state.update_data(question=None)
    message = query.message
    await message.edit_reply_markup(reply_markup=None)
    if callback_data.v != "yes":
        await message.answer(_("Not sent. Choose an action in the menu or send /help."))
        return
    number = ""
    try:
        target = await question_target(app, query.from_user.id)
        if target is None or target[0] != pending.get("app"):
            raise StaffActionError("not_found")
        number = target[1]
        header = fmt(Tr(app.i18n, staff_language(app))(HEADER), number=number)
        await parent_answer(
            app,
            target[0],
            query.from_user.id,
            text=str(pending.get("text", "")),
            header=header,
            message_id=int(pending.get("msg", 0)),
            file=None,
        )
    except StaffActionError:
        await message.answer(_("Sorry, this application was not found."))
        return
    await message.answer(
        fmt(_("✉️ Passed to the Department (application {number})."), number=number)
    )


def router() -> Router:
    r = Router(name="question")
    r.message.filter(F.chat.type == "private")
    r.message.register(on_text, FreeText(), FreeQuestion())
    r.callback_query.register(on_answer, AskQuestion.filter())
    return r
