"""Language of each user and the one translator for kk/ru (Babel catalogues).

`Tr` is the only way the bot translates: `tr("Text {x}", x=1)` (gettext, then the
`{name}` parameters), `tr.ngettext(...)` for plurals, `tr.language`. Views take a `Tr`;
handlers receive the user's as the `tr` argument (UserLanguageMiddleware), and code
deep in a handler that has none at hand calls `_` (the same `Tr`, from the context of
the update: `_ = current().__call__`). Outside an update (notifications, staff
chat) build one: `Tr(context.i18n, language)`. Messages are marked for extraction
with `_("…")` or `N_("…")` (tools/i18n.py keywords)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    """Mark a string for extraction; it is translated later with the user's language."""
    return message


class Tr:
    """gettext in one language: `tr("Text {x}", x=1)`; extracted by Babel as `_` / `N_`."""

    __slots__ = ("i18n", "language")

    def __init__(self, i18n: I18n, language: str) -> None:
        self.i18n = i18n
        self.language = language

    @property
    def locale(self) -> str:
        """The language code (kk / ru): Babel's word for it."""
        return self.language

    def __call__(self, message: str, **params: Any) -> str:
        text = self.i18n.gettext(message, locale=self.language)
        return text.format(**params) if params else text

    gettext = __call__

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """The plural form for `n` in this language; `{n}` and `params` formatted."""
        text = self.i18n.gettext(singular, plural, n, locale=self.language)
        return text.format(n=n, **params)

    def __repr__(self) -> str:
        return f"Tr({self.language!r})"


_CURRENT: ContextVar[Tr] = ContextVar("tr")


def current() -> Tr:
    """The translator of the update being handled (LookupError outside one)."""
    return _CURRENT.get()


def _(message: str, **params: Any) -> str:
    """`current()(message, **params)`: for handler code that has no `tr` at hand."""
    return _CURRENT.get()(message, **params)


@contextmanager
def using(tr: Tr) -> Iterator[Tr]:
    """Make `tr` the current translator inside the block."""
    token = _CURRENT.set(tr)
    try:
        yield tr
    finally:
        _CURRENT.reset(token)


def switch(tr: Tr) -> None:
    """The user chose another language: the rest of this update speaks it."""
    _CURRENT.set(tr)


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
    """The stored language of the user (Telegram's language_code until chosen) as the
    update's `Tr`: the handler's `tr` argument and the current translator."""

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

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        language = await self.get_locale(event=event, data=data) or self.i18n.default_locale
        if self.i18n_key:
            data[self.i18n_key] = self.i18n
        if self.middleware_key:
            data[self.middleware_key] = self
        data["tr"] = tr = Tr(self.i18n, language)
        with using(tr):
            return await handler(event, data)
