"""Two bot processes share one PostgreSQL database: claims use FOR UPDATE SKIP
LOCKED, every row is delivered exactly once (the machine's PostgreSQL, `pg_url`)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data.engine import create_engine, create_sessionmaker
from bot.data.migrate import upgrade_to_head
from bot.data.models import OutboxMessage
from bot.outbox import store as outbox
from tests.conftest import BOT_TOKEN
from tests.tgfake.server import FakeTelegram

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
async def pg_sessionmaker(pg_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(pg_url)
    await upgrade_to_head(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def add_rows(sessionmaker: async_sessionmaker[AsyncSession], chats: list[int]) -> None:
    async with sessionmaker() as session, session.begin():
        for chat in chats:
            await outbox.enqueue(
                session, chat_id=chat, kind="test", payload={"text": f"hello {chat}"}
            )


async def test_concurrent_claims_skip_locked_rows(
    pg_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await add_rows(pg_sessionmaker, list(range(5000, 5120)))
    claims = await asyncio.gather(
        *(outbox.claim(pg_sessionmaker, worker=f"w{i}", limit=25, lease=60) for i in range(6))
    )
    ids = [row.id for claim in claims for row in claim]
    assert len(ids) == len(set(ids)) == 120
    assert sum(1 for claim in claims if claim) >= 5


def own_token() -> str:
    """A bot token of its own: the processes' shared pacing in Redis is keyed by the bot id
    (bot/outbox/pace.py), so concurrent runs on the same Redis never share (and slow) it."""
    return f"{random.randrange(10**9, 10**10)}:TEST-outbox-pg"


def bot_process(
    tg: FakeTelegram, database_url: str, log: Path, token: str = BOT_TOKEN, **env: str
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "BOT_TOKEN": token,
        "BOT_API_URL": tg.base_url,
        "DATABASE_URL": database_url,
        "STAFF_CHAT_ID": "",
        "LOG_LEVEL": "WARNING",
        "OUTBOX_POLL_INTERVAL": "0.05",
        "OUTBOX_BATCH_SIZE": "10",
        "OUTBOX_PRIVATE_INTERVAL": "0",
        "OUTBOX_GLOBAL_RATE": "60",
        "SCHEDULER_INTERVAL": "3600",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_cwd(log),
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def tmp_cwd(log: Path) -> str:
    """Run in a temporary folder (no .env of the developer), with the repo importable."""
    return str(log.parent)


async def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        for _ in range(100):
            if process.poll() is not None:
                return
            await asyncio.sleep(0.1)
        process.kill()
        process.wait()


async def test_two_processes_share_the_outbox_exactly_once(
    tg: FakeTelegram,
    pg_url: str,
    redis_url: str,
    pg_sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    chats = list(range(7000, 7300))
    for chat in chats:
        tg.user(chat, language_code="ru")
    env_path = os.environ.get("PYTHONPATH", "")
    token = own_token()  # both processes are one bot: the same token, unlike other runs'
    processes = [
        bot_process(
            tg,
            pg_url,
            tmp_path / f"bot{i}.log",
            token,
            PYTHONPATH=f"{REPO}{os.pathsep}{env_path}",
            REDIS_URL=redis_url,  # several processes need Redis (bot/data/instances.py)
        )
        for i in range(2)
    ]
    try:
        await tg.wait_for(
            lambda: len(tg.calls_of("deleteWebhook")) >= 2, timeout=60, what="both bots started"
        )
        await asyncio.sleep(0.5)
        await add_rows(pg_sessionmaker, chats)
        await tg.wait_for(
            lambda: tg.delivered_total >= len(chats), timeout=60, what="all rows delivered"
        )
        await asyncio.sleep(1.0)  # nothing more arrives
    finally:
        for process in processes:
            await stop(process)
    assert tg.delivered_total == len(chats)
    assert all(tg.delivered.get(chat) == 1 for chat in chats)
    async with pg_sessionmaker() as session:
        by_status = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                )
            ).all()
        )
        workers = (
            await session.execute(select(func.count(func.distinct(OutboxMessage.claimed_by))))
        ).scalar_one()
    assert by_status == {"sent": len(chats)}
    assert workers == 2, "both processes must have delivered rows"
