"""The Department's staff in the staff chat (STAFF_CHAT_ID): card buttons, dialogs,
relayed replies, /find, /export, /stats.

Only users in STAFF_USER_IDS may act, and only inside STAFF_CHAT_ID: any other
press of a staff button (or callback data forged in a private chat) is refused
with answerCallbackQuery and changes nothing. Actions go through
bot/usecases/transitions.py (status + audit + outbox in one transaction); the
card is edited in place afterwards. Dialog prompts are replies with ForceReply,
so they work with the bot's group privacy mode on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    User,
)
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import N_, _
from bot.outbox.hooks import refresh_card
from bot.usecases import exports as staff_export
from bot.usecases.cards import (
    ApplicationRef,
    QuarterRef,
    application_ref,
    approval_schedule,
    card_data,
    quarter_ref,
    queue_card_refresh,
    replied_application,
    use_card_message,
)
from bot.usecases.official import record_by_staff
from bot.usecases.transitions import (
    Done,
    PendingRefusal,
    StaffActionError,
    StaffMember,
    correct_quarter_payment,
    correctable_quarter,
    leave_refusal,
    mark_quarter_paid,
    parse_amount,
    payable_quarter,
    perform,
    quarters_in,
    record_overpayment,
    record_termination,
    refusal_of,
    refusal_waiting_for,
    refuse_with_comment,
    send_staff_message,
    start_refusal,
)
from bot.views import official as official_view
from bot.views.cards import CardAction, card_keyboard, card_text, history_texts
from bot.views.fmt import b, fmt, join, link
from bot.views.formatting import day, money
from bot.views.status import GROUND_LABELS, GROUND_TEXTS, STATUS_TEXTS, STOP_REASON_TEXTS
from core.months import Month
from core.schedule import StopReason
from core.status import (
    Action,
    Actor,
    QuarterStatus,
    due_from,
    in_payment,
    is_due,
    permits,
    takes_official_request,
)
from core.validators import Invalid, parse_date, parse_text
from handlers import desk_stats
from handlers.relay import reply_router

log = logging.getLogger(__name__)


class GroundPick(CallbackData, prefix="stg"):
    app: int
    ground: int


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


class ApproveConfirm(CallbackData, prefix="sta"):
    app: int


class DialogCancel(CallbackData, prefix="stx"):
    app: int


PREFIXES = ("stf:", "stg:", "stq:", "stp:", "stc:", "stk:", "sts:", "sta:", "stx:")


class StaffDialog(StatesGroup):
    reject_comment = State()
    docs_what = State()
    overpay_amount = State()
    overpay_reason = State()
    stop_date = State()
    official_number = State()


ERROR_TEXTS = {
    "not_found": N_("This application was not found."),
    "not_allowed": N_("This action is not possible in the current status of the application."),
    "conflict": N_("Someone has just changed this application: look at the card again."),
    "ground_required": N_("A refusal needs one ground of p.8 (1–4)."),
    "already_paid": N_("This quarter is already marked paid or cancelled."),
    "not_due": N_(
        "Quarter {quarter} of {school_year} is not due yet: it can be marked paid from {due}."
    ),
    "earlier_unpaid": N_(
        "Quarters are paid in order: first mark quarter {earlier_quarter} of "
        "{earlier_school_year} paid."
    ),
    "not_paid": N_("This quarter is not marked paid: there is nothing to correct."),
    "refusal_pending": N_(
        "A refusal on ground p.8({ground}) is already waiting for the comment from {who}."
    ),
    "own_refusal_pending": N_(
        "Your refusal of application {number} is waiting for its comment: finish it or leave it first."
    ),
    "no_refusal": N_("No refusal of this application is waiting for a comment."),
    "amount": N_("The amount must be a positive number of tenge."),
    "duplicate": N_("This termination event is already recorded."),
    "official_changed": N_(
        "Someone has just recorded official request {official} for application {number}: "
        "yours was not recorded."
    ),
}

STOP_CHOICES = (
    (StopReason.STATE_INSTITUTION, N_("Study in a state institution")),
    (StopReason.DISABILITY_END, N_("End of the disability term")),
    (StopReason.AGE_18, N_("The child turned 18")),
    (StopReason.DEATH, N_("Death of the child")),
)


def authorised(app: AppContext, chat_id: int | None, user: User | None) -> bool:
    staff_chat = app.settings.staff_chat_id
    return (
        staff_chat is not None
        and chat_id == staff_chat
        and user is not None
        and app.is_staff(user.id)
    )


def member(user: User) -> StaffMember:
    return StaffMember(user.id, user.full_name[:200] if user.full_name else None)


def error_text(error: StaffActionError) -> str:
    message = ERROR_TEXTS.get(error.code)
    if not message:
        return error.code
    params = {
        key: day(value) if isinstance(value, dt.date) else value
        for key, value in error.params.items()
    }
    return _(message).format(**params) if params else _(message)


class StaffButton(Filter):
    """Callback data of any staff button."""

    async def __call__(self, query: CallbackQuery) -> bool:
        return bool(query.data and query.data.startswith(PREFIXES))


class NotAuthorised(Filter):
    async def __call__(self, query: CallbackQuery, app: AppContext) -> bool:
        chat_id = query.message.chat.id if query.message is not None else None
        return not authorised(app, chat_id, query.from_user)


async def on_refused(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """Anyone but staff, or outside the staff chat: refuse, change nothing."""
    log.info("staff button refused for user %s", query.from_user.id)
    callback_answer.text = _("Only the Department's staff can do this, in the staff chat.")
    callback_answer.show_alert = True


# ------------------------------------------------------------------ helpers


def _refuse(callback_answer: CallbackAnswer, error: StaffActionError) -> None:
    """Answer the pressed button with the error as an alert the staff member has to dismiss."""
    callback_answer.text = error_text(error)
    callback_answer.show_alert = True


def _allowed(callback_answer: CallbackAnswer, application: ApplicationRef, action: Action) -> bool:
    """Whether core's status machine lets staff take `action` now; if not, the button is
    refused ("not_allowed")."""
    if permits(application.status, action, Actor.STAFF):
        return True
    _refuse(callback_answer, StaffActionError("not_allowed"))
    return False


def _paying(callback_answer: CallbackAnswer, application: ApplicationRef) -> bool:
    """Whether the application is paid by quarters now (core.status.in_payment); if not,
    the button is refused ("not_allowed")."""
    if in_payment(application.status):
        return True
    _refuse(callback_answer, StaffActionError("not_allowed"))
    return False


def _card_reply(card_id: int | None) -> ReplyParameters | None:
    return (
        ReplyParameters(message_id=card_id, allow_sending_without_reply=True) if card_id else None
    )


async def _refresh(bot: Bot, app: AppContext, application_id: int) -> None:
    try:
        await refresh_card(bot, app, application_id)
    except Exception as error:  # throttled or gone: the sender will do it
        log.warning("card %s not refreshed now (%s): queued", application_id, type(error).__name__)
        await queue_card_refresh(app, application_id)


async def _application(app: AppContext, application_id: int) -> ApplicationRef | None:
    return await application_ref(app, application_id)


def _cancel_button(application_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("✖️ Cancel"), callback_data=DialogCancel(app=application_id).pack()
    )


def _quarter_label(app: AppContext, q: QuarterRef, today: dt.date | None = None) -> str:
    """A quarter on a picker button; one not due yet says from when (p.7)."""
    amount = money(Decimal(q.amount), app.settings.default_locale)
    if today is not None:
        months = _months(q)
        if months and not is_due(months, today):
            return _("Q{quarter} {school_year} — {amount} (from {due})").format(
                quarter=q.quarter,
                school_year=q.school_year,
                amount=amount,
                due=day(due_from(months)),
            )
    return _("Q{quarter} {school_year} — {amount}").format(
        quarter=q.quarter, school_year=q.school_year, amount=amount
    )


def _months(q: QuarterRef) -> tuple[Month, ...]:
    return q.months


def _quarter_words(app: AppContext, q: QuarterRef) -> dict[str, str]:
    """Fields of a confirmation: quarter, school year, months, amount (for `fmt`)."""
    return {
        "quarter": str(q.quarter),
        "school_year": q.school_year,
        "months": ", ".join(m.display() for m in _months(q)),
        "amount": money(Decimal(q.amount), app.settings.default_locale),
    }


def _confirm_keyboard(yes: str, data: str, application_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=yes, callback_data=data), _cancel_button(application_id)]
        ]
    )


def _mention(user: User) -> str:
    return link(f"tg://user?id={user.id}", user.full_name or str(user.id))


async def _prompt(
    bot: Bot,
    app: AppContext,
    state: FSMContext,
    user: User,
    step: State,
    application: ApplicationRef,
    text: str,
    **data: Any,
) -> None:
    """Ask a staff member for a typed answer: a ForceReply addressed to them."""
    chat_id = app.settings.staff_chat_id
    assert chat_id is not None
    sent = await bot.send_message(
        chat_id,
        f"{_mention(user)}, {text}",
        reply_markup=ForceReply(selective=True, input_field_placeholder=application.number),
        reply_parameters=_card_reply(application.staff_card_message_id),
    )
    await state.set_state(step)
    await state.update_data(app=application.id, prompt=sent.message_id, **data)


async def _do(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    bot: Bot,
    app: AppContext,
    application_id: int,
    action: Action,
    **kwargs: Any,
) -> bool:
    try:
        done = await perform(app, application_id, action, member(query.from_user), **kwargs)
    except StaffActionError as error:
        _refuse(callback_answer, error)
        await _refresh(bot, app, application_id)
        return False
    status = STATUS_TEXTS.get(done.new_status)
    callback_answer.text = _("Done: {number} — {status}.").format(
        number=done.number, status=_(status) if status else done.new_status
    )
    await _refresh(bot, app, application_id)
    return True


# ------------------------------------------------------------------ a refusal waiting for its comment

CANCEL_WORDS = ("/cancel", "отмена", "бас тарту", "болдырмау", "cancel")

# Card buttons that start a typed dialog: not while the member's own refusal waits.
DIALOGS = ("docs", "reject", "overpay", "stop", "official")


async def _free_for_dialog(
    app: AppContext, callback_answer: CallbackAnswer, user: User, same_application: int | None
) -> bool:
    """False (and an alert) when this staff member's refusal of another application
    still waits for its comment: one typed dialog at a time, nothing mixed up."""
    mine = await refusal_waiting_for(app, user.id)
    if mine is None or mine.application_id == same_application:
        return True
    _refuse(callback_answer, StaffActionError("own_refusal_pending", number=mine.number))
    return False


async def _leave_refusal(
    app: AppContext,
    bot: Bot,
    state: FSMContext,
    user: User,
    application_id: int,
    callback_answer: CallbackAnswer | None = None,
) -> str:
    """Leave the refusal waiting on an application (card back to normal); the text said."""
    try:
        left = await leave_refusal(app, application_id, member(user))
    except StaffActionError as error:
        text = error_text(error)
        if callback_answer is not None:
            _refuse(callback_answer, error)
        return text
    if await state.get_state() == StaffDialog.reject_comment.state:
        await state.clear()
    text = _("The refusal of {number} is left: nothing was sent to the applicant.").format(
        number=left.number
    )
    if callback_answer is not None:
        callback_answer.text = text
    await _refresh(bot, app, application_id)
    return text


async def _remind_refusal(
    message: Message, app: AppContext, state: FSMContext, waiting: PendingRefusal
) -> None:
    """A staff message while their refusal waits: nothing is relayed; the reminder is
    the new request for the comment (a ForceReply), so the dialog goes on from it."""
    user = message.from_user
    assert user is not None
    sent = await message.reply(
        fmt(
            _(
                "⏳ Your refusal of application {number} on ground p.8({ground}) is waiting for its "
                "comment. Nothing was sent to the applicant. Reply to this message with the comment, "
                "or press “↩️ Leave the refusal” on the card."
            ),
            number=waiting.number,
            ground=waiting.ground,
        ),
        reply_markup=ForceReply(selective=True, input_field_placeholder=waiting.number),
    )
    data = await state.get_data()
    earlier = _prompts(data) if int(data.get("app", 0)) == waiting.application_id else []
    await state.set_state(StaffDialog.reject_comment)
    await state.set_data(
        {"app": waiting.application_id, "prompt": sent.message_id, "earlier": earlier[-5:]}
    )


def _prompts(data: dict[str, Any]) -> list[int]:
    """The requests for the refusal's comment a reply may answer (the last and earlier ones)."""
    found = [int(m) for m in data.get("earlier") or []]
    if data.get("prompt"):
        found.append(int(data["prompt"]))
    return found


