"""The Redis FSM's lock and reads in one pipeline (bot/data/redis_fsm.py).

What aiogram's RedisEventIsolation + RedisStorage guarantee must hold: one update of a
user at a time across processes (clients), the state and data an update reads are what
the previous holder left, every write is in Redis when it returns, the lock is released
only by its owner. And the point of it: taking the lock and reading the state and the
draft is one round trip.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.data import redis_keys
from bot.data.redis_fsm import PrefetchedRedisStorage, PrefetchingRedisEventIsolation

DRAFT = "apply"


@dataclasses.dataclass
class Side:
    """One process's view: its own Redis client, storage and isolation."""

    storage: PrefetchedRedisStorage
    isolation: PrefetchingRedisEventIsolation


def side(redis_url: str) -> Side:
    keys = redis_keys.key_builder()
    storage = PrefetchedRedisStorage.from_url(redis_url, key_builder=keys)
    isolation = PrefetchingRedisEventIsolation(
        storage.redis, keys, data_destinies=(DRAFT,), sleep=0.01
    )
    return Side(storage, isolation)


@pytest.fixture
async def sides(redis_url: str) -> AsyncIterator[tuple[Side, Side, StorageKey]]:
    """Two processes' views of one Redis and a user key of a bot id of its own."""
    first, second = side(redis_url), side(redis_url)
    user = random.randint(10**9, 2 * 10**9)
    key = StorageKey(bot_id=random.randint(10**8, 10**9 - 1), chat_id=user, user_id=user)
    try:
        yield first, second, key
    finally:
        client = first.storage.redis
        names = [
            redis_keys.key_builder().build(dataclasses.replace(key, destiny=d), part)
            for d in ("default", DRAFT)
            for part in ("state", "data", "lock")
        ]
        await client.delete(*names)
        await first.storage.close()
        await second.storage.close()


def draft(key: StorageKey) -> StorageKey:
    return dataclasses.replace(key, destiny=DRAFT)


async def test_one_update_of_a_user_at_a_time_across_processes(
    sides: tuple[Side, Side, StorageKey],
) -> None:
    first, second, key = sides
    events: list[str] = []
    holding = asyncio.Event()
    go_on = asyncio.Event()

    async def one() -> None:
        async with first.isolation.lock(key):
            events.append("first in")
            holding.set()
            await go_on.wait()
            await first.storage.set_state(key, "Wizard:iin")
            events.append("first out")

    async def two() -> None:
        await holding.wait()
        async with second.isolation.lock(key):
            events.append("second in")
            # what the first left, read with the lock
            assert await second.storage.get_state(key) == "Wizard:iin"

    task_one, task_two = asyncio.create_task(one()), asyncio.create_task(two())
    await holding.wait()
    for _ in range(20):  # the second tries (and waits) while the first holds the lock
        await asyncio.sleep(0.01)
    assert events == ["first in"]
    go_on.set()
    await asyncio.gather(task_one, task_two)
    assert events == ["first in", "first out", "second in"]


async def test_the_lock_the_state_and_the_draft_in_one_round_trip(
    sides: tuple[Side, Side, StorageKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, key = sides
    await second.storage.set_state(key, "ApplyStates:wizard")
    await second.storage.set_data(draft(key), {"step": "iin"})
    calls: list[str] = []
    client: Any = first.storage.redis
    plain = client.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        calls.append(str(args[0]))
        return await plain(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    pipeline_class = type(client.pipeline())
    piped = pipeline_class.execute

    async def counted_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("pipeline " + "+".join(str(c[0][0]) for c in self.command_stack))
        return await piped(self, *args, **kwargs)

    monkeypatch.setattr(pipeline_class, "execute", counted_pipeline)
    async with first.isolation.lock(key):
        assert await first.storage.get_state(key) == "ApplyStates:wizard"
        assert await first.storage.get_data(draft(key)) == {"step": "iin"}
        assert await first.storage.get_state(draft(key)) is None  # not read ahead: asks
        assert calls == ["pipeline SET+GET+GET", "GET"]
    assert calls[2:] == ["EVALSHA"]  # the release: the owner's token checked in Redis


async def test_a_write_is_in_redis_at_once_and_read_back_as_written(
    sides: tuple[Side, Side, StorageKey],
) -> None:
    first, second, key = sides
    await second.storage.set_data(draft(key), {"step": "iin"})
    async with first.isolation.lock(key):
        assert await first.storage.get_data(draft(key)) == {"step": "iin"}
        await first.storage.set_data(draft(key), {"step": "phone"})
        assert await second.storage.get_data(draft(key)) == {"step": "phone"}
        assert await first.storage.get_data(draft(key)) == {"step": "phone"}
        await first.storage.set_state(key, "ApplyStates:consent")
        assert await first.storage.get_state(key) == "ApplyStates:consent"
        await first.storage.set_data(draft(key), {})
        assert await first.storage.get_data(draft(key)) == {}
        assert await second.storage.get_data(draft(key)) == {}


async def test_nothing_read_with_the_lock_is_served_after_it(
    sides: tuple[Side, Side, StorageKey],
) -> None:
    """A task the handler started and that outlives the lock, and the next update, read
    Redis: another process may have written meanwhile."""
    first, second, key = sides
    await second.storage.set_state(key, "ApplyStates:wizard")
    later = asyncio.Event()

    async def outliving() -> str | None:
        await later.wait()
        return await first.storage.get_state(key)

    async with first.isolation.lock(key):
        assert await first.storage.get_state(key) == "ApplyStates:wizard"
        task = asyncio.create_task(outliving())
    await second.storage.set_state(key, "ApplyStates:consent")
    later.set()
    assert await task == "ApplyStates:consent"
    assert await first.storage.get_state(key) == "ApplyStates:consent"


async def test_a_lock_that_expired_meanwhile_is_not_released_as_ours(
    sides: tuple[Side, Side, StorageKey],
) -> None:
    """As redis-py's Lock under aiogram's RedisEventIsolation: the release checks the
    token, and says so when the lock is no longer ours (expired, another took it)."""
    from redis.exceptions import LockNotOwnedError

    first, _second, key = sides
    name = redis_keys.key_builder().build(key, "lock")
    with pytest.raises(LockNotOwnedError):
        async with first.isolation.lock(key):
            await first.storage.redis.set(name, b"another holder's token")
    assert await first.storage.redis.get(name) == b"another holder's token"
