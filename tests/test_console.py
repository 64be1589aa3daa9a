"""The console chat: `python -m bot` without BOT_TOKEN, driven through stdin.

The subprocess tests run the real command with a scripted stdin and read the
terminal output like the chat: the parent types X → the bot answers Y with
the numbered buttons Z. The in-process tests check the console's Bot API
(formatting errors, files, edits) the way Telegram would answer.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import CONSOLE_TOKEN
from bot.console import run_console
from bot.console.render import parse_size
from bot.console.telegram import ConsoleTelegram
from bot.i18n import create_i18n
from bot.settings import Settings
from bot.telegram_emulator.html import HtmlParseError, parse_html
from bot.views.ui import MENU_CHECK, MENU_LANGUAGE, NO, NOT_SURE, YES

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # a guard against a hang; each run takes 3–10 s


@pytest.fixture(scope="module")
def i18n() -> Any:
    return create_i18n()


def t(i18n: Any, text: str, language: str) -> str:
    return i18n.gettext(text, locale=language)


def console_environment(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment of `python -m bot` without BOT_TOKEN, its database in tmp_path."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "BOT_TOKEN",
            "STAFF_CHAT_ID",
            "STAFF_USER_IDS",
            "REDIS_URL",
            "LOG_LEVEL",
            "WEBHOOK_URL",
        }
    }
    environment.update(
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'console.sqlite3'}",
        **env,
    )
    return environment


def console(tmp_path: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot` with no BOT_TOKEN, the script on stdin; in tmp_path so no .env is read."""
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        input=script,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=console_environment(tmp_path, **env),
        timeout=TIMEOUT,
        check=False,
    )


# Application.stop_background cancels the outbox sender / reminder scheduler wherever they
# are; under load that can be inside a database call, and SQLAlchemy's pool then logs the
# interrupted rollback. That is the background tasks' shutdown (reported), not the console.
_CANCELLED_RESET = re.compile(
    r"^\S+ \S+ ERROR sqlalchemy\.pool\.impl\.\w+: Exception during reset or similar\n"
    r"Traceback \(most recent call last\):\n(?:[ \t].*\n)*asyncio\.exceptions\.CancelledError\n?",
    re.MULTILINE,
)


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    stderr = _CANCELLED_RESET.sub("", result.stderr)
    assert "Traceback" not in stderr, stderr
    assert "Telegram would refuse" not in result.stdout, result.stdout
    assert "the bot failed" not in result.stdout, result.stdout


def after(output: str, marker: str) -> str:
    """The output from the first line with `marker` on."""
    index = output.index(marker)
    return output[index:]


def test_start_in_kazakh_shows_greeting_buttons_and_kazakh_menu(tmp_path: Path, i18n: Any) -> None:
    result = console(tmp_path, "/start\n2\n/help\n")

    assert_clean(result)
    out = result.stdout
    # the banner explains the console in both languages
    assert "/as staff" in out and "/file" in out and "/quit" in out
    assert "Кнопки пронумерованы" in out and "Батырмалар нөмірленген" in out
    # parent: /start → the greeting in both languages with the languages as numbered buttons
    assert "parent> /start" in out
    greeting = after(out, "parent> /start")
    assert "Сәлеметсіз бе!" in greeting and "Здравствуйте!" in greeting
    assert "[1] ✓ Русский" in greeting and "[2] Қазақша" in greeting
    # parent presses 2 → Kazakh, with the main menu as numbered reply buttons
    chosen = after(out, "parent [1-2]> 2")
    assert "↳ Қазақша" in chosen
    assert "Тіл: Қазақша." in chosen
    assert f"[1] {t(i18n, MENU_CHECK, 'kk')}" in chosen
    assert f"[7] {t(i18n, MENU_LANGUAGE, 'kk')}" in chosen
    # /help in Kazakh
    help_text = after(out, "> /help")
    assert "/check" in help_text and "/apply" in help_text
    assert "Мен не істей аламын" in help_text
    assert "bye" in out.splitlines()[-1]


