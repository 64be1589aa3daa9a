"""Where the slowest updates spend their time (bench/dialog.py ``--tail``, full bot only).

A debugging aid, not a measure of its own: it patches, in the bench's worker process only,
the places an update can wait, and charges each wait to the update being handled (a
context variable set around ``feed_update``; SQLAlchemy's greenlets and the tasks an
update starts inherit it):

- ``own``: the update's own coroutine running (each ``send`` into it timed; includes the
  SQLAlchemy greenlet code it runs and GC pauses that hit it);
- ``lock``: waiting for the FSM event-isolation lock of its chat;
- ``gate``: waiting for the SQLite write gate (bot/data/write_gate.py);
- ``pool``: checking a connection out of the pool;
- ``sqlite``: SQLite's own work in aiosqlite's thread (the function it runs);
- ``sqlwait``: the rest of an aiosqlite call (queue + the event loop resuming the caller);
- ``fsm``: waiting for the batched FSM upsert (bot/data/autocommit.py, executemany);
- ``single``: waiting for the update's other single-statement writes there (write_now);
- ``pg``: PostgreSQL statements (SQLAlchemy's asyncpg cursor: prepare and execute, their
  own Python included) — the production profile;
- ``redis``: Redis commands and pipelines (redis-py; inside ``lock`` too: not counted there);
- ``api``: Bot API requests (fake server, same process);
- ``gc``: GC pauses overlapping the update (all of them, not only inside ``own``);
- ``lag``: event-loop lag (a 2 ms ticker) overlapping the update;
- ``ready``: the rest: waiting in the loop's ready queue behind other tasks.

Also: gate holds (time from acquire to commit/rollback) by the update that held them,
with the Bot API calls made while holding.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import statistics
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

perf = time.perf_counter


@dataclass
class Trace:
    update_id: int
    step: int
    start: float
    end: float = 0.0
    turns: int = 0
    parts: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    holding: int = 0  # gate holds open

    def add(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds
        self.counts[part] = self.counts.get(part, 0) + 1


CURRENT: ContextVar[Trace | None] = ContextVar("bench_trace", default=None)
TRACES: list[Trace] = []
GC_PAUSES: list[tuple[float, float, int]] = []
LAGS: list[tuple[float, float]] = []
HOLDS: list[tuple[float, int, int, float]] = []  # duration, step, api calls while held, end
UNTRACED: list[tuple[str, float, float, float]] = []  # statement, thread, total, end
STEP: ContextVar[int] = ContextVar("bench_step", default=-1)
_STEPS: dict[int, int] = {}


def charge(part: str, seconds: float) -> None:
    trace = CURRENT.get()
    if trace is not None:
        trace.add(part, seconds)


@contextlib.contextmanager
def timed(part: str) -> Iterator[None]:
    t0 = perf()
    try:
        yield
    finally:
        charge(part, perf() - t0)


class _Timed:
    """Awaitable wrapper timing each step of the wrapped coroutine."""

    def __init__(self, coro: Any, trace: Trace) -> None:
        self.coro, self.trace = coro, trace

    def __await__(self) -> Any:
        coro, trace = self.coro, self.trace
        value: Any = None
        error: BaseException | None = None
        while True:
            t0 = perf()
            try:
                yielded = coro.send(value) if error is None else coro.throw(error)
            except StopIteration as stop:
                trace.add("own", perf() - t0)
                return stop.value
            except BaseException:
                trace.add("own", perf() - t0)
                raise
            trace.add("own", perf() - t0)
            trace.turns += 1
            try:
                value, error = (yield yielded), None
            except BaseException as thrown:
                value, error = None, thrown


def remember_step(update_id: int) -> None:
    _STEPS[update_id] = STEP.get()


async def traced_feed(original: Any, bot: Any, update: Any, **kwargs: Any) -> Any:
    trace = Trace(update.update_id, _STEPS.pop(update.update_id, -1), perf())
    token = CURRENT.set(trace)
    try:
        return await _Timed(original(bot, update, **kwargs), trace)
    finally:
        trace.end = perf()
        CURRENT.reset(token)
        TRACES.append(trace)


def install(app: Any) -> None:
    """Patch the places to measure (once per process, before the run)."""
    import aiosqlite
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.fsm.storage.memory import SimpleEventIsolation
    from sqlalchemy.pool import Pool

    from bot.data import autocommit, write_gate

    # --- write gate: wait and hold
    gate_cls = write_gate.WriteGate
    acquire, release = gate_cls.acquire, gate_cls.release
    held: dict[int, tuple[float, Trace | None, int]] = {}

    def g_acquire(self: Any, holder: object) -> None:
        if self.holder is holder:
            return
        with timed("gate"):
            acquire(self, holder)
        trace = CURRENT.get()
        if trace is not None:
            trace.holding += 1
        held[id(holder)] = (perf(), trace, trace.counts.get("api", 0) if trace else 0)

    def g_release(self: Any, holder: object) -> None:
        if self.holder is holder and (entry := held.pop(id(holder), None)):
            t0, trace, api0 = entry
            api = (trace.counts.get("api", 0) - api0) if trace else 0
            HOLDS.append((perf() - t0, trace.step if trace else -1, api, perf()))
            if trace is not None:
                trace.holding -= 1
                trace.add("hold", perf() - t0)
        release(self, holder)

    gate_cls.acquire, gate_cls.release = g_acquire, g_release  # type: ignore[method-assign]

    # --- pool checkout
    connect = Pool.connect

    def p_connect(self: Any) -> Any:
        with timed("pool"):
            return connect(self)

    Pool.connect = p_connect  # type: ignore[method-assign]

    # --- aiosqlite calls: thread work vs the rest
    execute = aiosqlite.Connection._execute

    async def a_execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trace = CURRENT.get()
        spent = [0.0]
        if trace is None:  # the FSM writer, the inbox, the outbox: by statement
            what = str(args[0])[:28] if args else getattr(fn, "__name__", "?")

            def alone(*a: Any, **k: Any) -> Any:
                t0 = perf()
                try:
                    return fn(*a, **k)
                finally:
                    spent[0] = perf() - t0

            t0 = perf()
            try:
                return await execute(self, alone, *args, **kwargs)
            finally:
                UNTRACED.append((what, spent[0], perf() - t0, perf()))

        def run(*a: Any, **k: Any) -> Any:
            t0 = perf()
            try:
                return fn(*a, **k)
            finally:
                spent[0] = perf() - t0

        t0 = perf()
        try:
            return await execute(self, run, *args, **kwargs)
        finally:
            trace.add("sqlite", spent[0])
            trace.add("sqlwait", perf() - t0 - spent[0])

    aiosqlite.Connection._execute = a_execute  # type: ignore[method-assign]

    # --- batched autocommit writes: FSM upserts, and the update's other single statements
    writer_cls = autocommit.AutocommitWriter
    execute_many, execute_ = writer_cls.execute_many, writer_cls.execute

    async def f_write(self: Any, *args: Any) -> None:
        with timed("fsm"):
            await execute_many(self, *args)

    async def s_write(self: Any, *args: Any) -> Any:
        with timed("single"):
            return await execute_(self, *args)

    writer_cls.execute_many = f_write  # type: ignore[method-assign]
    writer_cls.execute = s_write  # type: ignore[method-assign]

    # --- Bot API
    make_request = AiohttpSession.make_request

    async def m_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        with timed("api"):
            return await make_request(self, *args, **kwargs)

    AiohttpSession.make_request = m_request  # type: ignore[method-assign]

    # --- FSM isolation lock (SQLite: in the process; REDIS_URL: in Redis, its commands
    # charged to ``redis``, the rest of the wait to ``lock``)
    from aiogram.fsm.storage.redis import RedisEventIsolation

    from bot.data.redis_fsm import PrefetchingRedisEventIsolation

    def timed_lock(lock: Any) -> Any:
        @contextlib.asynccontextmanager
        async def i_lock(self: Any, key: Any) -> Any:
            t0 = perf()
            trace = CURRENT.get()
            redis0 = trace.parts.get("redis", 0.0) if trace else 0.0
            async with lock(self, key):
                redis = (trace.parts.get("redis", 0.0) if trace else 0.0) - redis0
                charge("lock", perf() - t0 - redis)
                yield

        return i_lock

    for isolation in (SimpleEventIsolation, RedisEventIsolation, PrefetchingRedisEventIsolation):
        isolation.lock = timed_lock(isolation.lock)  # type: ignore[method-assign]

    # --- PostgreSQL statements, Redis commands
    from redis.asyncio.client import Pipeline, Redis
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_cursor

    def timed_async(part: str, method: Any) -> Any:
        async def timed_method(*args: Any, **kwargs: Any) -> Any:
            with timed(part):
                return await method(*args, **kwargs)

        return timed_method

    cursor = AsyncAdapt_asyncpg_cursor
    cursor._prepare_and_execute = timed_async("pg", cursor._prepare_and_execute)  # type: ignore[method-assign]
    Redis.execute_command = timed_async("redis", Redis.execute_command)  # type: ignore[method-assign]
    Pipeline.execute = timed_async("redis", Pipeline.execute)  # type: ignore[method-assign]

    # --- GC
    started: list[float] = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = perf()
        else:
            GC_PAUSES.append((started[0], perf(), info.get("generation", -1)))

    gc.callbacks.append(on_gc)

    # --- feed_update
    dispatcher = app.dispatcher
    original = dispatcher.feed_update

    async def feed_update(bot: Any, update: Any, **kwargs: Any) -> Any:
        return await traced_feed(original, bot, update, **kwargs)

    dispatcher.feed_update = feed_update


async def ticker() -> None:
    """Loop lag: a 2 ms sleep that woke late, as the interval it was late by."""
    while True:
        expected = perf() + 0.002
        await asyncio.sleep(0.002)
        now = perf()
        if now - expected > 0.001:
            LAGS.append((expected, now))


def _overlap(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)


PARTS = (
    "own",
    "lock",
    "gate",
    "pool",
    "sqlite",
    "sqlwait",
    "fsm",
    "single",
    "pg",
    "redis",
    "api",
    "ready",
)


def report(since: float, label: str) -> list[str]:
    """Lines: the slowest 1 % of the updates handled since ``since`` vs the median ones."""
    traces = [t for t in TRACES if t.start >= since and t.end]
    if len(traces) < 100:
        return [f"{label}: only {len(traces)} updates"]
    traces.sort(key=lambda t: t.end - t.start)
    n = len(traces)
    tail = traces[-max(1, n // 100) :]
    middle = traces[n // 2 - n // 100 : n // 2 + n // 100]
    gcs = [(a, b) for a, b, _g in GC_PAUSES if b >= since]
    lags = [lag for lag in LAGS if lag[1] >= since]

    def row(group: list[Trace]) -> dict[str, float]:
        out: dict[str, float] = {}
        for t in group:
            total = t.end - t.start
            inside = {p: t.parts.get(p, 0.0) for p in PARTS if p != "ready"}
            # own includes the time charged to nested parts that ran synchronously? no:
            # gate/pool/sqlwait are awaited (outside own); fsm/api/lock likewise.
            accounted = sum(inside.values())
            inside["ready"] = max(0.0, total - accounted)
            inside["total"] = total
            inside["gc"] = _overlap(gcs, t.start, t.end)
            inside["lag"] = _overlap(lags, t.start, t.end)
            inside["hold"] = t.parts.get("hold", 0.0)
            inside["turns"] = float(t.turns)
            for key, value in inside.items():
                out[key] = out.get(key, 0.0) + value
        return {key: value / len(group) for key, value in out.items()}

    lines = [f"{label}: {n} updates; mean ms per update (share of total)"]
    for name, group in (("slowest 1%", tail), ("median 2%", middle)):
        r = row(group)
        total = r["total"]
        parts = ", ".join(
            f"{p} {r[p] * 1000:.1f} ({r[p] / total:.0%})" for p in PARTS if r.get(p, 0) > 0
        )
        lines.append(
            f"  {name:10} total {total * 1000:.1f} ms, turns {r['turns']:.0f}: {parts}; "
            f"overlapping: gc {r['gc'] * 1000:.1f}, loop lag {r['lag'] * 1000:.1f}, "
            f"gate held {r['hold'] * 1000:.1f}"
        )
    steps: dict[int, int] = {}
    for t in tail:
        steps[t.step] = steps.get(t.step, 0) + 1
    lines.append(f"  slowest 1% by step index: {dict(sorted(steps.items()))}")
    pauses = [b - a for a, b in gcs]
    if pauses:
        by_gen: dict[int, list[float]] = {}
        for a, b, g in GC_PAUSES:
            if b >= since:
                by_gen.setdefault(g, []).append(b - a)
        lines.append(
            "  gc pauses: "
            + ", ".join(
                f"gen{g} {len(v)}× max {max(v) * 1000:.1f} ms sum {sum(v) * 1000:.0f} ms"
                for g, v in sorted(by_gen.items())
            )
        )
    if lags:
        lag = sorted(b - a for a, b in lags)
        lines.append(
            f"  loop lag >1 ms: {len(lag)}×, p50 {statistics.median(lag) * 1000:.1f} ms, "
            f"max {lag[-1] * 1000:.1f} ms, sum {sum(lag) * 1000:.0f} ms"
        )
    holds = sorted(h for h in HOLDS if h[3] >= since)
    if holds:
        d = [h[0] for h in holds]
        with_api = sum(1 for h in holds if h[2])
        lines.append(
            f"  gate holds: {len(d)}, p50 {statistics.median(d) * 1000:.1f} ms, p99 "
            f"{d[int(len(d) * 0.99)] * 1000:.1f} ms, max {d[-1] * 1000:.1f} ms; "
            f"{with_api} with a Bot API call inside; by step (count): " + str(_by_step(holds))
        )
    calls: dict[str, list[tuple[float, float]]] = {}
    for what, thread, total, end in UNTRACED:
        if end >= since:
            calls.setdefault(what, []).append((thread, total))
    for what, values in sorted(calls.items(), key=lambda kv: -sum(v[1] for v in kv[1]))[:6]:
        threads = sorted(v[0] for v in values)
        totals = sorted(v[1] for v in values)
        lines.append(
            f"  untraced {what!r}: {len(values)}×, in SQLite's thread mean "
            f"{statistics.mean(threads) * 1000:.1f} max {threads[-1] * 1000:.1f} ms; awaited mean "
            f"{statistics.mean(totals) * 1000:.1f} p99 {totals[int(len(totals) * 0.99)] * 1000:.1f} ms"
        )
    return lines


def _by_step(holds: list[tuple[float, int, int, float]]) -> dict[int, str]:
    out: dict[int, list[float]] = {}
    for d, step, _api, _end in holds:
        out.setdefault(step, []).append(d)
    return {s: f"{len(v)}×{statistics.mean(v) * 1000:.1f}ms" for s, v in sorted(out.items())}
