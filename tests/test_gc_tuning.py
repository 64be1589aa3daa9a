"""Full garbage collections run at quiet moments, not in the middle of an update
(bot/gc_tuning.py)."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from bot import gc_tuning


async def full_collections_while(busy: bool, latest: float) -> int:
    seen: list[int] = []

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(watch)
    task = asyncio.create_task(gc_tuning.collect_when_idle(lambda: busy, check=0.01, latest=latest))
    try:
        await asyncio.sleep(0.2)
    finally:
        task.cancel()
        gc.callbacks.remove(watch)
    return len(seen)


async def test_full_collections_wait_for_a_quiet_moment() -> None:
    assert await full_collections_while(busy=False, latest=3600) > 0
    assert await full_collections_while(busy=True, latest=3600) == 0


async def test_a_bot_that_is_never_quiet_still_collects() -> None:
    assert await full_collections_while(busy=True, latest=0.05) > 0


def test_automatic_full_collections_are_off_after_tuning() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # CPython's defaults (a bot started earlier tuned them)
        gc_tuning.tune()
        young, _middle, full = gc.get_threshold()
        assert young > 700 and full >= 1_000_000
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
