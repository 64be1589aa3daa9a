"""Benchmark (not a test): the outbox sender against Telegram's flood limits.

Run: ``.venv/bin/python bench/notify.py [--users 10000] [--group 200] [--group-window 3]``
(``make bench`` runs it with the defaults).

What runs
    The real application (``bot.app.BotApp.create``: migrations, a temporary
    SQLite database, i18n) and its outbox sender (bot/outbox/sender.py) talk over
    HTTP on 127.0.0.1 to the fake Bot API of tests/tgfake with
    ``FakeTelegram(enforce_limits=True)``: it answers 429 with ``retry_after`` as soon
    as ≈30 messages/s per bot, 1 message/s per private chat or 20 messages/min per
    group are exceeded. Settings are the production defaults (global 29/s, 1 s per
    private chat, 20 per minute per group).

Part 1: ``--users`` notifications to as many users (one each), queued at once.
Part 2: ``--group`` notifications to ONE group. Telegram's group window is 60 s, so
    200 messages take 10 minutes; to keep ``make bench`` short the window is scaled:
    ``--group-window 3`` makes both the fake server and the sender count 20 messages
    per 3 seconds (same algorithm, 20× faster). ``--group-window 60`` runs the real
    10-minute case; ``--group 0`` skips part 2.

Printed per part: delivered/s (between the first and the last accepted message),
the number of 429 answers, lost (queued but never delivered) and duplicated
(delivered more than once). Target: ≥ 28.5 msg/s in part 1, and 0 × 429, 0 lost,
0 duplicated in both; the exit code is 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.app import BotApp
from bot.data.models import OutboxMessage
from bot.outbox import store as outbox
from bot.outbox.hooks import render_row
from bot.outbox.sender import OutboxSender
from bot.settings import Settings
from bot.telegram_emulator.limits import Limits, RateLimiter, Window
from tests.tgfake.server import FakeTelegram

TARGET_RATE = 28.5
GROUP_ID = -1009999999999
TOKEN = "123456789:BENCH-token"


class ScaledLimiter(RateLimiter):
    """Telegram's limits with the group window scaled from 60 s to `group_window` s."""

    def __init__(self, limits: Limits, group_window: float) -> None:
        super().__init__(limits)
        self.group_window = group_window

    def _chat_window(self, chat_id: int) -> Window:
        window = self._chats.get(chat_id)
        if window is None and chat_id < 0:
            window = self._chats[chat_id] = Window(self.limits.group_per_minute, self.group_window)
        return super()._chat_window(chat_id) if window is None else window


