"""The production profile and several bot processes for bench/dialog.py (not a test).

* ``--database postgresql+asyncpg://… --redis redis://…``: the single-process bench on
  PostgreSQL + Redis.  The bench creates a scratch database on that server for each run
  (``bench_<random>``; the URL's own database is only used to connect) and drops it at the
  end; the bot gets a random bot id, so its Redis keys (``fsm:<bot id>:…``) meet no other
  run's, and they are deleted at the end.
* ``--processes N`` (needs both): the same dialogue against N ``python -m bot``-like
  processes in webhook mode (``BotApp.run_webhook``: the inbox, Redis FSM and event
  isolation, the outbox sender, the scheduler's leader election — all as in production),
  sharing one scratch PostgreSQL database and Redis.  The fake Bot API stays in this
  process; every update a simulated user sends is POSTed at once (as Telegram does, with
  the secret token) to the next process in turn, so consecutive updates of one user are
  handled by different processes (per-user order: the user waits for the answer, and
  aiogram's RedisEventIsolation locks the user across processes).  Each bot process
  reports "update N handled after S s" on its stdout when ``Dispatcher.feed_update``
  returns (the hook of bench/dialog.py).  Run first with one process, then with N, both
  in webhook mode: CPU per update (process CPU time from /proc, all threads, of every bot
  process) is compared (target: N within 10 % of 1), and the bot's answers to every user
  must be the same in both runs (application numbers masked) and every application
  submitted.  Before the measured phases every process is warmed up (10 users' dialogues
  per process, not counted: what a fresh process builds on first use is paid once per
  process, not per update).  Peak RSS is each bot process's VmHWM.

Skips (exit code 0, one line) when PostgreSQL or Redis is unreachable: it is a bench.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import re
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dialog  # noqa: E402

SECRET = "bench-" + "Zq8xW3vR7tK2mN9pL4sJ6hG1fD5cB0aY"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TARGET_CPU_OVERHEAD = 0.10
WARMUP_USERS = 10  # per process, before the measured phases
NUMBER = re.compile(r"ALA-\d{4}-\d+")


# --------------------------------------------------------------------------- services


def admin_dsn(url: str) -> str:
    """asyncpg's DSN of a SQLAlchemy URL (postgresql+asyncpg://… → postgresql://…)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


async def services_problem(database: str | None, redis: str | None) -> str | None:
    """Why the production bench cannot run here (None: PostgreSQL and Redis answer)."""
    if database is not None:
        if not database.startswith("postgresql"):
            return f"--database must be a PostgreSQL URL (postgresql+asyncpg://…), not {database}"
        import asyncpg

        try:
            connection = await asyncpg.connect(admin_dsn(database), timeout=3)
            await connection.close()
        except (OSError, TimeoutError, asyncpg.PostgresError) as error:
            return f"PostgreSQL at {host_of(database)} is unreachable ({type(error).__name__})"
    if redis is not None:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        client = Redis.from_url(redis, socket_connect_timeout=3)
        try:
            await client.ping()
        except (OSError, RedisError) as error:
            return f"Redis at {host_of(redis)} is unreachable ({type(error).__name__})"
        finally:
            await client.aclose()
    return None


def host_of(url: str) -> str:
    return url.split("@")[-1].split("://")[-1].split("/")[0]


