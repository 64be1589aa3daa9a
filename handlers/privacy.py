"""/consent and /deletedata (domain.md §6, Art. 8 of the Law "On personal data and
their protection"): what was agreed and when, withdrawal, erasure of drafts."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.context import AppContext
from bot.i18n import N_, _
from bot.usecases import consent as consent_service
from bot.usecases import privacy as privacy_service
from bot.views import consent as consent_view
from bot.views.fmt import b, fmt, plain
from bot.views.formatting import moment
from bot.views.status import STATUS_TEXTS
from bot.views.ui import MENU_PRIVACY, Said, main_menu
from handlers._dialog import stale

WITHDRAW = N_("🚫 Withdraw the consent")
WITHDRAW_WORDS = ("отозвать согласие", "келісімді кері қайтару", "withdraw consent")
DELETE = N_("🗑 Delete my data")
DELETE_WORDS = ("удалить мои данные", "деректерімді жою", "delete my data")
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}


PREVIEW_HEAD = {
    privacy_service.WITHDRAWAL: N_(
        "Before you confirm, this is what withdrawing the consent will do:"
    ),
    privacy_service.DELETION: N_("Before you confirm, this is what deleting your data will do:"),
}
DRAFT_LINE = N_("• Your unsent draft and unfinished answers, if any, are deleted at once.")
CONSENT_LINE = N_(
    "• Your consent to the processing of personal data is withdrawn; the record of your answers "
    "is kept as proof of what you agreed to and when."
)
FATE_LINES = {
    (privacy_service.WITHDRAWAL, privacy_service.KEEP_UNDECIDED): N_(
        "• {number} ({status}) stays with the Department: it keeps what the law requires. The staff "
        "will be told that you withdrew the consent. Without the consent the Department may refuse "
        "this application on ground p.8(4)."
    ),
    (privacy_service.DELETION, privacy_service.KEEP_UNDECIDED): N_(
        "• {number} ({status}) stays with the Department: an application under consideration is "
        "kept as the law requires, it is not erased. The staff will be told that you asked to delete "
        "your data and withdrew the consent. Without the consent the Department may refuse this "
        "application on ground p.8(4)."
    ),
    (privacy_service.WITHDRAWAL, privacy_service.KEEP_DECIDED): N_(
        "• {number} ({status}) stays with the Department: a decided application is kept as the law "
        "requires. The staff will be told that you withdrew the consent."
    ),
    (privacy_service.DELETION, privacy_service.KEEP_DECIDED): N_(
        "• {number} ({status}) stays with the Department: a decided application is kept as the law "
        "requires, it is not erased. The staff will be told that you asked to delete your data."
    ),
    (privacy_service.DELETION, privacy_service.ERASE): N_(
        "• {number} ({status}): its personal data and documents are erased; only its number, its "
        "dates and the history of its statuses stay. The staff will be told."
    ),
    (privacy_service.WITHDRAWAL, privacy_service.UNTOUCHED): N_(
        "• {number} ({status}) stays as it is; /deletedata erases its personal data."
    ),
    (privacy_service.WITHDRAWAL, privacy_service.ERASED_BEFORE): N_(
        "• {number} ({status}): its personal data are already erased."
    ),
    (privacy_service.DELETION, privacy_service.ERASED_BEFORE): N_(
        "• {number} ({status}): its personal data are already erased."
    ),
}
QUESTION = {
    privacy_service.WITHDRAWAL: N_("Withdraw the consent?"),
    privacy_service.DELETION: N_("Delete your data?"),
}
YES = {
    privacy_service.WITHDRAWAL: N_("✅ Yes, withdraw the consent"),
    privacy_service.DELETION: N_("✅ Yes, delete my data"),
}
KEEP = N_("↩️ No, change nothing")


class PrivacyAction(CallbackData, prefix="privacy"):
    # withdraw | delete: ask first; withdrawal_yes | deletion_yes: confirmed; keep: no
    action: str
    seen: str = ""  # Plan.fingerprint of the question answered


def privacy_keyboard(with_withdraw: bool) -> InlineKeyboardMarkup:
    rows = []
    if with_withdraw:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_(WITHDRAW),
                    callback_data=PrivacyAction(action=privacy_service.WITHDRAWAL).pack(),
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                text=_(DELETE), callback_data=PrivacyAction(action=privacy_service.DELETION).pack()
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def on_consent(message: Message, app: AppContext, i18n: I18n) -> None:
    user = message.from_user
    if user is None:
        return
    record = await consent_service.latest_answer(app, user.id)
    active = consent_service.is_active(record)
    if record is not None and active:
        status = fmt(
            _(
                "You gave your consent to the processing of personal data on {date} "
                "(text version {version}, language: {language})."
            ),
            date=moment(record.created_at),
            version=record.text_version,
            language=LANGUAGE_NAMES.get(record.language, record.language),
        )
        lines = [
            status,
            plain(_("This is what you agreed to:")),
            consent_view.consent_text(i18n, record.language, with_question=False),
            plain(
                _(
                    "You can withdraw the consent at any time: I first say what it will do and ask "
                    "you to confirm; then your unsent draft is deleted at once, and the Department "
                    "is told."
                )
            ),
        ]
    elif record is not None and record.withdrawn_at is not None:
        lines = [
            fmt(_("You withdrew your consent on {date}."), date=moment(record.withdrawn_at)),
            plain(_("To apply again, send /apply: I will ask for your consent first.")),
        ]
    elif record is not None and record.answer == consent_service.DISAGREE:
        lines = [
            fmt(
                _("On {date} you did not agree to the processing of personal data."),
                date=moment(record.created_at),
            ),
            plain(_("To apply, send /apply: I will ask for your consent first.")),
        ]
    else:
        lines = [
            plain(
                _(
                    "You have not given a consent yet. I ask for it when you start an application "
                    "(/apply); nothing personal is stored before that."
                )
            )
        ]
    await message.answer("\n\n".join(lines), reply_markup=privacy_keyboard(active))


def _line(message: str, item: privacy_service.SentApplication) -> str:
    status = STATUS_TEXTS.get(item.status)
    return fmt(
        _(message),
        number=item.number,
        status=_(status) if status else item.status,
    )


def preview(plan: privacy_service.Plan) -> str:
    """What the request will do, said before the parent confirms (HTML)."""
    lines = [plain(_(PREVIEW_HEAD[plan.reason])), "", plain(_(DRAFT_LINE))]
    if plan.has_consent:
        lines.append(plain(_(CONSENT_LINE)))
    lines.append("")
    if plan.applications:
        lines.append(plain(_("Your sent applications:")))
        lines += [
            _line(FATE_LINES[(plan.reason, item.fate(plan.reason))], item)
            for item in plan.applications
        ]
    else:
        lines.append(plain(_("You have no sent applications.")))
    lines += ["", b(_(QUESTION[plan.reason]))]
    return "\n".join(lines)


def confirm_keyboard(plan: privacy_service.Plan) -> InlineKeyboardMarkup:
    yes = PrivacyAction(action=f"{plan.reason}_yes", seen=plan.fingerprint).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_(YES[plan.reason]), callback_data=yes)],
            [InlineKeyboardButton(text=_(KEEP), callback_data=PrivacyAction(action="keep").pack())],
        ]
    )


async def ask(message: Message, app: AppContext, user_id: int, reason: str, lead: str = "") -> None:
    """Say what `reason` would do and ask to confirm (nothing changes yet)."""
    plan = await privacy_service.plan(app, user_id, reason)
    if reason == privacy_service.WITHDRAWAL and not plan.has_consent:
        await message.answer(plain(_("You have no consent in force.")))
        return
    text = preview(plan)
    await message.answer(f"{lead}\n\n{text}" if lead else text, reply_markup=confirm_keyboard(plan))


def result(outcome: privacy_service.Outcome, reason: str) -> str:
    """What was done (HTML), after the parent confirmed."""
    lines = []
    if reason == privacy_service.WITHDRAWAL or outcome.had_consent:
        lines.append(
            plain(
                _("Your consent is withdrawn.")
                if outcome.had_consent
                else _("You have no consent in force.")
            )
        )
    lines.append(plain(_("Your unsent draft and unfinished answers are deleted.")))
    kept = [
        item.number
        for item in outcome.applications
        if item.fate(reason) in (privacy_service.KEEP_UNDECIDED, privacy_service.KEEP_DECIDED)
    ]
    if kept:
        lines.append(
            fmt(
                _(
                    "Your sent applications ({numbers}) stay with the Department: it keeps what the "
                    "law requires for this state service. The staff have been told about your request."
                ),
                numbers=", ".join(kept),
            )
        )
    if any(item.fate(reason) == privacy_service.KEEP_UNDECIDED for item in outcome.applications):
        lines.append(
            plain(
                _(
                    "Without consent the Department may refuse an application still under "
                    "consideration on ground p.8(4)."
                )
            )
        )
    if outcome.erased:
        lines.append(
            fmt(
                _(
                    "The personal data and documents of your withdrawn applications ({numbers}) "
                    "are erased; their numbers and the history of their statuses stay."
                ),
                numbers=", ".join(outcome.erased),
            )
        )
    if not outcome.applications and reason == privacy_service.DELETION:
        lines.append(plain(_("You have no sent applications.")))
    lines.append(
        plain(
            _("The record of your consent answers is kept as proof of what you agreed to and when.")
        )
    )
    return "\n\n".join(lines)


async def on_withdraw_typed(message: Message, app: AppContext) -> None:
    if message.from_user is not None:
        await ask(message, app, message.from_user.id, privacy_service.WITHDRAWAL)


async def on_deletedata(message: Message, app: AppContext) -> None:
    if message.from_user is not None:
        await ask(message, app, message.from_user.id, privacy_service.DELETION)


async def on_privacy_button(
    query: CallbackQuery,
    callback_data: PrivacyAction,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    app: AppContext,
    drafts: privacy_service.Drafts,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        stale(callback_answer)
        return
    user_id = query.from_user.id
    action = callback_data.action
    if action in (privacy_service.WITHDRAWAL, "withdraw"):
        await ask(message, app, user_id, privacy_service.WITHDRAWAL)
        return
    if action in (privacy_service.DELETION, "delete"):
        await ask(message, app, user_id, privacy_service.DELETION)
        return
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)  # a question is answered once
    if action == "keep":
        await message.answer(plain(_("Nothing was changed.")), reply_markup=main_menu())
        return
    reason = action.removesuffix("_yes")
    if reason not in (privacy_service.WITHDRAWAL, privacy_service.DELETION):
        stale(callback_answer)
        return
    plan = await privacy_service.plan(app, user_id, reason)
    if plan.fingerprint != callback_data.seen:
        lead = plain(_("Something has changed since I asked. This is what would happen now:"))
        await ask(message, app, user_id, reason, lead=lead)
        return
    outcome = await privacy_service.carry_out(
        app, user_id, reason, drafts, bot_id=state.key.bot_id, chat_id=state.key.chat_id
    )
    await message.answer(result(outcome, reason), reply_markup=main_menu())


def router() -> Router:
    r = Router(name="privacy")
    r.message.filter(F.chat.type == "private")
    r.callback_query.filter(F.message.chat.type == "private")
    r.message.register(on_consent, Command("consent"))
    r.message.register(
        on_consent, Said(MENU_PRIVACY, words=("privacy", "конфиденциальность", "құпиялылық"))
    )
    r.message.register(on_deletedata, Command("deletedata"))
    r.message.register(on_withdraw_typed, Said(WITHDRAW, words=WITHDRAW_WORDS))
    r.message.register(on_deletedata, Said(DELETE, words=DELETE_WORDS))
    r.callback_query.register(on_privacy_button, PrivacyAction.filter())
    return r
