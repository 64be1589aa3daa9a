"""Round trips per update of the full bot on the production profile (not a test).

Run: ``.venv/bin/python bench/roundtrips.py [--users N] [--database URL] [--redis URL]``
(defaults: 50 users, the Makefile's BENCH_DATABASE and BENCH_REDIS).  It runs
bench/dialog.py's full worker in this process (``runpy``) with asyncpg and redis-py patched
to count every request to the servers, then prints per handled update:

* PostgreSQL: each asyncpg request that waits for the server's answer — simple queries
  (BEGIN, COMMIT, ROLLBACK), statement preparations (a cache miss of SQLAlchemy's
  per-connection prepared statement cache), executions of prepared statements, pool
  pre-pings (``SELECT ;`` with its own BEGIN/ROLLBACK);
* the pool's checkouts and the sessions' BEGIN/COMMIT/ROLLBACK (SQLAlchemy events);
* Redis: each command (a pipeline counts once), by command name.

Counts do not depend on the machine's load (unlike timings): the measure to compare
branches by.  Everything the process sends is counted, the outbox sender and the
scheduler included (their share is small: they poll once a second or less).
"""

from __future__ import annotations

import argparse
import contextvars
import functools
import json
import runpy
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG: Counter[str] = Counter()
REDIS: Counter[str] = Counter()
POOL: Counter[str] = Counter()
UPDATES = [0]
_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("roundtrip", default=False)


def _label(query: Any) -> str:
    text = str(query).strip().rstrip(";")
    if not text:
        return "; (pool pre-ping)"
    words = text.split()
    head = words[0].upper()
    if head in {"INSERT", "DELETE"} and len(words) > 2:
        return f"{head} {words[2]}"
    if head == "UPDATE" and len(words) > 1:
        return f"{head} {words[1]}"
    if head == "SELECT" and "FROM" in words:
        return f"SELECT … FROM {words[words.index('FROM') + 1]}"
    return " ".join(words[:2])


def _count(kind: str, method: Any) -> Any:
    @functools.wraps(method)
    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _inside.get():
            return await method(self, *args, **kwargs)
        query = getattr(self, "_query", None)
        if query is None:  # a Connection: the query is the first argument
            query = args[0] if args else ""
        PG[f"{kind} {_label(query)}"] += 1
        token = _inside.set(True)
        try:
            return await method(self, *args, **kwargs)
        finally:
            _inside.reset(token)

    return counted


def patch_asyncpg() -> None:
    from asyncpg.connection import Connection
    from asyncpg.prepared_stmt import PreparedStatement

    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare"):
        setattr(
            Connection,
            name,
            _count(name if name == "prepare" else "query", getattr(Connection, name)),
        )
    for name in ("fetch", "fetchrow", "fetchval", "executemany"):
        setattr(PreparedStatement, name, _count("run", getattr(PreparedStatement, name)))


def patch_redis() -> None:
    from redis.asyncio.client import Pipeline, Redis

    original = Redis.execute_command

    @functools.wraps(original)
    async def execute_command(self: Any, *args: Any, **options: Any) -> Any:
        REDIS[str(args[0]).upper()] += 1
        return await original(self, *args, **options)

    Redis.execute_command = execute_command  # type: ignore[method-assign]
    execute = Pipeline.execute

    @functools.wraps(execute)
    async def pipeline_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        names = "+".join(str(c[0][0]).upper() for c in self.command_stack)
        REDIS[f"pipeline {names}"] += 1
        return await execute(self, *args, **kwargs)

    Pipeline.execute = pipeline_execute  # type: ignore[method-assign]


def patch_sqlalchemy() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    for name in ("checkout", "connect", "close"):
        event.listen(Pool, name, functools.partial(lambda n, *_: POOL.update([n]), name))
    for name in ("begin", "commit", "rollback"):
        event.listen(Engine, name, functools.partial(lambda n, *_: POOL.update([n]), name))


def patch_dispatcher() -> None:
    from aiogram import Dispatcher

    original = Dispatcher.feed_update

    @functools.wraps(original)
    async def feed_update(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        finally:
            UPDATES[0] += 1

    Dispatcher.feed_update = feed_update  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args, rest = parser.parse_known_args()  # the rest: bench/dialog.py's (--pool-size …)
    patch_asyncpg()
    patch_redis()
    patch_sqlalchemy()
    patch_dispatcher()
    sys.argv = ["bench/dialog.py", "--worker", "full", "--users", str(args.users)]
    sys.argv += ["--database", args.database, "--redis", args.redis, *rest]
    sys.path.insert(0, str(ROOT / "bench"))
    stdout = sys.stdout
    sys.stdout = sys.stderr  # the worker's JSON line: not ours
    try:
        runpy.run_path(str(ROOT / "bench" / "dialog.py"), run_name="__main__")
    except SystemExit as done:
        if done.code not in (0, None):
            raise
    finally:
        sys.stdout = stdout
    updates = UPDATES[0] or 1
    result = {
        "updates": UPDATES[0],
        "postgresql": round(sum(PG.values()) / updates, 2),
        "redis": round(sum(REDIS.values()) / updates, 2),
        "checkouts": round(POOL["checkout"] / updates, 2),
        "pg_by_kind": {k: round(v / updates, 3) for k, v in PG.most_common()},
        "redis_by_command": {k: round(v / updates, 3) for k, v in REDIS.most_common()},
        "sessions": {k: round(v / updates, 3) for k, v in POOL.most_common()},
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['updates']} updates handled; per update:")
    print(f"  PostgreSQL round trips {result['postgresql']}, pool checkouts {result['checkouts']}")
    for key, value in result["pg_by_kind"].items():
        print(f"    {value:7.3f}  {key}")
    print(f"  SQLAlchemy: {result['sessions']}")
    print(f"  Redis commands {result['redis']}")
    for key, value in result["redis_by_command"].items():
        print(f"    {value:7.3f}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