def test_russian_menu_and_check_answered_with_numbers(tmp_path: Path, i18n: Any) -> None:
    result = console(tmp_path, "/start\n1\n/check\n1\n")

    assert_clean(result)
    out = result.stdout
    chosen = after(out, "parent [1-2]> 1")
    assert "Язык: Русский." in chosen
    assert f"[1] {t(i18n, MENU_CHECK, 'ru')}" in chosen
    # /check asks with Yes / No / Not sure as numbered buttons
    check = after(out, "> /check")
    yes, no, unsure = (t(i18n, label, "ru") for label in (YES, NO, NOT_SURE))
    assert f"[1] {yes}  [2] {no}  [3] {unsure}" in check
    # pressing 1 is a button press (callback query): the question is edited, the next one comes
    pressed = after(check, "]> 1")
    assert f"↳ {yes}" in pressed
    assert "bot (edited" in pressed
    assert pressed.count("bot:") >= 1


def test_menu_button_pressed_by_number_and_typed_text(tmp_path: Path, i18n: Any) -> None:
    # 1 → Русский; 1 → the first menu button, sent as its text (reply keyboard); then free text
    result = console(tmp_path, "/start\n1\n/cancel\n1\n")

    assert_clean(result)
    out = result.stdout
    menu_press = out.split("]> 1")[-1]
    assert f"↳ {t(i18n, MENU_CHECK, 'ru')}" in menu_press
    yes, no, unsure = (t(i18n, label, "ru") for label in (YES, NO, NOT_SURE))
    assert f"[1] {yes}  [2] {no}  [3] {unsure}" in menu_press


def test_console_commands_files_roles_and_quit(tmp_path: Path) -> None:
    script = (
        "/start\n1\n"
        "/file certificate.pdf 300K\n"
        "/photo\n"
        "\\1\n"
        "/as staff\n"
        "/as nobody\n"
        "/as parent\n"
        "/quit\n"
        "/start\n"  # after /quit: never read
    )
    result = console(tmp_path, script)

    assert_clean(result)
    out = result.stdout
    assert "STAFF_CHAT_ID is not set" in out and "-1000000000001" in out and "900001" in out
    assert "(sent certificate.pdf, 300.0 KB)" in out
    assert "(sent a photo)" in out
    assert "parent [1-7]> \\1" in out  # a number sent as text, not a press
    assert "now: staff (user 900001) in the staff group (chat -1000000000001)" in out
    assert "usage: /as parent" in out
    assert "now: parent (user 100001)" in out
    # the menu is shown again when the parent comes back
    assert out.rstrip().endswith("bye / сау болыңыз / до свидания")
    assert out.count("> /start") == 1


def test_configured_staff_chat_is_used(tmp_path: Path) -> None:
    result = console(tmp_path, "/as staff\n", STAFF_CHAT_ID="-1009999", STAFF_USER_IDS="77,55")

    assert_clean(result)
    assert "STAFF_CHAT_ID is not set" not in result.stdout
    assert "now: staff (user 55) in the staff group (chat -1009999)" in result.stdout


def test_no_input_exits_cleanly(tmp_path: Path) -> None:
    result = console(tmp_path, "")

    assert_clean(result)
    assert "console chat" in result.stdout
    assert result.stdout.rstrip().endswith("до свидания")


def test_a_line_that_is_not_utf8_is_read_and_the_chat_goes_on(tmp_path: Path, i18n: Any) -> None:
    script = b"/start\n1\n\xd0 broken \xff\n/help\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input=script,
        capture_output=True,
        cwd=tmp_path,
        env=console_environment(tmp_path),
        timeout=TIMEOUT,
        check=False,
    )
    out = result.stdout.decode("utf-8")

    assert result.returncode == 0, result.stderr
    assert "cannot read the input" not in out
    broken = after(out, "broken")
    not_understood = "I did not understand that. Please choose an action in the menu or send /help."
    assert t(i18n, not_understood, "ru") in broken
    assert "/estimate" in after(broken, "> /help")


