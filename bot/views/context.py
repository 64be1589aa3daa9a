"""What a view may read of the application context: settings, translations, the clock.

Views take this shape instead of `bot.context.AppContext` (which also carries the
database sessionmaker), so no view depends on the database even for its types;
`AppContext` fits it structurally."""

from __future__ import annotations

from typing import Protocol

from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.settings import Settings


class ViewContext(Protocol):
    """The part of `bot.context.AppContext` a view reads."""

    @property
    def settings(self) -> Settings: ...
    @property
    def i18n(self) -> I18n: ...
    @property
    def clock(self) -> Clock: ...