@contextlib.asynccontextmanager
async def scratch_database(url: str) -> AsyncIterator[str]:
    """A new empty database on the server of ``url`` for one run, dropped afterwards."""
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn(url), timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        admin = await asyncpg.connect(admin_dsn(url), timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def bench_token() -> str:
    """A bot id of its own: this run's Redis keys meet no other run's."""
    return f"{random.randint(10**8, 10**9 - 1)}:BENCH-token"


async def forget_redis_keys(redis: str, token: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis)
    try:
        bot_id = token.split(":", 1)[0]
        keys = [key async for key in client.scan_iter(match=f"fsm:{bot_id}:*", count=1000)]
        for start in range(0, len(keys), 500):
            await client.delete(*keys[start : start + 500])
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def production_store(args: argparse.Namespace) -> AsyncIterator[tuple[str, str]]:
    """(database URL, bot token) of one run: a scratch PostgreSQL database when
    ``--database`` is given (else a temporary SQLite file), keys cleaned from Redis after."""
    token = bench_token() if args.redis else dialog.BOT_TOKEN
    try:
        if args.database:
            async with scratch_database(args.database) as url:
                yield url, token
        else:
            with tempfile.TemporaryDirectory(prefix="bench-dialog-") as folder:
                yield f"sqlite+aiosqlite:///{folder}/bench.sqlite3", token
    finally:
        if args.redis:
            await forget_redis_keys(args.redis, token)


# --------------------------------------------------------------------------- a bot process


def bot_process() -> None:
    """One bot process in webhook mode (settings from the environment), reporting each
    handled update on stdout: "<update id> <seconds inside feed_update>"."""
    from bot.app import BotApp
    from bot.clock import Clock
    from bot.settings import Settings

    out = sys.stdout

    async def serve() -> None:
        settings = Settings(_env_file=None)
        logging.basicConfig(  # as python -m bot does
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        app = await BotApp.create(settings, clock=Clock(fixed=dialog.TODAY))
        dispatcher = app.dispatcher
        original = dispatcher.feed_update

        async def feed_update(bot: Any, update: Any, **kwargs: Any) -> Any:
            entered = time.perf_counter()
            try:
                return await original(bot, update, **kwargs)
            finally:
                out.write(f"{update.update_id} {time.perf_counter() - entered:.6f}\n")
                out.flush()

        dispatcher.feed_update = feed_update  # type: ignore[method-assign]
        await app.run_webhook()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


# --------------------------------------------------------------------------- the cluster


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class ClusterTelegram(dialog.BenchTelegram):
    """The fake Bot API as Telegram in webhook mode: each queued update is POSTed at
    once to the next bot process in turn (again after 50 ms when not answered 200)."""

    def __init__(self, recorder: dialog.Recorder, targets: list[str], **kwargs: Any) -> None:
        super().__init__(recorder, **kwargs)
        self.targets = targets
        self.http: Any = None
        self.turn = 0
        self.posted = [0] * len(targets)
        self._posts: set[asyncio.Task[None]] = set()

    def push_update(self, kind: str, payload: dict[str, Any]) -> tuple[int, asyncio.Future[None]]:
        update_id, done = super().push_update(kind, payload)
        for pending in reversed(self._queue):
            if pending.update_id == update_id:
                self._queue.remove(pending)
                index = self.turn % len(self.targets)
                self.turn += 1
                self.posted[index] += 1
                task = asyncio.create_task(self._post(index, pending))
                self._posts.add(task)
                task.add_done_callback(self._posts.discard)
                break
        return update_id, done

    async def _post(self, index: int, pending: Any) -> None:
        import aiohttp

        while True:
            try:
                async with self.http.post(
                    self.targets[index], json=pending.payload, headers={SECRET_HEADER: SECRET}
                ) as response:
                    if response.status == 200:
                        break
            except (OSError, aiohttp.ClientError):
                pass
            await asyncio.sleep(0.05)
        if not pending.done.done():
            pending.done.set_result(None)


def transcript(tg: Any, user_id: int) -> list[str]:
    """What the bot said to a user, application numbers masked (they differ by order)."""
    return [NUMBER.sub("ALA-#", message.text or "") for message in tg.messages(user_id)]


async def settled(tg: Any, first_id: int, users: int) -> None:
    """Wait until the bot has said nothing more for a second (the outbox's last
    notifications of the last users), at most 30 s."""
    last, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + 30
    while time.monotonic() < deadline:
        said = sum(len(tg.messages(uid)) for uid in range(first_id, first_id + users))
        if said != last:
            last, quiet_since = said, time.monotonic()
        elif time.monotonic() - quiet_since > 1.0:
            return
        await asyncio.sleep(0.1)


async def submitted(database: str, first_id: int, users: int) -> int:
    import asyncpg

    connection = await asyncpg.connect(admin_dsn(database), timeout=5)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM applications WHERE status = 'submitted' "
            "AND user_id BETWEEN $1 AND $2",
            first_id,
            first_id + users - 1,
        )
    finally:
        await connection.close()
    return int(count)


async def run_cluster(count: int, args: argparse.Namespace) -> dict[str, Any]:
    """The dialogue's two phases against ``count`` webhook processes."""
    import aiohttp

    recorder = dialog.Recorder()
    ports = [free_port() for _ in range(count)]
    tg = ClusterTelegram(
        recorder,
        [f"http://127.0.0.1:{port}/webhook" for port in ports],
        callback_timeout=None,
        timeout=dialog.ACTION_TIMEOUT,
    )
    await tg.start()
    tg.group(dialog.STAFF_CHAT_ID, "Staff")
    handled = [0] * count
    logs = tempfile.TemporaryDirectory(prefix="bench-processes-")

    async def read(index: int, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            update_id, inside = line.split()
            handled[index] += 1
            recorder.handled(int(update_id), time.perf_counter() - float(inside))

    async with production_store(args) as (database, token):
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": token,
            "BOT_API_URL": tg.base_url,
            "DATABASE_URL": database,
            "REDIS_URL": args.redis,
            "STAFF_CHAT_ID": str(dialog.STAFF_CHAT_ID),
            "STAFF_USER_IDS": dialog.STAFF_IDS,
            "WEBHOOK_URL": "https://bot.example.kz/webhook",
            "WEBHOOK_SECRET": SECRET,
            "LOG_LEVEL": "WARNING",
            "DOCUMENTS_DIR": f"{logs.name}/documents",
        }
        if args.pool_size:
            env["DATABASE_POOL_SIZE"] = str(args.pool_size)
        if args.max_overflow is not None:
            env["DATABASE_MAX_OVERFLOW"] = str(args.max_overflow)
        processes = []
        files = contextlib.ExitStack()  # the bot processes' logs (stderr)
        for index, port in enumerate(ports):
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--bot-process",
                    cwd=logs.name,
                    env={**env, "WEBHOOK_PORT": str(port)},
                    stdout=asyncio.subprocess.PIPE,
                    stderr=files.enter_context(open(Path(logs.name, f"bot{index}.log"), "wb")),  # noqa: SIM115
                )
            )
        readers = [
            asyncio.create_task(read(i, p.stdout))  # type: ignore[arg-type]
            for i, p in enumerate(processes)
        ]
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as tg.http:
                for _ in range(6000):
                    if len(tg.calls_of("setWebhook")) >= count:
                        break
                    for index, process in enumerate(processes):
                        if process.returncode is not None:
                            log = Path(logs.name, f"bot{index}.log").read_text()
                            raise SystemExit(f"bot process {index} stopped:\n{log[-3000:]}")
                    await asyncio.sleep(0.01)
                else:
                    raise SystemExit("the bot processes did not start")
                rss_base = [proc_peak_rss_mb(p.pid) for p in processes]
                # Warm-up, not measured: a fresh process pays once for what it builds on first
                # use (SQLAlchemy's compiled statements, asyncpg's prepared ones per connection,
                # pydantic validators, lazily imported modules); N processes pay it N times.
                if args.warmup:
                    await dialog.run_phase(
                        tg, recorder, dialog.wizard_steps, 30_000, args.warmup * count, None
                    )
                phases = {}
                for name, first_id, think in (
                    ("throughput", 10_000, None),
                    ("latency", 20_000, args.users / args.rate),
                ):
                    rng = random.Random(7)
                    cpu0 = [proc_cpu(p.pid) for p in processes]
                    done0 = list(handled)
                    phase = await dialog.run_phase(
                        tg,
                        recorder,
                        dialog.wizard_steps,
                        first_id,
                        args.users,
                        None if think is None else (lambda t=think, r=rng: t * r.uniform(0.5, 1.5)),
                    )
                    cpu = [proc_cpu(p.pid) - c for p, c in zip(processes, cpu0, strict=True)]
                    phase.cpu = sum(cpu)
                    summary = phase.summary()
                    summary["per_process"] = [
                        {
                            "updates": h - d,
                            "cpu_ms_per_update": c / max(h - d, 1) * 1000,
                        }
                        for h, d, c in zip(handled, done0, cpu, strict=True)
                    ]
                    phases[name] = summary
                verified = all(
                    [
                        await submitted(database, 10_000, args.users) == args.users,
                        await submitted(database, 20_000, args.users) == args.users,
                    ]
                )
                rss = [proc_peak_rss_mb(p.pid) for p in processes]
                await settled(tg, 20_000, args.users)
                answers = {
                    uid: transcript(tg, uid)
                    for first in (10_000, 20_000)
                    for uid in range(first, first + args.users)
                }
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
            for process in processes:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(process.wait(), 10)
            for task in [*readers, *tg._posts]:
                task.cancel()
            await tg.stop()
            files.close()
            failed = sys.exc_info()[0] is not None
            for index in range(count):
                logged = Path(logs.name, f"bot{index}.log").read_text(errors="replace")
                problems = [
                    line for line in logged.splitlines() if " WARNING " in line or " ERROR " in line
                ]
                if problems:
                    print(
                        f"        bot process {index} logged {len(problems)} warning(s)/error(s), the first: {problems[0][:300]}"
                    )
            if failed:  # keep the bot processes' logs for a look
                kept = Path(tempfile.mkdtemp(prefix="bench-processes-logs-"))
                for index in range(count):
                    Path(logs.name, f"bot{index}.log").replace(kept / f"bot{index}.log")
                print(f"        the bot processes' logs: {kept}")
    logs.cleanup()
    return {
        "processes": count,
        "throughput": phases["throughput"],
        "latency": phases["latency"],
        "rss_base_mb": rss_base,
        "rss_peak_mb": rss,
        "verified": verified,
        "server_errors": len(tg.server_errors),
        "unknown_updates": recorder.unknown,
        "answers": answers,
    }


