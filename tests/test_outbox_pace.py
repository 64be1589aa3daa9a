"""Several processes, one bot token: Telegram's limits are shared through Redis
(bot/outbox/pace.py), so together the processes keep what one process keeps.

The first tests drive the shared limits of two "processes" (two SharedPace, each
its own Redis connection) with a fake clock: every request's start and end are
known, the windows are counted exactly. The last one runs two real outbox
senders on one PostgreSQL and one Redis against the fake Bot API enforcing small
limits (it answers 429 to any excess)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from bot.app import BotApp
from bot.data.models import OutboxMessage
from bot.outbox import store as outbox
from bot.outbox.hooks import render_row
from bot.outbox.pace import SharedPace, Wait
from bot.outbox.sender import OutboxSender
from bot.settings import Settings
from bot.telegram_emulator.limits import Limits
from tests.tgfake.server import FakeTelegram

GROUP = -100500


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def new_bot_id() -> int:
    """Keys are per bot: a fresh id keeps this test apart from any other on this Redis."""
    return random.randrange(10**9, 10**10)


@pytest.fixture
async def paces(
    redis_url: str,
) -> AsyncIterator[Callable[..., tuple[FakeClock, list[SharedPace]]]]:
    made: list[SharedPace] = []

    def build(count: int = 2, **limits: float) -> tuple[FakeClock, list[SharedPace]]:
        clock, bot_id = FakeClock(), new_bot_id()
        values: dict[str, float] = {
            "global_rate": 29.0,
            "private_interval": 1.0,
            "group_per_minute": 20,
            "group_window": 60.0,
            "request_timeout": 20.0,
        }
        values.update(limits)
        for _ in range(count):
            made.append(
                SharedPace(
                    Redis.from_url(redis_url),
                    bot_id,
                    global_rate=values["global_rate"],
                    private_interval=values["private_interval"],
                    group_per_minute=int(values["group_per_minute"]),
                    group_window=values["group_window"],
                    request_timeout=values["request_timeout"],
                    clock=clock,
                )
            )
        return clock, made[-count:]

    yield build
    for pace in made:
        await pace.close()


async def simulate(
    clock: FakeClock,
    paces: list[SharedPace],
    work: list[list[int]],
    answer: float = 0.05,
) -> list[tuple[float, float, int, int]]:
    """Each process sends its chats in order, as soon as the shared limits allow;
    every request is answered `answer` s after it starts. (start, end, chat, process)."""
    queue: list[tuple[float, int, str, int, int, str]] = []
    order = 0
    for index in range(len(paces)):
        heapq.heappush(queue, (clock.t, order, "try", index, 0, ""))
        order += 1
    sent: list[tuple[float, float, int, int]] = []
    while queue:
        when, _, what, index, chat, ticket = heapq.heappop(queue)
        clock.t = when
        order += 1
        if what == "end":
            await paces[index].finish(chat, ticket)
            continue
        if not work[index]:
            continue
        chat = work[index][0]
        ticket = f"p{index}:{len(sent)}"
        wait = await paces[index].acquire(chat, ticket)
        if wait.granted:
            work[index].pop(0)
            sent.append((when, when + answer, chat, index))
            heapq.heappush(queue, (when + answer, order, "end", index, chat, ticket))
            heapq.heappush(queue, (when, order + 1, "try", index, 0, ""))
            order += 1
        else:
            later = when + max(wait.every_chat, wait.this_chat)
            heapq.heappush(queue, (later, order, "try", index, 0, ""))
    return sent


def most_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    return max(
        (sum(1 for s in stamps[i:] if s < start + window) for i, start in enumerate(stamps)),
        default=0,
    )


async def test_two_processes_send_twenty_a_minute_to_the_group_together(
    paces: Callable[..., tuple[FakeClock, list[SharedPace]]],
) -> None:
    clock, (first, second) = paces()
    sent = await simulate(clock, [first, second], [[GROUP] * 50, [GROUP] * 50])
    assert len(sent) == 100
    # Telegram counts a message when it arrives: anywhere between start and end
    assert most_in_window([start for start, _, _, _ in sent], 60.0) == 20
    assert most_in_window([end for _, end, _, _ in sent], 60.0) == 20
    assert Counter(index for _, _, _, index in sent) == {0: 50, 1: 50}


async def test_two_processes_share_the_global_rate(
    paces: Callable[..., tuple[FakeClock, list[SharedPace]]],
) -> None:
    clock, pair = paces()
    work = [list(range(1000, 1300)), list(range(2000, 2300))]
    sent = await simulate(clock, pair, work)
    assert len(sent) == 600
    starts = [start for start, _, _, _ in sent]
    assert most_in_window(starts, 1.0) <= 30
    assert most_in_window([end for _, end, _, _ in sent], 1.0) <= 30
    rate = (len(starts) - 1) / (max(starts) - min(starts))
    assert 28.5 <= rate <= 29.01  # together as one process: not 2 × 29, not 29 / 2
    assert Counter(index for _, _, _, index in sent) == {0: 300, 1: 300}


async def test_one_private_chat_from_two_processes_one_message_a_second(
    paces: Callable[..., tuple[FakeClock, list[SharedPace]]],
) -> None:
    clock, pair = paces()
    sent = await simulate(clock, pair, [[77] * 5, [77] * 5], answer=0.2)
    assert len(sent) == 10
    sent.sort()
    for (_, end, _, _), (start, _, _, _) in itertools.pairwise(sent):
        assert start >= end + 1.0 - 1e-6  # a second after the previous answer, no overlap


async def test_a_process_that_dies_mid_request_keeps_its_place(
    paces: Callable[..., tuple[FakeClock, list[SharedPace]]],
) -> None:
    clock, (dead, alive) = paces(group_per_minute=2, request_timeout=5.0)
    assert (await dead.acquire(GROUP, "d1")).granted
    clock.t += 0.1
    assert (await dead.acquire(GROUP, "d2")).granted  # never answered: the process died
    clock.t += 1.0
    wait = await alive.acquire(GROUP, "a1")
    assert not wait.granted and wait.this_chat >= 60.0  # their ends are not before now
    clock.t += 5.0 + 1.0 + 60.0  # the longest request (+1 s) and the window: they are over
    assert (await alive.acquire(GROUP, "a1")).granted


async def test_a_429_seen_by_one_process_holds_the_others(
    paces: Callable[..., tuple[FakeClock, list[SharedPace]]],
) -> None:
    clock, (first, second) = paces()
    await first.block(5, 3)
    chat_wait = await second.acquire(5, "x")
    other_wait = await second.acquire(6, "y")
    assert chat_wait.this_chat == pytest.approx(3.0)
    assert other_wait.every_chat == pytest.approx(1.0)  # every chat pauses briefly
    clock.t += 3.0
    assert (await second.acquire(5, "x")).granted


# ----------------------------------------------------- two senders, one Redis


async def test_two_senders_on_one_database_and_redis_keep_the_limits_together(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Small limits so a few seconds show it: 10 msg/s per bot, 3 per second per group
    (the fake answers 429 to any excess). Each sender alone keeps them; two together
    would exceed them but for the shared pacing."""
    tg = FakeTelegram(
        enforce_limits=True,
        limits=Limits(global_per_second=10, group_per_minute=3, group_seconds=1.0),
        quiet=0.0,
    )
    await tg.start()
    token = f"{new_bot_id()}:pace-test"
    privates = [8000 + i for i in range(30)] + [8100] * 4  # one chat gets four messages
    for chat in set(privates):
        tg.user(chat, language_code="ru")
    tg.group(GROUP, "Staff")
    apps: list[BotApp] = []
    tasks: list[asyncio.Task[None]] = []
    senders: list[OutboxSender] = []
    try:
        for index in range(2):
            settings = Settings(
                _env_file=None,
                bot_token=token,
                bot_api_url=tg.base_url,
                database_url=pg_url,
                redis_url=redis_url,
                staff_chat_id=GROUP,
                outbox_global_rate=9.0,
                outbox_private_interval=1.0,
                outbox_group_per_minute=3,
                outbox_poll_interval=0.05,
                outbox_batch_size=6,
                documents_dir=str(tmp_path / "documents"),
            )
            app = await BotApp.create(settings, migrate=index == 0)
            apps.append(app)
        async with apps[0].context.sessionmaker() as session, session.begin():
            for n, chat in enumerate(privates):
                await outbox.enqueue(session, chat_id=chat, kind="t", payload={"text": f"p{n}"})
            for n in range(12):
                await outbox.enqueue(session, chat_id=GROUP, kind="t", payload={"text": f"g{n}"})
        for app in apps:
            sender = OutboxSender(app.context, app.bot, renderer=render_row, group_window=1.0)
            senders.append(sender)
            tasks.append(asyncio.create_task(sender.run()))
        total = len(privates) + 12
        await tg.wait_for(
            lambda: sum(1 for c in tg.calls_of("sendMessage") if c.ok) >= total,
            timeout=60,
            what="every row delivered",
        )
        for _ in range(100):  # the outcomes are written
            counts = await outbox.counts(apps[0].context.sessionmaker)
            if counts == {"sent": total}:
                break
            await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for app in apps:
            await app.close()
        await tg.stop()
    calls = [c for c in tg.calls_of("sendMessage") if c.ok]
    texts = Counter(str(c.params["text"]) for c in calls)
    assert sorted(texts) == sorted(
        [f"p{n}" for n in range(len(privates))] + [f"g{n}" for n in range(12)]
    )
    assert set(texts.values()) == {1}  # none lost, none twice
    assert tg.too_many_requests == 0
    group_times = [c.time for c in calls if c.chat_id == GROUP]
    assert most_in_window(group_times, 1.0) <= 3
    assert most_in_window([c.time for c in calls], 1.0) <= 10
    assert counts == {"sent": total}
    assert all(sender.sent for sender in senders), "both senders delivered rows"


