"""The menu commands (setMyCommands) in Kazakh and Russian."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.i18n import I18n

from bot.catalogues import LANGUAGES
from bot.i18n import N_, Tr

PARENT_COMMANDS = (
    ("start", N_("Main menu")),
    ("check", N_("Check eligibility")),
    ("estimate", N_("Estimate the payments")),
    ("documents", N_("Documents and where to apply")),
    ("apply", N_("Fill in an application")),
    ("status", N_("My applications")),
    ("consent", N_("Consent to personal data")),
    ("deletedata", N_("Delete my data")),
    ("language", N_("Language / Тіл / Язык")),
    ("help", N_("Help")),
    ("cancel", N_("Cancel the current step")),
)


def commands_in(i18n: I18n, language: str) -> list[BotCommand]:
    tr = Tr(i18n, language)
    return [
        BotCommand(command=name, description=tr(description))
        for name, description in PARENT_COMMANDS
    ]


async def set_menu_commands(bot: Bot, i18n: I18n) -> None:
    """Register the menu for private chats: default (ru) and per language."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(commands_in(i18n, "ru"), scope=scope)
    for language in LANGUAGES:
        await bot.set_my_commands(commands_in(i18n, language), scope=scope, language_code=language)
