"""Builds the Bot, the Dispatcher and the background tasks from Settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import gc_tuning
from bot.clock import Clock
from bot.commands import set_menu_commands
from bot.context import AppContext
from bot.data import redis_keys
from bot.data.engine import create_engine, create_fsm_writer, create_sessionmaker
from bot.data.fsm_storage import FsmDrafts, SqlAlchemyStorage
from bot.data.instances import AnotherProcess, Deployment
from bot.data.migrate import upgrade_to_head
from bot.data.redis_fsm import PrefetchedRedisStorage, PrefetchingRedisEventIsolation
from bot.data.users import UserLanguages
from bot.i18n import UserLanguageMiddleware, create_i18n
from bot.inbox import DurableDispatcher, Inbox
from bot.outbox.sender import run_sender
from bot.outbox.session import TracedSession
from bot.settings import Settings
from bot.speedups import inline_magic_filters, keep_response_models, skip_idle_routers
from bot.usecases.privacy import DRAFT_DESTINY, quiet_data_loggers
from bot.usecases.reminders import run_scheduler
from handlers import build_routers

log = logging.getLogger(__name__)

# Token used when there is no BOT_TOKEN (console chat): never sent anywhere.
CONSOLE_TOKEN = "1000000:console"

BackgroundTask = Callable[[AppContext, Bot], Coroutine[Any, Any, None]]


def _storage(
    settings: Settings, app_storage: SqlAlchemyStorage
) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:
        # the bot id in every key (bot/data/redis_keys.py); the destiny: the apply wizard
        # keeps its draft under its own (handlers/apply.py). The user's lock, state and
        # draft in one round trip (bot/data/redis_fsm.py).
        keys = redis_keys.key_builder()
        redis_storage = PrefetchedRedisStorage.from_url(settings.redis_url, key_builder=keys)
        isolation = PrefetchingRedisEventIsolation(
            redis_storage.redis, keys, data_destinies=(DRAFT_DESTINY,)
        )
        return redis_storage, isolation
    return app_storage, SimpleEventIsolation()


class BotApp:
    """Everything the running bot is made of; `create()` then `run_*()`."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        context: AppContext,
        bot: Bot,
        dispatcher: DurableDispatcher,
        storage: SqlAlchemyStorage,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.context = context
        self.bot = bot
        self.dispatcher = dispatcher
        self.storage = storage
        self.background: list[BackgroundTask] = []
        self.deployment: Deployment | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        session: BaseSession | None = None,
        clock: Clock | None = None,
        migrate: bool = True,
    ) -> BotApp:
        quiet_data_loggers()  # no SQL parameters (personal data) in the logs, even at DEBUG
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        if migrate:
            await upgrade_to_head(engine)
        sessionmaker = create_sessionmaker(engine)
        i18n = create_i18n(settings.default_locale)
        # several processes (REDIS_URL): no per-process cache of the users' languages, consents
        writer = create_fsm_writer(engine)  # disposed with the SQL storage that gets it
        languages = UserLanguages(sessionmaker, cache=settings.redis_url is None, writer=writer)
        context = AppContext(
            settings=settings,
            sessionmaker=sessionmaker,
            i18n=i18n,
            languages=languages,
            clock=clock or Clock(),
            writer=writer,
            consent_cache={} if settings.redis_url is None else None,
        )
        if session is None:
            session = TracedSession(api=TelegramAPIServer.from_base(settings.bot_api_url))
        token = settings.bot_token.get_secret_value() if settings.bot_token else CONSOLE_TOKEN
        bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        keep_response_models(bot)  # pydantic would rebuild Response[T] after every GC
        sql_storage = SqlAlchemyStorage(sessionmaker, writer=writer)
        storage, isolation = _storage(settings, sql_storage)
        dispatcher = DurableDispatcher(storage=storage, events_isolation=isolation, app=context)
        # updates stored before confirmed
        dispatcher.inbox = Inbox(sessionmaker, dispatcher, writer=sql_storage.writer)
        language_middleware = UserLanguageMiddleware(i18n, languages)
        language_middleware.setup(dispatcher)
        dispatcher.callback_query.middleware(CallbackAnswerMiddleware())
        dispatcher.include_routers(*build_routers(settings))
        inline_magic_filters(dispatcher)  # F filters: no thread-pool hop per check
        skip_idle_routers(dispatcher)  # an update enters only routers that may handle it
        app = cls(settings, engine, context, bot, dispatcher, sql_storage)
        dispatcher["application"] = app
        # Unsent drafts live in the FSM storages: the privacy use case erases them there.
        dispatcher["drafts"] = FsmDrafts(
            [storage] if storage is sql_storage else [storage, sql_storage], [DRAFT_DESTINY]
        )
        app.background.extend([run_sender, run_scheduler])
        return app

    def busy(self) -> bool:
        """Whether an update is being handled or waits in this process, or was just handled."""
        inbox = self.dispatcher.inbox
        return inbox is not None and inbox.busy

    async def start_background(self) -> None:
        """Start the outbox sender, the reminder scheduler and the like."""
        for task in self.background:
            self._tasks.append(
                asyncio.create_task(
                    task(self.context, self.bot), name=getattr(task, "__name__", "task")
                )
            )

    async def stop_background(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def join(self) -> None:
        """Take this process's place among those sharing the database
        (bot/data/instances.py): raises AnotherProcess when it must not run."""
        inbox = self.dispatcher.inbox
        assert inbox is not None
        deployment = Deployment(
            self.engine,
            shared=self.settings.redis_url is not None,
            owner=inbox.owner,
            connections=self.settings.database_pool_size + self.settings.database_max_overflow,
        )
        await deployment.join()
        self.deployment = self.context.deployment = inbox.deployment = deployment

    async def close(self) -> None:
        await self.stop_background()
        await self.dispatcher.storage.close()
        if self.storage is not self.dispatcher.storage:
            await self.storage.close()  # the SQL one kept for the drafts (Redis in use)
        await self.dispatcher.fsm.events_isolation.close()
        await self.bot.session.close()
        if self.deployment is not None:
            await self.deployment.leave()
            self.deployment = self.context.deployment = None
        await self.engine.dispose()
        if self.storage.writer is not None:
            await self.storage.writer.dispose()

    async def on_startup(self) -> None:
        if self.settings.redis_url:  # the keys the version before wrote, renamed
            from aiogram.fsm.storage.redis import RedisStorage

            assert isinstance(self.dispatcher.storage, RedisStorage)
            await redis_keys.adopt_legacy_keys(self.dispatcher.storage.redis, self.bot.id)
        await set_menu_commands(self.bot, self.context.i18n)
        if not self.settings.staff_enabled:
            log.warning("STAFF_CHAT_ID is not set: staff features are off")
        await self.start_background()
        # Everything built so far (aiogram, pydantic models, catalogues) lives as long as
        # the process: frozen out of the collector's passes; full collections then run
        # only when no update is being handled (bot/gc_tuning.py).
        gc_tuning.tune()
        self._tasks.append(
            asyncio.create_task(gc_tuning.collect_when_idle(self.busy), name="gc-when-idle")
        )

    async def run_polling(
        self, *, handle_signals: bool = True, handle_as_tasks: bool = True
    ) -> None:
        """Long polling; tests pass handle_as_tasks=False to know when an update is done."""
        try:
            await self.join()
            await self.bot.delete_webhook(drop_pending_updates=False)
            await self.on_startup()
            await self.dispatcher.start_polling(
                self.bot,
                handle_as_tasks=handle_as_tasks,
                handle_signals=handle_signals,
                close_bot_session=False,
                polling_timeout=10,
            )
        finally:
            await self.close()

    async def run_webhook(self) -> None:
        """Webhook mode (WEBHOOK_URL): aiohttp server on WEBHOOK_HOST:WEBHOOK_PORT; a POST
        without the secret token (X-Telegram-Bot-Api-Secret-Token) gets 401."""
        from aiogram.webhook.aiohttp_server import setup_application
        from aiohttp import web

        problem = self.settings.webhook_problem()
        if problem is not None or self.settings.webhook_secret is None:
            # never serve a webhook anyone can POST forged updates to (bot/__main__.py says why)
            raise RuntimeError(problem)
        secret = self.settings.webhook_secret.get_secret_value()
        try:
            await self.join()
        except AnotherProcess:
            await self.close()
            raise
        web_app = web.Application()
        inbox = self.dispatcher.inbox
        assert inbox is not None
        # 401 without the secret; 200 only once the update is stored (bot/inbox.py)
        web_app.router.add_post("/webhook", inbox.webhook_handler(self.bot, secret))
        setup_application(web_app, self.dispatcher, bot=self.bot)
        await self.on_startup()
        await inbox.start(self.bot)
        await inbox.replay(self.bot)  # what an earlier run left pending, before new updates
        runner = web.AppRunner(web_app)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.webhook_host, self.settings.webhook_port)
        await site.start()  # listening before Telegram is told where to POST
        await self.bot.set_webhook(f"{self.settings.webhook_url}", secret_token=secret)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            await asyncio.shield(inbox.stop())
            await self.close()