# ------------------------------------------------------------------ card buttons


async def on_card_button(
    query: CallbackQuery,
    callback_data: CardAction,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    application = await _application(app, callback_data.app)
    if application is None:
        _refuse(callback_answer, StaffActionError("not_found"))
        return
    code = callback_data.action
    card = _card_reply(application.staff_card_message_id)
    chat_id = app.settings.staff_chat_id
    assert chat_id is not None
    if code in DIALOGS and not await _free_for_dialog(
        app, callback_answer, query.from_user, application.id if code == "reject" else None
    ):
        return
    if code == "take":
        await _do(query, callback_answer, bot, app, application.id, Action.TAKE)
    elif code == "provided":
        await _do(query, callback_answer, bot, app, application.id, Action.PROVIDE_DOCUMENTS)
    elif code == "docs":
        if not _allowed(callback_answer, application, Action.REQUEST_DOCUMENTS):
            return
        await _prompt(
            bot,
            app,
            state,
            query.from_user,
            StaffDialog.docs_what,
            application,
            fmt(
                _(
                    "what documents are missing for application {number}? Reply to this message; the applicant "
                    "will receive your words."
                ),
                number=application.number,
            ),
        )
    elif code == "approve":
        if not _allowed(callback_answer, application, Action.APPROVE):
            return
        result = await approval_schedule(app, application.id)
        total = money(result.total, app.settings.default_locale) if result is not None else "—"
        await bot.send_message(
            chat_id,
            fmt(
                _(
                    "Approve application {number}? The payment schedule will be stored: total {total}."
                ),
                number=application.number,
                total=total,
            ),
            reply_parameters=card,
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("✅ Yes, approve"),
                            callback_data=ApproveConfirm(app=application.id).pack(),
                        ),
                        _cancel_button(application.id),
                    ]
                ]
            ),
        )
    elif code == "reject":
        if not _allowed(callback_answer, application, Action.REJECT):
            return
        waiting = await refusal_of(app, application.id)
        if waiting is not None and waiting.staff_id != query.from_user.id:
            _refuse(
                callback_answer,
                StaffActionError(
                    "refusal_pending", who=waiting.staff_name or "—", ground=waiting.ground
                ),
            )
            return
        rows = [
            [
                InlineKeyboardButton(
                    text=f"{number}) {_(GROUND_LABELS[number])}",
                    callback_data=GroundPick(app=application.id, ground=number).pack(),
                )
            ]
            for number in (1, 2, 3, 4)
        ]
        rows.append([_cancel_button(application.id)])
        lines = [
            fmt(
                _("Refusal of application {number}: choose the ground of p.8."),
                number=application.number,
            )
        ]
        lines += [
            fmt("{number}) {text}", number=number, text=_(GROUND_TEXTS[number]))
            for number in (1, 2, 3, 4)
        ]
        await bot.send_message(
            chat_id,
            "\n".join(lines),
            reply_parameters=card,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )
    elif code == "pay":
        quarters = await quarters_in(app, application.id, QuarterStatus.PLANNED)
        if not quarters or not in_payment(application.status):
            callback_answer.text = _("No planned quarter to mark paid.")
            callback_answer.show_alert = True
            return
        today = app.clock.today()
        rows = [
            [
                InlineKeyboardButton(
                    text=_quarter_label(app, q, today),
                    callback_data=QuarterPick(app=application.id, quarter=q.id).pack(),
                )
            ]
            for q in quarters
        ]
        rows.append([_cancel_button(application.id)])
        await bot.send_message(
            chat_id,
            fmt(_("Application {number}: which quarter was paid?"), number=application.number),
            reply_parameters=card,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )
    elif code == "unpay":
        quarters = await quarters_in(app, application.id, QuarterStatus.PAID)
        if not quarters or not in_payment(application.status):
            callback_answer.text = _("No quarter is marked paid.")
            callback_answer.show_alert = True
            return
        rows = [
            [
                InlineKeyboardButton(
                    text=_quarter_label(app, q),
                    callback_data=CorrectionPick(app=application.id, quarter=q.id).pack(),
                )
            ]
            for q in quarters
        ]
        rows.append([_cancel_button(application.id)])
        await bot.send_message(
            chat_id,
            fmt(
                _("Application {number}: which quarter was marked paid by mistake?"),
                number=application.number,
            ),
            reply_parameters=card,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )
    elif code == "overpay":
        if not _paying(callback_answer, application):
            return
        await _prompt(
            bot,
            app,
            state,
            query.from_user,
            StaffDialog.overpay_amount,
            application,
            fmt(
                _(
                    "overpayment under application {number} (p.9): reply with the amount in tenge, "
                    "for example 15728,00."
                ),
                number=application.number,
            ),
        )
    elif code == "stop":
        if not _paying(callback_answer, application):
            return
        rows = [
            [
                InlineKeyboardButton(
                    text=_(label),
                    callback_data=StopPick(app=application.id, reason=reason.value).pack(),
                )
            ]
            for reason, label in STOP_CHOICES
        ]
        rows.append([_cancel_button(application.id)])
        await bot.send_message(
            chat_id,
            fmt(
                _("Application {number}: which event stops the payment (p.5)?"),
                number=application.number,
            ),
            reply_parameters=card,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )
    elif code == "official":
        if not takes_official_request(application.status):
            _refuse(callback_answer, StaffActionError("not_allowed"))
            await _refresh(bot, app, application.id)
            return
        await _prompt(
            bot,
            app,
            state,
            query.from_user,
            StaffDialog.official_number,
            application,
            _official_question(application),
            was=application.official_request,
        )
    elif code == "leave":
        await _leave_refusal(app, bot, state, query.from_user, application.id, callback_answer)
    elif code == "history":
        data = await card_data(app, application.id)
        if data is not None:
            for text in history_texts(app, data):
                await bot.send_message(chat_id, text, reply_parameters=card)
    elif code == "repost":
        await _repost(bot, app, application.id)
    else:
        callback_answer.text = _("This button is no longer active.")


