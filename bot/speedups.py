"""Two CPU fixes for aiogram under load; neither changes what the bot does.

1. ``keep_response_models(bot)``: aiogram parses every Bot API answer with
   ``Response[T]`` (``T`` = the method's result type, e.g. ``Response[Message]``).
   pydantic ≥ 2.11 caches parametrised generic classes only in a
   ``WeakValueDictionary``; nothing else holds them, so the garbage collector
   keeps dropping them and the next answer rebuilds the class — ~3 ms of schema
   building, for about one update in four under load (bench/dialog.py).  A
   session middleware now holds ``Response[T]`` for every result type used.

2. ``inline_magic_filters(router)``: aiogram runs every callable that is not a
   coroutine function in a worker thread (``asyncio.to_thread``) — including
   magic filters such as ``F.chat.type == "private"`` or ``F.text``, which only
   read attributes of the update.  The full bot evaluated ~8 of them per update,
   each a thread-pool round trip.  Magic filters of the routers are evaluated in
   place instead (same result, same exceptions); other sync callables are left
   to aiogram.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods.base import Response, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot, Router
    from aiogram.dispatcher.event.handler import FilterObject
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


def _inline(filter_object: FilterObject) -> bool:
    if filter_object.magic is None or filter_object.awaitable:
        return False
    resolve: Callable[..., Any] = filter_object.callback

    async def resolve_inline(*args: Any, **kwargs: Any) -> Any:
        return resolve(*args, **kwargs)

    filter_object.callback = resolve_inline
    filter_object.awaitable = True
    return True


def inline_magic_filters(router: Router) -> int:
    """Evaluate the magic filters of ``router`` and its sub-routers in place
    (call after every router is included); returns how many were changed."""
    changed = 0
    for each in router.chain_tail:
        for observer in each.observers.values():
            handlers = [observer._handler, *observer.handlers]
            for handler in handlers:
                changed += sum(_inline(f) for f in handler.filters or ())
    return changed
