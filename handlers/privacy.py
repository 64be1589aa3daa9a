"""/consent and /deletedata (domain.md §6, Art. 8 of the Law "On personal data and
their protection"): what was agreed and when, withdrawal, erasure of drafts."""

from __future__ import annotations

import html
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.i18n import N_
from bot.usecases import consent as consent_service
from bot.usecases import privacy as privacy_service
from bot.views.formatting import moment
from bot.views.ui import MENU_PRIVACY, Said, main_menu

WITHDRAW = N_("🚫 Withdraw the consent")
WITHDRAW_WORDS = ("отозвать согласие", "келісімді кері қайтару", "withdraw consent")
DELETE = N_("🗑 Delete my data")
DELETE_WORDS = ("удалить мои данные", "деректерімді жою", "delete my data")
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}


class PrivacyAction(CallbackData, prefix="privacy"):
    action: str  # withdraw | delete


def privacy_keyboard(with_withdraw: bool) -> InlineKeyboardMarkup:
    rows = []
    if with_withdraw:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_(WITHDRAW), callback_data=PrivacyAction(action="withdraw").pack()
                )
            ]
        )
    rows.append(
        [InlineKeyboardButton(text=_(DELETE), callback_data=PrivacyAction(action="delete").pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def on_consent(message: Message, app: AppContext, i18n: I18n) -> None:
    user = message.from_user
    if user is None:
        return
    record = await consent_service.latest_answer(app.sessionmaker, user.id)
    active = consent_service.is_active(record)
    if record is not None and active:
        status = html.escape(
            _(
                "You gave your consent to the processing of personal data on {date} "
                "(text version {version}, language: {language})."
            )
        ).format(
            date=html.escape(moment(record.created_at)),
            version=html.escape(record.text_version),
            language=html.escape(LANGUAGE_NAMES.get(record.language, record.language)),
        )
        lines = [
            status,
            html.escape(_("This is what you agreed to:")),
            consent_service.consent_text(i18n, record.language, with_question=False),
            html.escape(
                _(
                    "You can withdraw the consent at any time: your unsent draft is deleted at once, "
                    "and the Department is told."
                )
            ),
        ]
    elif record is not None and record.withdrawn_at is not None:
        lines = [
            html.escape(_("You withdrew your consent on {date}.")).format(
                date=html.escape(moment(record.withdrawn_at))
            ),
            html.escape(_("To apply again, send /apply: I will ask for your consent first.")),
        ]
    elif record is not None and record.answer == consent_service.DISAGREE:
        lines = [
            html.escape(
                _("On {date} you did not agree to the processing of personal data.")
            ).format(date=html.escape(moment(record.created_at))),
            html.escape(_("To apply, send /apply: I will ask for your consent first.")),
        ]
    else:
        lines = [
            html.escape(
                _(
                    "You have not given a consent yet. I ask for it when you start an application "
                    "(/apply); nothing personal is stored before that."
                )
            )
        ]
    await message.answer("\n\n".join(lines), reply_markup=privacy_keyboard(active))


def _storages(state: FSMContext, application: Any) -> list[BaseStorage]:
    storages: list[BaseStorage] = [state.storage]
    sql_storage = getattr(application, "storage", None)
    if sql_storage is not None and sql_storage is not state.storage:
        storages.append(sql_storage)
    return storages


async def _sent_part(app: AppContext, user_id: int, reason: str) -> list[str]:
    sent = await privacy_service.sent_applications(app, user_id)
    if not sent:
        return []
    await privacy_service.notify_staff(app, sent, reason)
    numbers = ", ".join(item.number for item in sent)
    lines = [
        html.escape(
            _(
                "Your sent applications ({numbers}) stay with the Department: it keeps what the law "
                "requires for this state service. The staff have been told about your request."
            )
        ).format(numbers=html.escape(numbers))
    ]
    if reason == "withdrawal":
        lines.append(
            html.escape(
                _(
                    "Without consent the Department may refuse an application still under "
                    "consideration on ground p.8(4)."
                )
            )
        )
    return lines


async def withdraw(user_id: int, state: FSMContext, app: AppContext, application: Any) -> str:
    had = await consent_service.withdraw(app.sessionmaker, user_id, app.clock.now())
    await privacy_service.erase_drafts(_storages(state, application), state.key)
    lines = [
        html.escape(_("Your consent is withdrawn.") if had else _("You have no consent in force.")),
        html.escape(_("Your unsent draft and unfinished answers are deleted.")),
    ]
    lines += await _sent_part(app, user_id, "withdrawal")
    return "\n\n".join(lines)


async def delete_data(user_id: int, state: FSMContext, app: AppContext, application: Any) -> str:
    await privacy_service.erase_drafts(_storages(state, application), state.key)
    lines = [html.escape(_("Your unsent draft and unfinished answers are deleted."))]
    sent_lines = await _sent_part(app, user_id, "deletion")
    if sent_lines:
        lines += sent_lines
    else:
        lines.append(html.escape(_("You have no sent applications.")))
    lines.append(
        html.escape(
            _("The record of your consent answers is kept as proof of what you agreed to and when.")
        )
    )
    return "\n\n".join(lines)


async def on_withdraw_typed(
    message: Message, state: FSMContext, app: AppContext, application: Any
) -> None:
    if message.from_user is None:
        return
    text = await withdraw(message.from_user.id, state, app, application)
    await message.answer(text, reply_markup=main_menu())


async def on_deletedata(
    message: Message, state: FSMContext, app: AppContext, application: Any
) -> None:
    if message.from_user is None:
        return
    text = await delete_data(message.from_user.id, state, app, application)
    await message.answer(text, reply_markup=main_menu())


async def on_privacy_button(
    query: CallbackQuery,
    callback_data: PrivacyAction,
    state: FSMContext,
    app: AppContext,
    application: Any,
) -> None:
    if query.message is None:
        return
    user_id = query.from_user.id
    if callback_data.action == "withdraw":
        text = await withdraw(user_id, state, app, application)
    elif callback_data.action == "delete":
        text = await delete_data(user_id, state, app, application)
    else:
        return
    await query.message.answer(text, reply_markup=main_menu())


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
