"""The Department's staff in the staff chat (STAFF_CHAT_ID): the router that puts the
card's features together, one Router each — status buttons (handlers/staff_decisions.py),
refusal on a p.8 ground (handlers/staff_refusal.py), payments (handlers/staff_payments.py),
the official request number (handlers/official.py) —, the card's History and re-post, the
relay of staff replies to the parent, /find, /export, /stats.

Only users in STAFF_USER_IDS may act, and only inside STAFF_CHAT_ID: any other press of a
staff button (or callback data forged in a private chat) is refused here, before any
feature sees it (handlers/_staff.py). Actions go through bot/usecases/transitions.py
(status + audit + outbox in one transaction); the card is edited in place afterwards.

The staff chat's messages, in order: the commands; while a member's refusal waits for its
comment, nothing else (staff_refusal); a cancel word or the answer to the member's dialog
(each feature answers its own state); then a reply to a card is relayed to the applicant,
and a dialog left unanswered is dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import Tr, _
from bot.usecases import exports as staff_export
from bot.usecases.cards import (
    ApplicationRef,
    application_ref,
    card_data,
    replied_application,
    use_card_message,
)
from bot.usecases.transitions import StaffActionError, send_staff_message
from bot.views import staff_dialogs as view
from bot.views.cards import CardAction, card_keyboard, card_text, history_texts
from bot.views.fmt import b, fmt, join
from bot.views.formatting import day, money
from bot.views.status import STATUS_TEXTS
from handlers import desk_stats, official, staff_decisions, staff_payments, staff_refusal
from handlers._staff import (
    CANCEL_WORDS,
    CardApplication,
    DialogCancel,
    InDialog,
    NotAuthorised,
    authorised,
    card_reply,
    close_picker,
    error_text,
    member,
    not_staff,
    on_refused,
    refuse,
)

log = logging.getLogger(__name__)

# Callback data of every staff button: CardAction ("stf"), staff_refusal.GroundPick ("stg"),
# staff_payments' pickers and confirmations ("stq", "stp", "stc", "stk", "sts"),
# staff_decisions.ApproveConfirm ("sta"), _staff.DialogCancel ("stx").
PREFIXES = ("stf:", "stg:", "stq:", "stp:", "stc:", "stk:", "sts:", "sta:", "stx:")


class StaffButton(Filter):
    """Callback data of any staff button."""

    async def __call__(self, query: CallbackQuery) -> bool:
        return bool(query.data and query.data.startswith(PREFIXES))


# ------------------------------------------------------------------ the card itself


async def on_history(
    query: CallbackQuery, application: ApplicationRef, app: AppContext, bot: Bot
) -> None:
    chat_id = app.settings.staff_chat_id
    assert chat_id is not None
    data = await card_data(app, application.id)
    if data is not None:
        for text in history_texts(app, data):
            await bot.send_message(
                chat_id, text, reply_parameters=card_reply(application.staff_card_message_id)
            )


async def on_repost(
    query: CallbackQuery, application: ApplicationRef, app: AppContext, bot: Bot
) -> None:
    """Post the card again (a fresh message at the bottom of the chat) and use it from now on."""
    chat_id = app.settings.staff_chat_id
    assert chat_id is not None
    data = await card_data(app, application.id)
    if data is None:
        return
    sent = await bot.send_message(
        chat_id, card_text(app, data), reply_markup=card_keyboard(app, data)
    )
    await use_card_message(app, application.id, sent.message_id)


async def on_other_card_button(
    query: CallbackQuery,
    callback_data: CardAction,
    callback_answer: CallbackAnswer,
    app: AppContext,
) -> None:
    """A card button no feature took: its application is gone, or the button is."""
    if await application_ref(app, callback_data.app) is None:
        refuse(callback_answer, StaffActionError("not_found"))
        return
    callback_answer.text = _("This button is no longer active.")


async def on_dialog_cancel(
    query: CallbackQuery,
    callback_data: DialogCancel,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    await staff_refusal.leave_own(app, bot, state, query.from_user, only=callback_data.app)
    await state.clear()
    callback_answer.text = _(view.CANCELLED)
    await close_picker(query, _(view.CANCELLED))


# ------------------------------------------------------------------ messages in the staff chat


async def on_cancel_command(message: Message, app: AppContext, bot: Bot, state: FSMContext) -> None:
    left = (
        await staff_refusal.leave_own(app, bot, state, message.from_user)
        if message.from_user is not None and authorised(app, message.chat.id, message.from_user)
        else None
    )
    await state.clear()
    await message.reply(join([_(view.CANCELLED), *([left] if left else [])], " "))


class CancelWord(Filter):
    async def __call__(self, message: Message) -> bool:
        return (message.text or "").strip().lower() in CANCEL_WORDS


async def on_cancel_word(message: Message, app: AppContext, bot: Bot, state: FSMContext) -> None:
    """A cancel word answering a dialog: it ends, the member's waiting refusal is left."""
    await staff_refusal.cancel_dialog(message, app, bot, state)


