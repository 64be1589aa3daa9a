"""Telegram's limits shared by every process that sends with one bot token (Redis).

Telegram counts per bot, not per process: ≈30 messages/s in all, 1/s per private
chat, 20/min per group. One process paces itself (bot/outbox/sender.py's
`Pacer`, no Redis needed). Several processes (REDIS_URL, bot/data/instances.py)
ask Redis before every request, so together they keep the limits that one
process keeps alone — nobody divides `OUTBOX_GLOBAL_RATE` by hand.

Every limit is the same sliding window as the local pacer's: at most `limit`
requests whose END falls within the last `window` seconds, a request in flight
counting as present. A request is entered when it is granted with a provisional
end of `start + bound` (`bound` > the longest request, so a process that dies
mid-request holds its place until then, never less) and gets its real end when
it is answered (`finish`). As Telegram counts a request when it arrives, which
is after our start and before our end, its count can never exceed ours.

    global   `int(rate) + 1` per second, plus one start every 1/rate s (a token
             bucket of ~1 token with `CATCH_UP` of slack): `rate` msg/s in all
    private  1 per `OUTBOX_PRIVATE_INTERVAL` s, never two in flight
    group    `OUTBOX_GROUP_PER_MINUTE` per `group_window` (60) s
    429      the chat waits `retry_after`, every chat ~1 s (as the local pacer)

Each check-and-take is one Lua script (atomic in Redis), with Redis's own clock
(`TIME`), so the processes' clocks never need to agree. Keys are named after the
bot id (the token's digits), in one hash slot, and expire when idle:
`outbox-pace:{<bot id>}:g` (global window), `…:t` (next global start), `…:p`
(global pause), `…:c:<chat>` (a chat's window), `…:b:<chat>` (a chat's 429).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

CATCH_UP = 0.1  # seconds of missed global slots that may be made up (as the local pacer)
MARGIN = 1.0  # seconds added to the longest request for a grant's provisional end
BUSY = 0.02  # the least wait answered when a request in flight holds the window

# KEYS: global window, next global start, global pause, chat window, chat 429 block
# ARGV: now ('' → Redis TIME), spacing, global limit, chat limit, chat window, member,
#       bound (provisional end after the start), catch-up, the least wait behind a request
#       in flight
# → {global wait, chat wait} as strings: both "0" when granted (and taken)
ACQUIRE = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local spacing = tonumber(ARGV[2])
local glimit = tonumber(ARGV[3])
local climit = tonumber(ARGV[4])
local cwindow = tonumber(ARGV[5])
local member = ARGV[6]
local bound = tonumber(ARGV[7])
local catch = tonumber(ARGV[8])

local function window_wait(key, limit, window)
  if limit <= 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local n = redis.call('ZCARD', key)
  if n < limit then return 0 end
  local e = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
  local score = tonumber(e[2])
  if score > now then  -- still in flight: it ends at the earliest now
    return math.max(window, tonumber(ARGV[9]))
  end
  return score + window - now
end

local function until_wait(key)
  local v = redis.call('GET', key)
  if v then return math.max(tonumber(v) - now, 0) end
  return 0
end

local gwait = math.max(until_wait(KEYS[3]), window_wait(KEYS[1], glimit, 1.0))
local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
if spacing > 0 and tat > now then gwait = math.max(gwait, tat - now) end
local cwait = math.max(until_wait(KEYS[5]), window_wait(KEYS[4], climit, cwindow))
if gwait > 0 or cwait > 0 then
  return {tostring(gwait), tostring(cwait)}
end
local provisional = string.format('%.6f', now + bound)
if glimit > 0 then
  redis.call('ZADD', KEYS[1], provisional, member)
  redis.call('PEXPIRE', KEYS[1], math.ceil((bound + 1.0 + 1) * 1000))
end
if climit > 0 then
  redis.call('ZADD', KEYS[4], provisional, member)
  redis.call('PEXPIRE', KEYS[4], math.ceil((bound + cwindow + 1) * 1000))
end
if spacing > 0 then
  if tat < now - catch then tat = now end
  redis.call('SET', KEYS[2], string.format('%.6f', tat + spacing),
             'PX', math.ceil((spacing + catch + 1) * 1000))
end
return {'0', '0'}
"""

