"""bot/speedups.py: magic filters evaluated in place, Response[T] models kept."""

from __future__ import annotations

import gc

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.methods.base import Response

from bot.speedups import _KEPT, inline_magic_filters, keep_response_models


def test_magic_filters_of_every_router_run_in_place_with_the_same_result() -> None:
    parent, child = Router(), Router()
    parent.include_router(child)
    parent.message.filter(F.chat.type == "private")

    async def handler() -> None: ...

    child.message.register(handler, Command("x"), F.text.startswith("/x"))
    child.callback_query.register(handler, F.data == "ping")
    assert inline_magic_filters(parent) == 3
    assert inline_magic_filters(parent) == 0  # idempotent
    filters: list[FilterObject] = [
        *(parent.message._handler.filters or []),
        *(child.message.handlers[0].filters or []),
        *(child.callback_query.handlers[0].filters or []),
    ]
    assert all(f.awaitable for f in filters)
    assert isinstance(child.message.handlers[0].filters[0].callback, Command)  # untouched


async def test_inlined_filter_answers_like_the_magic_filter() -> None:
    router = Router()

    async def handler() -> None: ...

    router.callback_query.register(handler, F.data == "ping")
    inline_magic_filters(router)
    check = router.callback_query.handlers[0].filters[0]

    class Query:
        data = "ping"

    assert await check.call(Query()) is True
    Query.data = "pong"
    assert await check.call(Query()) is False


def test_response_models_survive_garbage_collection() -> None:
    bot = Bot("123:abc")
    keep_response_models(bot)
    keep_response_models(bot)
    assert len(bot.session.middleware) == 1
    returning = SendMessage.__returning__
    _KEPT.setdefault(returning, Response[returning])
    gc.collect()
    assert Response[returning] is _KEPT[returning]  # not rebuilt
