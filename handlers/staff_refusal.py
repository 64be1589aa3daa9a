"""A refusal on a ground of p.8 from the card: the ground is picked, then the refusal
waits for its comment — shown on the card ("⏳ Refusal on ground … — waiting for the
comment from …"). Meanwhile nothing that staff member writes is relayed to the parent:
only a reply to a request for the comment is the comment (a refusal is irreversible, a
stray message must not become its reason); anything else asks for it again.
"↩️ Leave the refusal" on the card, /cancel or a cancel word leave it. Part of the staff
router (handlers/staff.py)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ForceReply, Message, User
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import _
from bot.usecases.cards import ApplicationRef, application_ref
from bot.usecases.transitions import (
    PendingRefusal,
    StaffActionError,
    leave_refusal,
    refusal_of,
    refusal_waiting_for,
    refuse_with_comment,
    start_refusal,
)
from bot.views import staff_dialogs as view
from bot.views.cards import CardAction
from bot.views.fmt import fmt, join
from bot.views.status import GROUND_LABELS, GROUND_TEXTS
from core.status import Action
from handlers._staff import (
    CANCEL_WORDS,
    CardApplication,
    InDialog,
    StaffDialog,
    allowed,
    answered_by,
    authorised,
    close_picker,
    error_text,
    free_for_dialog,
    member,
    prompt,
    prompts,
    refresh,
    refuse,
    send_picker,
)

GROUNDS = (1, 2, 3, 4)


class GroundPick(CallbackData, prefix="stg"):
    app: int
    ground: int


async def on_reject(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: ApplicationRef,
    app: AppContext,
    bot: Bot,
) -> None:
    """⛔ Refuse: the grounds of p.8 to pick from (unless another member's refusal waits)."""
    if not await free_for_dialog(app, callback_answer, query.from_user, application.id):
        return
    if not allowed(callback_answer, application, Action.REJECT):
        return
    waiting = await refusal_of(app, application.id)
    if waiting is not None and waiting.staff_id != query.from_user.id:
        refuse(
            callback_answer,
            StaffActionError(
                "refusal_pending", who=waiting.staff_name or "—", ground=waiting.ground
            ),
        )
        return
    lines = [fmt(_(view.GROUND_QUESTION), number=application.number)]
    lines += [
        fmt("{number}) {text}", number=number, text=_(GROUND_TEXTS[number])) for number in GROUNDS
    ]
    await send_picker(
        bot,
        app,
        application,
        "\n".join(lines),
        [
            (f"{number}) {_(GROUND_LABELS[number])}", GroundPick(app=application.id, ground=number))
            for number in GROUNDS
        ],
    )


async def on_ground(
    query: CallbackQuery,
    callback_data: GroundPick,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    """The ground picked: the refusal waits for the comment of the member who picked it."""
    application = await application_ref(app, callback_data.app)
    if application is None or callback_data.ground not in GROUND_TEXTS:
        refuse(callback_answer, StaffActionError("not_found"))
        return
    if not allowed(callback_answer, application, Action.REJECT):
        return
    if not await free_for_dialog(app, callback_answer, query.from_user, application.id):
        return
    try:
        await start_refusal(app, application.id, callback_data.ground, member(query.from_user))
    except StaffActionError as error:
        refuse(callback_answer, error)
        await refresh(bot, app, application.id)
        return
    await close_picker(
        query,
        fmt(
            _(view.GROUND_CHOSEN),
            number=application.number,
            ground=callback_data.ground,
            words=_(GROUND_TEXTS[callback_data.ground]),
        ),
    )
    await prompt(
        bot,
        app,
        state,
        query.from_user,
        StaffDialog.reject_comment,
        application,
        fmt(_(view.COMMENT_PROMPT), number=application.number),
        ground=callback_data.ground,
    )
    await refresh(bot, app, application.id)


async def on_leave(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: ApplicationRef,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    await leave(app, bot, state, query.from_user, application.id, callback_answer)


async def leave(
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
            refuse(callback_answer, error)
        return text
    if await state.get_state() == StaffDialog.reject_comment.state:
        await state.clear()
    text = _(view.REFUSAL_LEFT).format(number=left.number)
    if callback_answer is not None:
        callback_answer.text = text
    await refresh(bot, app, application_id)
    return text


async def leave_own(
    app: AppContext, bot: Bot, state: FSMContext, user: User, only: int | None = None
) -> str | None:
    """/cancel (and Cancel under a picker of the same application) also leave the
    member's own refusal waiting for its comment."""
    mine = await refusal_waiting_for(app, user.id)
    if mine is None or (only is not None and mine.application_id != only):
        return None
    return await leave(app, bot, state, user, mine.application_id)


async def cancel_dialog(message: Message, app: AppContext, bot: Bot, state: FSMContext) -> None:
    """A cancel word answering a dialog: it ends, the member's waiting refusal is left."""
    user = message.from_user
    assert user is not None
    left = await leave_own(app, bot, state, user)
    await state.clear()
    await message.reply(join([_(view.CANCELLED), *([left] if left else [])], " "))


# ------------------------------------------------------------------ the comment


class RefusalWaiting(Filter):
    """A message of a staff member whose refusal waits for its comment (as `waiting`)."""

    async def __call__(self, message: Message, app: AppContext) -> bool | dict[str, Any]:
        user = message.from_user
        if user is None or not authorised(app, message.chat.id, user):
            return False
        waiting = await refusal_waiting_for(app, user.id)
        return {"waiting": waiting} if waiting is not None else False


async def on_message_while_waiting(
    message: Message, app: AppContext, bot: Bot, state: FSMContext, waiting: PendingRefusal
) -> None:
    """Only an explicit reply to a request for the comment is the comment (or a cancel
    word); anything else is never relayed and asks for the comment again."""
    data = await state.get_data()
    replied = message.reply_to_message
    typed = (message.text or "").strip().lower()
    answers_prompt = (
        replied.message_id in prompts(data) if replied is not None else typed in CANCEL_WORDS
    )
    if (
        await state.get_state() == StaffDialog.reject_comment.state
        and int(data.get("app", 0)) == waiting.application_id
        and answers_prompt
    ):
        if typed in CANCEL_WORDS:
            await cancel_dialog(message, app, bot, state)
        else:
            await on_comment(message, app, bot, state, waiting.application_id)
        return
    await _remind(message, state, data, waiting)


async def _remind(
    message: Message, state: FSMContext, data: dict[str, Any], waiting: PendingRefusal
) -> None:
    """The reminder is the new request for the comment (a ForceReply), so the dialog goes
    on from it."""
    sent = await message.reply(
        fmt(_(view.REFUSAL_WAITS), number=waiting.number, ground=waiting.ground),
        reply_markup=ForceReply(selective=True, input_field_placeholder=waiting.number),
    )
    earlier = prompts(data) if int(data.get("app", 0)) == waiting.application_id else []
    await state.set_state(StaffDialog.reject_comment)
    await state.set_data(
        {"app": waiting.application_id, "prompt": sent.message_id, "earlier": earlier[-5:]}
    )


async def on_comment(
    message: Message, app: AppContext, bot: Bot, state: FSMContext, application_id: int
) -> None:
    """The comment: the application is refused on the waiting ground, the applicant told."""
    user = message.from_user
    assert user is not None
    waiting = await refusal_of(app, application_id)
    await answered_by(
        message,
        app,
        bot,
        state,
        application_id,
        lambda text: refuse_with_comment(app, application_id, member(user), text),
        lambda done: fmt(
            _(view.REFUSED_DONE), number=done.number, ground=waiting.ground if waiting else "?"
        ),
    )


def messages_router() -> Router:
    """First of the staff chat's messages: while a member's refusal waits, nothing else."""
    r = Router(name="staff_refusal_waiting")
    r.message.register(on_message_while_waiting, RefusalWaiting())
    return r


def router() -> Router:
    r = Router(name="staff_refusal")
    on_card = CardApplication()
    r.callback_query.register(on_reject, CardAction.filter(F.action == "reject"), on_card)
    r.callback_query.register(on_leave, CardAction.filter(F.action == "leave"), on_card)
    r.callback_query.register(on_ground, GroundPick.filter())
    # the request for the comment answered when no refusal waits any more (left by someone)
    r.message.register(on_comment, StateFilter(StaffDialog.reject_comment), InDialog())
    return r
