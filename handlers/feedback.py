"""The rating question's buttons and the optional comment (issue 12 item 6): a score 1–5
or «Skip» answers the question once (bot.usecases.feedback); after a score, when no
other dialog is going on, the next text message is taken as the comment, «No comment»
ends it, and any command or menu button leaves it (and does what it says)."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.context import AppContext
from bot.i18n import _
from bot.usecases import feedback
from bot.views.feedback import (
    ALREADY,
    COMMENT_STORED,
    NO_COMMENT,
    SKIPPED,
    THANKS,
    THANKS_ASK_COMMENT,
    THANKS_SCORE,
    CommentSkip,
    RatingPick,
)
from bot.views.fmt import plain
from handlers._dialog import stale
from handlers.eligibility import FreeText


class Feedback(StatesGroup):
    comment = State()


class LeavesComment(Filter):
    """A command or a menu button while a comment is awaited: it leaves the comment."""

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        return message.text is not None and not await FreeText()(message, i18n)


async def _unbutton(query: CallbackQuery) -> None:
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified" and the like
            await query.message.edit_reply_markup(reply_markup=None)


async def on_rating(
    query: CallbackQuery,
    callback_data: RatingPick,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    app: AppContext,
) -> None:
    score = callback_data.s or None
    rated = await feedback.rate(app, query.from_user.id, callback_data.a, callback_data.o, score)
    if rated is None or not isinstance(query.message, Message):
        stale(callback_answer)
        return
    await _unbutton(query)
    if not rated.recorded:
        callback_answer.text = _(ALREADY)
        return
    if rated.score is None:
        await query.message.answer(plain(_(SKIPPED)))
        return
    if await state.get_state() not in (None, Feedback.comment.state):
        # another dialog is going on (the wizard, /check …): it keeps the next message
        await query.message.answer(plain(_(THANKS_SCORE, score=rated.score)))
        return
    await state.set_state(Feedback.comment)
    await state.update_data(rating=rated.rating_id)
    await query.message.answer(
        plain(_(THANKS_ASK_COMMENT, score=rated.score)),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_(NO_COMMENT), callback_data=CommentSkip(r=rated.rating_id).pack()
                    )
                ]
            ]
        ),
    )


async def _rating_awaited(state: FSMContext) -> int | None:
    if await state.get_state() != Feedback.comment.state:
        return None
    rating = (await state.get_data()).get("rating")
    return rating if isinstance(rating, int) else None


async def _leave(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data(rating=None)


async def on_comment(message: Message, state: FSMContext, app: AppContext) -> None:
    rating = await _rating_awaited(state)
    await _leave(state)
    user = message.from_user
    if rating is None or user is None:
        return
    await feedback.add_comment(app, user.id, rating, message.text or "")
    await message.answer(plain(_(COMMENT_STORED)))


async def on_no_comment(
    query: CallbackQuery,
    callback_data: CommentSkip,
    callback_answer: CallbackAnswer,
    state: FSMContext,
) -> None:
    await _unbutton(query)
    if await _rating_awaited(state) != callback_data.r or not isinstance(query.message, Message):
        stale(callback_answer)
        return
    await _leave(state)
    await query.message.answer(plain(_(THANKS)))


async def on_leave(message: Message, state: FSMContext) -> None:
    """A command or menu button: the comment is not awaited any more; the update goes on
    to the router that takes it."""
    await _leave(state)
    raise SkipHandler


def router() -> Router:
    r = Router(name="feedback")
    r.message.filter(F.chat.type == "private")
    awaiting = StateFilter(Feedback.comment)
    r.message.register(on_leave, awaiting, LeavesComment())
    r.message.register(on_comment, awaiting, FreeText())
    r.callback_query.register(on_rating, RatingPick.filter())
    r.callback_query.register(on_no_comment, CommentSkip.filter())
    return r