# KEYS: global window, chat window; ARGV: now ('' → TIME), member, chat window
FINISH = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local stamp = string.format('%.6f', now)
redis.call('ZADD', KEYS[1], 'XX', stamp, ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', stamp, ARGV[2])
local want = math.ceil((tonumber(ARGV[3]) + 1) * 1000)
if redis.call('PTTL', KEYS[2]) < want then redis.call('PEXPIRE', KEYS[2], want) end
return 1
"""

# KEYS: global pause, chat block; ARGV: now ('' → TIME), seconds
BLOCK = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local seconds = tonumber(ARGV[2])
local function extend(key, deadline)
  local v = tonumber(redis.call('GET', key) or '0')
  if deadline > v then
    redis.call('SET', key, string.format('%.6f', deadline),
               'PX', math.ceil((deadline - now) * 1000) + 1)
  end
end
extend(KEYS[2], now + seconds)
extend(KEYS[1], now + math.min(seconds, 1.0))
return 1
"""


@dataclass(frozen=True)
class Wait:
    """Seconds until the limits may allow the request (both 0: it was granted)."""

    every_chat: float  # the global limit or a 429 pause: no chat may go before
    this_chat: float  # this chat's own limit or its 429

    @property
    def granted(self) -> bool:
        return self.every_chat <= 0 and self.this_chat <= 0


class SharedPace:
    """The global, per-chat and per-group limits of one bot, shared through Redis."""

    def __init__(
        self,
        redis: Redis,
        bot_id: int,
        *,
        global_rate: float,
        private_interval: float,
        group_per_minute: int,
        group_window: float = 60.0,
        request_timeout: float = 20.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.redis = redis
        self.prefix = f"outbox-pace:{{{bot_id}}}:"
        self.spacing = 1.0 / global_rate if global_rate > 0 else 0.0
        self.global_limit = int(global_rate) + 1 if global_rate > 0 else 0
        self.private_interval = private_interval
        self.group_limit = group_per_minute
        self.group_window = group_window
        self.bound = request_timeout + MARGIN
        self.clock = clock  # tests: a fake clock (seconds); None: Redis's TIME
        self._acquire = redis.register_script(ACQUIRE)
        self._finish = redis.register_script(FINISH)
        self._block = redis.register_script(BLOCK)

    def _now(self) -> str:
        return "" if self.clock is None else f"{self.clock():.6f}"

    def _chat(self, chat_id: int) -> tuple[int, float]:
        """The chat's window: (limit, seconds)."""
        if chat_id < 0:
            return self.group_limit, self.group_window
        return 1, self.private_interval

    def _keys(self, chat_id: int) -> list[str]:
        p = self.prefix
        return [f"{p}g", f"{p}t", f"{p}p", f"{p}c:{chat_id}", f"{p}b:{chat_id}"]

    async def acquire(self, chat_id: int, ticket: str) -> Wait:
        """Take a place for one request to `chat_id` now, or say how long to wait.
        `ticket` names the request (unique) for `finish`."""
        limit, window = self._chat(chat_id)
        args: list[Any] = [
            self._now(),
            repr(self.spacing),
            self.global_limit,
            limit,
            repr(window),
            ticket,
            repr(self.bound),
            repr(CATCH_UP),
            repr(BUSY),
        ]
        every, this = await self._acquire(keys=self._keys(chat_id), args=args)
        return Wait(_seconds(every), _seconds(this))

    async def finish(self, chat_id: int, ticket: str) -> None:
        """The request of `ticket` was answered (or failed): it ends now."""
        _, window = self._chat(chat_id)
        keys = self._keys(chat_id)
        await self._finish(keys=[keys[0], keys[3]], args=[self._now(), ticket, repr(window)])

    async def block(self, chat_id: int, seconds: float) -> None:
        """Telegram answered 429: the chat waits `seconds`, every chat briefly."""
        keys = self._keys(chat_id)
        await self._block(keys=[keys[2], keys[4]], args=[self._now(), repr(float(seconds))])

    async def close(self) -> None:
        await self.redis.aclose()


def _seconds(value: Any) -> float:
    text = value.decode() if isinstance(value, bytes) else str(value)
    seconds = float(text)
    return seconds if math.isfinite(seconds) else 0.0
