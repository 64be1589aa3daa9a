"""The Redis keys of the FSM (the wizard's state and draft) and of event isolation
(one update of a user at a time, across processes): ``fsm:<bot id>:<chat>:<user>:
<destiny>:<state|data|lock>``.

The bot id keeps two bots sharing one Redis (production and staging, a benchmark and
the tests) apart: without it a user of one bot resumed the other bot's draft ("You
have an unfinished application" right after "I agree") and waited for its locks.

Versions before kept ``fsm:<chat>:<user>:<destiny>:<state|data>`` (aiogram's default
key builder has no bot id): `adopt_legacy_keys` renames them at start, so a parent
half-way through the wizard keeps the draft over the upgrade. Locks are not renamed
(they expire within a minute). While old and new processes run side by side during
a rolling upgrade they do not see each other's keys: stop the old ones first.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram.fsm.storage.base import DefaultKeyBuilder

log = logging.getLogger(__name__)

PREFIX = "fsm"


def key_builder() -> DefaultKeyBuilder:
    """Keys with the bot id and the destiny (the wizard's draft has its own)."""
    return DefaultKeyBuilder(prefix=PREFIX, with_bot_id=True, with_destiny=True)


def _is_id(part: str) -> bool:
    return part.removeprefix("-").isdigit()


def adopted_name(key: str, bot_id: int) -> str | None:
    """The current name of a key written without the bot id; None for any other key."""
    parts = key.split(":")
    if (
        len(parts) == 5
        and parts[0] == PREFIX
        and _is_id(parts[1])
        and _is_id(parts[2])
        and parts[4] in ("state", "data")
    ):
        return ":".join([PREFIX, str(bot_id), *parts[1:]])
    return None


async def adopt_legacy_keys(redis: Any, bot_id: int) -> int:
    """Rename the keys written without the bot id to this bot's (their TTL kept); a
    legacy key whose current one exists already is older: deleted. Processes starting
    together may race: a key another one renamed first is skipped. The number adopted."""
    from redis.exceptions import ResponseError

    adopted = 0
    async for raw in redis.scan_iter(match=f"{PREFIX}:*", count=1000):
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        target = adopted_name(key, bot_id)
        if target is None:
            continue
        with contextlib.suppress(ResponseError):  # gone meanwhile (another process)
            if await redis.renamenx(key, target):
                adopted += 1
            else:
                await redis.delete(key)
    if adopted:
        log.info("adopted %d FSM key(s) written without the bot id", adopted)
    return adopted
