"""Pytest fixtures; import them into a conftest.py:

from tests.tgfake.fixtures import tg  # (noqa: F401)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .server import FakeTelegram


@pytest_asyncio.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A started FakeTelegram (no limits enforced), stopped after the test."""
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