async def _repost(bot: Bot, app: AppContext, application_id: int) -> None:
    """Post the card again (a fresh message at the bottom of the chat) and use it from now on."""
    chat_id = app.settings.staff_chat_id
    assert chat_id is not None
    data = await card_data(app, application_id)
    if data is None:
        return
    sent = await bot.send_message(
        chat_id, card_text(app, data), reply_markup=card_keyboard(app, data)
    )
    await use_card_message(app, application_id, sent.message_id)


async def _close_picker(query: CallbackQuery, text: str) -> None:
    """Replace a picker's buttons by what was chosen."""
    if query.message is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=None)
        except Exception as error:
            log.info("picker not edited: %s", type(error).__name__)


async def on_approve_confirm(
    query: CallbackQuery,
    callback_data: ApproveConfirm,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
) -> None:
    if await _do(query, callback_answer, bot, app, callback_data.app, Action.APPROVE):
        application = await _application(app, callback_data.app)
        number = application.number if application else "?"
        await _close_picker(
            query,
            fmt(
                _("✅ Application {number} approved by {who}."),
                number=number,
                who=query.from_user.full_name,
            ),
        )


async def on_ground(
    query: CallbackQuery,
    callback_data: GroundPick,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    application = await _application(app, callback_data.app)
    if application is None or callback_data.ground not in GROUND_TEXTS:
        _refuse(callback_answer, StaffActionError("not_found"))
        return
    if not _allowed(callback_answer, application, Action.REJECT):
        return
    if not await _free_for_dialog(app, callback_answer, query.from_user, application.id):
        return
    try:
        await start_refusal(app, application.id, callback_data.ground, member(query.from_user))
    except StaffActionError as error:
        _refuse(callback_answer, error)
        await _refresh(bot, app, application.id)
        return
    words = _(GROUND_TEXTS[callback_data.ground])
    await _close_picker(
        query,
        fmt(
            _("Refusal of application {number}: ground p.8({ground}) — {words}."),
            number=application.number,
            ground=callback_data.ground,
            words=words,
        ),
    )
    await _prompt(
        bot,
        app,
        state,
        query.from_user,
        StaffDialog.reject_comment,
        application,
        fmt(
            _(
                "reply with a comment for the applicant: why the application of {number} is refused."
            ),
            number=application.number,
        ),
        ground=callback_data.ground,
    )
    await _refresh(bot, app, application.id)


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
        _refuse(callback_answer, error)
        return
    application = await _application(app, application_id)
    if application is None or query.message is None or not isinstance(query.message, Message):
        _refuse(callback_answer, StaffActionError("not_found"))
        return
    await query.message.edit_text(
        fmt(question, number=application.number, **_quarter_words(app, quarter)),
        reply_markup=_confirm_keyboard(yes, confirm.pack(), application_id),
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
        _refuse(callback_answer, StaffActionError("not_found"))
        return
    try:
        done = await act(quarter.id)
    except StaffActionError as error:
        _refuse(callback_answer, error)
        return
    callback_answer.text = answer
    await _close_picker(
        query,
        fmt(
            done_text,
            number=done.number,
            quarter=quarter.quarter,
            school_year=quarter.school_year,
            who=query.from_user.full_name,
        ),
    )
    await _refresh(bot, app, application_id)


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
        _(
            "💰 Mark paid under application {number}: quarter {quarter} of {school_year} "
            "({months}) — {amount}? The applicant will be told."
        ),
        _("✅ Yes, paid"),
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
        _("Marked paid."),
        _("💰 {number}: quarter {quarter} of {school_year} marked paid by {who}."),
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
        _(
            "↩️ Cancel the “paid” mark of quarter {quarter} of {school_year} ({months}) — {amount} "
            "under application {number}? The applicant will be told that it is not paid yet."
        ),
        _("↩️ Yes, correct"),
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
        _("Corrected."),
        _(
            "↩️ {number}: the “paid” mark of quarter {quarter} of {school_year} was corrected by "
            "{who}. The applicant is notified."
        ),
    )


async def on_stop_reason(
    query: CallbackQuery,
    callback_data: StopPick,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    application = await _application(app, callback_data.app)
    labels = {reason.value: label for reason, label in STOP_CHOICES}
    if application is None or callback_data.reason not in labels:
        _refuse(callback_answer, StaffActionError("not_found"))
        return
    await _close_picker(
        query,
        fmt(
            _("Application {number}: {event}."),
            number=application.number,
            event=_(labels[callback_data.reason]),
        ),
    )
    await _prompt(
        bot,
        app,
        state,
        query.from_user,
        StaffDialog.stop_date,
        application,
        _("reply with the date of the event as DD.MM.YYYY."),
        reason=callback_data.reason,
    )


async def on_dialog_cancel(
    query: CallbackQuery,
    callback_data: DialogCancel,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    await _leave_own_refusal(app, bot, state, query.from_user, only=callback_data.app)
    await state.clear()
    callback_answer.text = _("Cancelled.")
    await _close_picker(query, _("Cancelled."))


async def _leave_own_refusal(
    app: AppContext, bot: Bot, state: FSMContext, user: User, only: int | None = None
) -> str | None:
    """/cancel (and Cancel under a picker of the same application) also leave the
    member's own refusal waiting for its comment."""
    mine = await refusal_waiting_for(app, user.id)
    if mine is None or (only is not None and mine.application_id != only):
        return None
    return await _leave_refusal(app, bot, state, user, mine.application_id)


# ------------------------------------------------------------------ messages in the staff chat


async def on_cancel_command(message: Message, app: AppContext, bot: Bot, state: FSMContext) -> None:
    left = (
        await _leave_own_refusal(app, bot, state, message.from_user)
        if message.from_user is not None and authorised(app, message.chat.id, message.from_user)
        else None
    )
    await state.clear()
    await message.reply(join([_("Cancelled."), *([left] if left else [])], " "))


async def on_staff_message(message: Message, app: AppContext, bot: Bot, state: FSMContext) -> None:
    """A staff member's message in the staff chat: a dialog answer or a reply to relay."""
    user = message.from_user
    if user is None or not authorised(app, message.chat.id, user):
        return
    current = await state.get_state()
    data = await state.get_data()
    replied = message.reply_to_message
    waiting = await refusal_waiting_for(app, user.id)
    if waiting is not None:
        # Only an explicit reply to a request for the comment is the comment (or a cancel
        # word): a refusal is irreversible, a stray message must not become its reason.
        typed = (message.text or "").strip().lower()
        answers_prompt = (
            replied.message_id in _prompts(data) if replied is not None else typed in CANCEL_WORDS
        )
        if (
            current == StaffDialog.reject_comment.state
            and int(data.get("app", 0)) == waiting.application_id
            and answers_prompt
        ):
            await _dialog_answer(message, app, bot, state, str(current), data)
        else:  # never relayed: the refusal's comment must not reach the parent as a message
            await _remind_refusal(message, app, state, waiting)
        return
    if current is not None:
        if replied is None or replied.message_id in _prompts(data):
            await _dialog_answer(message, app, bot, state, current, data)
            return
        await state.clear()  # the staff member moved on: an abandoned dialog is dropped
    if replied is None:
        return
    application_id = await replied_application(app, message.chat.id, replied.message_id)
    if application_id is None:
        return
    await _relay_to_parent(message, app, application_id)


async def _relay_to_parent(message: Message, app: AppContext, application_id: int) -> None:
    user = message.from_user
    assert user is not None
    text = message.text or message.caption or ""
    has_file = bool(
        message.photo or message.document or message.video or message.voice or message.audio
    )
    if not text.strip() and not has_file:
        return
    copy_from = (message.chat.id, message.message_id) if has_file else None
    try:
        done = await send_staff_message(
            app, application_id, member(user), text.strip(), copy_from=copy_from
        )
    except StaffActionError as error:
        await message.reply(error_text(error))
        return
    await message.reply(fmt(_("✉️ Sent to the applicant of {number}."), number=done.number))


async def _dialog_answer(
    message: Message,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
    current: str,
    data: dict[str, Any],
) -> None:
    user = message.from_user
    assert user is not None
    application_id = int(data.get("app", 0))
    text = message.text or ""
    if text.strip().lower() in CANCEL_WORDS:
        left = await _leave_own_refusal(app, bot, state, user)
        await state.clear()
        await message.reply(join([_("Cancelled."), *([left] if left else [])], " "))
        return
    if current in (
        StaffDialog.reject_comment.state,
        StaffDialog.docs_what.state,
        StaffDialog.overpay_reason.state,
    ):
        parsed = parse_text(text, max_length=1000)
        if isinstance(parsed, Invalid):
            await message.reply(_("Please reply with a text (up to 1000 characters)."))
            return
        try:
            if current == StaffDialog.reject_comment.state:
                waiting = await refusal_of(app, application_id)
                done = await refuse_with_comment(app, application_id, member(user), parsed)
                reply = fmt(
                    _("⛔ {number} refused, ground p.8({ground}). The applicant is notified."),
                    number=done.number,
                    ground=waiting.ground if waiting else "?",
                )
            elif current == StaffDialog.docs_what.state:
                done = await perform(
                    app, application_id, Action.REQUEST_DOCUMENTS, member(user), comment=parsed
                )
                reply = fmt(
                    _("📎 Documents requested for {number}. The applicant is notified."),
                    number=done.number,
                )
            else:
                amount = Decimal(str(data["amount"]))
                done = await record_overpayment(app, application_id, amount, parsed, member(user))
                reply = fmt(
                    _(
                        "⚠️ Overpayment of {amount} recorded for {number}. The applicant is notified."
                    ),
                    amount=money(amount, app.settings.default_locale),
                    number=done.number,
                )
        except StaffActionError as error:
            await state.clear()
            await message.reply(error_text(error))
            await _refresh(bot, app, application_id)
            return
        await state.clear()
        await message.reply(reply)
        await _refresh(bot, app, application_id)
        return
    if current == StaffDialog.official_number.state:
        await _official_answer(message, app, state, data, text)
        return
    if current == StaffDialog.overpay_amount.state:
        typed_amount = parse_amount(text)
        if typed_amount is None:
            await message.reply(_("Please reply with an amount in tenge, for example 15728,00."))
            return
        application = await _application(app, application_id)
        if application is None:
            await state.clear()
            return
        await _prompt(
            bot,
            app,
            state,
            user,
            StaffDialog.overpay_reason,
            application,
            _(
                "reply with the reason of the overpayment of {amount} (the applicant will see it)."
            ).format(amount=money(typed_amount, app.settings.default_locale)),
            amount=str(typed_amount),
        )
        return
    if current == StaffDialog.stop_date.state:
        parsed_date = parse_date(text)
        if isinstance(parsed_date, Invalid):
            await message.reply(
                _("Please reply with the date as DD.MM.YYYY, for example 10.02.2026.")
            )
            return
        if parsed_date > app.clock.today():
            await message.reply(_("The date of the event cannot be in the future."))
            return
        try:
            done = await record_termination(
                app, application_id, StopReason(data["reason"]), parsed_date, member(user)
            )
        except StaffActionError as error:
            await state.clear()
            await message.reply(error_text(error))
            return
        await state.clear()
        reason = STOP_REASON_TEXTS.get(str(data["reason"]))
        await message.reply(
            fmt(
                _("⏹ {number}: payment stops after {date} ({reason}). The applicant is notified."),
                number=done.number,
                date=day(parsed_date),
                reason=_(reason) if reason else "",
            )
        )
        await _refresh(bot, app, application_id)
        return
    await state.clear()


async def _ask_again(
    message: Message, state: FSMContext, data: dict[str, Any], text: str, **update: Any
) -> None:
    """The same dialog asks again: the new request is a ForceReply to the staff member's
    message, and a reply to it or to the earlier requests answers the dialog."""
    sent = await message.reply(
        text, reply_markup=ForceReply(selective=True, input_field_placeholder=None)
    )
    await state.update_data(prompt=sent.message_id, earlier=_prompts(data)[-5:], **update)


def _official_question(application: ApplicationRef) -> str:
    """The request for the official request's number (p.6), with the number recorded now."""
    question: str = fmt(
        _(
            "reply with the number of the official request of application {number} (eGov Mobile "
            "or the ЦОН receipt): letters, digits and dashes, up to 40 characters."
        ),
        number=application.number,
    )
    if application.official_request:
        question += " " + fmt(
            _("Recorded now: {official}; your number replaces it."),
            official=application.official_request,
        )
    return question


async def _official_answer(
    message: Message, app: AppContext, state: FSMContext, data: dict[str, Any], text: str
) -> None:
    """The number typed after «🏛 Official request No.»: checked as the parent's, recorded
    unless another number was recorded since the question (then asked again)."""
    user = message.from_user
    assert user is not None
    again = _("Reply to this message with the number, or /cancel.")
    number = official_view.parse_request_number(text)
    if number is None:
        await _ask_again(message, state, data, _(official_view.STAFF_BAD) + " " + again)
        return
    was = data.get("was")
    try:
        recorded = await record_by_staff(
            app,
            application_id=int(data.get("app", 0)),
            official_request=number,
            who=member(user),
            expected=was if isinstance(was, str) else None,
        )
    except StaffActionError as error:
        if error.code != "official_changed":
            await state.clear()
            await message.reply(error_text(error))
            return
        await _ask_again(
            message, state, data, error_text(error) + " " + again, was=error.params.get("current")
        )
        return
    await state.clear()
    await message.reply(
        fmt(
            _(official_view.STAFF_SAVED),
            number=recorded.official_request,
            application=recorded.number,
        )
    )


# ------------------------------------------------------------------ commands


async def on_find(message: Message, command: CommandObject, app: AppContext) -> None:
    if not authorised(app, message.chat.id, message.from_user):
        await message.reply(_("This command is for the Department's staff in the staff chat."))
        return
    query = (command.args or "").strip()
    if not query:
        await message.reply(
            _("Usage: /find <application number or IIN>, e.g. /find ALA-2025-000123")
        )
        return
    found = await staff_export.find(app.sessionmaker, query)
    if not found:
        await message.reply(fmt(_("Nothing found for {query}."), query=query))
        return
    lines = [_("Found: {count}").format(count=len(found))]
    rows = []
    for application in found:
        status = STATUS_TEXTS.get(application.status)
        lines.append(
            fmt(
                "• {number} — {status} — {child} — {date}",
                number=b(application.number),
                status=_(status) if status else application.status,
                child=application.child_name or "—",
                date=day(application.applied_on),
            )
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("📌 Card {number}").format(number=application.number),
                    callback_data=CardAction(action="repost", app=application.id).pack(),
                ),
                InlineKeyboardButton(
                    text=_("📜 History"),
                    callback_data=CardAction(action="history", app=application.id).pack(),
                ),
            ]
        )
    card = found[0].staff_card_message_id if len(found) == 1 else None
    await message.answer(
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        reply_parameters=_card_reply(card)
        or ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True),
    )


