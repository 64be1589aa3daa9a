from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from aiogram import Bot, Dispatcher

from tests.tgfake import FakeTelegram
from tests.tgfake.echo import build_echo_dispatcher, run_polling
from tests.tgfake.fixtures import tg  # noqa: F401


@pytest_asyncio.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:  # noqa: F811
    bot = tg.make_bot()
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest_asyncio.fixture
async def echo(tg: FakeTelegram, bot: Bot) -> AsyncIterator[Dispatcher]:  # noqa: F811
    """The echo bot polling the fake server."""
    dp = build_echo_dispatcher()
    async with run_polling(dp, bot):
        yield dp