async def on_unknown_dialog(message: Message, state: FSMContext) -> None:
    """An answer to a dialog no feature knows (any more): it ends."""
    await state.clear()


async def on_staff_message(message: Message, app: AppContext, state: FSMContext) -> None:
    """A staff member's message that answers no dialog: a dialog going on is dropped (the
    member moved on), a reply to a card or a prompt is relayed to the applicant."""
    user = message.from_user
    if user is None or not authorised(app, message.chat.id, user):
        return
    if await state.get_state() is not None:
        await state.clear()
    replied = message.reply_to_message
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


# ------------------------------------------------------------------ commands


async def on_find(message: Message, command: CommandObject, app: AppContext) -> None:
    if await not_staff(message, app):
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
        reply_parameters=card_reply(card)
        or ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True),
    )


async def on_export(message: Message, command: CommandObject, app: AppContext) -> None:
    if await not_staff(message, app):
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
    result = await staff_export.export(
        app.sessionmaker, flt, Tr(app.i18n, app.settings.default_locale)
    )
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
        caption=_(
            "The same two tables in one XLSX file (typed cells), and a third sheet: the "
            "parents' ratings with their comments ({count})."
        ).format(count=result.rating_count),
    )


async def on_stats(message: Message, app: AppContext) -> None:
    if await not_staff(message, app):
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
    staff_chat = getattr(settings, "staff_chat_id", None)
    if staff_chat is not None:
        in_staff_chat = F.chat.id == staff_chat
        r.message.register(on_find, in_staff_chat, Command("find"))
        r.message.register(on_export, in_staff_chat, Command("export"))
        r.message.register(on_stats, in_staff_chat, Command("stats"))
        r.message.register(on_cancel_command, in_staff_chat, Command("cancel"))
        r.include_router(staff_refusal.messages_router())
        cancel = Router(name="staff_dialog_cancel")
        cancel.message.register(on_cancel_word, in_staff_chat, InDialog(), CancelWord())
        r.include_router(cancel)
    r.include_routers(
        staff_decisions.router(),
        staff_refusal.router(),
        staff_payments.router(),
        official.card_router(),
    )
    card = Router(name="staff_card")
    on_card = CardApplication()
    card.callback_query.register(on_history, CardAction.filter(F.action == "history"), on_card)
    card.callback_query.register(on_repost, CardAction.filter(F.action == "repost"), on_card)
    card.callback_query.register(on_other_card_button, CardAction.filter())
    card.callback_query.register(on_dialog_cancel, DialogCancel.filter())
    if staff_chat is not None:
        card.message.register(on_unknown_dialog, F.chat.id == staff_chat, InDialog())
        card.message.register(on_staff_message, F.chat.id == staff_chat)
    r.include_router(card)
    return r
