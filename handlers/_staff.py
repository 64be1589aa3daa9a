"""What the handlers of the staff chat share (handlers/staff*.py, desk, requeue, official):
who may act, the refusal of anyone else, the errors of the use cases as words, and the
mechanics of the card's dialogs — a picker under the card, a confirmation, a typed answer
asked with a ForceReply addressed to the staff member (it works with the bot's group
privacy mode on), the card refreshed afterwards.

Only users in STAFF_USER_IDS may act, and only inside STAFF_CHAT_ID: any other press
of a staff button (or callback data forged in a private chat) is refused with
answerCallbackQuery and changes nothing; a staff command says it is for staff.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
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
from bot.usecases.cards import ApplicationRef, application_ref, queue_card_refresh
from bot.usecases.transitions import (
    Done,
    StaffActionError,
    StaffMember,
    perform,
    refusal_waiting_for,
)
from bot.views import staff_dialogs as view
from bot.views.cards import CardAction
from bot.views.fmt import link
from bot.views.formatting import day
from bot.views.status import STATUS_TEXTS
from core.status import Action, Actor, in_payment, permits
from core.validators import Invalid, parse_text

log = logging.getLogger(__name__)


class DialogCancel(CallbackData, prefix="stx"):
    app: int


class StaffDialog(StatesGroup):
    """The typed answers a card's dialog waits for (one dialog per member at a time)."""

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

CANCEL_WORDS = ("/cancel", "отмена", "бас тарту", "болдырмау", "cancel")


# ------------------------------------------------------------------ who may act


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


class NotAuthorised(Filter):
    """A button pressed by someone who is not staff, or outside the staff chat."""

    async def __call__(self, query: CallbackQuery, app: AppContext) -> bool:
        chat_id = query.message.chat.id if query.message is not None else None
        return not authorised(app, chat_id, query.from_user)


async def on_refused(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """Anyone but staff, or outside the staff chat: refuse, change nothing."""
    log.info("staff-chat button refused for user %s", query.from_user.id)
    callback_answer.text = _("Only the Department's staff can do this, in the staff chat.")
    callback_answer.show_alert = True


async def not_staff(message: Message, app: AppContext) -> bool:
    """True (and said so) when a staff command comes from anyone else or elsewhere."""
    if authorised(app, message.chat.id, message.from_user):
        return False
    await message.reply(_("This command is for the Department's staff in the staff chat."))
    return True


class CardApplication(Filter):
    """The application of a card's button (CardAction, after its filter), as
    `application`; no match when it is gone (the staff router's last button handler
    says so)."""

    async def __call__(
        self, query: CallbackQuery, callback_data: CardAction, app: AppContext
    ) -> bool | dict[str, Any]:
        application = await application_ref(app, callback_data.app)
        return {"application": application} if application is not None else False


# ------------------------------------------------------------------ errors as words


def error_text(error: StaffActionError) -> str:
    message = ERROR_TEXTS.get(error.code)
    if not message:
        return error.code
    params = {
        key: day(value) if isinstance(value, dt.date) else value
        for key, value in error.params.items()
    }
    return _(message).format(**params) if params else _(message)


def refuse(callback_answer: CallbackAnswer, error: StaffActionError) -> None:
    """Answer the pressed button with the error as an alert the staff member has to dismiss."""
    callback_answer.text = error_text(error)
    callback_answer.show_alert = True


def allowed(callback_answer: CallbackAnswer, application: ApplicationRef, action: Action) -> bool:
    """Whether core's status machine lets staff take `action` now; if not, the button is
    refused ("not_allowed")."""
    if permits(application.status, action, Actor.STAFF):
        return True
    refuse(callback_answer, StaffActionError("not_allowed"))
    return False


def paying(callback_answer: CallbackAnswer, application: ApplicationRef) -> bool:
    """Whether the application is paid by quarters now (core.status.in_payment); if not,
    the button is refused ("not_allowed")."""
    if in_payment(application.status):
        return True
    refuse(callback_answer, StaffActionError("not_allowed"))
    return False


async def free_for_dialog(
    app: AppContext, callback_answer: CallbackAnswer, user: User, same_application: int | None
) -> bool:
    """False (and an alert) when this staff member's refusal of another application
    still waits for its comment: one typed dialog at a time, nothing mixed up."""
    mine = await refusal_waiting_for(app, user.id)
    if mine is None or mine.application_id == same_application:
        return True
    refuse(callback_answer, StaffActionError("own_refusal_pending", number=mine.number))
    return False


# ------------------------------------------------------------------ the card and its pickers


def card_reply(card_id: int | None) -> ReplyParameters | None:
    return (
        ReplyParameters(message_id=card_id, allow_sending_without_reply=True) if card_id else None
    )


async def refresh(bot: Bot, app: AppContext, application_id: int) -> None:
    try:
        await refresh_card(bot, app, application_id)
    except Exception as error:  # throttled or gone: the sender will do it
        log.warning("card %s not refreshed now (%s): queued", application_id, type(error).__name__)
        await queue_card_refresh(app, application_id)


def cancel_button(application_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("✖️ Cancel"), callback_data=DialogCancel(app=application_id).pack()
    )


def confirm_keyboard(yes: str, data: str, application_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=yes, callback_data=data), cancel_button(application_id)]
        ]
    )


