"""The official request number (p.6): the parent presses «I have filed officially» (after
Send, in /status) and sends the number; staff record it from the card («🏛 Official
request No.»: the clerk who pressed is asked for it) or reply to the card with /official
NUMBER. Every path checks it the same way (bot.views.official.parse_request_number) and
keeps it on the application, audited, the card refreshed (bot.usecases.official)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import _
from bot.usecases.cards import ApplicationRef, replied_application
from bot.usecases.official import record_by_parent, record_by_staff
from bot.usecases.transitions import StaffActionError
from bot.views import official as view
from bot.views.cards import CardAction
from bot.views.fmt import fmt
from bot.views.ui import CANCEL, CANCEL_WORDS, Said, main_menu
from core.status import takes_official_request
from handlers._staff import (
    CardApplication,
    InDialog,
    StaffDialog,
    ask_again,
    error_text,
    free_for_dialog,
    member,
    prompt,
    refresh,
    refuse,
)
from handlers.eligibility import FreeText, NotText


class OfficialForm(StatesGroup):
    number = State()


class OfficialFiled(CallbackData, prefix="off"):
    app: int


def filed_button(application_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_(view.FILED_BUTTON), callback_data=OfficialFiled(app=application_id).pack()
    )


def filed_keyboard(application_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[filed_button(application_id)]])


async def on_filed(
    query: CallbackQuery,
    callback_data: OfficialFiled,
    callback_answer: CallbackAnswer,
    state: FSMContext,
) -> None:
    await state.set_state(OfficialForm.number)
    await state.update_data(official_app=callback_data.app)
    if isinstance(query.message, Message):
        await query.message.answer(_(view.ASK_NUMBER))


async def _leave(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data(official_app=None)


async def on_number(message: Message, state: FSMContext, app: AppContext) -> None:
    number = view.parse_request_number(message.text)
    if number is None:
        await message.answer(_(view.BAD_NUMBER) + "\n\n" + _(view.ASK_NUMBER))
        return
    data = await state.get_data()
    application_id = data.get("official_app")
    user = message.from_user
    recorded = None
    if isinstance(application_id, int) and user is not None:
        recorded = await record_by_parent(
            app, application_id=application_id, user_id=user.id, official_request=number
        )
    await _leave(state)
    if recorded is None:
        await message.answer(_("This application is not among yours."), reply_markup=main_menu())
        return
    await message.answer(
        fmt(_(view.SAVED), number=recorded.official_request, application=recorded.number),
        reply_markup=main_menu(),
    )


async def on_not_text(message: Message) -> None:
    await message.answer(_(view.BAD_NUMBER) + "\n\n" + _(view.ASK_NUMBER))


async def on_cancel(message: Message, state: FSMContext) -> None:
    await _leave(state)
    await message.answer(_("Nothing was recorded."), reply_markup=main_menu())


async def on_staff_official(message: Message, command: CommandObject, app: AppContext) -> None:
    """Staff reply to a card with /official NUMBER: the number is kept, the card refreshed."""
    user = message.from_user
    if user is None or not app.is_staff(user.id):
        return
    replied = message.reply_to_message
    application_id = (
        await replied_application(app, message.chat.id, replied.message_id)
        if replied is not None
        else None
    )
    if application_id is None:
        await message.reply(_(view.STAFF_USAGE))
        return
    number = view.parse_request_number(command.args)
    if number is None:
        await message.reply(_(view.STAFF_BAD) + "\n" + _(view.STAFF_USAGE))
        return
    try:
        recorded = await record_by_staff(
            app,
            application_id=application_id,
            official_request=number,
            who=member(user),
        )
    except StaffActionError as error:
        await message.reply(
            _(view.STAFF_NOT_OPEN) if error.code == "not_allowed" else _(view.STAFF_USAGE)
        )
        return
    await message.reply(
        fmt(_(view.STAFF_SAVED), number=recorded.official_request, application=recorded.number)
    )


# ------------------------------------------------------------------ the card's button


def _question(application: ApplicationRef) -> str:
    """The request for the number, with the number recorded now (if any)."""
    question: str = fmt(_(view.STAFF_ASK), number=application.number)
    if application.official_request:
        question += " " + fmt(_(view.STAFF_REPLACES), official=application.official_request)
    return question


async def on_card_button(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: ApplicationRef,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    """«🏛 Official request No.» on a card: the clerk who pressed is asked for the number;
    a card drawn before the application was refused or withdrawn says it is not possible."""
    if not await free_for_dialog(app, callback_answer, query.from_user, None):
        return
    if not takes_official_request(application.status):
        refuse(callback_answer, StaffActionError("not_allowed"))
        await refresh(bot, app, application.id)
        return
    await prompt(
        bot,
        app,
        state,
        query.from_user,
        StaffDialog.official_number,
        application,
        _question(application),
        was=application.official_request,
    )


async def on_card_answer(
    message: Message,
    app: AppContext,
    state: FSMContext,
    application_id: int,
    dialog: dict[str, Any],
) -> None:
    """The number typed: checked as the parent's, recorded unless another number was
    recorded since the question (then said, and asked again: nothing is lost)."""
    user = message.from_user
    assert user is not None
    again = _(view.STAFF_AGAIN)
    number = view.parse_request_number(message.text)
    if number is None:
        await ask_again(message, state, dialog, _(view.STAFF_BAD) + " " + again)
        return
    was = dialog.get("was")
    try:
        recorded = await record_by_staff(
            app,
            application_id=application_id,
            official_request=number,
            who=member(user),
            expected=was if isinstance(was, str) else None,
        )
    except StaffActionError as error:
        if error.code != "official_changed":
            await state.clear()
            await message.reply(error_text(error))
            return
        await ask_again(
            message, state, dialog, error_text(error) + " " + again, was=error.params.get("current")
        )
        return
    await state.clear()
    await message.reply(
        fmt(_(view.STAFF_SAVED), number=recorded.official_request, application=recorded.number)
    )


def card_router() -> Router:
    """The card's button and its answer (included by the staff router, after its check
    that only staff in the staff chat press staff buttons)."""
    r = Router(name="official_card")
    r.callback_query.register(
        on_card_button, CardAction.filter(F.action == "official"), CardApplication()
    )
    r.message.register(on_card_answer, StateFilter(StaffDialog.official_number), InDialog())
    return r


def staff_router(settings: Any = None) -> Router:
    """/official in the staff chat (before the staff router, which takes every message there)."""
    r = Router(name="official_staff")
    staff_chat = getattr(settings, "staff_chat_id", None)
    if staff_chat is not None:
        r.message.register(on_staff_official, F.chat.id == staff_chat, Command("official"))
    return r


def router() -> Router:
    r = Router(name="official")
    r.message.filter(F.chat.type == "private")
    r.callback_query.filter(F.message.chat.type == "private")
    r.callback_query.register(on_filed, OfficialFiled.filter())
    in_form = StateFilter(OfficialForm.number)
    r.message.register(on_cancel, in_form, Command("cancel"))
    r.message.register(on_cancel, in_form, Said(CANCEL, words=CANCEL_WORDS))
    r.message.register(on_number, in_form, FreeText())
    r.message.register(on_not_text, in_form, NotText())
    return r
