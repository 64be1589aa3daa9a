"""The bot killed with SIGKILL between the commit of a status change and the
send: after a restart the notification is delivered exactly once.

`python -m bot` runs as a subprocess against the fake Bot API and a temporary
SQLite database; OUTBOX_SEND_DELAY holds the first process between claiming the
row (committed) and the API call, where it is killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bot.app import BotApp
from bot.data.models import OutboxMessage
from bot.settings import Settings
from bot.usecases.applications import submit
from bot.usecases.transitions import StaffMember, perform
from core.status import Action
from tests.conftest import BOT_TOKEN
from tests.staff_kit import answers, certificate_file
from tests.tgfake.server import FakeTelegram

REPO = Path(__file__).resolve().parents[1]
TAKEN = "принято на рассмотрение (ГУ «Отдел занятости"


def start_bot(
    tg: FakeTelegram, database_url: str, folder: Path, name: str, **env: str
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "BOT_TOKEN": BOT_TOKEN,
        "BOT_API_URL": tg.base_url,
        "DATABASE_URL": database_url,
        "STAFF_CHAT_ID": "",
        "LOG_LEVEL": "WARNING",
        "OUTBOX_POLL_INTERVAL": "0.05",
        "OUTBOX_CLAIM_SECONDS": "3",
        "OUTBOX_CLAIM_AHEAD": "0.5",
        "OUTBOX_REQUEST_TIMEOUT": "1",
        "SCHEDULER_INTERVAL": "3600",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=folder,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=(folder / f"{name}.log").open("wb"),
    )


async def row_status(app: BotApp) -> tuple[str, int]:
    async with app.context.sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "taken"))
        assert row is not None
        return row.status, row.attempts


async def wait_status(app: BotApp, status: str, timeout: float = 30.0) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        current, attempts = await row_status(app)
        if current == status:
            return attempts
        await asyncio.sleep(0.05)
    raise AssertionError(f"the outbox row did not become {status!r}: {await row_status(app)}")


async def test_sigkill_between_commit_and_send_then_restart_delivers_once(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    parent = tg.user(6001, language_code="ru")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    settings = Settings(
        _env_file=None, bot_token=BOT_TOKEN, bot_api_url=tg.base_url, database_url=database_url
    )
    # The status change and its notification, committed together (no sender runs here).
    app = await BotApp.create(settings)
    try:
        await app.context.languages.set(parent.id, "ru")
        result = await submit(
            app.context,
            user_id=parent.id,
            language="ru",
            answers=answers(),
            files=[certificate_file(tg)],
        )
        await perform(app.context, result.application_id, Action.TAKE, StaffMember(501, "Гүлнар"))
        assert await row_status(app) == ("pending", 0)

        first = start_bot(tg, database_url, tmp_path, "first", OUTBOX_SEND_DELAY="60")
        try:
            await wait_status(app, "sending")  # claimed and committed, the API call not made yet
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert first.returncode == -signal.SIGKILL
        assert not [m for m in tg.messages(parent.id) if TAKEN in (m.text or "")]

        second = start_bot(tg, database_url, tmp_path, "second")
        try:
            await tg.wait_for(
                lambda: [m for m in tg.messages(parent.id) if TAKEN in (m.text or "")],
                timeout=30,
                what="delivery",
            )
            attempts = await wait_status(app, "sent")
            await asyncio.sleep(1.0)  # nothing else arrives
        finally:
            second.kill()  # the row is committed as sent: how the process ends does not matter
            second.wait()
        assert attempts == 2  # claimed by the killed process, then by the new one
        assert len([m for m in tg.messages(parent.id) if TAKEN in (m.text or "")]) == 1
        assert len([c for c in tg.calls_of("sendMessage") if c.chat_id == parent.id]) == 1
    finally:
        await app.close()


async def test_sigkill_before_the_claim_then_restart_delivers_once(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    parent = tg.user(6002, language_code="kk")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    settings = Settings(
        _env_file=None, bot_token=BOT_TOKEN, bot_api_url=tg.base_url, database_url=database_url
    )
    app = await BotApp.create(settings)
    try:
        await app.context.languages.set(parent.id, "kk")
        result = await submit(
            app.context,
            user_id=parent.id,
            language="kk",
            answers=answers(),
            files=[certificate_file(tg)],
        )
        # A bot that is killed right away: the committed row stays pending.
        first = start_bot(tg, database_url, tmp_path, "first", OUTBOX_POLL_INTERVAL="3600")
        await tg.wait_for(lambda: tg.calls_of("getUpdates"), timeout=30, what="the first bot polls")
        await perform(app.context, result.application_id, Action.TAKE, StaffMember(501, "Гүлнар"))
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert (await row_status(app))[0] == "pending"
        second = start_bot(tg, database_url, tmp_path, "second")
        try:
            await wait_status(app, "sent")
            await asyncio.sleep(0.5)
        finally:
            second.kill()
            second.wait()
        assert len([c for c in tg.calls_of("sendMessage") if c.chat_id == parent.id]) == 1
        assert "қарауға алынды" in (tg.messages(parent.id)[-1].text or "")
    finally:
        await app.close()