async def on_export(message: Message, command: CommandObject, app: AppContext) -> None:
    if not authorised(app, message.chat.id, message.from_user):
        await message.reply(_("This command is for the Department's staff in the staff chat."))
        return
    try:
        flt = staff_export.parse_filter(command.args)
    except staff_export.BadFilter as error:
        await message.reply(
            fmt(
                _(
                    "I did not understand “{value}”. Usage: /export [status …] [from [to]], e.g. "
                    "{example}. Statuses: {statuses}."
                ),
                value=str(error),
                example="/export approved 09.2025 12.2025",
                statuses=", ".join(staff_export.STATUSES),
            )
        )
        return
    result = await staff_export.export(app.sessionmaker, flt)
    today = app.clock.today().isoformat()
    summary = _("Applications: {count}; audit entries: {audit}.").format(
        count=result.count, audit=result.audit_count
    )
    await message.answer_document(
        BufferedInputFile(result.applications_csv, filename=f"applications-{today}.csv"),
        caption=summary,
    )
    await message.answer_document(
        BufferedInputFile(result.audit_csv, filename=f"audit-{today}.csv")
    )
    await message.answer_document(
        BufferedInputFile(result.xlsx, filename=f"export-{today}.xlsx"),
        caption=_("The same two tables in one XLSX file (typed cells)."),
    )


