"""/documents: the checklist of app. 3 of the Rules No. 84 and the official channels (p.6).

One question (a parent or a guardian/trustee applies), then the list from
core's policy data (core.parameters.documents_for) in the user's language.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.context import AppContext
from bot.i18n import N_, Tr, _, current
from bot.views.eligibility import GUARDIAN, invalid_text, paragraph
from bot.views.fmt import fmt, plain
from bot.views.ui import CANCEL, CANCEL_WORDS, MENU_DOCUMENTS, Said, main_menu, matches
from core.parameters import default_policy, documents_for
from handlers._dialog import stale
from handlers.eligibility import FreeText, NotText

PARENT_OR_ADOPTIVE = N_("Parent or adoptive parent")
WHO = (
    (
        "parent",
        PARENT_OR_ADOPTIVE,
        (
            "родитель",
            "мать",
            "отец",
            "мама",
            "папа",
            "усыновитель",
            "ата-ана",
            "ана",
            "әке",
            "асырап алушы",
            "parent",
            "1",
        ),
    ),
    (
        "guardian",
        GUARDIAN,
        ("опекун", "попечитель", "қорғаншы", "қамқоршы", "guardian", "trustee", "2"),
    ),
)

DOCUMENT_TEXTS: Mapping[str, str] = {
    "application": N_(
        "The application: form of app. 1 (at the State Corporation) or app. 2 (on the eGov portal) "
        "of the Rules No. 84"
    ),
    "applicant_identity": N_("Your identity document (only to identify you)"),
    "school_certificate": N_(
        "The certificate from the school confirming that the child is taught at home ({paragraph})"
    ),
    "guardianship_document": N_("A document confirming guardianship or trusteeship"),
    "child_birth_certificate": N_(
        "The child's birth certificate, only if it is not in the state information systems "
        "(for example, the child was born abroad)"
    ),
    "bank_account": N_("The details of your bank account (IBAN)"),
}
DOCUMENT_PARAGRAPHS: Mapping[str, str] = {"school_certificate": "p.2"}

CHANNEL_TEXTS: Mapping[str, str] = {
    "con": N_(
        "the State Corporation “Government for Citizens” (a public service centre, ЦОН): "
        "bring the documents in person"
    ),
    "egov": N_(
        "the eGov portal (eGov.kz): there your own request to the state information systems "
        "confirms the data"
    ),
}


class DocumentsForm(StatesGroup):
    who = State()


class DocumentsWho(CallbackData, prefix="docs"):
    v: str


def keyboard() -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=_(label), callback_data=DocumentsWho(v=code).pack())]
        for code, label, _w in WHO
    ]
    rows.append(
        [InlineKeyboardButton(text=_(CANCEL), callback_data=DocumentsWho(v="cancel").pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def question() -> str:
    return _("Who will apply: a parent (or adoptive parent), or the child's guardian or trustee?")


def checklist(tr: Tr, representative: str) -> str:
    """The documents for this applicant, the official channels and the honest word (HTML)."""
    _ = tr
    policy = default_policy()
    items = documents_for(policy, representative, born_abroad=True)
    lines = [
        "<b>" + _("Documents for the reimbursement") + "</b>",
        _(
            "Source: app. 3 of the Rules No. 84, as {paragraph} of the decision requires.",
            paragraph=paragraph(tr, "p.6"),
        ),
        "",
    ]
    for number, item in enumerate(items, start=1):
        message = DOCUMENT_TEXTS.get(item.code)
        text = (
            tr(message, paragraph=paragraph(tr, DOCUMENT_PARAGRAPHS.get(item.code, "p.6")))
            if message
            else plain(item.code)
        )
        lines.append(f"{number}. {text}")
    lines += [
        "",
        _(
            "The disability is confirmed from the state information systems: no paper about it is needed."
        ),
        "",
        "<b>"
        + _("Where to apply officially ({paragraph}):", paragraph=paragraph(tr, "p.6"))
        + "</b>",
    ]
    for channel in policy.channels:
        message = CHANNEL_TEXTS.get(channel.code)
        lines.append("• " + (tr(message) if message else plain(channel.code)))
    department = policy.department.get(tr.locale) or next(iter(policy.department.values()))
    lines += [
        "",
        fmt(
            _(
                "I prepare your application and forward it to {department}, and I keep you informed. But the "
                "official application is made through the State Corporation or the eGov portal ({paragraph})."
            ),
            department=department,
            paragraph=paragraph(tr, "p.6"),
        ),
        _("/apply — fill in an application\n/estimate — estimate the payments"),
    ]
    return "\n".join(lines)


async def _leave(state: FSMContext) -> None:
    await state.set_state(None)


async def on_documents(message: Message, state: FSMContext) -> None:
    await state.set_state(DocumentsForm.who)
    await message.answer(question(), reply_markup=keyboard())


async def show(message: Message, state: FSMContext, app: AppContext, i18n: I18n, who: str) -> None:
    await _leave(state)
    await message.answer(checklist(current(), who), reply_markup=main_menu())


async def on_cancel(message: Message, state: FSMContext) -> None:
    await _leave(state)
    await message.answer(_("Stopped. Choose an action in the menu."), reply_markup=main_menu())


async def on_text(message: Message, state: FSMContext, app: AppContext, i18n: I18n, tr: Tr) -> None:
    text = message.text or ""
    for code, label, words in WHO:
        if len(text) <= 40 and matches(app.i18n, text, label, words):
            await show(message, state, app, i18n, code)
            return
    error = invalid_text(tr, "empty" if not text.strip() else "choice")
    await message.answer(f"{error}\n\n{question()}", reply_markup=keyboard())


async def on_not_text(message: Message, tr: Tr) -> None:
    error = invalid_text(tr, "not_text")
    await message.answer(f"{error}\n\n{question()}", reply_markup=keyboard())


async def on_button(
    query: CallbackQuery,
    callback_data: DocumentsWho,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    app: AppContext,
    i18n: I18n,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        stale(callback_answer)
        return
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    if callback_data.v == "cancel":
        await on_cancel(message, state)
        return
    if callback_data.v not in {code for code, _l, _w in WHO}:
        await message.answer(question(), reply_markup=keyboard())
        return
    await show(message, state, app, i18n, callback_data.v)


def router() -> Router:
    r = Router(name="documents")
    r.message.filter(F.chat.type == "private")
    in_form = StateFilter(DocumentsForm.who)
    r.message.register(on_documents, Command("documents"))
    r.message.register(
        on_documents, Said(MENU_DOCUMENTS, words=("documents", "документы", "құжаттар"))
    )
    r.message.register(on_cancel, in_form, Command("cancel"))
    r.message.register(on_cancel, in_form, Said(CANCEL, words=CANCEL_WORDS))
    r.message.register(on_text, in_form, FreeText())
    r.message.register(on_not_text, in_form, NotText())
    r.callback_query.register(on_button, DocumentsWho.filter())  # works without the state too
    return r
