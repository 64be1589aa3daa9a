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

``--faults``: the same through tests/tgfake/faults.py's proxy, which answers 10 %
of the sends with a 5xx (nothing delivered; some of them late, always within the
request timeout) and 20 % late (delivered; half of them answered only after the
sender's ``OUTBOX_REQUEST_TIMEOUT`` of ``--timeout`` s ran out). Targets: 0 lost,
0 × 429, and every duplicate inside the README's window: a chat may get one copy
more per delivered request whose answer the sender never read, and no row more
than two. Printed: duplicates (all inside / outside the window), rows that gave up
as "unconfirmed" (staff told), the rate (not a target under faults).
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.app import BotApp
from bot.data.models import OutboxMessage
from bot.outbox import store as outbox
from bot.outbox.hooks import render_row
from bot.outbox.sender import OutboxSender
from bot.settings import Settings
from bot.telegram_emulator.limits import Limits, RateLimiter, Window
from tests.tgfake.faults import FaultProxy
from tests.tgfake.server import FakeTelegram

TARGET_RATE = 28.5
GROUP_ID = -1009999999999
TOKEN = "123456789:BENCH-token"
PREFIX = "Уведомление"


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
            "payload": {"text": f"{PREFIX} {i + 1} / Хабарлама {i + 1}"},
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
    proxy: FaultProxy | None = None,
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
    # let the sender write its outcomes (and, under faults, finish its resends), then
    # look for anything sent twice
    settle = time.monotonic() + (120 if proxy else 10)
    while time.monotonic() < settle:
        by_status = await outbox.counts(app.context.sessionmaker)
        if not by_status.get("pending") and not by_status.get("sending"):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    calls = [c for c in tg.calls_of("sendMessage")[before_calls:] if c.ok and c.chat_id in expected]
    per_chat = Counter(c.chat_id for c in calls)
    lost = sum(1 for chat in expected if per_chat[chat] == 0)
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    outside = 0
    if proxy is not None:
        # a copy more is inside the window only for a delivered request whose answer the
        # sender never read (it timed out); never more than two copies of one row
        unread = Counter(
            r.chat_id for r in proxy.records if r.delivered and not r.answered and r.chat_id
        )
        outside = sum(max(0, n - 1 - unread[chat], n - 2) for chat, n in per_chat.items() if n > 1)
        gave_up = await unconfirmed_rows(app)
        print(
            f"  faults: {len(proxy.records)} faulted requests "
            f"({sum(1 for r in proxy.records if r.fault.status)} × 5xx, "
            f"{sum(1 for r in proxy.records if not r.fault.status)} late, of them "
            f"{sum(unread.values())} delivered with the answer never read); duplicated: "
            f"{duplicated} (inside the window: {duplicated - outside}, outside: {outside}); "
            f"gave up as unconfirmed (staff told): {gave_up}",
            flush=True,
        )
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
    return {
        "rate": rate,
        "429": too_many,
        "lost": lost,
        "duplicated": duplicated,
        "outside": outside,
    }


async def unconfirmed_rows(app: BotApp) -> int:
    from sqlalchemy import func, select

    async with app.context.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count()).where(OutboxMessage.failure == outbox.UNCONFIRMED)
            )
            or 0
        )


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    tg = FakeTelegram(enforce_limits=True, quiet=0.0)
    tg.limiter = ScaledLimiter(Limits(), args.group_window)
    await tg.start()
    proxy: FaultProxy | None = None
    faults: dict[str, Any] = {}
    if args.faults:
        timeout = args.timeout
        proxy = FaultProxy(
            tg,
            seed=args.seed,
            late_rate=0.2,
            # half answered in time, half after the sender gave up (never near the edge)
            late=[(0.1, 0.8 * timeout), (1.2 * timeout, 2.0 * timeout)],
            error_rate=0.1,
            error_delay=(0.0, 0.8 * timeout),
        )
        await proxy.start()
        faults = {"outbox_request_timeout": timeout}
    folder = tempfile.TemporaryDirectory(prefix="bench-notify-")
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        bot_api_url=proxy.base_url if proxy else tg.base_url,
        database_url=f"sqlite+aiosqlite:///{Path(folder.name) / 'bench.sqlite3'}",
        staff_chat_id=GROUP_ID,
        outbox_poll_interval=0.2,
        **faults,
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
        if proxy is not None:
            print(
                "faults: 10 % 5xx (late up to 0.8 × the timeout), 20 % late answers "
                f"(delivered; half after the {settings.outbox_request_timeout:g} s request "
                f"timeout), claim {settings.outbox_lease:g} s",
                flush=True,
            )
        if args.users:
            result = await run_part(
                "private", app, tg, sender, users, timeout=args.users / 20 + 120, proxy=proxy
            )
            if proxy is None:
                ok &= (
                    result["rate"] >= TARGET_RATE
                    and not result["429"]
                    and not result["lost"]
                    and not result["duplicated"]
                )
            else:
                ok &= not result["429"] and not result["lost"] and not result["outside"]
        if args.group:
            window_time = args.group / settings.outbox_group_per_minute * args.group_window
            result = await run_group(app, tg, args, window_time, proxy)
            ok &= not result["429"] and not result["lost"]
            ok &= not (result["outside"] if proxy else result["duplicated"])
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await app.close()
        if proxy is not None:
            await proxy.stop()
        await tg.stop()
        folder.cleanup()
    if proxy is None:
        targets = f"≥ {TARGET_RATE} msg/s, 0 × 429, 0 lost, 0 duplicated"
    else:
        targets = "0 × 429, 0 lost, no duplicate outside the window"
    print("targets met" if ok else f"TARGET MISSED ({targets})")
    return 0 if ok else 1