# ------------------------------------------- the sender's side, with a stand-in pace


class StandInPace(SharedPace):
    """The sender's view of the shared limits, without Redis: fails `failures` times
    (Redis down), then grants every chat but `held`, which must wait `held_for` s."""

    def __init__(self, *, failures: int = 0, held: int = 0, held_for: float = 0.0) -> None:
        super().__init__(
            Redis.from_url("redis://127.0.0.1:1/0"),  # never connected
            1,
            global_rate=29.0,
            private_interval=0.0,
            group_per_minute=20,
        )
        self.failures = failures
        self.held, self.held_for = held, held_for
        self.granted: list[str] = []
        self.finished: list[str] = []

    async def acquire(self, chat_id: int, ticket: str) -> Wait:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Redis is down")
        if chat_id == self.held:
            return Wait(0.0, self.held_for)
        self.granted.append(ticket)
        return Wait(0.0, 0.0)

    async def finish(self, chat_id: int, ticket: str) -> None:
        self.finished.append(ticket)


async def run_sender_until(
    tg: FakeTelegram, settings: Settings, pace: StandInPace, rows: list[tuple[int, str]], sent: int
) -> BotApp:
    app = await BotApp.create(settings)
    async with app.context.sessionmaker() as session, session.begin():
        for chat, text in rows:
            await outbox.enqueue(session, chat_id=chat, kind="t", payload={"text": text})
    sender = OutboxSender(app.context, app.bot, shared=pace)
    task = asyncio.create_task(sender.run())
    try:
        await tg.wait_for(lambda: len(tg.calls_of("sendMessage")) >= sent, timeout=30)
        for _ in range(100):
            if not (await outbox.counts(app.context.sessionmaker)).get("sending"):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return app


