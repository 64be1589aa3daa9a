"""/start, /language, /help: greeting in both languages, language choice, main menu.
``/start <source>`` (a deep link t.me/<bot>?start=<source>) records where the user came
from for the funnel (bot.usecases.funnel); an invalid parameter is ignored."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n

from bot.catalogues import LANGUAGES
from bot.context import AppContext
from bot.i18n import N_, Tr, _, switch, telegram_language
from bot.usecases import funnel
from bot.views.ui import MENU_LANGUAGE, Said, main_menu

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}
GREETING = N_(
    "Hello! This bot helps with the reimbursement of the costs of home education of "
    "children with disabilities in the city of Alatau. Choose the language."
)


def greeting(i18n: I18n) -> str:
    """The greeting before the language is chosen: from the catalogue, kk then ru."""
    return "\n\n".join(Tr(i18n, language)(GREETING) for language in LANGUAGES)


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


def language_keyboard(preselected: str) -> InlineKeyboardMarkup:
    order = sorted(LANGUAGE_NAMES, key=lambda code: code != preselected)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=("✓ " if code == preselected else "") + LANGUAGE_NAMES[code],
                    callback_data=LanguageChoice(code=code).pack(),
                )
            ]
            for code in order
        ]
    )


def intro_text() -> str:
    return _(
        "I help parents of children with disabilities who study at home on an individual "
        "curriculum in Alatau: check whether you are entitled to the reimbursement "
        "(8 MRP per quarter, decision of the Alatau city maslikhat No. 11-36), estimate the "
        "payments, prepare an application and follow its status.\n\n"
        'The official application is made through the State Corporation "Government for '
        'Citizens" or the eGov portal (p.6); I prepare your application, forward it to the '
        "Department and keep you informed.\n\nChoose an action in the menu below."
    )


async def ask_language(message: Message, i18n: I18n) -> None:
    user = message.from_user
    await message.answer(greeting(i18n), reply_markup=language_keyboard(telegram_language(user)))


async def on_start(
    message: Message, app: AppContext, state: FSMContext, i18n: I18n, command: CommandObject
) -> None:
    user = message.from_user
    if user is None:
        return
    source = funnel.parse_source(command.args)
    if source is not None:
        await funnel.came_from(app, user.id, source)
    if await app.languages.get(user.id) is None:
        await ask_language(message, i18n)
        return
    await message.answer(intro_text(), reply_markup=main_menu())


async def on_language_command(message: Message, i18n: I18n) -> None:
    await ask_language(message, i18n)


async def on_language_chosen(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    app: AppContext,
    i18n: I18n,
) -> None:
    if callback_data.code not in LANGUAGE_NAMES or query.message is None:
        return
    await app.languages.set(query.from_user.id, callback_data.code)
    switch(Tr(i18n, callback_data.code))  # the rest of this answer speaks the new language
    await query.message.answer(
        _("Language: {language}.").format(language=LANGUAGE_NAMES[callback_data.code])
        + "\n\n"
        + intro_text(),
        reply_markup=main_menu(),
    )


async def on_help(message: Message) -> None:
    await message.answer(
        _(
            "What I can do:\n"
            "/check — check whether you are entitled to the payment\n"
            "/estimate — estimate every quarterly payment\n"
            "/documents — the documents and where to apply\n"
            "/apply — fill in an application step by step\n"
            "/status — your applications and payments\n"
            "/consent — your consent to personal data\n"
            "/deletedata — delete your data\n"
            "/language — change the language\n"
            "/cancel — stop the current step\n\n"
            "Every button can also be typed."
        ),
        reply_markup=main_menu(),
    )


def router() -> Router:
    r = Router(name="start")
    r.message.filter(F.chat.type == "private")
    r.message.register(on_start, CommandStart())
    r.message.register(on_language_command, Command("language"))
    r.message.register(on_language_command, Said(MENU_LANGUAGE, words=("язык", "тіл", "language")))
    r.message.register(on_help, Command("help"))
    r.callback_query.register(on_language_chosen, LanguageChoice.filter())
    return r