async def queue_rows(app: BotApp, chats: list[int], kind: str) -> None:
    now = outbox.utcnow()
    rows = [
        {
            "chat_id": chat,
            "kind": kind,
            "payload": {"text": f"Уведомление {i + 1} / Хабарлама {i + 1}"},
            "status": outbox.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for i, chat in enumerate(chats)
    ]
    async with app.context.sessionmaker() as session, session.begin():
        for start in range(0, len(rows), 1000):
            await session.execute(insert(OutboxMessage), rows[start : start + 1000])
    outbox.wake(app.context.sessionmaker)


async def run_part(
    title: str,
    app: BotApp,
    tg: FakeTelegram,
    sender: OutboxSender,
    chats: list[int],
    timeout: float,
) -> dict[str, float]:
    before_429 = tg.too_many_requests
    before_calls = len(tg.calls_of("sendMessage"))
    started = time.monotonic()
    await queue_rows(app, chats, title)
    expected = set(chats)
    last_report = started
    while True:
        counts = tg.delivered  # a fresh dict per call: take it once
        delivered = sum(1 for chat in expected if counts.get(chat))
        if delivered >= len(chats):
            break
        if time.monotonic() - started > timeout:
            print(f"  timeout after {timeout:.0f} s", flush=True)
            break
        if time.monotonic() - last_report >= 30:
            last_report = time.monotonic()
            print(f"  … {delivered} / {len(chats)} delivered", flush=True)
        await asyncio.sleep(0.2)
    # let the sender write its outcomes, then look for anything sent twice
    for _ in range(100):
        counts = await outbox.counts(app.context.sessionmaker)
        if not counts.get("pending") and not counts.get("sending"):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    calls = [c for c in tg.calls_of("sendMessage")[before_calls:] if c.ok and c.chat_id in expected]
    per_chat = Counter(c.chat_id for c in calls)
    lost = sum(1 for chat in expected if per_chat[chat] == 0)
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    times = sorted(c.time for c in calls)
    rate = (
        (len(times) - 1) / (times[-1] - times[0])
        if len(times) > 1 and times[-1] > times[0]
        else 0.0
    )
    too_many = tg.too_many_requests - before_429
    wall = time.monotonic() - started
    print(
        f"{title}: {len(chats)} queued, {len(calls)} delivered in {wall:.1f} s — "
        f"{rate:.2f} msg/s, 429 received: {too_many}, lost: {lost}, duplicated: {duplicated}",
        flush=True,
    )
    return {"rate": rate, "429": too_many, "lost": lost, "duplicated": duplicated}


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    tg = FakeTelegram(enforce_limits=True, quiet=0.0)
    tg.limiter = ScaledLimiter(Limits(), args.group_window)
    await tg.start()
    folder = tempfile.TemporaryDirectory(prefix="bench-notify-")
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        bot_api_url=tg.base_url,
        database_url=f"sqlite+aiosqlite:///{Path(folder.name) / 'bench.sqlite3'}",
        staff_chat_id=GROUP_ID,
        outbox_poll_interval=0.2,
    )
    app = await BotApp.create(settings)
    users = [10_000_000 + i for i in range(args.users)]
    for user in users:
        tg.user(user, "Parent", "ru")
    tg.group(GROUP_ID, "Staff")
    sender = OutboxSender(app.context, app.bot, renderer=render_row, group_window=args.group_window)
    task = asyncio.create_task(sender.run())
    ok = True
    try:
        print(
            f"outbox sender: global {settings.outbox_global_rate:g}/s, private chat every "
            f"{settings.outbox_private_interval:g} s, group {settings.outbox_group_per_minute} per "
            f"{args.group_window:g} s (Telegram: 60 s)",
            flush=True,
        )
        if args.users:
            result = await run_part(
                "private", app, tg, sender, users, timeout=args.users / 20 + 120
            )
            ok &= (
                result["rate"] >= TARGET_RATE
                and not result["429"]
                and not result["lost"]
                and not result["duplicated"]
            )
        if args.group:
            window_time = args.group / settings.outbox_group_per_minute * args.group_window
            result = await run_group(app, tg, args, window_time)
            ok &= not result["429"] and not result["lost"] and not result["duplicated"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await app.close()
        await tg.stop()
        folder.cleanup()
    print(
        "targets met"
        if ok
        else f"TARGET MISSED (≥ {TARGET_RATE} msg/s, 0 × 429, 0 lost, 0 duplicated)"
    )
    return 0 if ok else 1


async def run_group(
    app: BotApp, tg: FakeTelegram, args: argparse.Namespace, window_time: float
) -> dict[str, float]:
    """N messages to one group: identical texts are told apart by their number."""
    before_429 = tg.too_many_requests
    before = len(tg.calls_of("sendMessage"))
    started = time.monotonic()
    await queue_rows(app, [GROUP_ID] * args.group, "group")
    deadline = started + window_time + 120
    while tg.delivered.get(GROUP_ID, 0) < args.group and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    calls = [c for c in tg.calls_of("sendMessage")[before:] if c.ok and c.chat_id == GROUP_ID]
    texts = Counter(str(c.params.get("text")) for c in calls)
    duplicated = sum(n - 1 for n in texts.values() if n > 1)
    lost = args.group - len(texts)
    times = sorted(c.time for c in calls)
    busiest = max(
        (
            sum(1 for t in times[i:] if t < start + args.group_window)
            for i, start in enumerate(times)
        ),
        default=0,
    )
    too_many = tg.too_many_requests - before_429
    print(
        f"group: {args.group} queued, {len(calls)} delivered in {time.monotonic() - started:.1f} s — "
        f"at most {busiest} in any {args.group_window:g} s window (limit 20), "
        f"429 received: {too_many}, lost: {lost}, duplicated: {duplicated}",
        flush=True,
    )
    rate = float(busiest)
    return {"rate": rate, "429": too_many, "lost": lost, "duplicated": duplicated}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--users", type=int, default=10_000, help="private notifications, one per user"
    )
    parser.add_argument(
        "--group", type=int, default=200, help="notifications to one group (0: skip)"
    )
    parser.add_argument(
        "--group-window", type=float, default=3.0, help="seconds of the group window (Telegram: 60)"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
