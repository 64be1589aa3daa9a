"""FakeTelegram: the emulator's HTTP front-end (aiohttp) for driving a real aiogram bot.

The Bot API itself (chats, messages, files, limits, HTML checks) is
:class:`bot.telegram_emulator.TelegramEmulator`; this adds the local server,
the update queue of getUpdates, the records of every call and the waiting
helpers of the tests. See README.md beside this file for usage.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import BodyPartReader, web

from bot.telegram_emulator.emulator import DEFAULT_DESCRIPTIONS, ApiError, Files, TelegramEmulator
from bot.telegram_emulator.limits import MAX_UPLOAD, Limits
from bot.telegram_emulator.models import ChatState, FakeMessage

from .models import ApiCall, UploadedFile
from .people import FakeGroup, FakeUser

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

DEFAULT_TOKEN = "123456789:TEST-fake-token"
BOT_USERNAME = "alatau_test_bot"

_TOKEN_RE = re.compile(r"^\d+:[\w-]+$")
_JSONISH_RE = re.compile(r"^(?:[\[{].*|true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$", re.S)
# String parameters that must never be JSON-decoded (a text "123" stays a string).
_RAW_KEYS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "action",
        "language_code",
        "secret_token",
        "ip_address",
        "file_id",
        "emoji",
        "title",
        "description",
        "short_description",
        "name",
        "query",
        "inline_message_id",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "sticker",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "thumbnail",
        "business_connection_id",
        "message_effect_id",
        "address",
        "question",
        "explanation",
        "custom_emoji_id",
        "start_parameter",
        "payload",
        "currency",
        "invite_link",
        "game_short_name",
    }
)
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
T = TypeVar("T")


@dataclass
class _Pending:
    update_id: int
    kind: str
    payload: dict[str, Any]
    done: asyncio.Future[None]


def decode_param(key: str, value: Any) -> Any:
    """Decode one form field the way the Bot API does (nested objects are JSON)."""
    if not isinstance(value, str) or key in _RAW_KEYS:
        return value
    if _JSONISH_RE.match(value):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram(TelegramEmulator):
    """A fake Telegram Bot API server on 127.0.0.1 with simulated users.

    ``enforce_limits`` turns on Telegram's flood limits (429 with retry_after).
    ``quiet`` is the settle period after a handled update (seconds without
    requests to the chat). ``timeout`` is the default wait for user actions.
    ``callback_timeout``: answerCallbackQuery later than this after the press
    fails like Telegram's ("query is too old..."); None disables the check.
    """

    def __init__(
        self,
        *,
        enforce_limits: bool = False,
        limits: Limits | None = None,
        quiet: float = 0.03,
        timeout: float = 5.0,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = "Alatau Test Bot",
        callback_timeout: float | None = 15.0,
    ) -> None:
        super().__init__(
            enforce_limits=enforce_limits,
            limits=limits,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            callback_timeout=callback_timeout,
        )
        self.quiet = quiet
        self.timeout = timeout
        self.use_token(DEFAULT_TOKEN)
        self.calls: list[ApiCall] = []
        self.server_errors: list[BaseException] = []
        self.dropped_updates = 0
        self._by_method: defaultdict[str, list[ApiCall]] = defaultdict(list)
        self._update_seq = itertools.count(100_000_001)
        self._queue: deque[_Pending] = deque()
        self._allowed: frozenset[str] | None = None
        self._allowed_raw: Any = None
        self._poll_gen = 0
        self._last_poll: float | None = None
        self._inflight = 0
        self._last_activity = 0.0
        self._closing = False
        self._wakeup: asyncio.Event | None = None
        self._activity: asyncio.Event | None = None
        self._feed: tuple[Dispatcher, Bot] | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Listen on 127.0.0.1 at a random free port."""
        self._wakeup = asyncio.Event()
        self._activity = asyncio.Event()
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD + 10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        self._closing = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Pass to ``TelegramAPIServer.from_base(base_url)``."""
        if not self._port:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self._port}"

    def make_bot(self, token: str = DEFAULT_TOKEN, **bot_kwargs: Any) -> Bot:
        """An aiogram ``Bot`` talking to this server."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        class _LocalSession(AiohttpSession):
            async def close(self) -> None:  # no 250 ms SSL grace sleep on localhost
                if self._session is not None and not self._session.closed:
                    await self._session.close()

        session = _LocalSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(token, session=session, **bot_kwargs)

    def feed_to(self, dispatcher: Dispatcher | None, bot: Bot | None = None) -> None:
        """Feed mode: actions call ``dispatcher.feed_update`` directly (handler
        exceptions surface in the test) instead of queueing for getUpdates.
        The bot's own requests still go over HTTP. ``feed_to(None)`` switches back."""
        if dispatcher is None:
            self._feed = None
            return
        if bot is None:
            raise ValueError("feed mode needs the bot instance")
        self._feed = (dispatcher, bot)

    # -------------------------------------------------------------- records
    def calls_of(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (case-insensitive name)."""
        return list(self._by_method.get(method.lower(), ()))

    def sent_calls(self, chat_id: int | None = None) -> list[ApiCall]:
        """Successful sending calls (optionally to one chat)."""
        names = ("sendmessage", "senddocument", "sendphoto", "copymessage", "forwardmessage")
        out = [c for name in names for c in self._by_method.get(name, ()) if c.ok]
        out += [c for c in self._by_method.get("sendmediagroup", ()) if c.ok]
        if chat_id is not None:
            out = [c for c in out if c.chat_id == chat_id]
        return sorted(out, key=lambda c: c.time)

    def clear_calls(self) -> None:
        self.calls.clear()
        self._by_method.clear()

    # --------------------------------------------------------------- people
    def user(
        self,
        user_id: int,
        first_name: str = "Айгерим",
        language_code: str | None = "kk",
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> FakeUser:
        """A person in a private chat with the bot (chat_id == user_id)."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = self.register_user(user_id, first_name, language_code, last_name, username)
        return FakeUser(self, user, self.private_chat(user))

    def group(
        self,
        chat_id: int = -1001234567890,
        title: str = "Test group",
        *,
        supergroup: bool | None = None,
    ) -> FakeGroup:
        """A group (supergroup if chat_id <= -10**12 unless told)."""
        return FakeGroup(self, self.group_chat(chat_id, title, supergroup=supergroup))

    # -------------------------------------------------------------- updates
    def push_update(self, kind: str, payload: dict[str, Any]) -> tuple[int, asyncio.Future[None]]:
        """Queue an update of type ``kind``; the future resolves once the bot
        confirmed it (or it was dropped by allowed_updates)."""
        loop = asyncio.get_running_loop()
        update_id = next(self._update_seq)
        fut: asyncio.Future[None] = loop.create_future()
        update = {"update_id": update_id, kind: payload}
        if self._feed is None:
            if not self._is_allowed(kind):
                self.dropped_updates += 1
                fut.set_result(None)
            else:
                self._queue.append(_Pending(update_id, kind, update, fut))
                if self._wakeup is not None:
                    self._wakeup.set()
        else:
            fut.set_result(None)
        return update_id, fut

    async def deliver(
        self, chat: ChatState, kind: str, payload: dict[str, Any], timeout: float | None = None
    ) -> list[FakeMessage]:
        """Push an update and wait until the bot handled it; return the bot's
        new messages in ``chat``."""
        start = len(chat.bot_log)
        timeout = self.timeout if timeout is None else timeout
        update_id, fut = self.push_update(kind, payload)
        if self._feed is not None:
            await self._feed_update(update_id, kind, payload)
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(fut)
                await self._settle(chat)
        except TimeoutError:
            raise AssertionError(
                self.report(
                    f"update {update_id} ({kind}) for chat {chat.id} was not handled "
                    f"within {timeout}s. Is the bot polling with handle_as_tasks=False?"
                )
            ) from None
        return chat.bot_log[start:]

    async def _feed_update(self, update_id: int, kind: str, payload: dict[str, Any]) -> None:
        from aiogram.types import Update

        assert self._feed is not None
        dispatcher, bot = self._feed
        update = Update.model_validate(
            {"update_id": update_id, kind: payload}, context={"bot": bot}
        )
        await dispatcher.feed_update(bot, update)

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed is None:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed

    def _set_allowed(self, allowed: Any) -> None:
        if allowed == self._allowed_raw:
            return
        self._allowed_raw = allowed
        self._allowed = frozenset(allowed) if isinstance(allowed, list) and allowed else None
        kept: deque[_Pending] = deque()
        for pending in self._queue:
            if self._is_allowed(pending.kind):
                kept.append(pending)
            else:
                self.dropped_updates += 1
                if not pending.done.done():
                    pending.done.set_result(None)
        self._queue = kept

    def _confirm_below(self, offset: int) -> None:
        queue = self._queue
        while queue and queue[0].update_id < offset:
            pending = queue.popleft()
            if not pending.done.done():
                pending.done.set_result(None)

    def drop_pending_updates(self) -> None:
        self._confirm_below(1 << 62)

    def pending_update_count(self) -> int:
        return len(self._queue)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        if offset > 0:
            self._confirm_below(offset)
        elif offset < 0:
            self._confirm_below(self._queue[offset].update_id if len(self._queue) >= -offset else 0)
        self._poll_gen += 1
        gen = self._poll_gen
        wakeup = self._wakeup
        assert wakeup is not None
        wakeup.set()  # terminate an older pending getUpdates
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._last_poll = time.monotonic()
            if self._poll_gen != gen:
                raise ApiError(409, DEFAULT_DESCRIPTIONS[409])
            remaining = deadline - loop.time()
            if self._queue or self._closing or remaining <= 0:
                break
            wakeup.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await wakeup.wait()
        return [p.payload for p in itertools.islice(self._queue, limit)]

    # -------------------------------------------------------------- waiting
    async def _settle(self, chat: ChatState | None) -> None:
        """Wait until no request is in flight and none arrived for ``quiet`` s."""
        while True:
            if chat is None:
                inflight, last = self._inflight, self._last_activity
            else:
                inflight, last = chat.inflight, chat.last_activity
            idle = time.monotonic() - last
            if inflight == 0 and idle >= self.quiet:
                return
            await asyncio.sleep(max(self.quiet - idle, 0.002) if inflight == 0 else 0.002)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until every queued update is confirmed and the bot went quiet."""
        timeout = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(timeout):
                while self._queue:
                    await asyncio.shield(self._queue[-1].done)
                await self._settle(None)
        except TimeoutError:
            raise AssertionError(self.report(f"not idle within {timeout}s")) from None

    async def wait_for(
        self, predicate: Callable[[], T], timeout: float | None = None, what: str = ""
    ) -> T:
        """Re-check ``predicate()`` after every API call until it is truthy;
        return its value (for notifications sent by background tasks)."""
        timeout = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    self.report(f"condition {what or predicate!r} not met within {timeout}s")
                )
            event = self._activity
            assert event is not None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.25)):
                    await event.wait()

    def report(self, headline: str, last: int = 20) -> str:
        """A diagnostic dump: polling state, queue, last calls, server errors."""
        lines = [headline]
        if self._feed is not None:
            lines.append("feed mode is on")
        elif self._last_poll is None:
            lines.append("the bot never called getUpdates (is polling running?)")
        else:
            lines.append(f"last getUpdates {time.monotonic() - self._last_poll:.2f}s ago")
        if self._queue:
            ids = [p.update_id for p in itertools.islice(self._queue, 10)]
            lines.append(f"{len(self._queue)} unconfirmed update(s), first ids {ids}")
        recent = [c for c in self.calls[-(last * 5) :] if c.method.lower() != "getupdates"]
        lines.append(f"last {min(last, len(recent))} API calls (of {len(self.calls)}):")
        lines.extend("  " + c.short() for c in recent[-last:])
        for err in self.server_errors[-5:]:
            lines.append(f"fake server error: {err!r}")
        return "\n".join(lines)

    # ----------------------------------------------------------------- HTTP
    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], Files]:
        raw: dict[str, Any] = dict(request.query)
        files: Files = {}
        ctype = request.content_type
        if request.method == "POST":
            if ctype == "multipart/form-data":
                total = 0
                reader = await request.multipart()
                while (part := await reader.next()) is not None:
                    if not isinstance(part, BodyPartReader) or part.name is None:
                        continue
                    body = bytes(await part.read(decode=True))
                    total += len(body)
                    if total > MAX_UPLOAD:
                        raise ApiError(413, "Request Entity Too Large")
                    if part.filename:
                        content_type = part.headers.get("Content-Type", "application/octet-stream")
                        files[part.name] = (part.filename, content_type, body)
                    else:
                        raw[part.name] = body.decode(part.get_charset("utf-8"))
            elif ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    return {**raw, **body}, files
            else:
                raw.update(await request.post())
        return {k: decode_param(k, v) for k, v in raw.items()}, files

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not _TOKEN_RE.match(token):
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.match_info["method"]
        name = method.lower()
        try:
            params, files = await self._read_params(request)
        except ApiError as e:
            return _json(e.code, e.payload())
        except Exception as e:
            self.server_errors.append(e)
            return _json(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {e}"})
        self.use_token(token)
        chat_id = self.call_chat(name, params)
        uploads = [
            UploadedFile(field=k, name=v[0], size=len(v[2]), content_type=v[1])
            for k, v in files.items()
        ]
        call = ApiCall(method, params, uploads, time.monotonic(), chat_id)
        self.calls.append(call)
        self._by_method[name].append(call)
        tracked = name != "getupdates"
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if tracked:
            self._inflight += 1
            if chat is not None:
                chat.inflight += 1
        status = 200
        body: dict[str, Any]
        try:
            if name == "getupdates":
                fault = self._take_fault(name, chat_id)
                if fault is not None:
                    raise fault
                result = await self._get_updates(params)
            else:
                result = self.call(name, params, files)
            body = {"ok": True, "result": result}
        except ApiError as e:
            status, body = e.code, e.payload()
        except Exception as e:  # a bug in the fake: answer 500 and keep it for the report
            self.server_errors.append(e)
            status = 500
            body = {"ok": False, "error_code": 500, "description": f"Internal Server Error: {e!r}"}
        finally:
            if tracked:
                now = time.monotonic()
                self._inflight -= 1
                self._last_activity = now
                if chat is not None:
                    chat.inflight -= 1
                    chat.last_activity = now
        call.status = status
        call.response = body
        self._notify()
        return _json(status, body)

    def _notify(self) -> None:
        event = self._activity
        if event is not None:
            self._activity = asyncio.Event()
            event.set()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if not _TOKEN_RE.match(request.match_info["token"]):
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        stored = self.file_at(request.match_info["path"])
        if stored is None:
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        return web.Response(
            body=stored.read(), content_type=stored.mime_type or "application/octet-stream"
        )


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
    )