async def on_stats(message: Message, app: AppContext) -> None:
    if not authorised(app, message.chat.id, message.from_user):
        await message.reply(_("This command is for the Department's staff in the staff chat."))
        return
    result = await staff_export.stats(app.sessionmaker)
    language = app.settings.default_locale
    lines = ["<b>" + _("Applications by status:") + "</b>"]
    for code in staff_export.STATUSES:
        count = result.by_status.get(code, 0)
        if count:
            status = STATUS_TEXTS.get(code)
            lines.append(
                fmt("• {status}: {count}", status=_(status) if status else code, count=count)
            )
    if len(lines) == 1:
        lines.append("—")
    lines += ["", "<b>" + _("Amounts per quarter (approved / paid):") + "</b>"]
    for school_year, quarter, approved, paid in result.quarters:
        lines.append(
            fmt(
                _("• Q{quarter} {school_year}: {approved} / {paid}"),
                quarter=quarter,
                school_year=school_year,
                approved=money(approved, language),
                paid=money(paid, language),
            )
        )
    if not result.quarters:
        lines.append("—")
    if result.overpaid:
        lines += [
            "",
            _("Overpaid amounts recorded (p.9): {amount}").format(
                amount=money(result.overpaid, language)
            ),
        ]
    desk = await desk_stats.stats_of(app)
    lines += ["", *desk_stats.text_lines(app, desk)]
    await message.answer("\n".join(lines))
    await desk_stats.send_charts(message, app, desk)


