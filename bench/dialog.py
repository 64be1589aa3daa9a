"""Benchmark (not a test): the full bot against a bare aiogram echo bot, 200 parents at once.

Run: ``.venv/bin/python bench/dialog.py [--users N] [--rate R] [--strict]`` (``make bench``: 200
users). Exit code 1 if a dialogue did not complete (or, with ``--strict``, a target is missed).

What runs
    Both bots poll the SAME fake Telegram Bot API (tests/tgfake ``FakeTelegram``,
    ``callback_timeout=None``) over real HTTP on 127.0.0.1, as in production:
    * full: ``bot.app.BotApp.create(settings)`` (BOT_API_URL = the fake, a temp
      SQLite DATABASE_URL, STAFF_CHAT_ID = a fake group, fixed date 2025-11-15) run by
      ``BotApp.run_polling()`` — migrations, FSM in SQLite, i18n, the outbox sender
      and the reminder scheduler included;
    * echo: tests/tgfake/echo.py ``build_echo_dispatcher()`` polled by ``dp.start_polling``.
    Each bot runs in its own child process (so that its peak RSS is its own); the fake
    server and the simulated users share that process and its event loop, as in the tests.

The dialogue (17 updates per user, the same kinds for both bots)
    /start → press the language → the full application as tests/apply_support.py
    ``application_inputs`` describes it (the one description, counted by
    tests/test_apply_inputs.py, so a wizard change breaks that test rather than this bench):
    /apply → press "I agree" (by callback-data prefix) → the relation (a reply button's
    text) → full name → IIN → the phone as a shared contact → address → child's name →
    child's IIN → disability term → school → certificate details → a PDF document → IBAN →
    press "Send the application".  IINs and IBANs are valid and unique per user.  The echo
    bot gets the same texts, contact and document (which it downloads, as the wizard does),
    its "Ping" button pressed where the wizard's buttons are pressed.  Half of the users
    speak Kazakh, half Russian.  The full run is checked: every user must have a submitted
    application in the database, every echo user must have got a reply to every update.

Polling mode: handle_as_tasks=True (production, ``BotApp.run_polling()`` default)
    aiogram then confirms updates to getUpdates BEFORE handling them, so the fake's own
    "handled" detection (exact only with handle_as_tasks=False) is not used.  Instead the
    bench wraps ``Dispatcher.feed_update`` (the outermost call of an update: the FSM lock,
    every middleware, the handler and every Bot API request it awaits) and resolves a
    per-update future when it returns; the user then takes the next step.
    ``--sequential`` runs both bots with handle_as_tasks=False for comparison.

Latency (the same measure for both bots)
    per update: from the moment the simulated user queued it at the fake server to the
    moment ``feed_update`` returned for it ("queue → handled"): long-poll delivery,
    waiting behind other updates, the FSM lock and the handling itself.  Fire-and-forget
    work (the staff card, sent later by the outbox sender) is not part of it.

Two phases per bot, new users each time
    1. throughput: the users answer at once (no think time) — updates/s is the capacity.
       The latency of this phase is mostly queueing (Little's law: ≈ users / throughput),
       it is printed but it is not the target.
    2. latency: the same dialogue at a fixed offered load: every user thinks
       users/``--rate`` seconds ± 50 % (uniform) before each step, so the users together
       offer about ``--rate`` updates/s (default 100; the printed figure is updates over the
       whole phase, a little lower because of the stragglers) — p50/p99 "queue → handled"
       at that load are the figures checked against the target.  The same load for both
       bots; 100/s is far above a real peak (200 parents typing take ~10 s per answer).
    Throughput ratio (full/echo) of phase 1 target ≥ 0.5; p99 of phase 2 target < 50 ms.
    CPU ms per update (process CPU time / updates, all threads) is printed as well: it is
    the cost that does not depend on how the phases overlap waiting.

Same aiogram runtime for both bots
    The full bot applies bot/speedups.py in ``BotApp.create`` (aiogram's
    ``Response[T]`` models kept alive, magic filters evaluated in place instead of in a
    thread, routers without handlers for an update's type skipped); the echo bot gets the same two calls so that the ratio measures the bot's
    own work (``--echo-as-shipped`` runs it without them).  The fake server's call log is
    cleared every second in both runs (harness memory, not the bot's).

Peak RSS: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of each child process (bot + fake
server + simulated users); the figure before the bot was built is printed too.

Production profile and several processes (bench/processes.py): ``--database
postgresql+asyncpg://… --redis redis://…`` runs the same bench with the full bot on a scratch
PostgreSQL database (created and dropped on that server) and Redis (``make bench-production``);
``--processes N`` runs the dialogue against 1, then N webhook bot processes sharing them behind
one endpoint and compares CPU per update and every user's answers (``make bench-processes``).
Both print one line "skipped: …" and exit 0 when PostgreSQL or Redis is unreachable.
``--pool-size``/``--max-overflow`` set the bot's DATABASE_POOL_SIZE/DATABASE_MAX_OVERFLOW.

Profiling: ``--profile FILE`` writes a cProfile of the full bot's phases (cProfile
undercounts code behind SQLAlchemy's greenlets; ``.venv/bin/pip install py-spy`` then
``.venv/bin/py-spy record -r 200 --nonblocking -f raw -o OUT -- .venv/bin/python
bench/dialog.py --worker full --users 200`` gives a truer picture: collapsed stacks, one
line per stack with its sample count.  Samples of aiosqlite's worker threads waiting in
``tx.get()`` (core.py, the ``_connection_worker_thread`` line that takes the next call) are
idle time that py-spy counts as active; the line that runs ``function()`` is SQLite's work).
``--tail`` (full bot) prints, per phase, where the slowest 1 % of the updates spent their
time against the median ones: the FSM lock, the write gate, pool, SQLite's thread, the
batched FSM upsert, Bot API calls, GC pauses and event-loop lag (bench/tail.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.telegram_emulator.models import ChatState, FakeMessage  # noqa: E402
from tests.tgfake.echo import build_echo_dispatcher  # noqa: E402
from tests.tgfake.people import FakeUser  # noqa: E402
from tests.tgfake.server import FakeTelegram  # noqa: E402

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
STAFF_CHAT_ID = -1001234567890
STAFF_IDS = "501,502"
TODAY = dt.date(2025, 11, 15)
BOT_TOKEN = "123456789:BENCH-token"
ACTION_TIMEOUT = 120.0
TAIL: Any = None  # bench/tail.py with --tail


# --------------------------------------------------------------------------- measuring


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Recorder:
    """Queue time of every update and a future resolved when the bot handled it."""

    queued: dict[int, float] = field(default_factory=dict)
    waiting: dict[int, asyncio.Future[None]] = field(default_factory=dict)
    e2e: list[float] = field(default_factory=list)  # queue → handled, seconds
    inside: list[float] = field(default_factory=list)  # feed_update only, seconds
    unknown: int = 0

    def reset(self) -> None:
        self.e2e.clear()
        self.inside.clear()

    def expect(self, update_id: int, future: asyncio.Future[None]) -> None:
        self.queued[update_id] = time.perf_counter()
        self.waiting[update_id] = future

    def handled(self, update_id: int, entered: float) -> None:
        now = time.perf_counter()
        queued = self.queued.pop(update_id, None)
        future = self.waiting.pop(update_id, None)
        if queued is None or future is None:
            self.unknown += 1
            return
        self.e2e.append(now - queued)
        self.inside.append(now - entered)
        if not future.done():
            future.set_result(None)


def instrument(dispatcher: Any, recorder: Recorder) -> None:
    """Wrap ``feed_update`` (called by the polling loop for each update) on the instance."""
    original = dispatcher.feed_update

    async def feed_update(bot: Any, update: Any, **kwargs: Any) -> Any:
        entered = time.perf_counter()
        try:
            return await original(bot, update, **kwargs)
        finally:
            recorder.handled(update.update_id, entered)

    dispatcher.feed_update = feed_update


class BenchTelegram(FakeTelegram):
    """The fake server whose user actions wait for ``feed_update`` to return
    (exact with handle_as_tasks=True too) instead of getUpdates confirmation + quiet."""

    def __init__(self, recorder: Recorder, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder = recorder

    async def deliver(
        self, chat: ChatState, kind: str, payload: dict[str, Any], timeout: float | None = None
    ) -> list[FakeMessage]:
        if not self._is_allowed(kind):
            raise AssertionError(f"the bot does not receive {kind} updates")
        start = len(chat.bot_log)
        update_id, _confirmed = self.push_update(kind, payload)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.recorder.expect(update_id, done)  # no await since push_update: cannot be late
        if TAIL is not None:
            TAIL.remember_step(update_id)
        try:
            await asyncio.wait_for(done, ACTION_TIMEOUT if timeout is None else timeout)
        except TimeoutError:
            raise AssertionError(self.report(f"update {update_id} ({kind}) not handled")) from None
        return chat.bot_log[start:]


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# --------------------------------------------------------------------------- the dialogue


@dataclass(frozen=True)
class Step:
    kind: str  # text | press | contact | document | photo
    value: str = ""  # text, callback-data prefix of the inline button to press, phone


_IIN_SERIALS: dict[tuple[dt.date, str], list[str]] = {}


def unique_iin(birth: dt.date, century_sex: str, index: int) -> str:
    """The ``index``-th valid IIN for ``birth`` (distinct for distinct indexes)."""
    from tests.apply_support import make_iin

    found = _IIN_SERIALS.setdefault((birth, century_sex), [])
    serial = int(found[-1][7:11]) + 1 if found else 1
    while len(found) <= index:
        value = make_iin(birth, century_sex, serial)
        found.append(value)
        serial = int(value[7:11]) + 1
    return found[index]


def person(n: int) -> Any:
    """Parent number ``n``'s answers: tests/apply_support.py ``Person`` with unique IINs and
    IBAN (n = 10_000… in phase 1, 20_000… in phase 2)."""
    from tests.apply_support import APPLICANT_BIRTH, CHILD_BIRTH, Person, make_iban, spaced

    index = (n // 10_000) * 1_000 + n % 10_000
    return Person(
        iin=unique_iin(APPLICANT_BIRTH, "4", index),
        child_iin=unique_iin(CHILD_BIRTH, "5", index),
        cert_number=f"№ {n}/2025",
        iban=spaced(make_iban(f"125KZT{n:010d}")),
    )


def wizard_steps(n: int, language: str) -> list[Step]:
    """The full application of parent number ``n``: /start, the language, then the one
    shared description of the wizard (tests/apply_support.py ``application_inputs``,
    counted by tests/test_apply_inputs.py) — a wizard change breaks that test, not the bench."""
    from tests.apply_support import application_inputs

    steps = [Step("text", "/start"), Step("press", f"lang:{language}")]
    for item in application_inputs(language, person(n)):
        steps.append(Step(item.kind, item.value))
    return steps


def echo_steps(n: int, language: str) -> list[Step]:
    """The same kinds of updates, in the same order, for the echo bot."""
    return [Step(s.kind, "ping") if s.kind == "press" else s for s in wizard_steps(n, language)]


async def press(user: FakeUser, data: str) -> list[FakeMessage]:
    """Press the inline button whose callback data starts with ``data`` (latest message)."""
    for message in reversed(user.chat.bot_log):
        if message.deleted:
            continue
        markup = message.reply_markup or {}
        for row in markup.get("inline_keyboard") or ():
            for button in row:
                found = button.get("callback_data")
                if found and str(found).startswith(data):
                    return await user.press_data(str(found), message=message)
    raise AssertionError(f"user {user.id}: no button {data!r}; last: {user.last_text!r}")


async def walk(user: FakeUser, steps: list[Step], think: Callable[[], float] | None) -> int:
    done = 0
    for index, step in enumerate(steps):
        if TAIL is not None:
            TAIL.STEP.set(index)
        if think is not None:
            await asyncio.sleep(think())
        if step.kind == "text":
            replies = await user.send(step.value)
        elif step.kind == "press":
            replies = await press(user, step.value)
        elif step.kind == "contact":
            replies = await user.send_contact(step.value)
        elif step.kind == "document":
            replies = await user.send_document(step.value, "application/pdf")
        elif step.kind == "photo":
            replies = await user.send_photo(size=300_000)
        else:
            raise AssertionError(f"unknown step {step}")
        if not replies:
            raise AssertionError(f"user {user.id}: no reply to {step}")
        done += 1
    return done


# --------------------------------------------------------------------------- one bot


@dataclass
class Phase:
    users: int
    updates: int
    seconds: float
    cpu: float
    e2e: list[float]
    inside: list[float]

    def summary(self) -> dict[str, float]:
        return {
            "users": self.users,
            "updates": self.updates,
            "seconds": self.seconds,
            "ups": self.updates / self.seconds,
            "cpu_ms_per_update": self.cpu / self.updates * 1000,
            "p50": percentile(self.e2e, 50) * 1000,
            "p99": percentile(self.e2e, 99) * 1000,
            "max": max(self.e2e) * 1000,
            "inside_p50": percentile(self.inside, 50) * 1000,
            "inside_p99": percentile(self.inside, 99) * 1000,
        }


async def run_phase(
    tg: BenchTelegram,
    recorder: Recorder,
    make_steps: Callable[[int, str], list[Step]],
    first_id: int,
    users: int,
    think: Callable[[], float] | None,
) -> Phase:
    people = [
        (tg.user(first_id + i, f"Parent {i}", language_code="kk" if i % 2 else "ru"), i)
        for i in range(users)
    ]
    scripts = [make_steps(first_id + i, "kk" if i % 2 else "ru") for _, i in people]
    recorder.reset()

    async def forget_calls() -> None:  # the fake logs every request: harness memory
        while True:
            await asyncio.sleep(1.0)
            tg.clear_calls()

    janitor = asyncio.create_task(forget_calls())
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    try:
        counts = await asyncio.gather(
            *(walk(u, s, think) for (u, _), s in zip(people, scripts, strict=True))
        )
    finally:
        janitor.cancel()
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    assert len(recorder.e2e) == sum(counts), (len(recorder.e2e), sum(counts))
    return Phase(users, sum(counts), seconds, cpu, list(recorder.e2e), list(recorder.inside))


async def wait_polling(tg: FakeTelegram, task: asyncio.Task[Any]) -> None:
    for _ in range(3000):
        if tg.calls_of("getUpdates"):
            return
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    raise AssertionError("the bot did not start polling")


async def submitted_count(app: Any, first_id: int, users: int) -> int:
    from sqlalchemy import func, select

    from bot.data.models import Application

    async with app.context.sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.status == "submitted")
            .where(Application.user_id.between(first_id, first_id + users - 1))
        )
    return int(count or 0)


async def run_bot(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    recorder = Recorder()
    tg = BenchTelegram(recorder, callback_timeout=None, timeout=ACTION_TIMEOUT)
    await tg.start()
    tg.group(STAFF_CHAT_ID, "Staff")
    handle_as_tasks = not args.sequential
    rss_base = peak_rss_mb()
    tmp = tempfile.TemporaryDirectory(prefix="bench-dialog-")
    app: Any = None
    store = contextlib.AsyncExitStack()  # --database/--redis: bench/processes.py
    if kind == "full":
        from processes import production_store

        from bot.app import BotApp
        from bot.clock import Clock
        from bot.settings import Settings

        database_url, token = await store.enter_async_context(production_store(args))
        pool = {"database_pool_size": args.pool_size} if args.pool_size else {}
        if args.max_overflow is not None:
            pool["database_max_overflow"] = args.max_overflow
        settings = Settings(
            _env_file=None,
            bot_token=token,
            bot_api_url=tg.base_url,
            database_url=database_url,
            redis_url=args.redis,
            staff_chat_id=STAFF_CHAT_ID,
            staff_user_ids=STAFF_IDS,
            **pool,
        )
        app = await BotApp.create(settings, clock=Clock(fixed=TODAY))
        dispatcher = app.dispatcher
        if args.tail:
            global TAIL
            import tail as TAIL

            TAIL.install(app)
            store.callback(asyncio.create_task(TAIL.ticker()).cancel)
        instrument(dispatcher, recorder)
        runner: Awaitable[None] = app.run_polling(
            handle_signals=False, handle_as_tasks=handle_as_tasks
        )
        make_steps = wizard_steps
    else:
        dispatcher = build_echo_dispatcher()
        bot = tg.make_bot(BOT_TOKEN)
        if not args.echo_as_shipped:  # the full bot does this in BotApp.create
            from bot.speedups import inline_magic_filters, keep_response_models, skip_idle_routers

            keep_response_models(bot)
            inline_magic_filters(dispatcher)
            skip_idle_routers(dispatcher)
        instrument(dispatcher, recorder)
        runner = dispatcher.start_polling(
            bot, handle_as_tasks=handle_as_tasks, handle_signals=False, polling_timeout=10
        )
        make_steps = echo_steps
    task = asyncio.create_task(runner)
    load_before = os.getloadavg()[0]
    profiler = None
    try:
        await wait_polling(tg, task)
        if args.profile and kind == "full":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        since = time.perf_counter()
        throughput = await run_phase(tg, recorder, make_steps, 10_000, args.users, None)
        if TAIL is not None:
            print("\n".join(TAIL.report(since, "throughput phase")), file=sys.stderr)
        verified = True
        if app is not None:
            verified = await submitted_count(app, 10_000, args.users) == args.users
        rng = random.Random(7)
        since = time.perf_counter()
        mean_think = args.users / args.rate  # every user, one step per mean_think ± 50 %
        latency = await run_phase(
            tg, recorder, make_steps, 20_000, args.users, lambda: mean_think * rng.uniform(0.5, 1.5)
        )
        if TAIL is not None:
            print("\n".join(TAIL.report(since, "latency phase")), file=sys.stderr)
        if app is not None:
            verified = verified and await submitted_count(app, 20_000, args.users) == args.users
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
    finally:
        if not task.done():
            await dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if kind == "echo":
            await bot.session.close()
        await tg.stop()
        tmp.cleanup()
        await store.aclose()
    return {
        "kind": kind,
        "loadavg": [load_before, os.getloadavg()[0]],
        "handle_as_tasks": handle_as_tasks,
        "throughput": throughput.summary(),
        "latency": latency.summary(),
        "rss_base_mb": rss_base,
        "rss_peak_mb": peak_rss_mb(),
        "verified": verified,
        "server_errors": len(tg.server_errors),
        "unknown_updates": recorder.unknown,
    }


# --------------------------------------------------------------------------- report


def child(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind]
    command += ["--users", str(args.users), "--rate", str(args.rate)]
    if args.sequential:
        command.append("--sequential")
    if args.echo_as_shipped:
        command.append("--echo-as-shipped")
    if args.profile:
        command += ["--profile", args.profile]
    if args.tail:
        command.append("--tail")
    for option in ("database", "redis", "pool_size", "max_overflow"):
        if getattr(args, option) is not None:
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {kind} bot run failed (exit code {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(result: dict[str, Any]) -> None:
    t, lat = result["throughput"], result["latency"]
    print(
        f"  {result['kind']:4}  capacity {t['ups']:6.0f} updates/s, {t['cpu_ms_per_update']:.2f} ms CPU"
        f"/update ({t['updates']} updates in {t['seconds']:.1f} s; saturated: p50 {t['p50']:.0f} ms, "
        f"p99 {t['p99']:.0f} ms of queueing)"
    )
    print(
        f"        at {lat['ups']:.0f} updates/s: queue→handled p50 {lat['p50']:.1f} ms, "
        f"p99 {lat['p99']:.1f} ms, max {lat['max']:.0f} ms (of which inside feed_update: "
        f"p50 {lat['inside_p50']:.1f} ms, p99 {lat['inside_p99']:.1f} ms)"
    )
    # capacity × CPU per update: how much of a core the process got while saturated (the
    # bot, the fake server and the users share one event loop: ~100 % when it alone sets the
    # pace; less when the machine's other processes, PostgreSQL or Redis take the cores)
    busy = t["ups"] * t["cpu_ms_per_update"] / 10
    load = result.get("loadavg") or [float("nan")] * 2
    print(
        f"        saturated: the process busy {busy:.0f} % of a core; load average (1 min) "
        f"{load[0]:.2f} at the start, {load[1]:.2f} at the end"
    )
    print(
        f"        peak RSS {result['rss_peak_mb']:.0f} MB (before the bot was built — Python, aiogram, fake server: "
        f"{result['rss_base_mb']:.0f} MB)"
        + ("" if result["verified"] else "  !! NOT VERIFIED: some dialogues did not complete")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="simulated parents (default 200)")
    parser.add_argument(
        "--rate",
        type=float,
        default=100.0,
        help="offered load of the latency phase, updates/s over all users (default 100)",
    )
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="poll with handle_as_tasks=False (production uses True)",
    )
    parser.add_argument(
        "--echo-as-shipped",
        action="store_true",
        help="do not give the echo bot bot/speedups.py (the full bot always has them)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed (default: report)"
    )
    parser.add_argument("--profile", help="write a cProfile of the full bot's run to this file")
    parser.add_argument(
        "--database",
        help="production profile: a PostgreSQL URL (postgresql+asyncpg://…); each run creates "
        "and drops its own database on that server (bench/processes.py)",
    )
    parser.add_argument("--redis", help="production profile: REDIS_URL (FSM, event isolation)")
    parser.add_argument(
        "--processes",
        type=int,
        help="N webhook bot processes behind one endpoint (needs --database and --redis): "
        "1 process, then N, compared (bench/processes.py)",
    )
    parser.add_argument("--pool-size", type=int, help="DATABASE_POOL_SIZE of the bot")
    parser.add_argument("--max-overflow", type=int, help="DATABASE_MAX_OVERFLOW of the bot")
    parser.add_argument(
        "--tail",
        action="store_true",
        help="full bot: print where the slowest 1%% of updates spend their time (bench/tail.py)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="run both bots N times (echo, full, echo, full …) and report the medians (default 1)",
    )
    parser.add_argument("--worker", choices=("full", "echo"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.processes or args.database or args.redis:
        import processes

        if args.processes:
            return processes.main(args)
        if not args.worker and (
            problem := asyncio.run(processes.services_problem(args.database, args.redis))
        ):
            print(f"skipped: {problem}: the production profile needs it")
            return 0

    if args.worker:
        result = asyncio.run(run_bot(args.worker, args))
        print(json.dumps(result))
        return 0

    started = time.perf_counter()
    mode = (
        "handle_as_tasks=False (--sequential)"
        if args.sequential
        else "handle_as_tasks=True as in production"
    )
    print(
        f"dialog bench: {args.users} users × {len(wizard_steps(10_000, 'ru'))} updates (/start, "
        "language, /apply, consent, the wizard's answers, contact, PDF, Send) vs a bare aiogram echo bot, both polling the fake Bot API "
        f"with {mode}.\n"
        "  handled = Dispatcher.feed_update returned (bench hook; the fake's getUpdates "
        "confirmation is not exact with tasks). latency = queue → handled, per update, same "
        "for both bots."
    )
    if args.database or args.redis:
        where = "a scratch PostgreSQL database" if args.database else "SQLite"
        print(f"  profile: production — the full bot on {where}, REDIS_URL {args.redis or 'unset'}")
    runs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for number in range(1, max(1, args.runs) + 1):
        if args.runs > 1:
            print(f"  run {number} of {args.runs}")
        echo = child("echo", args)
        full = child("full", args)
        for result in (full, echo):
            show(result)
        runs.append((full, echo))
    ratios = [full["throughput"]["ups"] / echo["throughput"]["ups"] for full, echo in runs]
    p99s = [full["latency"]["p99"] for full, _echo in runs]
    if len(runs) > 1:
        show_medians(runs)
    ratio, p99 = statistics.median(ratios), statistics.median(p99s)
    ok_ratio, ok_p99 = ratio >= TARGET_RATIO, p99 < TARGET_P99_MS
    ok = ok_ratio and ok_p99
    median = f"median of {len(runs)} runs: " if len(runs) > 1 else ""
    print(
        f"  {median}throughput ratio full/echo {ratio:.2f} (target ≥ {TARGET_RATIO}) "
        f"{'OK' if ok_ratio else 'MISSED'}; full p99 {p99:.1f} ms at "
        f"{statistics.median(f['latency']['ups'] for f, _e in runs):.0f} updates/s "
        f"(target < {TARGET_P99_MS:.0f} ms) "
        f"{'OK' if ok_p99 else 'MISSED'}; {time.perf_counter() - started:.0f} s in all"
    )
    if not all(full["verified"] and echo["verified"] for full, echo in runs):
        return 1
    return 0 if ok or not args.strict else 1


def show_medians(runs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """The median of each figure over the runs (each run: a new echo and full bot process)."""
    print(f"  medians of {len(runs)} runs (each figure on its own):")
    for index, kind in enumerate(("full", "echo")):
        results = [run[index] for run in runs]

        def med(phase: str, key: str) -> float:
            return statistics.median(r[phase][key] for r in results)  # noqa: B023

        rss = max(r["rss_peak_mb"] for r in results)
        print(
            f"  {kind:4}  capacity {med('throughput', 'ups'):6.0f} updates/s, "
            f"{med('throughput', 'cpu_ms_per_update'):.2f} ms CPU/update; at "
            f"{med('latency', 'ups'):.0f} updates/s p50 {med('latency', 'p50'):.1f} ms, "
            f"p99 {med('latency', 'p99'):.1f} ms; peak RSS (max) {rss:.0f} MB"
        )
    ratios = sorted(f["throughput"]["ups"] / e["throughput"]["ups"] for f, e in runs)
    print(f"  ratios full/echo per run: {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    sys.exit(main())