def show_cluster(result: dict[str, Any]) -> None:
    t, lat = result["throughput"], result["latency"]
    count = result["processes"]
    print(
        f"  {count} process{'es' if count > 1 else ''}: capacity {t['ups']:.0f} updates/s, "
        f"{t['cpu_ms_per_update']:.2f} ms CPU/update over all processes "
        f"({t['updates']} updates in {t['seconds']:.1f} s; saturated p50 {t['p50']:.0f} ms, "
        f"p99 {t['p99']:.0f} ms of queueing)"
    )
    per = ", ".join(
        f"#{i}: {p['updates']} updates, {p['cpu_ms_per_update']:.2f} ms"
        for i, p in enumerate(t["per_process"])
    )
    print(f"        per process (capacity phase): {per}")
    print(
        f"        at {lat['ups']:.0f} updates/s: queue→handled p50 {lat['p50']:.1f} ms, "
        f"p99 {lat['p99']:.1f} ms, max {lat['max']:.0f} ms "
        f"({lat['cpu_ms_per_update']:.2f} ms CPU/update)"
    )
    peaks = ", ".join(f"{mb:.0f}" for mb in result["rss_peak_mb"])
    print(
        f"        peak RSS per process {peaks} MB"
        + ("" if result["verified"] else "  !! NOT VERIFIED: some applications were not submitted")
    )