class Terminal:
    """`python -m bot` in a pseudo-terminal, as a person runs it: lines typed, the screen read."""

    def __init__(self, tmp_path: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=console_environment(tmp_path, TERM="dumb"),
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError):  # EIO once the console has exited
            while data := os.read(self.master, 65536):
                self.output += data

    @property
    def screen(self) -> str:
        return bytes(self.output).decode("utf-8", "replace")

    def type(self, line: str) -> int:
        """Type a line and Enter; returns where the screen was (for `wait_for`)."""
        mark = len(self.screen)
        data = (line + "\n").encode()
        for start in range(0, len(data), 512):
            os.write(self.master, data[start : start + 512])
        return mark

    def wait_for(self, text: str, after: int = 0) -> str:
        """The screen from `after` on, once `text` is on it (a guard of TIMEOUT s against a hang)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            ended = not self.reader.is_alive()  # the console exited and all it wrote is read
            if text in self.screen[after:]:
                return self.screen[after:]
            if ended or time.monotonic() > deadline:
                raise AssertionError(
                    f"{text[:80]!r} never shown; the screen ends:\n{self.screen[-3000:]}"
                )
            time.sleep(0.05)

    def close(self) -> tuple[int, str]:
        code = self.process.wait(TIMEOUT)
        self.reader.join(TIMEOUT)
        os.close(self.master)
        assert self.process.stderr is not None
        return code, self.process.stderr.read().decode("utf-8", "replace")


def test_a_long_pasted_line_in_a_terminal_arrives_whole_and_the_chat_goes_on(
    tmp_path: Path, i18n: Any
) -> None:
    # A terminal keeps at most 4095 bytes of a line: a longer paste used to be cut inside a
    # Cyrillic letter and the console ended with UnicodeDecodeError.
    terminal = Terminal(tmp_path)
    try:
        terminal.wait_for("parent> ")
        terminal.wait_for("[2] Қазақша", terminal.type("/start"))
        terminal.wait_for("Язык: Русский.", terminal.type("1"))

        long_text = "Я" * 2500  # 5000 bytes of UTF-8
        answer = terminal.wait_for(
            t(
                i18n,
                "I did not understand that. Please choose an action in the menu or send /help.",
                "ru",
            ),
            terminal.type(long_text),
        )
        assert "cannot read the input" not in answer
        # the whole line arrived: the console quotes a /press label back in full
        label = "Ж" * 2500 + "!"
        terminal.wait_for(f"«{label}»", terminal.type(f"/press {label}"))
        terminal.wait_for("/estimate", terminal.type("/help"))
        terminal.wait_for("до свидания", terminal.type("/quit"))
    finally:
        if terminal.process.poll() is None and "до свидания" not in terminal.screen:
            terminal.process.kill()
    code, stderr = terminal.close()

    assert code == 0, stderr
    assert "Traceback" not in _CANCELLED_RESET.sub("", stderr), stderr
    assert "cannot read the input" not in terminal.screen


# --- a whole application, then the staff in the staff group ------------------------

PARENT_IIN = "850110400010"  # 10.01.1985, valid control digit
CHILD_IIN = "150302500014"  # 02.03.2015
IBAN = "KZ321250000012345678"
NUMBER = re.compile(r"ALA-\d{4}-\d{6}")
PEOPLE = {
    "ru": (
        "Иванова",
        "Айгерим",
        "ул. Абая, 1, кв. 2",
        "Иванов Арман Серикович",
        "Школа-гимназия № 5",
    ),
    "kk": (
        "Серікова",
        "Айгерім",
        "Абай көшесі, 1-үй, 2-пәтер",
        "Серіков Арман Нұрланұлы",
        "№ 5 мектеп-гимназия",
    ),
}


def application_script(i18n: Any, language: str) -> list[str]:
    """The parent fills in the whole wizard: buttons by label (/press), answers typed."""
    from bot.clock import Clock
    from bot.views.formatting import day
    from bot.views.ui import RELATION_LABELS
    from core.months import Month
    from handlers.apply import AGREE, SEND
    from handlers.apply_steps import INDEFINITE_LABEL

    def press(label: str) -> str:
        return "/press " + t(i18n, label, language)

    today = Clock().today()  # the console runs on the real date: the certificate is dated today
    surname, name, address, child, school = PEOPLE[language]
    return [
        "/start",
        "2" if language == "kk" else "1",
        "/apply",
        press(AGREE),
        press(RELATION_LABELS["mother"]),
        f"{surname} {name}",
        PARENT_IIN,
        "+7 701 234 56 78",
        address,
        child,
        CHILD_IIN,
        press(INDEFINITE_LABEL),
        school,
        f"17-А, {day(today)}, {Month.of(today).display()}–{Month.of(today).plus(8).display()}",
        "/file certificate.pdf 300K",
        IBAN,
        press(SEND),
    ]


def staff_script(i18n: Any, reply: str) -> list[str]:
    """A staff member takes, approves and marks the first quarter paid, then replies to the card."""
    from bot.views.cards import ACTION_BUTTONS, PAY
    from core.status import Action

    def press(label: str) -> str:
        return "/press " + t(i18n, label, "ru")  # the staff chat speaks the default language

    return [
        "/as staff",
        press(ACTION_BUTTONS[Action.TAKE][1]),
        press(ACTION_BUTTONS[Action.APPROVE][1]),
        press("✅ Yes, approve"),
        press(PAY[1]),
        "1",  # the first quarter of the schedule
        press("✅ Yes, paid"),  # confirmed with its amount
        f"/reply {reply}",
        "/as parent",
        "/status",
    ]


def pieces(template: str) -> list[str]:
    """The literal parts of a message template (between its {placeholders}), tags dropped."""
    text = re.sub(r"<[^>]+>", "", template)
    return [part.strip() for part in re.split(r"\{[^}]*\}", text) if len(part.strip()) > 2]


def assert_notified(out: str, template: str, *, between: tuple[str, str]) -> None:
    """The parent's notification arrived after the staff action and before the next one."""
    start = out.index(between[0])
    end = out.index(between[1], start)
    shown = out[start:end]
    assert "→ parent:" in shown, shown
    for part in pieces(template):
        assert part in shown, (part, shown)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_whole_application_then_staff_take_approve_pay_with_parent_notified(
    tmp_path: Path, i18n: Any, language: str
) -> None:
    from bot.views.cards import ACTION_BUTTONS, PAY
    from bot.views.status import STATUS_TEXTS
    from core.status import Action

    reply = (
        "Сәлеметсіз бе! Төлем жіберілді."
        if language == "kk"
        else "Здравствуйте! Выплата отправлена."
    )
    script = application_script(i18n, language) + staff_script(i18n, reply)
    result = console(tmp_path, "\n".join(script) + "\n")

    assert_clean(result)
    out = result.stdout
    assert "no single button" not in out
    # the parent: the application is sent, with its number, in the parent's language
    submitted = after(out, "/press " + t(i18n, "📨 Send the application", language))
    number = NUMBER.search(submitted)
    assert number is not None
    sent = t(i18n, "✅ Your application is sent. Its number is {number}.", language)
    assert sent.format(number=number.group()) in submitted
    # the card and the certificate reach the staff group
    assert "→ staff group: 📝" in submitted and number.group() in submitted
    assert "[file: certificate.pdf, 300.0 KB]" in submitted
    # every staff action is followed by the parent's notification, in the parent's language
    take, approve, confirm, pay = (
        "> /press " + t(i18n, label, "ru")
        for label in (
            ACTION_BUTTONS[Action.TAKE][1],
            ACTION_BUTTONS[Action.APPROVE][1],
            "✅ Yes, approve",
            PAY[1],
        )
    )
    assert_notified(
        out,
        t(
            i18n,
            "🔎 Your application {number} has been taken into review by {department}. We will write to you here when there is a decision.",
            language,
        ),
        between=(take, approve),
    )
    assert_notified(
        out,
        t(i18n, "✅ Your application {number} is approved by {department}.", language),
        between=(confirm, pay),
    )
    assert_notified(
        out,
        t(
            i18n,
            "💰 Paid: quarter {quarter} of the school year {school_year} ({months}) — {amount}.",
            language,
        ),
        between=(pay, "> /reply"),
    )
    # the staff reply to the card is relayed to the parent
    relayed = after(out, "> /reply")
    assert "→ parent:" in relayed and reply in relayed.split("> /as parent")[0]
    # back as the parent: /status shows the approved application
    status = after(out, "> /status")
    assert number.group() in status
    assert t(i18n, STATUS_TEXTS["approved"], language) in status


