"""The Redis FSM with fewer round trips: the per-user lock and the keys every update reads
come in one pipeline (REDIS_URL; bot/app.py).

aiogram's RedisEventIsolation and RedisStorage send, for each update of the wizard, five
commands one after another, each a round trip and a pass through redis-py: the lock's
``SET … NX PX``, the state's ``GET`` (FSMContextMiddleware, once the lock is held), the
draft's ``GET`` (handlers/apply.py), the draft's ``SET`` and the lock's release (a Lua
script). Here the lock's ``SET … NX PX`` and the ``GET`` of the state and of the draft go
in one pipeline (``MULTI``-less: Redis runs a connection's commands in order, so when the
``SET`` took the lock the ``GET``s after it read what the previous holder left; when it did
not, their answers are dropped and the whole is tried again after ``sleep``, as redis-py's
Lock polls). What was read is served to this update's ``get_state``/``get_data`` of those
keys; a write to a key forgets its read value (the next read asks Redis). Three round trips
per wizard update instead of five (bench/roundtrips.py).

Unchanged: the keys (bot/data/redis_keys.py), the lock's value (a random token), its 60 s
expiry, the release only by the token's owner (redis-py's Lock script; LockNotOwnedError
when it expired meanwhile), waiting without limit for a lock another process holds, and
every write going to Redis when it is made.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import secrets
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from typing import Any, cast

from aiogram.fsm.storage.base import (
    DEFAULT_DESTINY,
    BaseEventIsolation,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.redis import DEFAULT_REDIS_LOCK_KWARGS, RedisStorage
from redis.asyncio import Redis
from redis.asyncio.lock import Lock

# The values read with the lock, by Redis key (None: the key did not exist), for the update
# holding it. Emptied in place at release: a task the handler started and that outlives
# the lock holds the same dict, and reads Redis again.
_read: contextvars.ContextVar[dict[str, bytes | None] | None] = contextvars.ContextVar(
    "redis_fsm_read", default=None
)
_MISSING = object()


class PrefetchedRedisStorage(RedisStorage):
    """aiogram's RedisStorage that first looks at what the lock's pipeline read."""

    @staticmethod
    def _known(redis_key: str) -> Any:
        read = _read.get()
        if read is None:
            return _MISSING
        return read.get(redis_key, _MISSING)

    @staticmethod
    def _forget(redis_key: str) -> None:
        read = _read.get()
        if read is not None:
            read.pop(redis_key, None)

    async def get_state(self, key: StorageKey) -> str | None:
        value = self._known(self.key_builder.build(key, "state"))
        if value is _MISSING:
            return await super().get_state(key)
        return None if value is None else cast(bytes, value).decode("utf-8")

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        value = self._known(self.key_builder.build(key, "data"))
        if value is _MISSING:
            return await super().get_data(key)
        if value is None:
            return {}
        return cast(dict[str, Any], self.json_loads(cast(bytes, value).decode("utf-8")))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        self._forget(self.key_builder.build(key, "state"))
        await super().set_state(key, state)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        self._forget(self.key_builder.build(key, "data"))
        await super().set_data(key, data)


class PrefetchingRedisEventIsolation(BaseEventIsolation):
    """One update of a user at a time across processes (as aiogram's RedisEventIsolation:
    the same lock key, expiry and release), taking the lock and reading the user's state
    and the draft (``data`` of each destiny in ``data_destinies``) in one pipeline."""

    def __init__(
        self,
        redis: Redis,
        key_builder: KeyBuilder,
        *,
        data_destinies: tuple[str, ...] = (),
        timeout: float = float(DEFAULT_REDIS_LOCK_KWARGS["timeout"]),
        sleep: float = 0.1,
    ) -> None:
        self.redis = redis
        self.key_builder = key_builder
        self.data_destinies = data_destinies
        self.timeout = timeout
        self.sleep = sleep  # between tries while another update of the user holds the lock

    def _reads(self, key: StorageKey) -> list[str]:
        keys = [self.key_builder.build(key, "state")]
        for destiny in self.data_destinies:
            keys.append(self.key_builder.build(dataclasses.replace(key, destiny=destiny), "data"))
        return keys

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = self.key_builder.build(key, "lock")
        reads = self._reads(key) if key.destiny == DEFAULT_DESTINY else []
        token = secrets.token_hex(16).encode()
        while True:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.set(name, token, nx=True, px=int(self.timeout * 1000))
                for redis_key in reads:
                    pipe.get(redis_key)
                taken, *values = await pipe.execute()
            if taken:
                break
            await asyncio.sleep(self.sleep)
        lock = Lock(self.redis, name, timeout=self.timeout)  # its release script, as aiogram's
        lock.local.token = token
        read: dict[str, bytes | None] = dict(zip(reads, values, strict=True))
        reset = _read.set(read)
        try:
            yield None
        finally:
            read.clear()
            _read.reset(reset)
            await lock.release()

    async def close(self) -> None:
        pass