async def test_while_redis_is_down_nothing_is_sent_and_nothing_lost(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    chats = [9100 + i for i in range(6)]
    for chat in chats:
        tg.user(chat, language_code="ru")
    pace = StandInPace(failures=8)
    settings = make_settings(outbox_poll_interval=0.05)
    app = await run_sender_until(tg, settings, pace, [(c, f"m{c}") for c in chats], len(chats))
    try:
        counts = await outbox.counts(app.context.sessionmaker)
    finally:
        await app.close()
    assert pace.failures == 0
    # every request was granted first (none went out while Redis failed) and ended
    assert len(pace.granted) == len(tg.calls_of("sendMessage")) == len(chats)
    assert sorted(pace.finished) == sorted(pace.granted)
    assert sorted(tg.delivered) == chats and set(tg.delivered.values()) == {1}
    assert counts == {"sent": len(chats)}


async def test_a_chat_the_other_processes_hold_is_given_back_for_later(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    """A chat whose turn is further away than a claimed row may wait (the group's
    minute taken by another process): its rows go back to the queue, due then."""
    for chat in (9201, 9202):
        tg.user(chat, language_code="ru")
    tg.group(GROUP, "Staff")
    pace = StandInPace(held=GROUP, held_for=3600.0)
    settings = make_settings(outbox_poll_interval=0.05, staff_chat_id=GROUP)
    rows = [(GROUP, "g1"), (9201, "a"), (GROUP, "g2"), (9202, "b")]
    started = outbox.utcnow()
    app = await run_sender_until(tg, settings, pace, rows, 2)
    try:
        async with app.context.sessionmaker() as session:
            held = (
                await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == GROUP))
            ).all()
    finally:
        await app.close()
    assert sorted(c.chat_id for c in tg.calls_of("sendMessage")) == [9201, 9202]
    assert [row.status for row in held] == ["pending", "pending"]
    assert all(row.attempts == 0 for row in held)  # giving back uses up no attempt
    assert all(
        outbox.aware(row.next_attempt_at) > started + dt.timedelta(seconds=3000) for row in held
    )
