"""Redis keys of the wizard's state, draft and per-user lock belong to one bot.

Two bots (or a bench and a test, or two benches) sharing one Redis must not see
each other's users: the key of a user's state, draft and event-isolation lock
carries the bot id. Keys written before that (no bot id) are adopted at start,
so a parent in the middle of an application keeps the draft over the upgrade.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.clock import Clock
from bot.settings import Settings
from tests.apply_support import LABELS, begin, joined
from tests.conftest import FIXED_TODAY, RunningBot
from tests.tgfake.server import FakeTelegram


def random_token() -> str:
    return f"{random.randint(10**8, 10**9 - 1)}:TEST-token"


@pytest.fixture
async def other_tg() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def upgraded(
    tg: FakeTelegram, make_settings: Callable[..., Settings], redis_url: str
) -> AsyncIterator[tuple[RunningBot, Any, int]]:
    """A bot on Redis with a token of its own (started), a Redis client and a new user's id;
    the user's keys are removed afterwards."""
    from redis.asyncio import Redis

    user_id = random.randint(10**9, 2 * 10**9)
    running = RunningBot(
        tg, make_settings(redis_url=redis_url, bot_token=random_token()), Clock(fixed=FIXED_TODAY)
    )
    client = Redis.from_url(redis_url)
    await running.start()
    try:
        yield running, client, user_id
    finally:
        await running.stop()
        await forget_user(redis_url, user_id)
        await client.aclose()


async def forget_user(redis_url: str, user_id: int) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        for key in [key async for key in client.scan_iter(match=f"fsm:*{user_id}:{user_id}:*")]:
            await client.delete(key)
    finally:
        await client.aclose()


async def test_two_bots_on_one_redis_do_not_share_a_users_draft(
    tg: FakeTelegram,
    other_tg: FakeTelegram,
    make_settings: Callable[..., Settings],
    redis_url: str,
    tmp_path: Path,
) -> None:
    """The benchmark's symptom ("You have an unfinished application, continuing at step
    1" right after "I agree"): another bot on the same Redis had the same user id at
    step 1. Each bot's parent starts afresh and keeps their own answers."""
    user_id = random.randint(10**9, 2 * 10**9)
    first = RunningBot(
        tg, make_settings(redis_url=redis_url, bot_token=random_token()), Clock(fixed=FIXED_TODAY)
    )
    second = RunningBot(
        other_tg,
        make_settings(
            redis_url=redis_url,
            bot_token=random_token(),
            bot_api_url=other_tg.base_url,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}",
        ),
        Clock(fixed=FIXED_TODAY),
    )
    await first.start()
    await second.start()
    try:
        here = tg.user(user_id, language_code="ru")
        there = other_tg.user(user_id, language_code="ru")
        await begin(here, "ru")  # a draft at step 1 in the first bot
        replies = await begin(there, "ru")
        text = joined(replies)
        assert "Кем вы приходитесь ребёнку?" in text
        assert "незавершённое" not in text
        await here.send(LABELS["ru"]["mother"])  # the first bot's parent goes on
        await there.send("/cancel")  # the second one pauses: their draft is their own
        replies = await here.send("/apply")
        assert "незавершённое" in joined(replies)
        assert "как в удостоверении личности" in joined(replies)  # the name, after the relation
        replies = await there.send("/apply")
        assert "незавершённое" in joined(replies)
        assert "Кем вы приходитесь ребёнку?" in joined(replies)
    finally:
        await second.stop()
        await first.stop()
        await forget_user(redis_url, user_id)


async def test_one_bot_does_not_wait_for_another_bots_lock_of_the_same_user(
    make_settings: Callable[..., Settings], redis_url: str
) -> None:
    """Event isolation (one update of a user at a time, across processes) is per bot."""
    from bot.app import BotApp

    user_id = random.randint(10**9, 2 * 10**9)
    apps = [
        await BotApp.create(make_settings(redis_url=redis_url, bot_token=random_token()))
        for _ in range(2)
    ]
    try:
        keys = [StorageKey(bot_id=app.bot.id, chat_id=user_id, user_id=user_id) for app in apps]
        isolations = [app.dispatcher.fsm.events_isolation for app in apps]
        async with isolations[0].lock(keys[0]):
            # would wait for the first bot's lock (60 s) if the key were shared
            async with asyncio.timeout(30):
                async with isolations[1].lock(keys[1]):
                    pass
    finally:
        for app in apps:
            await app.close()


async def test_keys_written_without_the_bot_id_are_adopted_at_start(
    tg: FakeTelegram, upgraded: tuple[RunningBot, Any, int]
) -> None:
    """A parent half-way through the wizard when the bot is upgraded keeps the draft."""
    running, client, user_id = upgraded
    try:
        user = tg.user(user_id, language_code="ru")
        await begin(user, "ru")
        await user.send(LABELS["ru"]["mother"])  # the draft is at the name
        await running.stop()
        bot_id = running.app.bot.id
        # as the previous version kept them: fsm:<chat>:<user>:<destiny>:<part>
        current = sorted(
            [key.decode() async for key in client.scan_iter(match=f"fsm:{bot_id}:{user_id}:*")]
        )
        assert current, "the wizard's keys carry the bot id"
        for key in current:
            legacy = key.replace(f"fsm:{bot_id}:", "fsm:", 1)
            await client.rename(key, legacy)
        await running.start()
        assert [key async for key in client.scan_iter(match=f"fsm:{user_id}:{user_id}:*")] == []
        replies = await user.send("/apply")
        assert "незавершённое" in joined(replies)
        assert "как в удостоверении личности" in joined(replies)
        stored = await client.get(f"fsm:{bot_id}:{user_id}:{user_id}:apply:data")
        assert stored is not None and json.loads(stored)
    finally:
        await running.stop()


async def test_a_legacy_key_older_than_the_current_one_is_deleted(
    tg: FakeTelegram, upgraded: tuple[RunningBot, Any, int]
) -> None:
    """When both exist the current key wins; the legacy copy (personal data) goes."""
    running, client, user_id = upgraded
    try:
        user = tg.user(user_id, language_code="ru")
        await begin(user, "ru")
        await running.stop()
        bot_id = running.app.bot.id
        legacy = f"fsm:{user_id}:{user_id}:apply:data"
        await client.set(legacy, json.dumps({"step": "iin"}))
        await running.start()
        assert await client.get(legacy) is None
        replies = await user.send("/apply")
        assert "продолжаем с шага 1 из" in joined(replies)
        assert await client.exists(f"fsm:{bot_id}:{user_id}:{user_id}:apply:data")
    finally:
        await running.stop()
