"""Language of each user and gettext for kk/ru (aiogram.utils.i18n + Babel)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.catalogues import DOMAIN, LANGUAGES, LOCALES_DIR, compile_catalogues

DEFAULT_LOCALE = "ru"
log = logging.getLogger(__name__)


class LanguageStore(Protocol):
    """Where each user's chosen language is kept (bot.data.users.UserLanguages)."""

    async def get(self, user_id: int) -> str | None: ...

    async def set(self, user_id: int, language: str) -> None: ...


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later with the user's locale."""
    return message


def create_i18n(default_locale: str = DEFAULT_LOCALE) -> I18n:
    """Compile the catalogues if needed and load them."""
    compile_catalogues()
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def telegram_language(user: User | None, default: str = DEFAULT_LOCALE) -> str:
    """kk or ru from Telegram's language_code, else the default."""
    code = (user.language_code or "") if user else ""
    code = code.split("-")[0].lower()
    return code if code in LANGUAGES else default


class UserLanguageMiddleware(I18nMiddleware):
    """The stored language of the user; Telegram's language_code until chosen."""

    def __init__(self, i18n: I18n, languages: LanguageStore) -> None:
        super().__init__(i18n=i18n)
        self.languages = languages

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        if user is not None:
            try:
                stored = await self.languages.get(user.id)
            except Exception as error:  # the database may be down: still answer
                log.warning("stored language unavailable: %s", type(error).__name__)
                stored = None
            if stored in LANGUAGES:
                return stored
        return telegram_language(user, self.i18n.default_locale)


def gettext_in(i18n: I18n, locale: str, message: str, **params: Any) -> str:
    """Translate `message` into `locale` (outside a handler: notifications)."""
    text = i18n.gettext(message, locale=locale)
    return text.format(**params) if params else text


def all_translations(i18n: I18n, message: str) -> set[str]:
    """The message in every language: a typed button text matches any of them."""
    return {i18n.gettext(message, locale=language).casefold() for language in LANGUAGES}
