"""Late answers and 5xx in front of the fake Bot API: an HTTP proxy.

`FakeTelegram.inject()` answers an error at once and delivers nothing. Real
faults are also slow: an answer that arrives after the client gave up (the
message WAS delivered), a 502 after several seconds. `FaultProxy` stands
between the bot and a `FakeTelegram` and adds them, per script or at random:

    proxy = FaultProxy(tg)                      # or FaultProxy(tg, seed=1, late_rate=0.2, ...)
    await proxy.start()                         # the bot's BOT_API_URL = proxy.base_url
    proxy.script("sendMessage", Fault(delay=3.0), Fault(delay=2.0, status=502), chat_id=42)

`Fault(delay)`: the request is passed on at once (delivered as usual), its
answer is held `delay` seconds. `Fault(delay, status=502)`: nothing is passed
on, an error answers after `delay` seconds. Every faulted call is kept in
`proxy.records` with whether the bot was still waiting for the answer
(`answered`): a delivered message whose answer nobody read is what may be sent
twice. Other calls (getUpdates, files, …) pass straight through.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import deque
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from tests.tgfake.server import FakeTelegram

_CHAT = re.compile(rb'(?:^|&)chat_id=(-?\d+)|name="chat_id"\r\n(?:[^\r\n]*\r\n)*\r\n(-?\d+)')
ERROR_TEXTS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Fault:
    delay: float = 0.0  # seconds before the answer is written
    status: int | None = None  # an error instead of passing the call on (nothing delivered)


@dataclass
class Record:
    method: str
    chat_id: int | None
    fault: Fault
    delivered: bool = False  # passed on and accepted by the fake server
    answered: bool = True  # the bot was still connected when the answer was written
    started: float = 0.0


class FaultProxy:
    """A proxy to `tg` adding late answers and 5xx (scripted per chat, or at random)."""

    def __init__(
        self,
        tg: FakeTelegram,
        *,
        seed: int | None = None,
        late_rate: float = 0.0,
        late: tuple[float, float] | list[tuple[float, float]] = (0.5, 2.0),
        error_rate: float = 0.0,
        error_delay: tuple[float, float] = (0.0, 0.0),
        methods: tuple[str, ...] = ("sendmessage",),
    ) -> None:
        self.tg = tg
        self.random = random.Random(seed)
        self.late_rate = late_rate
        self.late = [late] if isinstance(late, tuple) else list(late)  # ranges, one drawn
        self.error_rate = error_rate
        self.error_delay = error_delay
        self.methods = {m.lower() for m in methods}
        self.scripts: dict[tuple[str, int | None], deque[Fault]] = {}
        self.records: list[Record] = []
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._port = 0

    # ----------------------------------------------------------- lifecycle
    async def start(self) -> None:
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    # -------------------------------------------------------------- faults
    def script(self, method: str, *faults: Fault, chat_id: int | None = None) -> None:
        """The next calls of `method` (to `chat_id` if given) get these faults in order."""
        self.scripts.setdefault((method.lower(), chat_id), deque()).extend(faults)

    def clear(self) -> None:
        self.scripts.clear()
        self.late_rate = self.error_rate = 0.0

    def _fault(self, method: str, chat_id: int | None) -> Fault | None:
        for key in ((method, chat_id), (method, None)):
            queue = self.scripts.get(key)
            if queue:
                return queue.popleft()
        if method not in self.methods:
            return None
        draw = self.random.random()
        if draw < self.error_rate:
            return Fault(
                self.random.uniform(*self.error_delay), self.random.choice((500, 502, 503))
            )
        if draw < self.error_rate + self.late_rate:
            return Fault(self.random.uniform(*self.random.choice(self.late)))
        return None

    # ------------------------------------------------------------- serving
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        method = request.path.rsplit("/", 1)[-1].lower()
        found = _CHAT.search(body)
        chat_id = int((found.group(1) or found.group(2)).decode()) if found else None
        fault = None if request.path.startswith("/file/") else self._fault(method, chat_id)
        if fault is None:
            return await self._forward(request, body)
        record = Record(method, chat_id, fault, started=time.monotonic())
        self.records.append(record)
        if fault.status is not None:
            await asyncio.sleep(fault.delay)
            record.answered = not _gone(request)
            text = ERROR_TEXTS.get(fault.status, "Server Error")
            payload = {"ok": False, "error_code": fault.status, "description": text}
            return web.Response(
                status=fault.status, text=json.dumps(payload), content_type="application/json"
            )
        response = await self._forward(request, body)
        record.delivered = response.status == 200
        await asyncio.sleep(fault.delay)
        record.answered = not _gone(request)
        return response

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._client is not None
        headers = {}
        if request.headers.get("Content-Type"):
            headers["Content-Type"] = request.headers["Content-Type"]
        async with self._client.request(
            request.method, self.tg.base_url + request.path_qs, data=body, headers=headers
        ) as upstream:
            content = await upstream.read()
            return web.Response(
                status=upstream.status,
                body=content,
                content_type=upstream.content_type or "application/json",
            )


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