async def send_picker(
    bot: Bot,
    app: AppContext,
    application: ApplicationRef,
    text: str,
    choices: Sequence[tuple[str, CallbackData]],
) -> None:
    """A question under the card with one button a choice (one a row) and Cancel."""
    chat_id = app.settings.staff_chat_id
    assert chat_id is not None
    rows = [
        [InlineKeyboardButton(text=label, callback_data=data.pack())] for label, data in choices
    ]
    rows.append([cancel_button(application.id)])
    await bot.send_message(
        chat_id,
        text,
        reply_parameters=card_reply(application.staff_card_message_id),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def close_picker(query: CallbackQuery, text: str) -> None:
    """Replace a picker's buttons by what was chosen."""
    if query.message is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=None)
        except Exception as error:
            log.info("picker not edited: %s", type(error).__name__)


async def do(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    bot: Bot,
    app: AppContext,
    application_id: int,
    action: Action,
    **kwargs: Any,
) -> bool:
    """A status action of a button: done (the button answered with the new status) or
    refused with an alert; the card is refreshed either way."""
    try:
        done = await perform(app, application_id, action, member(query.from_user), **kwargs)
    except StaffActionError as error:
        refuse(callback_answer, error)
        await refresh(bot, app, application_id)
        return False
    status = STATUS_TEXTS.get(done.new_status)
    callback_answer.text = _("Done: {number} — {status}.").format(
        number=done.number, status=_(status) if status else done.new_status
    )
    await refresh(bot, app, application_id)
    return True


# ------------------------------------------------------------------ typed answers


async def ask_on_card(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
    application: ApplicationRef,
    possible: Callable[[CallbackAnswer, ApplicationRef], bool],
    step: State,
    text: str,
) -> None:
    """A card button that starts a typed dialog: not while the member's refusal of another
    application waits, nor when `possible` refuses it (it answers the button); otherwise
    the member is asked (`text`, after their name) and the dialog waits at `step`."""
    if not await free_for_dialog(app, callback_answer, query.from_user, None):
        return
    if not possible(callback_answer, application):
        return
    await prompt(bot, app, state, query.from_user, step, application, text)


def mention(user: User) -> str:
    return link(f"tg://user?id={user.id}", user.full_name or str(user.id))


async def prompt(
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
        f"{mention(user)}, {text}",
        reply_markup=ForceReply(selective=True, input_field_placeholder=application.number),
        reply_parameters=card_reply(application.staff_card_message_id),
    )
    await state.set_state(step)
    await state.update_data(app=application.id, prompt=sent.message_id, **data)


def prompts(data: dict[str, Any]) -> list[int]:
    """The requests a reply may answer (the last and earlier ones of the same dialog)."""
    found = [int(m) for m in data.get("earlier") or []]
    if data.get("prompt"):
        found.append(int(data["prompt"]))
    return found


async def ask_again(
    message: Message,
    state: FSMContext,
    data: dict[str, Any],
    text: str,
    *,
    placeholder: str | None = None,
    **update: Any,
) -> None:
    """The same dialog asks again: the new request is a ForceReply to the staff member's
    message, and a reply to it or to the earlier requests answers the dialog."""
    sent = await message.reply(
        text, reply_markup=ForceReply(selective=True, input_field_placeholder=placeholder)
    )
    await state.update_data(prompt=sent.message_id, earlier=prompts(data)[-5:], **update)


def typed(message: Message) -> str:
    return (message.text or "").strip().lower()


class InDialog(Filter):
    """A staff member's message that answers their dialog: in the staff chat, a dialog
    going on, and either no reply at all or a reply to one of its requests. Gives the
    dialog's `dialog` data and `application_id`."""

    async def __call__(
        self, message: Message, app: AppContext, state: FSMContext
    ) -> bool | dict[str, Any]:
        if not authorised(app, message.chat.id, message.from_user):
            return False
        if await state.get_state() is None:
            return False
        data = await state.get_data()
        replied = message.reply_to_message
        if replied is not None and replied.message_id not in prompts(data):
            return False
        return {"dialog": data, "application_id": int(data.get("app", 0))}


async def answered_by(
    message: Message,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
    application_id: int,
    act: Callable[[str], Awaitable[Done]],
    said: Callable[[Done], str],
) -> None:
    """A dialog answered with a text for the applicant (up to 1000 characters; asked again
    otherwise): the use case acts on it (and may refuse: its error is said), the dialog
    ends, `said(done)` is the reply, the card is refreshed."""
    parsed = parse_text(message.text or "", max_length=1000)
    if isinstance(parsed, Invalid):
        await message.reply(_(view.TEXT_ANSWER))
        return
    try:
        done = await act(parsed)
    except StaffActionError as error:
        await state.clear()
        await message.reply(error_text(error))
        await refresh(bot, app, application_id)
        return
    await state.clear()
    await message.reply(said(done))
    await refresh(bot, app, application_id)
