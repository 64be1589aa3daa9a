"""Garbage collection that does not pause a dialogue.

CPython's automatic full collection (generation 2) walks every object the process
has made since `gc.freeze()` — under load (bench/dialog.py, 200 parents) 24 full
collections of 100–760 ms each, the worst of them in the middle of somebody's
answer.  After start-up the automatic full collections are turned off and
young collections run less often (`YOUNG` allocations); instead `collect_when_idle`
runs a full collection at a quiet moment — no update handled or waiting for a
couple of seconds (bot/inbox.py `Inbox.busy`), checked every `IDLE_CHECK` seconds —
and after `LATEST` seconds even when the bot never is idle,
so cyclic garbage is still freed.  Reference counting frees everything else at once,
as always.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

YOUNG = 5_000  # allocations between young collections (CPython's default: 700)
MIDDLE = 20  # young collections between middle-generation ones (default 10)
NEVER = 1_000_000_000  # middle collections between automatic full ones: none
IDLE_CHECK = 30.0  # seconds between looks for a quiet moment
LATEST = 600.0  # seconds after which a full collection runs anyway


def tune() -> None:
    """Freeze what start-up built and leave full collections to `collect_when_idle`."""
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, NEVER)


async def collect_when_idle(
    busy: Callable[[], bool], *, check: float = IDLE_CHECK, latest: float = LATEST
) -> None:
    """Run a full collection at quiet moments (`busy()` false), at least every `latest` s."""
    last = time.monotonic()
    while True:
        await asyncio.sleep(check)
        now = time.monotonic()
        if busy() and now - last < latest:
            continue
        started = time.perf_counter()
        found = gc.collect()
        last = time.monotonic()
        log.debug(
            "full collection: %d objects, %.0f ms", found, (time.perf_counter() - started) * 1000
        )
