"""Durable updates: an update Telegram delivered is handled, or handled again
after a crash — never lost because its offset was confirmed too early.

* Polling: each getUpdates batch is inserted into `inbound_updates` (the update
  id is the primary key, INSERT … ON CONFLICT DO NOTHING) *before* the next
  getUpdates confirms it through its offset. Webhook: the POST is answered 200
  only after the insert (a failed insert answers 503 and Telegram retries).
* Only newly inserted updates are handled (a re-delivered id is ignored, also
  while its first delivery is still being handled: the insert waits for the first
  one's commit): the updates of one user one after another in the order they were
  stored, different users concurrently. Across processes the user's updates are
  kept apart by aiogram's Redis event isolation (keys per bot: bot/data/redis_keys.py);
  a process takes over only the pending updates of a process whose PostgreSQL
  session lock is free (it died), never of a slow one (bot/data/instances.py).
* An update is marked done in the same transaction as its handler's first write
  to the audit log or the outbox (the effects staff and parents see), so such an
  action is never repeated and an action that did not commit is redone; an update
  without such writes is marked done right after its handler (batched).
* At start, rows still pending (SIGKILL, power cut, a stop that outlived its
  grace period) are handled first, in order.

What may repeat: an update without audit/outbox writes whose handler finished in
the few milliseconds before its done mark was written. The payload (the user's
text: personal data) is cleared when the update is done; done rows are deleted
after `KEEP_DONE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.data import inbox as inbound
from bot.data.instances import Deployment

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 10.0  # seconds between looks for updates of a process that died
PRUNE_INTERVAL = 3600.0  # seconds between deletions of old done rows
QUIET = 2.0  # seconds without updates that make a quiet moment (bot/gc_tuning.py)
STOP_GRACE = 10.0  # seconds a stopping bot waits for handlers in flight
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Inbox:
    """Stores updates, runs them through the dispatcher and marks them done."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        writer: AsyncEngine | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        # SQLite: the autocommit engine (bot.data.engine.create_fsm_writer) for the single
        # statement writes — one round trip each, the write lock held only inside SQLite.
        self._writer = writer
        self._dispatcher = dispatcher
        self.owner = uuid.uuid4().hex  # this process (rows it stored)
        self._last_active = 0.0  # time.monotonic() of the last update handled
        self._queues: dict[int | None, deque[tuple[int, Update]]] = {}
        self._workers: dict[int | None, asyncio.Task[None]] = {}
        self._marks: list[int] = []
        self._marks_ready: asyncio.Event | None = None
        self._marker: asyncio.Task[None] | None = None
        self._kwargs: dict[str, Any] = {}
        self._sweeper: asyncio.Task[None] | None = None
        # The processes sharing the database (bot/data/instances.py); None: this one only.
        self.deployment: Deployment | None = None

    @property
    def busy(self) -> bool:
        """Updates queued or being handled, or the last one handled less than `QUIET` s ago."""
        return bool(self._workers) or time.monotonic() - self._last_active < QUIET

    # ---------------------------------------------------------------- rows
    async def store(self, payloads: list[dict[str, Any]]) -> set[int]:
        """Insert the updates (one transaction); the ids that were not stored before."""
        return await inbound.store(self._sessionmaker, payloads, self.owner, self._writer)

    # ------------------------------------------------------------ handling
    async def handle(self, bot: Bot, update_id: int, event_: Update) -> None:
        """Run one stored update through the dispatcher, then mark it done."""
        with inbound.handling(update_id) as current:
            # aiogram's own wrapper: handler errors are logged (and answered by
            # handlers/errors.py), never raised; a cancelled handler stays pending.
            await self._dispatcher._process_update(bot=bot, update=event_, **self._kwargs)
        self._last_active = time.monotonic()
        if not current.marked:
            self._marks.append(update_id)
            if self._marks_ready is not None:
                self._marks_ready.set()

    def submit(self, bot: Bot, update_id: int, event_: Update, key: int | None) -> None:
        """Queue an update behind the earlier ones of the same user."""
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            self._workers[key] = asyncio.create_task(self._work(bot, key, queue))
        queue.append((update_id, event_))

    async def _work(self, bot: Bot, key: int | None, queue: deque[tuple[int, Update]]) -> None:
        try:
            while queue:
                update_id, event_ = queue[0]
                await self.handle(bot, update_id, event_)
                queue.popleft()
        finally:
            del self._queues[key]
            del self._workers[key]

    async def replay(self, bot: Bot, *, concurrent: bool = True) -> int:
        """Handle the updates an earlier run left pending, oldest first: all of them
        when no other process can be running, else those of processes that are gone."""
        deployment = self.deployment
        if deployment is None or deployment.solo:
            rows = await inbound.take_over(self._sessionmaker, self.owner)
        else:
            rows = []
            for owner in await inbound.owners_of_pending(self._sessionmaker, self.owner):
                async with deployment.gone(owner) as gone:
                    if gone:
                        rows += await inbound.take_over(self._sessionmaker, self.owner, owner)
            rows.sort()
        for update_id, payload in rows:
            try:
                event_ = Update.model_validate(payload, context={"bot": bot})
            except ValueError:
                log.warning("stored update %s cannot be read: skipped", update_id)
                await inbound.mark_done(self._sessionmaker, [update_id], self._writer)
                continue
            if concurrent:
                self.submit(bot, update_id, event_, inbound.user_key(payload))
            else:
                await self.handle(bot, update_id, event_)
        if rows:
            log.info("handling %d update(s) left pending by a stopped process", len(rows))
        return len(rows)

    async def _sweep(self, bot: Bot) -> None:
        """Several processes: take over the updates of one that died, now and then."""
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            try:
                await self.replay(bot)
            except Exception as error:  # the database is down: next time
                log.warning("inbox sweep failed: %s", type(error).__name__)

    # ----------------------------------------------------------- lifecycle
    async def start(self, bot: Bot, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._marks_ready = asyncio.Event()
        self._marker = asyncio.create_task(self._mark_loop(), name="inbox-marks")
        if self.deployment is not None and not self.deployment.solo:
            self._sweeper = asyncio.create_task(self._sweep(bot), name="inbox-sweep")
        with contextlib.suppress(Exception):
            await inbound.prune(self._sessionmaker)

    async def _mark_loop(self) -> None:
        assert self._marks_ready is not None
        loop = asyncio.get_running_loop()
        pruned = loop.time()
        while True:
            await self._marks_ready.wait()
            self._marks_ready.clear()
            await self._flush_marks()
            if loop.time() - pruned > PRUNE_INTERVAL:  # done rows of days ago
                pruned = loop.time()
                with contextlib.suppress(Exception):
                    await inbound.prune(self._sessionmaker)

    async def _flush_marks(self) -> None:
        marks, self._marks = self._marks, []
        if not marks:
            return
        try:
            await inbound.mark_done(self._sessionmaker, marks, self._writer)
        except Exception as error:  # the database is down: the rows stay pending
            log.warning("could not mark %d update(s) done: %s", len(marks), type(error).__name__)
            self._marks = marks + self._marks
            await asyncio.sleep(1.0)
            if self._marks_ready is not None:
                self._marks_ready.set()

    async def stop(self) -> None:
        """Let handlers in flight finish (bounded), then write the last done marks."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        workers = set(self._workers.values())
        if workers:
            _finished, unfinished = await asyncio.wait(workers, timeout=STOP_GRACE)
            for task in unfinished:  # left pending: handled again at the next start
                task.cancel()
            if unfinished:
                await asyncio.wait(unfinished, timeout=1.0)
        if self._marker is not None:
            self._marker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._marker
            self._marker = None
        with contextlib.suppress(Exception):
            await self._flush_marks()

    async def wait_idle(self) -> None:
        """Tests and benchmarks: every queued update handled and marked done."""
        while self._workers:
            await asyncio.wait(set(self._workers.values()))
        await self._flush_marks()

    # ------------------------------------------------------------- webhook
    def webhook_handler(self, bot: Bot, secret: str) -> Any:
        """aiohttp handler: 401 without the secret; 200 once the update is stored."""
        from aiohttp import web

        expected = secret.encode()

        async def handle(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not secrets.compare_digest(given, expected):
                return web.Response(status=401, text="Unauthorized")
            try:
                payload = await request.json()
                event_ = Update.model_validate(payload, context={"bot": bot})
            except ValueError:
                return web.Response(status=400, text="Bad Request")
            try:
                new = await self.store([payload])
            except Exception as error:  # not stored: Telegram sends it again
                log.warning("webhook update not stored: %s", type(error).__name__)
                return web.Response(status=503, text="Try again")
            if event_.update_id in new:
                self.submit(bot, event_.update_id, event_, inbound.user_key(payload))
            return web.json_response({})

        return handle


class DurableDispatcher(Dispatcher):
    """aiogram's Dispatcher whose long polling goes through the Inbox
    (start_polling/stop_polling, signals, startup/shutdown stay aiogram's)."""

    inbox: Inbox | None = None

    async def _polling(
        self,
        bot: Bot,
        polling_timeout: int = 30,
        handle_as_tasks: bool = True,
        backoff_config: BackoffConfig = DEFAULT_BACKOFF_CONFIG,
        allowed_updates: list[str] | None = None,
        tasks_concurrency_limit: int | None = None,
        **kwargs: Any,
    ) -> None:
        inbox = self.inbox
        if inbox is None:
            await super()._polling(
                bot,
                polling_timeout=polling_timeout,
                handle_as_tasks=handle_as_tasks,
                backoff_config=backoff_config,
                allowed_updates=allowed_updates,
                tasks_concurrency_limit=tasks_concurrency_limit,
                **kwargs,
            )
            return
        user = await bot.me()
        log.info("Run polling for bot @%s id=%d (durable updates)", user.username, bot.id)
        await inbox.start(bot, **kwargs)
        try:
            await inbox.replay(bot, concurrent=handle_as_tasks)
            await self._poll(
                bot, inbox, polling_timeout, handle_as_tasks, backoff_config, allowed_updates
            )
        finally:
            await asyncio.shield(inbox.stop())

    @staticmethod
    async def _poll(
        bot: Bot,
        inbox: Inbox,
        polling_timeout: int,
        handle_as_tasks: bool,
        backoff_config: BackoffConfig,
        allowed_updates: list[str] | None,
    ) -> None:
        backoff = Backoff(config=backoff_config)
        get_updates = GetUpdates(timeout=polling_timeout, allowed_updates=allowed_updates)
        request: dict[str, Any] = {}
        if bot.session.timeout:
            request["request_timeout"] = int(bot.session.timeout + polling_timeout)
        while True:
            try:
                updates = await bot(get_updates, **request)
                payloads = [
                    u.model_dump(mode="json", by_alias=True, exclude_unset=True) for u in updates
                ]
                new = await inbox.store(payloads)  # before the next call confirms them
            except Exception as error:
                log.error("Failed to fetch or store updates: %s", type(error).__name__)
                await backoff.asleep()
                continue
            backoff.reset()
            if not updates:
                continue
            get_updates.offset = updates[-1].update_id + 1
            for event_, payload in zip(updates, payloads, strict=True):
                if event_.update_id not in new:
                    continue  # stored (and handled or queued) before
                if handle_as_tasks:
                    inbox.submit(bot, event_.update_id, event_, inbound.user_key(payload))
                else:
                    await inbox.handle(bot, event_.update_id, event_)
