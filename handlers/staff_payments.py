"""Payments from the card of an approved application: mark a quarter paid (only a due one,
earliest first: p.7) and correct a mark made by mistake — each picked, then confirmed with
its months and amount —, record an overpayment (p.9: amount, then the reason the applicant
sees) and a termination event (p.5: the event, then its date). Part of the staff router
(handlers/staff.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import N_, _, current
from bot.usecases.cards import ApplicationRef, QuarterRef, application_ref, quarter_ref
from bot.usecases.transitions import (
    Done,
    StaffActionError,
    correct_quarter_payment,
    correctable_quarter,
    mark_quarter_paid,
    parse_amount,
    payable_quarter,
    quarters_in,
    record_overpayment,
    record_termination,
)
from bot.views import staff_dialogs as view
from bot.views.cards import CardAction
from bot.views.fmt import fmt
from bot.views.formatting import day, money
from bot.views.status import STOP_REASON_TEXTS
from core.schedule import StopReason
from core.status import QuarterStatus, in_payment
from core.validators import Invalid, parse_date
from handlers._staff import (
    CardApplication,
    InDialog,
    StaffDialog,
    answered_by,
    ask_on_card,
    close_picker,
    confirm_keyboard,
    error_text,
    free_for_dialog,
    member,
    paying,
    prompt,
    refresh,
    refuse,
    send_picker,
)


class QuarterPick(CallbackData, prefix="stq"):
    app: int
    quarter: int


class QuarterConfirm(CallbackData, prefix="stp"):
    app: int
    quarter: int


class CorrectionPick(CallbackData, prefix="stc"):
    app: int
    quarter: int


class CorrectionConfirm(CallbackData, prefix="stk"):
    app: int
    quarter: int


class StopPick(CallbackData, prefix="sts"):
    app: int
    reason: str


STOP_CHOICES = (
    (StopReason.STATE_INSTITUTION, N_("Study in a state institution")),
    (StopReason.DISABILITY_END, N_("End of the disability term")),
    (StopReason.AGE_18, N_("The child turned 18")),
    (StopReason.DEATH, N_("Death of the child")),
)


def _language(app: AppContext) -> str:
    return app.settings.default_locale


# ------------------------------------------------------------------ quarters (p.7)


def _quarter_picker(
    status: QuarterStatus,
    none: str,
    question: str,
    pick: Callable[[int, QuarterRef], CallbackData],
    *,
    due_hint: bool,
) -> Callable[[CallbackQuery, CallbackAnswer, ApplicationRef, AppContext, Bot], Awaitable[None]]:
    """The handler of a card button that lists the application's quarters in `status` as
    a picker under the card (not due ones say from when, with `due_hint`); an alert
    (`none`) when there are none or the application is not paid by quarters."""

    async def handler(
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        application: ApplicationRef,
        app: AppContext,
        bot: Bot,
    ) -> None:
        quarters = await quarters_in(app, application.id, status)
        if not quarters or not in_payment(application.status):
            callback_answer.text = _(none)
            callback_answer.show_alert = True
            return
        today = app.clock.today() if due_hint else None
        await send_picker(
            bot,
            app,
            application,
            fmt(_(question), number=application.number),
            [
                (view.quarter_label(current(), q, _language(app), today), pick(application.id, q))
                for q in quarters
            ],
        )

    return handler


on_pay = _quarter_picker(
    QuarterStatus.PLANNED,
    view.NOTHING_TO_PAY,
    view.PAY_QUESTION,
    lambda app, q: QuarterPick(app=app, quarter=q.id),
    due_hint=True,
)
on_unpay = _quarter_picker(
    QuarterStatus.PAID,
    view.NOTHING_PAID,
    view.UNPAY_QUESTION,
    lambda app, q: CorrectionPick(app=app, quarter=q.id),
    due_hint=False,
)


async def _ask_to_confirm(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    app: AppContext,
    application_id: int,
    pick: Callable[[], Awaitable[QuarterRef]],
    question: str,
    yes: str,
    confirm: CallbackData,
) -> None:
    """A quarter picked under a card: refused with an alert when the use case refuses it,
    otherwise the picker shows `question` (the quarter, its months and amount) with Yes/No."""
    try:
        quarter = await pick()
    except StaffActionError as error:
        refuse(callback_answer, error)
        return
    application = await application_ref(app, application_id)
    if application is None or query.message is None or not isinstance(query.message, Message):
        refuse(callback_answer, StaffActionError("not_found"))
        return
    await query.message.edit_text(
        fmt(
            _(question),
            number=application.number,
            **view.quarter_words(quarter, _language(app)),
        ),
        reply_markup=confirm_keyboard(_(yes), confirm.pack(), application_id),
    )


async def _confirmed(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    application_id: int,
    quarter_id: int,
    act: Callable[[int], Awaitable[Done]],
    answer: str,
    done_text: str,
) -> None:
    """The Yes under a quarter's confirmation: the use case acts (and may still refuse),
    the picker closes with `done_text`, the card is refreshed."""
    quarter = await quarter_ref(app, quarter_id)
    if quarter is None or quarter.application_id != application_id:
        refuse(callback_answer, StaffActionError("not_found"))
        return
    try:
        done = await act(quarter.id)
    except StaffActionError as error:
        refuse(callback_answer, error)
        return
    callback_answer.text = _(answer)
    await close_picker(
        query,
        fmt(
            _(done_text),
            number=done.number,
            quarter=quarter.quarter,
            school_year=quarter.school_year,
            who=query.from_user.full_name,
        ),
    )
    await refresh(bot, app, application_id)


async def on_quarter(
    query: CallbackQuery,
    callback_data: QuarterPick,
    callback_answer: CallbackAnswer,
    app: AppContext,
) -> None:
    """A quarter picked to be marked paid: refused with an alert unless it is due and the
    earliest planned one (p.7); otherwise the picker asks to confirm, with the amount."""
    await _ask_to_confirm(
        query,
        callback_answer,
        app,
        callback_data.app,
        lambda: payable_quarter(app, callback_data.quarter, callback_data.app),
        view.PAY_CONFIRM,
        view.PAY_YES,
        QuarterConfirm(app=callback_data.app, quarter=callback_data.quarter),
    )


async def on_quarter_confirm(
    query: CallbackQuery,
    callback_data: QuarterConfirm,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
) -> None:
    await _confirmed(
        query,
        callback_answer,
        app,
        bot,
        callback_data.app,
        callback_data.quarter,
        lambda quarter_id: mark_quarter_paid(app, quarter_id, member(query.from_user)),
        view.PAID_ANSWER,
        view.PAID_BY,
    )


async def on_correction(
    query: CallbackQuery,
    callback_data: CorrectionPick,
    callback_answer: CallbackAnswer,
    app: AppContext,
) -> None:
    """A quarter marked paid by mistake: the picker asks to confirm the correction."""
    await _ask_to_confirm(
        query,
        callback_answer,
        app,
        callback_data.app,
        lambda: correctable_quarter(app, callback_data.quarter, callback_data.app),
        view.UNPAY_CONFIRM,
        view.UNPAY_YES,
        CorrectionConfirm(app=callback_data.app, quarter=callback_data.quarter),
    )


async def on_correction_confirm(
    query: CallbackQuery,
    callback_data: CorrectionConfirm,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
) -> None:
    await _confirmed(
        query,
        callback_answer,
        app,
        bot,
        callback_data.app,
        callback_data.quarter,
        lambda quarter_id: correct_quarter_payment(app, quarter_id, member(query.from_user)),
        view.CORRECTED_ANSWER,
        view.CORRECTED_BY,
    )


# ------------------------------------------------------------------ overpayment (p.9)


async def on_overpay(
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
        paying,
        StaffDialog.overpay_amount,
        fmt(_(view.OVERPAY_PROMPT), number=application.number),
    )


async def on_overpay_amount(
    message: Message, app: AppContext, bot: Bot, state: FSMContext, application_id: int
) -> None:
    user = message.from_user
    assert user is not None
    amount = parse_amount(message.text or "")
    if amount is None:
        await message.reply(_(view.OVERPAY_BAD_AMOUNT))
        return
    application = await application_ref(app, application_id)
    if application is None:
        await state.clear()
        return
    await prompt(
        bot,
        app,
        state,
        user,
        StaffDialog.overpay_reason,
        application,
        _(view.OVERPAY_REASON_PROMPT).format(amount=money(amount, _language(app))),
        amount=str(amount),
    )


async def on_overpay_reason(
    message: Message,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
    application_id: int,
    dialog: dict[str, object],
) -> None:
    user = message.from_user
    assert user is not None
    amount = Decimal(str(dialog["amount"]))
    await answered_by(
        message,
        app,
        bot,
        state,
        application_id,
        lambda text: record_overpayment(app, application_id, amount, text, member(user)),
        lambda done: fmt(
            _(view.OVERPAY_DONE), amount=money(amount, _language(app)), number=done.number
        ),
    )


# ------------------------------------------------------------------ termination (p.5)


async def on_stop(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: ApplicationRef,
    app: AppContext,
    bot: Bot,
) -> None:
    if not await free_for_dialog(app, callback_answer, query.from_user, None):
        return
    if not paying(callback_answer, application):
        return
    await send_picker(
        bot,
        app,
        application,
        fmt(_(view.STOP_QUESTION), number=application.number),
        [
            (_(label), StopPick(app=application.id, reason=reason.value))
            for reason, label in STOP_CHOICES
        ],
    )


async def on_stop_reason(
    query: CallbackQuery,
    callback_data: StopPick,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    application = await application_ref(app, callback_data.app)
    labels = {reason.value: label for reason, label in STOP_CHOICES}
    if application is None or callback_data.reason not in labels:
        refuse(callback_answer, StaffActionError("not_found"))
        return
    await close_picker(
        query,
        fmt(
            _(view.STOP_CHOSEN),
            number=application.number,
            event=_(labels[callback_data.reason]),
        ),
    )
    await prompt(
        bot,
        app,
        state,
        query.from_user,
        StaffDialog.stop_date,
        application,
        _(view.STOP_DATE_PROMPT),
        reason=callback_data.reason,
    )


async def on_stop_date(
    message: Message,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
    application_id: int,
    dialog: dict[str, object],
) -> None:
    user = message.from_user
    assert user is not None
    parsed = parse_date(message.text or "")
    if isinstance(parsed, Invalid):
        await message.reply(_(view.STOP_BAD_DATE))
        return
    if parsed > app.clock.today():
        await message.reply(_(view.STOP_FUTURE_DATE))
        return
    try:
        done = await record_termination(
            app, application_id, StopReason(str(dialog["reason"])), parsed, member(user)
        )
    except StaffActionError as error:
        await state.clear()
        await message.reply(error_text(error))
        return
    await state.clear()
    reason = STOP_REASON_TEXTS.get(str(dialog["reason"]))
    await message.reply(
        fmt(
            _(view.STOP_DONE),
            number=done.number,
            date=day(parsed),
            reason=_(reason) if reason else "",
        )
    )
    await refresh(bot, app, application_id)


def router() -> Router:
    r = Router(name="staff_payments")
    on_card = CardApplication()
    r.callback_query.register(on_pay, CardAction.filter(F.action == "pay"), on_card)
    r.callback_query.register(on_unpay, CardAction.filter(F.action == "unpay"), on_card)
    r.callback_query.register(on_overpay, CardAction.filter(F.action == "overpay"), on_card)
    r.callback_query.register(on_stop, CardAction.filter(F.action == "stop"), on_card)
    r.callback_query.register(on_quarter, QuarterPick.filter())
    r.callback_query.register(on_quarter_confirm, QuarterConfirm.filter())
    r.callback_query.register(on_correction, CorrectionPick.filter())
    r.callback_query.register(on_correction_confirm, CorrectionConfirm.filter())
    r.callback_query.register(on_stop_reason, StopPick.filter())
    r.message.register(on_overpay_amount, StateFilter(StaffDialog.overpay_amount), InDialog())
    r.message.register(on_overpay_reason, StateFilter(StaffDialog.overpay_reason), InDialog())
    r.message.register(on_stop_date, StateFilter(StaffDialog.stop_date), InDialog())
    return r