# --- in-process: the console's Bot API ------------------------------------------------


class Recorder:
    """A Screen that keeps what would be printed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def bot_message(
        self, message: dict[str, Any], shown: str, markup: Any, *, edit: str = ""
    ) -> None:
        self.lines.append(f"{edit or 'new'}:{message['chat']['id']}:{shown}")

    def bot_deleted(self, chat_id: int, message_id: int) -> None:
        self.lines.append(f"deleted:{chat_id}:{message_id}")

    def callback_answer(self, chat_id: int, text: str, alert: bool) -> None:
        self.lines.append(f"answer:{text}:{alert}")

    def rejected(self, method: str, chat_id: int | None, description: str) -> None:
        self.lines.append(f"rejected:{method}:{description}")

    def note(self, text: str) -> None:
        self.lines.append(text)


def chats(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "P"}
    return {"id": chat_id, "type": "supergroup", "title": "Staff"}


@pytest.fixture
async def fake() -> Any:
    screen = Recorder()
    session = ConsoleTelegram(screen, chats)
    bot = Bot(CONSOLE_TOKEN, session=session)
    yield bot, session, screen
    await bot.session.close()


async def test_html_is_shown_as_text_and_bad_html_is_refused_like_telegram(fake: Any) -> None:
    bot, _session, screen = fake

    sent = await bot.send_message(
        100001,
        "<b>Өтініш</b> &lt;1&gt; &amp; <a href='https://egov.kz'>eGov</a>",
        parse_mode="HTML",
    )
    assert sent.text == "Өтініш <1> & eGov"
    assert screen.lines[-1] == "new:100001:Өтініш <1> & eGov (https://egov.kz)"

    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(100001, "IIN <123>", parse_mode="HTML")
    assert screen.lines[-1].startswith("rejected:sendMessage:Bad Request: can't parse entities")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(100001, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            100001,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Иә", callback_data="ә" * 40)]]
            ),
        )


async def test_edits_files_and_callback_answers(fake: Any) -> None:
    bot, session, screen = fake
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Иә", callback_data="y")]]
    )
    sent = await bot.send_message(-100, "Карточка", reply_markup=markup)
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "y"

    edited = await bot.edit_message_text("Карточка ✓", chat_id=-100, message_id=sent.message_id)
    assert edited.text == "Карточка ✓" and edited.reply_markup is None
    assert screen.lines[-1] == "edited:-100:Карточка ✓"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Карточка ✓", chat_id=-100, message_id=sent.message_id)

    document = await bot.send_document(-100, BufferedInputFile(b"a;b\n", filename="export.csv"))
    assert document.document is not None and document.document.file_name == "export.csv"
    stored = session.store_file("certificate.pdf", b"%PDF-1.4 tiny", origin="user")
    downloaded = await bot.download(stored.file_id)
    assert downloaded is not None and downloaded.read() == b"%PDF-1.4 tiny"
    huge = session.store_file("big.pdf", b"%PDF", size=25 * 1024 * 1024, origin="user")
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(huge.file_id)

    emulator = session.emulator
    staff = {"id": 900001, "is_bot": False, "first_name": "S"}
    query_id = emulator.callback_query(
        staff, emulator.chat(-100), emulator.message(-100, sent.message_id), "y"
    )["id"]
    assert await bot.answer_callback_query(query_id, text="Алынды", show_alert=True)
    assert screen.lines[-1] == "answer:Алынды:True"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)


def test_render_helpers() -> None:
    assert parse_html("<pre><code class='language-csv'>a</code></pre>") == (
        "a",
        [{"type": "pre", "language": "csv", "offset": 0, "length": 1}],
    )
    with pytest.raises(HtmlParseError, match="Can't find end tag"):
        parse_html("<b>open")
    with pytest.raises(HtmlParseError, match="Unmatched end tag"):
        parse_html("<b>x</i>")
    assert parse_size("300K") == 300 * 1024
    assert parse_size("2.5MB") == int(2.5 * 1024 * 1024)


async def test_run_console_in_process(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        log_level="WARNING",
    )
    out = io.StringIO()

    code = await run_console(settings, stdin=io.StringIO("/start\n2\n"), stdout=out)

    assert code == 0
    text = out.getvalue()
    assert "Сәлеметсіз бе!" in text and "Здравствуйте!" in text
    assert re.search(r"\[2\] Қазақша", text)
    assert "Тіл: Қазақша." in text


async def test_a_failing_handler_never_stops_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, i18n: Any
) -> None:
    import handlers.errors
    import handlers.start

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(handlers.start, "on_help", broken)
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        log_level="WARNING",
    )
    out = io.StringIO()

    code = await run_console(settings, stdin=io.StringIO("/help\n/start\n"), stdout=out)

    assert code == 0
    text = out.getvalue()
    # the error router apologised, and the next update was handled as usual
    apology = after(text, "> /help").split("> /start")[0]
    sorry = "Sorry, something went wrong on our side. What you entered is kept; please try again."
    assert t(i18n, sorry, "ru") in apology
    assert "Здравствуйте!" in after(text, "> /start")

    # even an error the error router does not take is only reported
    monkeypatch.setattr(handlers.errors, "on_error", broken)
    out = io.StringIO()
    code = await run_console(settings, stdin=io.StringIO("/help\n/start\n"), stdout=out)
    assert code == 0
    assert "the bot failed on this update (RuntimeError)" in out.getvalue()
    assert "Здравствуйте!" in after(out.getvalue(), "> /start")