def main(args: argparse.Namespace) -> int:
    """``bench/dialog.py --processes N``: one webhook process, then N; exit code 1 when a
    dialogue went wrong (or, with ``--strict``, the CPU target is missed)."""
    args.warmup = getattr(args, "warmup", WARMUP_USERS)
    if not (args.database and args.redis):
        print("--processes needs --database postgresql+asyncpg://… and --redis redis://…")
        return 2
    problem = asyncio.run(services_problem(args.database, args.redis))
    if problem is not None:
        print(f"skipped: {problem}: the several-processes bench needs PostgreSQL and Redis")
        return 0
    started = time.perf_counter()
    print(
        f"processes bench: {args.users} users × the apply dialogue, webhook mode, PostgreSQL + "
        f"Redis, updates POSTed round-robin; 1 process, then {args.processes}."
    )
    results = []
    for count in sorted({1, args.processes}):
        result = asyncio.run(run_cluster(count, args))
        show_cluster(result)
        results.append(result)
    one, many = results[0], results[-1]
    same = sum(one["answers"][uid] == many["answers"][uid] for uid in one["answers"])
    correct = same == len(one["answers"]) and all(r["verified"] for r in results)
    ratio = many["throughput"]["cpu_ms_per_update"] / one["throughput"]["cpu_ms_per_update"]
    ok_cpu = ratio <= 1 + TARGET_CPU_OVERHEAD
    print(
        f"  CPU/update with {many['processes']} processes / 1 process: {ratio:.2f} (target ≤ "
        f"{1 + TARGET_CPU_OVERHEAD:.2f}) {'OK' if ok_cpu else 'MISSED'}; answers the same as "
        f"with 1 process for {same}/{len(one['answers'])} users "
        f"{'OK' if correct else 'WRONG'}; {time.perf_counter() - started:.0f} s in all"
    )
    if not correct:
        shown = 0
        for uid, said in one["answers"].items():
            other = many["answers"][uid]
            if said != other and shown < 5:
                shown += 1
                at = next(
                    (i for i, (a, b) in enumerate(zip(said, other, strict=False)) if a != b),
                    min(len(said), len(other)),
                )
                first = said[at][:120] if at < len(said) else "(nothing)"
                second = other[at][:120] if at < len(other) else "(nothing)"
                print(
                    f"  user {uid}, message {at + 1}: 1 process said {first!r}; "
                    f"{many['processes']} processes said {second!r}"
                )
    print("RESULT " + json.dumps([{k: v for k, v in r.items() if k != "answers"} for r in results]))
    if not correct:
        return 1
    return 0 if ok_cpu or not args.strict else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--bot-process"]:
        bot_process()
