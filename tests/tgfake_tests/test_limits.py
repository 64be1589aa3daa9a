"""Flood limits: the sliding windows and the server's 429 answers."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from bot.telegram_emulator.limits import RateLimiter
from tests.tgfake import FakeTelegram, Limits


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_private_chat_one_per_second() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    assert limiter.acquire(5) == 0
    clock.t += 0.3
    assert limiter.acquire(5) == 1  # 0.7 s left, rounded up
    clock.t += 0.7
    assert limiter.acquire(5) == 0
    assert limiter.too_many_requests == 1


def test_group_twenty_per_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    for _ in range(20):
        assert limiter.acquire(-100) == 0
        clock.t += 0.5  # stays under 30/s
    # the first message went out 10 s ago: 50 s until the window frees
    assert limiter.acquire(-100) == 50
    clock.t += 50
    assert limiter.acquire(-100) == 0


def test_global_thirty_per_second() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    for chat in range(30):
        assert limiter.acquire(chat + 1) == 0
    assert limiter.acquire(999) == 1
    clock.t += 1.0
    assert limiter.acquire(999) == 0


def test_custom_limits() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(private_per_second=3), clock=clock)
    assert [limiter.acquire(1) for _ in range(4)] == [0, 0, 0, 1]


async def _burst(bot: Bot, chat_id: int, count: int, pause: float) -> list[int]:
    retries = []
    for i in range(count):
        try:
            await bot.send_message(chat_id, f"#{i}")
        except TelegramRetryAfter as e:
            retries.append(e.retry_after)
        await asyncio.sleep(pause)
    return retries


async def test_burst_to_one_chat_gets_429() -> None:
    async with FakeTelegram(enforce_limits=True) as tg:
        tg.user(1)
        bot = tg.make_bot()
        try:
            retries = await _burst(bot, 1, 40, 1 / 40)
        finally:
            await bot.session.close()
    assert tg.too_many_requests == len(retries) >= 35
    assert set(retries) == {1}
    assert tg.delivered[1] == 40 - len(retries)


async def test_paced_sending_gets_no_429() -> None:
    async with FakeTelegram(enforce_limits=True) as tg:
        tg.user(1)
        bot = tg.make_bot()
        try:
            retries = await _burst(bot, 1, 3, 1.02)
        finally:
            await bot.session.close()
    assert retries == []
    assert tg.too_many_requests == 0
    assert tg.delivered == {1: 3}


async def test_global_limit_across_chats() -> None:
    async with FakeTelegram(enforce_limits=True) as tg:
        for uid in range(1, 41):
            tg.user(uid)
        bot = tg.make_bot()
        try:
            results = await asyncio.gather(
                *(bot.send_message(uid, "news") for uid in range(1, 41)), return_exceptions=True
            )
        finally:
            await bot.session.close()
    refused = [r for r in results if isinstance(r, TelegramRetryAfter)]
    assert len(refused) == 10
    assert tg.delivered_total == 30


async def test_group_limit_and_edits_do_not_count() -> None:
    async with FakeTelegram(enforce_limits=True) as tg:
        tg.group(-1001, "Staff")
        bot = tg.make_bot()
        try:
            first = None
            for i in range(20):
                msg = await bot.send_message(-1001, f"#{i}")
                first = first or msg
                await asyncio.sleep(0.04)
            assert first is not None
            await bot.edit_message_text("edited", chat_id=-1001, message_id=first.message_id)
            with pytest.raises(TelegramRetryAfter) as info:
                await bot.send_message(-1001, "one too many")
        finally:
            await bot.session.close()
    assert 58 <= info.value.retry_after <= 60
    assert tg.delivered == {-1001: 20}


async def test_limits_off_by_default(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(1)
    assert await _burst(bot, 1, 40, 0) == []
    assert tg.too_many_requests == 0


def test_group_window_can_be_shortened() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(group_per_minute=3, group_seconds=1.0), clock=clock)
    assert [limiter.acquire(-100) for _ in range(4)] == [0, 0, 0, 1]
    clock.t += 1.0
    assert limiter.acquire(-100) == 0
