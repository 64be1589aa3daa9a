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

3. ``skip_idle_routers(router)``: aiogram passes every update through every router
   of the tree (17 top-level routers, ~25 in all): per router a copy of the
   handler data, a middleware wrapper, the root filters and an empty trigger, even
   when no router of that subtree has a handler for the update's type (a message
   through routers that only take buttons).  A subtree without handlers and without
   outer middlewares for an event type can only answer UNHANDLED: it is skipped
   for that type; a router without outer middlewares on the event is entered
   without aiogram's wrapper (the same call the wrapper would make), and its
   handlers' filters are checked against one copy of the data per router instead
   of a copy per handler and per filter (aiogram's ``trigger``, same order, same
   data, same SkipHandler behaviour).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED, SkipHandler
from aiogram.methods.base import Response, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot, Router
    from aiogram.dispatcher.event.handler import FilterObject
    from aiogram.dispatcher.event.telegram import TelegramEventObserver
    from aiogram.methods import TelegramMethod
    from aiogram.types import TelegramObject

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


def _busy(router: Router, event_name: str) -> bool:
    """Whether ``router`` or a router below it may act on ``event_name``: a handler,
    or an outer middleware (outer middlewares run before any handler matches)."""
    for each in router.chain_tail:
        observer = each.observers.get(event_name)
        if observer is not None and (observer.handlers or len(observer.outer_middleware)):
            return True
    return False


async def _trigger(
    observer: TelegramEventObserver, event: TelegramObject, kwargs: dict[str, Any]
) -> Any:
    """aiogram's ``TelegramEventObserver.trigger`` with fewer copies of the data."""
    kwargs = dict(kwargs)  # aiogram's trigger works on its own copy as well
    for handler in observer.handlers:
        kwargs["handler"] = handler
        found: dict[str, Any] = {}  # what this handler's filters gave so far
        passed = True
        for each in handler.filters or ():
            view = {**kwargs, **found} if found else kwargs
            if each.awaitable:
                check = await each.callback(event, **each._prepare_kwargs(view))
            else:
                check = await each.call(event, **view)
            if not check:
                passed = False
                break
            if isinstance(check, dict):
                found.update(check)
        if not passed:
            continue
        kwargs.update(found)
        try:
            wrapped_inner = observer.outer_middleware.wrap_middlewares(
                observer._resolve_middlewares(), handler.call
            )
            return await wrapped_inner(event, kwargs)
        except SkipHandler:
            continue
    return UNHANDLED


def _fast_propagation(router: Router) -> None:
    # per event type: the sub-routers that may handle it, in aiogram's order
    busy = {
        name: tuple(sub for sub in router.sub_routers if _busy(sub, name))
        for name in router.observers
    }

    async def propagate_event(update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        kwargs["event_router"] = router
        observer = router.observers.get(update_type)
        if observer is not None and len(observer.outer_middleware):

            async def _wrapped(telegram_event: TelegramObject, **data: Any) -> Any:
                return await _propagate_event(observer, update_type, telegram_event, data)

            return await observer.wrap_outer_middleware(_wrapped, event=event, data=kwargs)
        return await _propagate_event(observer, update_type, event, kwargs)

    async def _propagate_event(
        observer: TelegramEventObserver | None,
        update_type: str,
        event: TelegramObject,
        kwargs: dict[str, Any],
    ) -> Any:
        response = UNHANDLED
        if observer is not None:
            if observer._handler.filters:
                result, data = await observer.check_root_filters(event, **kwargs)
                if not result:
                    return UNHANDLED
                kwargs.update(data)
            if observer.handlers:
                response = await _trigger(observer, event, kwargs)
                if response is REJECTED:  # pragma: no cover - as aiogram
                    return UNHANDLED
                if response is not UNHANDLED:
                    return response
        subs = busy.get(update_type)
        for sub in router.sub_routers if subs is None else subs:
            response = await sub.propagate_event(update_type=update_type, event=event, **kwargs)
            if response is not UNHANDLED:
                break
        return response

    router.propagate_event = propagate_event  # type: ignore[method-assign]


def skip_idle_routers(router: Router) -> int:
    """Propagate events only into the subtrees of ``router`` that may handle them (call
    after every router is included and every handler and middleware is registered);
    returns how many routers were changed (idempotent)."""
    changed = 0
    for each in router.chain_tail:
        if "propagate_event" not in vars(each):
            _fast_propagation(each)
            changed += 1
    return changed