# ------------------------------------------------------------------ router


def router(settings: Any = None) -> Router:
    r = Router(name="staff")
    r.callback_query.register(on_refused, StaffButton(), NotAuthorised())
    r.callback_query.register(on_card_button, CardAction.filter())
    r.callback_query.register(on_approve_confirm, ApproveConfirm.filter())
    r.callback_query.register(on_ground, GroundPick.filter())
    r.callback_query.register(on_quarter, QuarterPick.filter())
    r.callback_query.register(on_quarter_confirm, QuarterConfirm.filter())
    r.callback_query.register(on_correction, CorrectionPick.filter())
    r.callback_query.register(on_correction_confirm, CorrectionConfirm.filter())
    r.callback_query.register(on_stop_reason, StopPick.filter())
    r.callback_query.register(on_dialog_cancel, DialogCancel.filter())
    staff_chat = getattr(settings, "staff_chat_id", None)
    if staff_chat is not None:
        in_staff_chat = F.chat.id == staff_chat
        r.message.register(on_find, in_staff_chat, Command("find"))
        r.message.register(on_export, in_staff_chat, Command("export"))
        r.message.register(on_stats, in_staff_chat, Command("stats"))
        r.message.register(on_cancel_command, in_staff_chat, Command("cancel"))
        r.message.register(on_staff_message, in_staff_chat)
        r.include_router(reply_router())
    return r