async def run_group(
    app: BotApp,
    tg: FakeTelegram,
    args: argparse.Namespace,
    window_time: float,
    proxy: FaultProxy | None = None,
) -> dict[str, float]:
    """N messages to one group: identical texts are told apart by their number."""
    before_429 = tg.too_many_requests
    before = len(tg.calls_of("sendMessage"))
    before_records = len(proxy.records) if proxy else 0
    started = time.monotonic()
    await queue_rows(app, [GROUP_ID] * args.group, "group")
    deadline = started + window_time + 120

    def ours() -> list[Any]:  # the staff chat may also get the notices of rows that gave up
        return [
            c
            for c in tg.calls_of("sendMessage")[before:]
            if c.ok and c.chat_id == GROUP_ID and str(c.params.get("text")).startswith(PREFIX)
        ]

    while len({str(c.params.get("text")) for c in ours()}) < args.group:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    settle = time.monotonic() + (120 if proxy else 1)
    while time.monotonic() < settle:
        by_status = await outbox.counts(app.context.sessionmaker)
        if not by_status.get("pending") and not by_status.get("sending"):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    calls = ours()
    texts = Counter(str(c.params.get("text")) for c in calls)
    duplicated = sum(n - 1 for n in texts.values() if n > 1)
    lost = args.group - len(texts)
    outside = 0
    if proxy is not None:
        unread = sum(
            1
            for r in proxy.records[before_records:]
            if r.chat_id == GROUP_ID and r.delivered and not r.answered
        )
        outside = max(0, duplicated - unread) + sum(max(0, n - 2) for n in texts.values())
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
    if proxy is not None:
        print(f"  duplicated: {duplicated} (outside the window: {outside})", flush=True)
    rate = float(busiest)
    return {
        "rate": rate,
        "429": too_many,
        "lost": lost,
        "duplicated": duplicated,
        "outside": outside,
    }


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
    parser.add_argument(
        "--faults",
        action="store_true",
        help="20 %% late answers and 10 %% 5xx through a proxy (targets: 0 lost, duplicates "
        "only inside the documented window)",
    )
    parser.add_argument(
        "--timeout", type=float, default=2.0, help="OUTBOX_REQUEST_TIMEOUT under --faults (s)"
    )
    parser.add_argument("--seed", type=int, default=11, help="random seed of --faults")
    sys.exit(asyncio.run(main(parser.parse_args())))
