"""The bot's Bot API session: aiogram's, telling the outbox whether a request went out.

A send that ends without an answer (a timeout, a dropped connection) may have been
delivered — unless the request never left: the connection could not be made (refused,
DNS, no route, or a connect that hangs until the timeout, as when Telegram is
unreachable for hours). aiohttp signals when a request's headers were written to an
open connection; `track_request()` gives the sender a flag for its current request (a
context variable: each send runs in its own task). Only a request that was written and
not answered counts as "unconfirmed" (bot/outbox/sender.py); the others are retried
freely for the whole retry window.
"""

from __future__ import annotations

from contextvars import ContextVar
from types import SimpleNamespace

from aiogram.client.session.aiohttp import AiohttpSession
from aiohttp import ClientSession, TraceConfig, TraceRequestHeadersSentParams

_WRITTEN: ContextVar[list[bool] | None] = ContextVar("outbox_request_written", default=None)


def track_request() -> list[bool]:
    """A flag that becomes [True] once this task's next request is written."""
    flag = [False]
    _WRITTEN.set(flag)
    return flag


async def _headers_sent(
    session: ClientSession, context: SimpleNamespace, params: TraceRequestHeadersSentParams
) -> None:
    flag = _WRITTEN.get()
    if flag is not None:
        flag[0] = True


TRACE = TraceConfig()
TRACE.on_request_headers_sent.append(_headers_sent)
TRACE.freeze()


class TracedSession(AiohttpSession):
    """aiogram's aiohttp session whose requests report when they were written."""

    async def create_session(self) -> ClientSession:
        session = await super().create_session()
        if TRACE not in session.trace_configs:
            session.trace_configs.append(TRACE)
        return session

    async def close(self) -> None:
        """aiogram waits 250 ms after closing for SSL connections to shut down; a plain
        HTTP Bot API server (a local one, the tests' fake) has none to wait for."""
        if self.api.base.startswith("http://") and self.proxy is None:
            if self._session is not None and not self._session.closed:
                await self._session.close()
            return
        await super().close()
