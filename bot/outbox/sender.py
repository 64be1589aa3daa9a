"""The outbox sender: delivers `outbox` rows within Telegram's limits, exactly once.

Runs inside the bot (`BotApp.background`). One loop per process:

1. claim a small batch of due rows (bot/outbox/store.py: committed, with a
   lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL) — only when the local buffer
   runs low, so claimed rows are few and the lease is short;
2. send each row when the pacer allows it (below);
3. hand the outcome to the flusher, which writes all outcomes available at that
   moment in one transaction (group commit: no transaction per row under load,
   no waiting when idle).

Pacing (Bot FAQ: ≈30 msg/s per bot, 1 msg/s per private chat, 20 msg/min per
group; Settings.outbox_*): a global token spacing of 1/`outbox_global_rate`
plus a sliding one-second window, at least `outbox_private_interval` seconds
between the end of one request to a private chat and the start of the next, at
most `outbox_group_per_minute` requests per rolling minute per group. Windows
are counted on request END times and in-flight requests count as present, so
the server's own count (taken when a request arrives) can never exceed ours:
the pacer does not provoke 429. With REDIS_URL (several processes, one token)
every request also takes its place in the same windows kept in Redis
(bot/outbox/pace.py), so the limits hold for all the processes together: the
local pacer only orders this process's rows and spares Redis hopeless asks.

Errors: 429 → the chat (and, briefly, everything) pauses for `retry_after` and
the row is retried without using up an attempt; 5xx and failed connections →
retried with exponential back-off and jitter for `outbox_retry_window` seconds
(72 h) from the first failure, then the row gives up ("expired"); 403 →
undeliverable, the parent is marked unreachable and staff are told on the card;
other 400 → gives up ("rejected"). A row that gives up for any reason but 403
flags its card and staff are told once (bot/views/notifications.py,
`delivery_failed`); staff send it again with /requeue.

The lease, by construction (Settings): a claimed row waits at most
`outbox_claim_ahead` seconds for its turn (else it is given back unsent) and its
request is cut at `outbox_request_timeout`; the lease is longer than both
together, so no request of ours outlives its claim. Every outcome is written
under the claim's token (store.finish), so an old attempt never overwrites a
newer one.

Exactly once, and when not: a row is claimed (committed) before its API call
and marked sent right after the answer. A duplicate is possible only when we
cannot know whether Telegram accepted a message: its answer did not come within
`outbox_request_timeout` after the request was written to an open connection
(bot/outbox/session.py tells; a connect that fails or hangs sent nothing), or
the process died / lost the database between the answer and the commit (the
lease then runs out). Such a row is sent again ONCE; if that answer does not
come either (or the lease runs out again) it is not sent a third time: it gives
up as "unconfirmed" and staff decide (/requeue). So a parent may get a message
twice, never three times. A crash BEFORE the API call only delays the row until
its lease expires (and counts as that one resend).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import os
import random
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup, ReplyParameters
from aiohttp import ClientConnectorError
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.outbox import store as outbox
from bot.outbox.hooks import (
    after_publish,
    delivery_failed,
    parent_unreachable,
    refresh_card,
    render_row,
    send_card,
)
from bot.outbox.pace import SharedPace, Wait
from bot.outbox.session import TracedSession, track_request
from bot.outbox.store import (
    EXPIRED,
    FORBIDDEN,
    MAX_UNCONFIRMED,
    PENDING,
    REJECTED,
    SENT,
    UNCONFIRMED,
    UNDELIVERABLE,
    Claimed,
    Outcome,
)

if TYPE_CHECKING:
    from bot.context import AppContext
    from bot.settings import Settings

log = logging.getLogger(__name__)

INF = math.inf
CATCH_UP = 0.1  # seconds of missed global slots the pacer may make up


# ----------------------------------------------------------------------- pacer


@dataclass
class _Chat:
    inflight: int = 0
    last_end: float = -INF
    ends: deque[float] = field(default_factory=deque)  # groups: recent request ends
    blocked_until: float = -INF


class Pacer:
    """When may the next message to a chat go? (monotonic seconds)"""

    def __init__(
        self,
        global_rate: float,
        private_interval: float,
        group_per_minute: int,
        *,
        group_window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spacing = 1.0 / global_rate if global_rate > 0 else 0.0
        self.window_limit = int(global_rate) + 1 if global_rate > 0 else 0
        self.private_interval = private_interval
        self.group_limit = group_per_minute
        self.group_window = group_window
        self.clock = clock
        self.next_global = -INF
        self.global_ends: deque[float] = deque()
        self.inflight = 0
        self.paused_until = -INF
        self.chats: dict[int, _Chat] = {}

    def _chat(self, chat_id: int) -> _Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = _Chat()
        return chat

    def global_ready(self, now: float) -> float:
        ready = max(self.next_global, self.paused_until)
        if self.window_limit:
            ends = self.global_ends
            while ends and ends[0] <= now - 1.0:
                ends.popleft()
            busy = len(ends) + self.inflight
            if busy >= self.window_limit:
                if self.inflight >= self.window_limit:
                    return INF  # wait for a request to finish
                ready = max(ready, ends[busy - self.window_limit] + 1.0)
        return ready

    def chat_ready(self, chat_id: int, now: float) -> float:
        chat = self.chats.get(chat_id)
        if chat is None:
            return -INF
        ready = chat.blocked_until
        if chat_id > 0:
            if chat.inflight:
                return INF
            return max(ready, chat.last_end + self.private_interval)
        ends = chat.ends
        while ends and ends[0] <= now - self.group_window:
            ends.popleft()
        busy = len(ends) + chat.inflight
        if busy >= self.group_limit:
            index = busy - self.group_limit
            if index >= len(ends):
                return INF
            ready = max(ready, ends[index] + self.group_window)
        return ready

    def start(self, chat_id: int, now: float) -> None:
        # A token bucket with a small catch-up: a sender woken a few ms late does
        # not lose the slot (the one-second window above still caps any burst).
        if self.spacing:
            idle = self.next_global < now - CATCH_UP
            self.next_global = (now if idle else self.next_global) + self.spacing
        self.inflight += 1
        self._chat(chat_id).inflight += 1

    def finish(self, chat_id: int, now: float) -> None:
        self.inflight -= 1
        if self.window_limit:
            self.global_ends.append(now)
        chat = self._chat(chat_id)
        chat.inflight -= 1
        chat.last_end = now
        if chat_id < 0:
            chat.ends.append(now)

    def defer(self, chat_id: int, wait: Wait, now: float) -> None:
        """The shared limits said wait (other processes use them too)."""
        if wait.this_chat > 0:
            chat = self._chat(chat_id)
            chat.blocked_until = max(chat.blocked_until, now + wait.this_chat)
        if wait.every_chat > 0:
            self.paused_until = max(self.paused_until, now + wait.every_chat)

    def block(self, chat_id: int, seconds: float) -> None:
        now = self.clock()
        chat = self._chat(chat_id)
        chat.blocked_until = max(chat.blocked_until, now + seconds)
        self.paused_until = max(self.paused_until, now + min(seconds, 1.0))

    def prune(self, now: float) -> None:
        """Forget idle private chats (memory stays small with 10 000 users)."""
        stale = [
            cid
            for cid, chat in self.chats.items()
            if cid > 0
            and not chat.inflight
            and chat.last_end + self.private_interval < now
            and chat.blocked_until < now
        ]
        for cid in stale:
            del self.chats[cid]


# ---------------------------------------------------------------------- sender


def worker_name() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutboxSender:
    """Delivers outbox rows for one Application (one process may run one)."""

    def __init__(
        self,
        context: AppContext,
        bot: Bot,
        *,
        renderer: Callable[[AppContext, Claimed], dict[str, Any]] | None = None,
        group_window: float = 60.0,
        shared: SharedPace | None = None,
    ) -> None:
        self.context = context
        self.bot = bot
        settings = context.settings
        self.settings: Settings = settings
        self.worker = worker_name()
        self.pacer = Pacer(
            settings.outbox_global_rate,
            settings.outbox_private_interval,
            settings.outbox_group_per_minute,
            group_window=group_window,
        )
        self.group_window = group_window
        # with REDIS_URL the limits are shared by all processes of this bot (made in run())
        self.shared = shared
        self._own_shared = False
        self.renderer = renderer
        self.buffer: dict[int, deque[Claimed]] = {}
        self.buffered = 0
        self.excluded: dict[int, float] = {}  # chat → monotonic time until which not to claim
        self.outcomes: list[Outcome] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.wakeup = asyncio.Event()
        self.rows_hint = True
        self.flushed = asyncio.Event()
        self._flush_needed = asyncio.Event()
        self._stopping = False
        self.sent = 0
        self.retried = 0
        self.throttled = 0

    # ------------------------------------------------------------- main loop
    async def run(self) -> None:
        if self.shared is None and self.settings.redis_url:
            self.shared = self._shared_pace(self.settings.redis_url)
            self._own_shared = True
        outbox.register_waker(self.context.sessionmaker, self.hint)
        flusher = asyncio.create_task(self._flush_loop(), name="outbox-flush")
        try:
            await self._loop()
        finally:
            self._stopping = True
            outbox.unregister_waker(self.context.sessionmaker)
            await asyncio.shield(self._shutdown(flusher))

    def _shared_pace(self, redis_url: str) -> SharedPace:
        settings = self.settings
        return SharedPace(
            Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5),
            self.bot.id,
            global_rate=settings.outbox_global_rate,
            private_interval=settings.outbox_private_interval,
            group_per_minute=settings.outbox_group_per_minute,
            group_window=self.group_window,
            # a granted request may first wait `outbox_send_delay` (tests), then lasts at most this
            request_timeout=settings.outbox_request_timeout + settings.outbox_send_delay,
        )

    def hint(self) -> None:
        """New rows were committed in this process: claim soon."""
        self.rows_hint = True
        self.wakeup.set()

    async def _loop(self) -> None:
        settings = self.settings
        batch = max(1, settings.outbox_batch_size)
        lease = settings.outbox_lease
        horizon = settings.outbox_claim_ahead  # the longest a claimed row waits for its turn
        # never claim more than can be sent well within the lease at the global rate
        per_horizon = (
            max(1, int(settings.outbox_global_rate * horizon))
            if settings.outbox_global_rate > 0
            else batch
        )
        last_claim = -INF
        next_prune = time.monotonic() + 30
        while True:
            now = time.monotonic()
            if now > next_prune:
                self.pacer.prune(now)
                self.excluded = {c: t for c, t in self.excluded.items() if t > now}
                next_prune = now + 30
            if self.buffered <= batch // 2 and (
                self.rows_hint or now - last_claim >= settings.outbox_poll_interval
            ):
                self.rows_hint = False
                last_claim = now
                claiming = asyncio.ensure_future(
                    outbox.claim(
                        self.context.sessionmaker,
                        worker=self.worker,
                        limit=min(batch - self.buffered, per_horizon),
                        lease=lease,
                        staff_chat_id=settings.staff_chat_id,
                        exclude_chats=[c for c, t in self.excluded.items() if t > now],
                    )
                )
                try:
                    claimed = await asyncio.shield(claiming)
                except asyncio.CancelledError:
                    # stopping: let the claim's transaction finish, then give its rows back
                    with contextlib.suppress(Exception):
                        self._accept(await claiming, INF)
                    raise
                except Exception as error:  # the database is down: try again later
                    log.warning("outbox claim failed: %s", type(error).__name__)
                    claimed = []
                    await asyncio.sleep(settings.outbox_poll_interval)
                self._accept(claimed, horizon)
                if claimed and len(claimed) >= batch // 2:
                    self.rows_hint = True  # more may be waiting
            chat_id, ready = self._next_chat()
            now = time.monotonic()
            if chat_id is None:
                await self._sleep(settings.outbox_poll_interval - (now - last_claim))
                continue
            if ready > now:
                await self._sleep(min(ready - now, max(settings.outbox_poll_interval, 0.05)))
                continue
            queue = self.buffer[chat_id]
            row = queue[0]
            if self.shared is not None and not self._overdue(row, now, keep=True):
                if not await self._take_shared(row):
                    continue
                now = time.monotonic()
            queue.popleft()
            if not queue:
                del self.buffer[chat_id]
            self.buffered -= 1
            if self._overdue(row, now):
                if self.shared is not None:
                    await self._finish_shared(row)
                continue
            self.pacer.start(chat_id, now)
            task = asyncio.create_task(self._deliver(row), name=f"outbox-{row.id}")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _overdue(self, row: Claimed, now: float, *, keep: bool = False) -> bool:
        """A row that waited longer than `outbox_claim_ahead` is given back unsent: its
        request could outlive the lease (and another claim could send it too).
        `keep`: only tell, the caller gives it back."""
        if now - row.claimed_at <= self.settings.outbox_claim_ahead:
            return False
        if not keep:
            self._record([Outcome(row, PENDING, next_attempt_at=utcnow(), count_attempt=False)])
        return True

    # ------------------------------------------------------ shared limits (Redis)
    @staticmethod
    def _ticket(row: Claimed) -> str:
        return f"{row.id}:{row.token}"

    async def _take_shared(self, row: Claimed) -> bool:
        """Ask the limits shared with the other processes for this row's request.
        Not now: this process's pacer learns how long to wait, and the chat's rows
        that would wait past their claim are given back to be claimed when due."""
        assert self.shared is not None
        try:
            wait = await self.shared.acquire(row.chat_id, self._ticket(row))
        except Exception as error:  # Redis is down: nothing is sent until it is back
            log.warning("outbox pacing (Redis) failed: %s", type(error).__name__)
            wait = Wait(self.settings.outbox_poll_interval, 0.0)
        if wait.granted:
            return True
        now = time.monotonic()
        self.pacer.defer(row.chat_id, wait, now)
        if now + wait.this_chat - row.claimed_at > self.settings.outbox_claim_ahead:
            self._give_back_chat(row.chat_id, wait.this_chat)
        return False

    def _give_back_chat(self, chat_id: int, seconds: float) -> None:
        queue = self.buffer.pop(chat_id, None)
        if not queue:
            return
        self.buffered -= len(queue)
        when = utcnow() + dt.timedelta(seconds=seconds)
        self._record(
            [Outcome(row, PENDING, next_attempt_at=when, count_attempt=False) for row in queue]
        )
        self._exclude(chat_id, seconds)

    async def _finish_shared(self, row: Claimed) -> None:
        assert self.shared is not None
        try:
            await self.shared.finish(row.chat_id, self._ticket(row))
        except Exception as error:  # its place ends at the provisional end instead
            log.warning("outbox pacing (Redis) failed: %s", type(error).__name__)

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        self.wakeup.clear()
        if self.rows_hint and self.buffered <= max(1, self.settings.outbox_batch_size) // 2:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.wakeup.wait()

    def _next_chat(self) -> tuple[int | None, float]:
        """The buffered chat that may go first, and when (global limit included)."""
        if not self.buffer:
            return None, INF
        now = time.monotonic()
        best, best_ready = None, INF
        for chat_id in self.buffer:
            ready = self.pacer.chat_ready(chat_id, now)
            if ready < best_ready:
                best, best_ready = chat_id, ready
                if ready <= now:
                    break
        if best is None:
            return next(iter(self.buffer)), INF
        return best, max(best_ready, self.pacer.global_ready(now))

    def _accept(self, claimed: list[Claimed], horizon: float) -> None:
        """Buffer claimed rows; give back at once those that could not go soon."""
        now = time.monotonic()
        wall = utcnow()
        releases: list[Outcome] = []
        soonest: dict[int, float] = {}  # chat → earliest time a released row is due again
        for row in claimed:
            queue = self.buffer.get(row.chat_id)
            position = len(queue) if queue else 0
            ready = self.pacer.chat_ready(row.chat_id, now)
            if row.chat_id > 0:
                eta = max(ready, now) + position * self.pacer.private_interval
            else:
                per_window = max(self.pacer.group_limit, 1)
                eta = max(ready, now) + (position // per_window) * self.pacer.group_window
            if eta == INF:
                eta = now + 1.0
            if eta - now > horizon:
                delay = eta - now
                releases.append(
                    Outcome(
                        row,
                        PENDING,
                        next_attempt_at=wall + dt.timedelta(seconds=delay),
                        error=None,
                        count_attempt=False,
                    )
                )
                soonest[row.chat_id] = min(soonest.get(row.chat_id, INF), now + delay)
                continue
            self.buffer.setdefault(row.chat_id, deque()).append(row)
            self.buffered += 1
        for chat_id, until in soonest.items():
            # not claimed again before its first released row is due (keeps the order)
            self.excluded[chat_id] = max(self.excluded.get(chat_id, 0.0), until)
        if releases:
            self._record(releases)

    # -------------------------------------------------------------- delivery
    async def _deliver(self, row: Claimed) -> None:
        try:
            outcome = await self._attempt(row)
        finally:
            self.pacer.finish(row.chat_id, time.monotonic())
            if self.shared is not None:
                await self._finish_shared(row)
            self.wakeup.set()
        if outcome is not None:
            self._record([outcome])

    async def _attempt(self, row: Claimed) -> Outcome | None:
        """Send one row; its outcome (None: given back unsent, already recorded)."""
        outcome: Outcome
        if self.settings.outbox_send_delay > 0:
            await asyncio.sleep(self.settings.outbox_send_delay)
        if self._overdue(row, time.monotonic()):
            return None
        if row.unconfirmed > MAX_UNCONFIRMED:
            # its lease ran out again after a request with no answer: never a third copy
            return self._gave_up(row, UNCONFIRMED, "no answer, claim expired")
        written = track_request()
        try:
            # the hard bound of the request (the lease counts on it), whatever the session does
            async with asyncio.timeout(self.settings.outbox_request_timeout):
                message_id = await self._call(row)
            outcome = Outcome(row, SENT, message_id=message_id)
            self.sent += 1
        except TelegramRetryAfter as error:
            self.throttled += 1
            seconds = float(error.retry_after)
            self.pacer.block(row.chat_id, seconds)
            self._exclude(row.chat_id, seconds)
            if self.shared is not None:
                with contextlib.suppress(Exception):
                    await self.shared.block(row.chat_id, seconds)
            outcome = Outcome(
                row,
                PENDING,
                next_attempt_at=utcnow() + dt.timedelta(seconds=seconds),
                error=f"429 retry after {error.retry_after}",
                count_attempt=False,
            )
        except TelegramForbiddenError as error:
            forbidden = row.chat_id > 0
            outcome = Outcome(
                row,
                UNDELIVERABLE,
                error=f"403 {error.message}"[:300],
                forbidden=forbidden,
                failure=FORBIDDEN if forbidden else REJECTED,
            )
        except TelegramBadRequest as error:
            text = error.message.lower()
            if row.payload.get("method") in ("card", "publish") and "not modified" in text:
                outcome = Outcome(row, SENT)
            else:
                log.warning("outbox row %s (%s) rejected: 400", row.id, row.kind)
                outcome = self._gave_up(row, REJECTED, f"400 {error.message}")
        except (TelegramNotFound, TelegramUnauthorizedError, TelegramServerError) as error:
            # an answer came: the message was not sent
            outcome = self._retry(row, f"{type(error).__name__}: {error.message}")
        except TelegramNetworkError as error:
            # no connection: nothing went out; else the request may have been delivered
            unanswered = self._went_out(written) and not isinstance(
                error.__cause__, ClientConnectorError
            )
            outcome = self._retry(
                row, f"{type(error).__name__}: {error.message}", unanswered=unanswered
            )
        except (TimeoutError, OSError) as error:
            outcome = self._retry(
                row, f"{type(error).__name__}: no answer", unanswered=self._went_out(written)
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug rendering the row: retry with back-off, never loop hot
            log.exception("outbox row %s (%s) failed: %s", row.id, row.kind, type(error).__name__)
            outcome = self._retry(row, type(error).__name__)
        return outcome

    def _went_out(self, written: list[bool]) -> bool:
        """Did the failed request reach an open connection? Unknown (another session
        than bot/outbox/session.py's): assume it did."""
        return written[0] or not isinstance(self.bot.session, TracedSession)

    def _exclude(self, chat_id: int, seconds: float) -> None:
        until = time.monotonic() + seconds
        self.excluded[chat_id] = max(self.excluded.get(chat_id, 0.0), until)

    def _gave_up(
        self, row: Claimed, failure: str, error: str, *, unanswered: bool = False
    ) -> Outcome:
        log.warning(
            "outbox row %s (%s) gave up (%s) after %d attempts",
            row.id,
            row.kind,
            failure,
            row.attempts,
        )
        return Outcome(
            row, UNDELIVERABLE, error=error[:300], failure=failure, unanswered=unanswered
        )

    def _retry(self, row: Claimed, error: str, *, unanswered: bool = False) -> Outcome:
        """Back-off within the retry window; a request with no answer is sent again once."""
        self.retried += 1
        now = utcnow()
        since = row.failing_since or now
        idempotent = row.payload.get("method") == "card"  # an edit in place: safe to repeat
        unanswered = unanswered and not idempotent
        if unanswered and row.unconfirmed >= MAX_UNCONFIRMED:
            return self._gave_up(row, UNCONFIRMED, f"no answer twice: {error}", unanswered=True)
        end = since + dt.timedelta(seconds=self.settings.outbox_retry_window)
        if now >= end:
            return self._gave_up(row, EXPIRED, f"retried until the window ended: {error}")
        cap = min(
            self.settings.outbox_backoff_base * (2 ** max(row.attempts - 1, 0)),
            self.settings.outbox_backoff_max,
        )
        delay = random.uniform(cap / 2, cap)  # "equal jitter": spreads retries
        when = min(now + dt.timedelta(seconds=delay), end)  # the last try at the window's end
        self._exclude(row.chat_id, (when - now).total_seconds())
        return Outcome(
            row,
            PENDING,
            next_attempt_at=when,
            error=error[:300],
            failing_since=since,
            unanswered=unanswered,
        )

    async def _call(self, row: Claimed) -> int | None:
        payload = dict(row.payload)
        if "render" in payload and self.renderer is not None:
            payload.update(self.renderer(self.context, row))
        timeout = int(max(self.settings.outbox_request_timeout, 1))
        reply_to = payload.get("reply_to") or row.card_message_id
        reply = (
            ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)
            if reply_to
            else None
        )
        markup = payload.get("reply_markup")
        keyboard = InlineKeyboardMarkup.model_validate(markup) if markup else None
        method = payload.get("method", "message")
        if method == "message":
            sent = await self.bot.send_message(
                row.chat_id,
                payload["text"],
                reply_parameters=reply,
                reply_markup=keyboard,
                request_timeout=timeout,
            )
            return sent.message_id
        if method == "copy":
            copied = await self.bot.copy_message(
                row.chat_id,
                int(payload["from_chat_id"]),
                int(payload["message_id"]),
                caption=payload.get("caption"),
                reply_parameters=reply,
                request_timeout=timeout,
            )
            return copied.message_id
        if method in ("photo", "document"):
            send_file = self.bot.send_photo if method == "photo" else self.bot.send_document
            sent = await send_file(
                row.chat_id,
                payload["file_id"],
                caption=payload.get("caption"),
                reply_parameters=reply,
                request_timeout=timeout,
            )
            return sent.message_id
        if method == "publish":
            return await send_card(self.bot, self.context, row, request_timeout=timeout)
        if method == "card":
            if row.application_id is not None:
                await refresh_card(
                    self.bot, self.context, row.application_id, request_timeout=timeout
                )
            return None
        raise ValueError(f"unknown outbox method {method!r}")

    # ---------------------------------------------------------------- flusher
    def _record(self, outcomes: list[Outcome]) -> None:
        self.outcomes.extend(outcomes)
        self._flush_needed.set()

    async def _flush_loop(self) -> None:
        """Never cancelled in the middle of a write: `_shutdown` sets `_stopping` and waits."""
        while True:
            await self._flush_needed.wait()
            self._flush_needed.clear()
            await self._flush_once()
            if self._stopping and not self.outcomes:
                return

    async def _flush_once(self) -> None:
        if not self.outcomes:
            self.flushed.set()
            return
        batch, self.outcomes = self.outcomes, []
        for attempt in range(5):
            try:
                await outbox.finish(
                    self.context.sessionmaker,
                    self.worker,
                    batch,
                    on_forbidden=self._on_forbidden,
                    on_published=self._on_published,
                    on_gave_up=self._on_gave_up,
                )
                break
            except Exception as error:
                log.warning(
                    "outbox flush failed (%s), attempt %d", type(error).__name__, attempt + 1
                )
                await asyncio.sleep(min(0.2 * 2**attempt, 3.0))
        else:
            log.error("outbox flush gave up for %d rows; their leases will expire", len(batch))
        self.flushed.set()

    async def _on_forbidden(self, session: AsyncSession, outcome: Outcome) -> None:
        await parent_unreachable(session, self.context, outcome.row)

    async def _on_gave_up(self, session: AsyncSession, outcomes: list[Outcome]) -> None:
        await delivery_failed(session, self.context, outcomes)

    async def _on_published(self, session: AsyncSession, outcome: Outcome) -> None:
        if outcome.message_id is not None:
            await after_publish(session, self.context, outcome.row, outcome.message_id)

    async def _shutdown(self, flusher: asyncio.Task[None]) -> None:
        """Graceful stop: let in-flight sends finish, write outcomes, give back the rest."""
        tasks = list(self.tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=self.settings.outbox_request_timeout)
        self._flush_needed.set()
        try:
            await asyncio.wait_for(asyncio.shield(flusher), timeout=30)
        except (TimeoutError, Exception):
            flusher.cancel()
        with contextlib.suppress(Exception):
            await self._flush_once()
        unsent = [row for queue in self.buffer.values() for row in queue]
        self.buffer.clear()
        self.buffered = 0
        with contextlib.suppress(Exception):
            await outbox.release_all(self.context.sessionmaker, self.worker, unsent)
        if self.shared is not None and self._own_shared:
            with contextlib.suppress(Exception):
                await self.shared.close()


async def run_sender(context: AppContext, bot: Bot) -> None:
    """Background task of the bot (BotApp.background): the outbox sender."""
    await OutboxSender(context, bot, renderer=render_row).run()
