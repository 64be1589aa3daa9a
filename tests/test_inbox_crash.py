"""Updates are never lost to a crash: the bot is killed with SIGKILL while updates
Telegram has already handed over (their offset confirmed) are still being handled;
after a restart every one of them is handled exactly once.

`python -m bot` runs as a subprocess polling the fake Bot API (production mode,
handle_as_tasks=True) on a temporary SQLite database. Ten staff replies to a card
are queued at once; the moment the bot has confirmed all ten to "Telegram" it is
killed. Before the fix the offset was confirmed as soon as the batch arrived and
the unfinished replies were gone for good.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import func, select

from bot.app import BotApp
from bot.data.models import AuditEntry, InboundUpdate
from bot.settings import Settings
from bot.usecases.applications import submit
from tests.conftest import BOT_TOKEN, STAFF_CHAT_ID, STAFF_IDS
from tests.staff_kit import answers, card_of, certificate_file, staff, wait_outbox_idle
from tests.tgfake.server import FakeTelegram

REPO = Path(__file__).resolve().parents[1]
REPLIES = 10


def start_bot(
    tg: FakeTelegram, database_url: str, folder: Path, name: str, **env: str
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "BOT_TOKEN": BOT_TOKEN,
        "BOT_API_URL": tg.base_url,
        "DATABASE_URL": database_url,
        "STAFF_CHAT_ID": str(STAFF_CHAT_ID),
        "STAFF_USER_IDS": ",".join(str(i) for i in STAFF_IDS),
        "LOG_LEVEL": "WARNING",
        "OUTBOX_POLL_INTERVAL": "0.05",
        "OUTBOX_PRIVATE_INTERVAL": "0",
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


async def audited(app: BotApp) -> list[str]:
    """The staff messages in the audit log (one row per relayed reply)."""
    async with app.context.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEntry.comment).where(AuditEntry.action == "message").order_by(AuditEntry.id)
        )
        return [row or "" for row in rows]


async def _some(rows: Awaitable[list[str]]) -> bool:
    return bool(await rows)


async def wait_until(
    condition: Callable[[], Awaitable[bool]], timeout: float = 90.0, step: float = 0.05
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"not reached within {timeout}s")
        await asyncio.sleep(step)


async def test_sigkill_with_updates_in_flight_then_restart_handles_each_once(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    parent = tg.user(6101, language_code="ru")
    tg.group(STAFF_CHAT_ID, "Alatau staff")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    settings = Settings(
        _env_file=None,
        bot_token=BOT_TOKEN,
        bot_api_url=tg.base_url,
        database_url=database_url,
        staff_chat_id=STAFF_CHAT_ID,
    )
    app = await BotApp.create(settings)  # migrations, and the test's window on the data
    texts = [f"Вопрос отдела номер {i}: пришлите справку" for i in range(1, REPLIES + 1)]
    try:
        await app.context.languages.set(parent.id, "ru")
        result = await submit(
            app.context,
            user_id=parent.id,
            language="ru",
            answers=answers(),
            files=[certificate_file(tg)],
        )
        await app.start_background()  # the card and its file posted by the sender
        card = await card_of(app, tg, result.application_id, timeout=30)
        await wait_outbox_idle(app, tg)
        await app.stop_background()
        # The first bot sends no notification (its sender holds every claimed row):
        # what the parent receives shows what the restarted bot did, once each.
        first = start_bot(tg, database_url, tmp_path, "first", OUTBOX_SEND_DELAY="60")
        try:
            await tg.wait_for(lambda: tg.calls_of("getUpdates"), timeout=90, what="polling")
            member = staff(tg, STAFF_IDS[0])
            confirmed = [
                tg.push_update("message", member.post({"text": text}, card, None))[1]
                for text in texts
            ]
            # Telegram now considers all ten delivered: the bot asked for the next ones.
            await asyncio.wait_for(asyncio.gather(*confirmed), timeout=30)
            # ... and the bot is killed as soon as the first of them has been handled.
            await wait_until(lambda: _some(audited(app)), timeout=30, step=0.005)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert first.returncode == -signal.SIGKILL
        handled_before = len(await audited(app))
        print(f"\nhandled before SIGKILL: {handled_before} of {REPLIES}")
        assert handled_before < REPLIES  # the others were in flight

        second = start_bot(tg, database_url, tmp_path, "second")
        try:

            async def all_relayed() -> bool:
                relayed = [m.text or "" for m in tg.messages(parent.id)]
                return len(await audited(app)) >= REPLIES and all(
                    any(text in m for m in relayed) for text in texts
                )

            await wait_until(all_relayed)
            await asyncio.sleep(1.0)  # anything handled twice would arrive now
        finally:
            second.kill()
            second.wait(10)

        assert sorted(await audited(app)) == sorted(texts)  # each reply audited exactly once
        relayed = [m.text or "" for m in tg.messages(parent.id)]
        for text in texts:
            assert len([m for m in relayed if text in m]) == 1, text
        async with app.context.sessionmaker() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(InboundUpdate)
                .where(InboundUpdate.status != "done")
            )
            assert pending == 0
            payloads = await session.scalar(
                select(func.count())
                .select_from(InboundUpdate)
                .where(InboundUpdate.payload.is_not(None))
            )
            assert payloads == 0  # the users' texts are not kept once handled
        print(f"after restart: {len(await audited(app))} of {REPLIES}, each once")
    finally:
        await app.close()
