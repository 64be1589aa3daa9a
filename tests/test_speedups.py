"""bot/speedups.py: magic filters evaluated in place, Response[T] models kept."""

from __future__ import annotations

import gc
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.methods.base import Response

from bot.speedups import _KEPT, inline_magic_filters, keep_response_models, skip_idle_routers


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


def _tree(log: list[str]) -> Router:
    """root → buttons (callback only) → nested (message, root-filtered);
    root → watched (no handler; an outer middleware on messages); root → texts."""
    root, buttons, nested, watched, texts = (
        Router(name=n) for n in ("root", "buttons", "nested", "watched", "texts")
    )
    root.include_routers(buttons, watched, texts)
    buttons.include_router(nested)

    async def on_button(event: Any) -> str:
        return "button"

    async def on_nested(event: Any, event_router: Router, tag: str) -> str:
        return f"nested:{event_router.name}:{tag}"

    async def on_text(event: Any, event_router: Router) -> str:
        return f"text:{event_router.name}"

    async def tagged(event: Any) -> dict[str, str]:
        return {"tag": "t"}

    async def outer(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        log.append(f"outer:{data['event_router'].name}")
        return await handler(event, data)

    buttons.callback_query.register(on_button)
    nested.message.filter(tagged)
    nested.message.register(on_nested, F.text == "nested")
    watched.message.outer_middleware(outer)
    texts.message.register(on_text, F.text)
    return root


async def test_idle_routers_are_skipped_with_the_same_answers() -> None:
    plain_log: list[str] = []
    fast_log: list[str] = []
    plain, fast = _tree(plain_log), _tree(fast_log)
    assert skip_idle_routers(fast) == 5
    assert skip_idle_routers(fast) == 0  # idempotent

    class Message:
        def __init__(self, text: str | None) -> None:
            self.text = text

    for update_type, event in [
        ("message", Message("nested")),
        ("message", Message("hello")),
        ("message", Message(None)),
        ("callback_query", Message(None)),
        ("inline_query", Message("x")),
    ]:
        expected = await plain.propagate_event(update_type, event)
        got = await fast.propagate_event(update_type, event)
        assert got == expected, update_type
        assert fast_log == plain_log
    assert plain_log == ["outer:watched", "outer:watched"]  # the outer middleware still runs


async def test_an_idle_router_is_not_entered() -> None:
    root, idle, busy = Router(name="root"), Router(name="idle"), Router(name="busy")
    root.include_routers(idle, busy)
    entered: list[str] = []

    async def root_filter(event: Any) -> bool:
        entered.append("idle")
        return True

    async def handler(event: Any) -> str:
        return "ok"

    idle.message.filter(root_filter)
    idle.callback_query.filter(root_filter)
    idle.callback_query.register(handler)
    busy.message.register(handler)
    skip_idle_routers(root)
    assert await root.propagate_event("message", object()) == "ok"
    assert entered == []  # no handler for messages below "idle": its filters were not run
    assert await root.propagate_event("callback_query", object()) == "ok"
    assert entered == ["idle"]


def _filtered(seen: list[Any]) -> Router:
    """Filters that give data, a later filter that refuses, a handler that skips,
    an inner middleware, and a sub-router that must not see the handlers' data."""
    from aiogram.dispatcher.event.bases import SkipHandler

    root, child = Router(name="root"), Router(name="child")
    root.include_router(child)

    async def gives_a(event: Any) -> dict[str, str]:
        return {"a": "1"}

    async def needs_a_refuses(event: Any, a: str) -> bool:
        seen.append(("refuses saw", a))
        return False

    async def gives_b(event: Any, a: str = "-") -> dict[str, str]:
        return {"b": a + "2"}

    async def skipping(event: Any, b: str) -> str:
        seen.append(("skipped with", b))
        raise SkipHandler

    async def answering(event: Any, b: str, handler: Any, **rest: Any) -> str:
        return f"root:{b}:{'a' in rest}"

    async def in_child(event: Any, **data: Any) -> str:
        return f"child:{sorted(k for k in data if k in {'a', 'b', 'handler', 'mw'})}"

    async def inner(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        data["mw"] = True
        seen.append(("inner", data.get("b")))
        return await handler(event, data)

    root.message.middleware(inner)
    root.message.register(answering, gives_a, needs_a_refuses)
    root.message.register(skipping, gives_b)
    root.message.register(answering, F.text == "root", gives_b)
    child.message.register(in_child, F.text)
    return root


async def test_handlers_are_checked_with_the_same_data_as_aiogram() -> None:
    class Message:
        def __init__(self, text: str) -> None:
            self.text = text

    for text in ("root", "child"):
        plain_seen: list[Any] = []
        fast_seen: list[Any] = []
        plain, fast = _filtered(plain_seen), _filtered(fast_seen)
        inline_magic_filters(plain)
        inline_magic_filters(fast)
        skip_idle_routers(fast)
        expected = await plain.propagate_event("message", Message(text), x=1)
        assert await fast.propagate_event("message", Message(text), x=1) == expected
        assert fast_seen == plain_seen
    assert expected.startswith("child:")  # the last case reached the sub-router
