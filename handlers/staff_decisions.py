"""The card's status buttons (core.status): take, request documents (a typed answer the
applicant receives), documents received, approve (after a confirmation that shows the
schedule's total). Part of the staff router (handlers/staff.py)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import _
from bot.usecases.cards import ApplicationRef, application_ref, approval_schedule
from bot.usecases.transitions import perform
from bot.views import staff_dialogs as view
from bot.views.cards import CardAction
from bot.views.fmt import fmt
from bot.views.formatting import money
from core.status import Action
from handlers._staff import (
    CardApplication,
    InDialog,
    StaffDialog,
    allowed,
    answered_by,
    ask_on_card,
    card_reply,
    close_picker,
    confirm_keyboard,
    do,
    member,
)


class ApproveConfirm(CallbackData, prefix="sta"):
    app: int


async def on_take(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: ApplicationRef,
    app: AppContext,
    bot: Bot,
) -> None:
    await do(query, callback_answer, bot, app, application.id, Action.TAKE)


async def on_provided(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: ApplicationRef,
    app: AppContext,
    bot: Bot,
) -> None:
    await do(query, callback_answer, bot, app, application.id, Action.PROVIDE_DOCUMENTS)


async def on_docs(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: ApplicationRef,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    await ask_on_card(
        query,
        callback_answer,
        app,
        bot,
        state,
        application,
        lambda answer, a: allowed(answer, a, Action.REQUEST_DOCUMENTS),
        StaffDialog.docs_what,
        fmt(_(view.DOCS_PROMPT), number=application.number),
    )


async def on_docs_answer(
    message: Message, app: AppContext, bot: Bot, state: FSMContext, application_id: int
) -> None:
    """What documents are missing: the application waits for them, the applicant is told."""
    user = message.from_user
    assert user is not None
    await answered_by(
        message,
        app,
        bot,
        state,
        application_id,
        lambda text: perform(
            app, application_id, Action.REQUEST_DOCUMENTS, member(user), comment=text
        ),
        lambda done: fmt(_(view.DOCS_DONE), number=done.number),
    )


async def on_approve(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: ApplicationRef,
    app: AppContext,
    bot: Bot,
) -> None:
    if not allowed(callback_answer, application, Action.APPROVE):
        return
    chat_id = app.settings.staff_chat_id
    assert chat_id is not None
    result = await approval_schedule(app, application.id)
    total = money(result.total, app.settings.default_locale) if result is not None else "—"
    keyboard: InlineKeyboardMarkup = confirm_keyboard(
        _(view.APPROVE_YES), ApproveConfirm(app=application.id).pack(), application.id
    )
    await bot.send_message(
        chat_id,
        fmt(_(view.APPROVE_QUESTION), number=application.number, total=total),
        reply_parameters=card_reply(application.staff_card_message_id),
        reply_markup=keyboard,
    )


async def on_approve_confirm(
    query: CallbackQuery,
    callback_data: ApproveConfirm,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
) -> None:
    if await do(query, callback_answer, bot, app, callback_data.app, Action.APPROVE):
        application = await application_ref(app, callback_data.app)
        number = application.number if application else "?"
        await close_picker(
            query, fmt(_(view.APPROVED_BY), number=number, who=query.from_user.full_name)
        )


def router() -> Router:
    r = Router(name="staff_decisions")
    on_card = CardApplication()
    r.callback_query.register(on_take, CardAction.filter(F.action == "take"), on_card)
    r.callback_query.register(on_provided, CardAction.filter(F.action == "provided"), on_card)
    r.callback_query.register(on_docs, CardAction.filter(F.action == "docs"), on_card)
    r.callback_query.register(on_approve, CardAction.filter(F.action == "approve"), on_card)
    r.callback_query.register(on_approve_confirm, ApproveConfirm.filter())
    r.message.register(on_docs_answer, StateFilter(StaffDialog.docs_what), InDialog())
    return r
