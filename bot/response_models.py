"""Keep aiogram's parametrised response models alive (a CPU fix, no behaviour change).

aiogram parses every Bot API answer with ``Response[T]`` (``T`` = the method's
result type, e.g. ``Response[Message]``).  pydantic ≥ 2.11 caches such
parametrised generic classes only in a ``WeakValueDictionary``; nothing else
holds them, so the garbage collector keeps dropping them and the next answer
rebuilds the class — a few milliseconds of schema building each time, hundreds
of times a minute under load (bench/dialog.py measured ~3 ms × 0.25 per
update).  This request middleware holds a strong reference to ``Response[T]``
for every result type the bot has used, so each is built once per process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods.base import Response, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

# Result type → Response[result type]; process-wide like pydantic's own cache.
_KEPT: dict[Any, type[Response[Any]]] = {}


class KeepResponseModels(BaseRequestMiddleware):
    """Session middleware: build ``Response[T]`` once and keep it."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _KEPT:
            _KEPT[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


def keep_response_models(bot: Bot) -> None:
    """Register the middleware on the bot's session (idempotent)."""
    manager = bot.session.middleware
    if not any(isinstance(m, KeepResponseModels) for m in manager):
        manager.register(KeepResponseModels())
