"""Several bot processes on one database (bot/data/instances.py).

* Two webhook processes on PostgreSQL + Redis behind a "load balancer" that
  alternates every update between them: every parent's /apply wizard completes
  (its steps handled by both processes in turn), each reminder is sent once and
  only one process runs the scheduler.
* Without REDIS_URL a second process is refused with a one-line error (the
  wizard's state would be cached per process), and so is a process with Redis
  next to one without; on SQLite a second process is refused whatever REDIS_URL
  says.

`python -m bot` runs as subprocesses against the fake Bot API. In webhook mode the
fake's queued updates are POSTed by `Balancer` (as Telegram would, with the secret
token), one at a time, each to the next process; an update counts as handled when
that process logs aiogram's "Update id=N is handled".
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from bot.app import BotApp
from bot.clock import Clock
from bot.data import inbox as inbound
from bot.data.engine import create_engine
from bot.data.migrate import alembic_config
from bot.data.models import Application, OutboxMessage
from bot.settings import Settings
from bot.usecases.applications import submit
from bot.usecases.transitions import StaffMember, perform
from core.months import Month
from core.status import Action
from tests.apply_support import LABELS, Person, answer_all, begin, joined
from tests.chat import start_in
from tests.conftest import STAFF_CHAT_ID, STAFF_IDS
from tests.staff_kit import answers, certificate_file
from tests.test_webhook import SECRET, SECRET_HEADER, free_port, start_update
from tests.tgfake.server import FakeTelegram

REPO = Path(__file__).resolve().parents[1]
LEADS = "this process leads"
ANOTHER = "error: another bot process is using this database"


def bot_token() -> str:
    """A bot id of its own: Redis keys of this test never meet another run's."""
    return f"{random.randint(10**8, 10**9 - 1)}:TEST-token"


def environment(tg: FakeTelegram, token: str, database_url: str, **env: str) -> dict[str, str]:
    values = {
        **os.environ,
        "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "BOT_TOKEN": token,
        "BOT_API_URL": tg.base_url,
        "DATABASE_URL": database_url,
        "STAFF_CHAT_ID": str(STAFF_CHAT_ID),
        "STAFF_USER_IDS": ",".join(str(i) for i in STAFF_IDS),
        "LOG_LEVEL": "WARNING",
        "OUTBOX_POLL_INTERVAL": "0.05",
        "OUTBOX_PRIVATE_INTERVAL": "0",
        "SCHEDULER_INTERVAL": "3600",
        **env,
    }
    for name in ("REDIS_URL", "WEBHOOK_URL", "WEBHOOK_SECRET"):
        if name not in env:
            values.pop(name, None)
    return values


def start(folder: Path, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / f"{name}.log").open("wb"),
    )


