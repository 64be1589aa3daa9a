"""Fixtures: the fake Telegram Bot API, the real bot polling it, PostgreSQL, Redis.

Tests of the PostgreSQL and Redis paths FAIL when the service is unreachable in
CI (CI=true) and are skipped, with the reason, only outside CI.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.app import BotApp
from bot.clock import Clock
from bot.settings import Settings

# The tests' helper modules (not collected, so not rewritten by default): their asserts
# explain a failure as a test's would.
pytest.register_assert_rewrite("tests.chat", "tests.staff_kit", "tests.apply_support")

if TYPE_CHECKING:
    from tests.tgfake.server import FakeTelegram

FIXED_TODAY = dt.date(2025, 11, 15)
STAFF_CHAT_ID = -1001234567890
STAFF_IDS = (501, 502)
BOT_TOKEN = "123456789:TEST-token"
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def worker_redis_url(url: str, worker: str | None) -> str:
    """The Redis database of this pytest-xdist worker ("gw0", "gw1", …): the database of
    `url` plus the worker's number. The workers never meet: a bot started in one adopts
    every FSM key written without a bot id (bot/data/redis_keys.py), so one test's keys
    must never be visible to another worker's bot."""
    if not worker:
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{database}"))


REDIS_TEST_URL = worker_redis_url(REDIS_BASE_URL, os.environ.get("PYTEST_XDIST_WORKER"))


def service_unavailable(what: str, error: BaseException) -> None:
    """Fail in CI, skip (with the reason) elsewhere."""
    message = f"{what} is unreachable: {type(error).__name__}: {error}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    from tests.tgfake.server import FakeTelegram

    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def make_settings(tmp_path: Path, tg: FakeTelegram) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": BOT_TOKEN,
            "bot_api_url": tg.base_url,
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
            "staff_chat_id": STAFF_CHAT_ID,
            "staff_user_ids": ",".join(str(i) for i in STAFF_IDS),
            "outbox_private_interval": 0.0,
            "scheduler_interval": 3600.0,
            "documents_dir": str(tmp_path / "documents"),
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return build


class RunningBot:
    """The real bot (BotApp) polling the fake server, as in production."""

    def __init__(self, tg: FakeTelegram, settings: Settings, clock: Clock) -> None:
        self.tg = tg
        self.settings = settings
        self.clock = clock
        self.app: BotApp
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.app = await BotApp.create(self.settings, clock=self.clock)
        polls = len(self.tg.calls_of("getUpdates"))
        self._task = asyncio.create_task(
            self.app.run_polling(handle_signals=False, handle_as_tasks=False)
        )
        for _ in range(500):
            if len(self.tg.calls_of("getUpdates")) > polls:
                return
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        raise AssertionError("the bot did not start polling")

    async def stop(self) -> None:
        if self._task is None:
            return
        if not self._task.done():
            await self.app.dispatcher.stop_polling()
        try:
            await asyncio.wait_for(self._task, 10)
        finally:
            self._task = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def running(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> AsyncIterator[RunningBot]:
    bot = RunningBot(tg, make_settings(), Clock(fixed=FIXED_TODAY))
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:16]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        service_unavailable("PostgreSQL at 127.0.0.1:5432", error)
        raise
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """Redis for the FSM storage path (keys are isolated by a random bot id; each
    pytest-xdist worker has a database of its own)."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except (OSError, RedisError) as error:
        service_unavailable("Redis at 127.0.0.1:6379", error)
        raise
    finally:
        await client.aclose()
    yield REDIS_TEST_URL