async def refused(folder: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run `python -m bot` to its end (the fake Bot API keeps serving meanwhile)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode().strip().splitlines()


@contextlib.contextmanager
def running(*processes: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield None
    finally:
        for process in processes:
            process.kill()
            process.wait(10)


class Balancer:
    """Telegram's webhook delivery through a round-robin load balancer."""

    def __init__(self, tg: FakeTelegram, targets: list[tuple[str, Path]]) -> None:
        self.tg = tg
        self.targets = targets
        self.sent = [0] * len(targets)
        self.to: int | None = None  # set: every update goes to that process
        self._offsets = [0] * len(targets)
        self._logs = [""] * len(targets)

    def _log(self, index: int) -> str:
        path = self.targets[index][1]
        with path.open(encoding="utf-8", errors="replace") as handle:
            handle.seek(self._offsets[index])
            chunk = handle.read()
        self._offsets[index] += len(chunk.encode("utf-8", errors="replace"))
        self._logs[index] += chunk
        return self._logs[index]

    async def run(self) -> None:
        queue = self.tg._queue
        turn = 0
        async with aiohttp.ClientSession() as http:
            while True:
                if not queue:
                    await asyncio.sleep(0.005)
                    continue
                pending = queue[0]
                index = turn % len(self.targets) if self.to is None else self.to
                turn += 1
                url = self.targets[index][0]
                try:
                    async with http.post(
                        url, json=pending.payload, headers={SECRET_HEADER: SECRET}
                    ) as response:
                        status = response.status
                except aiohttp.ClientConnectionError:
                    status = 0
                if status != 200:  # Telegram retries later
                    await asyncio.sleep(0.05)
                    continue
                handled = f"Update id={pending.update_id} is "
                while handled not in self._log(index):
                    await asyncio.sleep(0.01)
                self.sent[index] += 1
                queue.popleft()
                if not pending.done.done():
                    pending.done.set_result(None)


def this_month_person(index: int) -> Person:
    """Answers valid on the real today (the subprocesses' clock is not pinned)."""
    today = Clock().today()
    month = Month.of(today)
    return Person(
        surname=["Омарова", "Сейітова", "Ахметова"][index % 3],
        cert_date=f"01.{month.display()}",
        cert_from=month.display(),
        cert_to=month.plus(5).display(),
        disability_until=f"31.12.{today.year + 2}",
    )


async def approved_with_a_reminder_due(app: BotApp, tg: FakeTelegram, parent_id: int) -> int:
    """An approved application whose certificate ends this month: the
    certificate-end reminder is due today."""
    month = Month.of(Clock().today())
    start = month.plus(-2)
    await app.context.languages.set(parent_id, "ru")
    result = await submit(
        app.context,
        user_id=parent_id,
        language="ru",
        answers=answers(
            cert_date=dt.date(start.year, start.month, 1).isoformat(),
            cert_from=str(start),
            cert_to=str(month),
        ),
        files=[certificate_file(tg)],
    )
    staff = StaffMember(STAFF_IDS[0], "Гүлнар")
    await perform(app.context, result.application_id, Action.TAKE, staff)
    await perform(app.context, result.application_id, Action.APPROVE, staff)
    return result.application_id


async def test_two_webhook_processes_on_postgresql_and_redis(
    tg: FakeTelegram, pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    tg.quiet = 0.05
    tg.timeout = 30.0  # a step of the wizard in a busy subprocess
    tg.group(STAFF_CHAT_ID, "Alatau staff")
    token = bot_token()
    reminded = tg.user(6301, language_code="ru")
    app: BotApp | None = None
    ports = [free_port(), free_port()]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes = [
        start(
            tmp_path,
            name,
            environment(
                tg,
                token,
                pg_url,
                REDIS_URL=redis_url,
                WEBHOOK_URL=f"https://bot.example.kz/{name}",
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_PORT=str(port),
                SCHEDULER_INTERVAL="1",
                LOG_LEVEL="INFO",
            ),
        )
        for name, port in zip(("a", "b"), ports, strict=True)
    ]
    balancer = Balancer(
        tg,
        [(f"http://127.0.0.1:{port}/webhook", log) for port, log in zip(ports, logs, strict=True)],
    )
    forwarding = asyncio.create_task(balancer.run())
    try:
        with running(*processes):
            # Both started together on an empty database: they migrated one after the other.
            await tg.wait_for(
                lambda: len(tg.calls_of("setWebhook")) >= 2, timeout=60, what="both up"
            )
            app = await BotApp.create(  # the test's own window on the data
                Settings(
                    _env_file=None, bot_token=token, bot_api_url=tg.base_url, database_url=pg_url
                ),
                migrate=False,
            )
            await approved_with_a_reminder_due(app, tg, reminded.id)
            # Parents whose Telegram language is Russian and who choose Kazakh or Russian.
            for index, language in enumerate(["kk", "ru", "kk"]):
                parent = tg.user(6401 + index, language_code="ru")
                asked = await begin(parent, language)
                assert asked, "the consent was answered by a question"
                await answer_all(parent, language, this_month_person(index))
                replies = await parent.press(LABELS[language]["send"])
                assert "ALA-" in joined(replies), joined(replies)
            # Each reminder once, though both processes have run their loop for seconds.
            await tg.wait_for(
                lambda: [m for m in tg.messages(reminded.id) if "⏰" in (m.text or "")],
                timeout=30,
                what="the reminder",
            )
            await asyncio.sleep(2.5)  # scheduler_interval 1 s: more runs, nothing more
            leaders = [log.read_text().count(LEADS) for log in logs]
    finally:
        forwarding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await forwarding
    assert app is not None
    try:
        assert min(balancer.sent) >= 20, balancer.sent  # both processes served the wizards
        async with app.context.sessionmaker() as session:
            sent = await session.scalar(
                select(func.count())
                .select_from(Application)
                .where(
                    Application.user_id.in_([6401, 6402, 6403]), Application.status == "submitted"
                )
            )
            reminders = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.dedupe_key.like("reminder:%"))
            )
        assert sent == 3
        assert reminders == 1
        assert len([m for m in tg.messages(reminded.id) if "⏰" in (m.text or "")]) == 1
        assert sorted(leaders) == [0, 1], leaders  # one scheduler for the deployment
    finally:
        await app.close()


HELP = {"kk": "Мен не істей аламын:", "ru": "Что я умею:"}
WITHDRAW_YES = {"kk": "✅ Иә, келісімді кері қайтарып алу", "ru": "✅ Да, отозвать согласие"}


async def test_a_language_or_consent_changed_through_one_process_is_seen_by_the_other(
    tg: FakeTelegram, pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Whatever a process caches of a user (language, consent) is never stale when the
    user's next update reaches another process: each step below goes to the process named,
    and the other one has just served the same user with the old value."""
    tg.quiet = 0.05
    tg.timeout = 30.0
    token = bot_token()
    ports = [free_port(), free_port()]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes = [
        start(
            tmp_path,
            name,
            environment(
                tg,
                token,
                pg_url,
                REDIS_URL=redis_url,
                WEBHOOK_URL=f"https://bot.example.kz/{name}",
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_PORT=str(port),
                LOG_LEVEL="INFO",
            ),
        )
        for name, port in zip(("a", "b"), ports, strict=True)
    ]
    balancer = Balancer(
        tg,
        [(f"http://127.0.0.1:{port}/webhook", log) for port, log in zip(ports, logs, strict=True)],
    )
    forwarding = asyncio.create_task(balancer.run())
    parent = tg.user(6601, language_code="ru")

    async def through(index: int, text: str) -> str:
        balancer.to = index
        return joined(await parent.send(text))

    async def pressed(index: int, label: str) -> str:
        balancer.to = index
        return joined(await parent.press(label))

    try:
        with running(*processes):
            await tg.wait_for(
                lambda: len(tg.calls_of("setWebhook")) >= 2, timeout=60, what="both up"
            )
            balancer.to = 0
            await start_in(parent, "kk")  # A: Kazakh chosen
            assert HELP["kk"] in await through(1, "/help")  # B knows it (and may cache it)
            menu = await parent.send("/language")  # still through A
            [russian] = [b for row in menu[-1].inline_buttons for b in row if "Русский" in b]
            await pressed(0, russian)  # A: switched to Russian
            assert HELP["ru"] in await through(1, "/help")  # B answers in Russian at once
            assert HELP["ru"] in await through(0, "/help")

            # consent: B asks, A records the answer, B does not ask again
            assert "Вы согласны на сбор" in await through(1, "/apply")
            await pressed(0, LABELS["ru"]["agree"])
            resumed = await through(1, "/apply")
            assert "продолжаем с шага 1 из" in resumed and "Вы согласны" not in resumed, resumed
            # withdrawn through A: B asks for the consent again before anything else
            await through(0, "/consent")
            await pressed(0, LABELS["ru"]["withdraw"])
            assert "Ваше согласие отозвано." in await pressed(0, WITHDRAW_YES["ru"])
            again = await through(1, "/apply")
            assert "Вы согласны на сбор" in again and "продолжаем" not in again, again
            assert min(balancer.sent) >= 5, balancer.sent
    finally:
        forwarding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await forwarding


async def test_a_second_process_without_redis_is_refused(
    tg: FakeTelegram, pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    token = bot_token()
    first = start(tmp_path, "first", environment(tg, token, pg_url))
    with running(first):
        await tg.wait_for(lambda: tg.calls_of("getUpdates"), timeout=60, what="the first bot polls")
        code, lines = await refused(tmp_path, environment(tg, token, pg_url))
        assert code == 3
        assert len(lines) == 1 and lines[0].startswith(ANOTHER), lines
        assert "REDIS_URL" in lines[0]
        code, lines = await refused(tmp_path, environment(tg, token, pg_url, REDIS_URL=redis_url))
        assert code == 3
        assert lines == [
            "error: a bot process without REDIS_URL is using this database: "
            "set the same REDIS_URL for every process (or run only one)"
        ]
        assert first.poll() is None  # the first one runs on


async def test_a_second_process_on_one_sqlite_file_is_refused(
    tg: FakeTelegram, redis_url: str, tmp_path: Path
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    token = bot_token()
    first = start(tmp_path, "first", environment(tg, token, database_url))
    with running(first):
        await tg.wait_for(lambda: tg.calls_of("getUpdates"), timeout=60, what="the first bot polls")
        # Redis or not: SQLite serves one process.
        env = environment(tg, token, database_url, REDIS_URL=redis_url)
        code, lines = await refused(tmp_path, env)
        assert code == 3
        assert lines == [
            "error: another bot process is using the SQLite database bot.sqlite3: run one "
            "process per SQLite file (several processes need PostgreSQL and REDIS_URL)"
        ]
        assert first.poll() is None


MIGRATE = "import asyncio, sys; from bot.data.engine import create_engine; from bot.data.migrate import upgrade_to_head; asyncio.run(upgrade_to_head(create_engine(sys.argv[1])))"


async def test_processes_starting_together_migrate_one_after_the_other(
    pg_url: str, tmp_path: Path
) -> None:
    """Four processes migrate an empty database at the same moment: all succeed."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, pg_url],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    errors = [process.communicate(timeout=120)[1].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], errors
    engine = create_engine(pg_url)
    try:
        async with engine.connect() as connection:
            versions = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
    finally:
        await engine.dispose()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert [row[0] for row in versions] == [head]


async def test_pending_updates_of_a_dead_process_are_taken_over_not_those_of_a_live_one(
    tg: FakeTelegram, pg_url: str, redis_url: str
) -> None:
    """Processes with Redis on one PostgreSQL: a process takes over the updates a
    dead process stored but did not finish, never those of a process that runs."""
    settings = Settings(
        _env_file=None,
        bot_token=bot_token(),
        bot_api_url=tg.base_url,
        database_url=pg_url,
        redis_url=redis_url,
    )
    alive = await BotApp.create(settings)
    other = await BotApp.create(settings)
    closed = False
    try:
        await alive.join()
        await other.join()
        inbox, alive_inbox = other.dispatcher.inbox, alive.dispatcher.inbox
        assert inbox is not None and alive_inbox is not None
        busy, orphan = tg.user(6501, language_code="ru"), tg.user(6502, language_code="kk")
        dead = "0f" * 16  # a process that stored an update and died: nobody holds its lock
        await alive_inbox.store([start_update(901, busy.id)])
        await inbound.store(other.context.sessionmaker, [start_update(902, orphan.id)], dead)
        await inbox.start(other.bot)
        try:
            assert await inbox.replay(other.bot) == 1
            await inbox.wait_idle()
            assert len(tg.messages(orphan.id)) == 1  # greeted once, by the other process
            assert tg.messages(busy.id) == []  # the live process's update is left to it
            await alive.close()  # now it is gone: its update is taken over
            closed = True
            assert await inbox.replay(other.bot) == 1
            await inbox.wait_idle()
            assert len(tg.messages(busy.id)) == 1
            assert await inbox.replay(other.bot) == 0
        finally:
            await inbox.stop()
    finally:
        await other.close()
        if not closed:
            await alive.close()
