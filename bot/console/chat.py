"""The console chat: the real Dispatcher driven from the terminal.

Lines typed by the user become Telegram updates (messages, button presses,
documents) fed to `Dispatcher.feed_update`; what the bot sends comes back
through `ConsoleTelegram` and is printed. Two roles: the parent (private
chat) and a staff member (the staff group); `/as staff`, `/as parent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import queue
import re
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from aiogram.types import Update
from sqlalchemy import func, select

from bot.app import BotApp
from bot.clock import utcnow
from bot.console.render import (
    Choice,
    flat,
    human_size,
    inline_choices,
    keyboard_lines,
    parse_size,
    reply_choices,
)
from bot.console.telegram import ConsoleTelegram
from bot.data.models import Application, OutboxMessage, RelayLink
from bot.settings import Settings
from bot.telegram_emulator.emulator import text_content
from bot.telegram_emulator.files import fake_content
from bot.telegram_emulator.models import FakeMessage

log = logging.getLogger(__name__)

_EDGES = re.compile(r"^[\W_]+|[\W_]+$")

PARENT_ID = 100001
DEMO_STAFF_CHAT_ID = -1000000000001
DEMO_STAFF_USER_ID = 900001

BANNER = """\
══════════ Alatau bot · console chat ══════════
ҚАЗ  Бот терминалда (BOT_TOKEN орнатылмаған). Батырмалар нөмірленген: басу үшін нөмірін
     жазыңыз, кез келген басқа мәтін хабарлама ретінде жіберіледі.
     /as staff — Басқарма қызметкері (топтағы чат), /as parent — ата-ана;
     /file АТАУЫ [КӨЛЕМІ] — құжат жіберу, /photo — сурет, /reply МӘТІН — карточкаға жауап;
     /buttons — батырмаларды қайта көрсету; /quit — шығу.
РУС  Бот в терминале (BOT_TOKEN не задан). Кнопки пронумерованы: чтобы нажать, введите номер,
     любой другой текст уходит сообщением.
     /as staff — сотрудник управления (чат группы), /as parent — родитель;
     /file ИМЯ [РАЗМЕР] — отправить документ, /photo — фото, /reply ТЕКСТ — ответ на карточку;
     /buttons — показать кнопки снова; /quit — выход.
     /press LABEL presses a button by its label · \\5 sends the text "5" · Ctrl+D exits · start with /start
═══════════════════════════════════════════════"""


@dataclass
class Role:
    name: str  # "parent" | "staff"
    user: dict[str, Any]
    chat: dict[str, Any]

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])


@dataclass
class Active:
    """The buttons that numbers press in one chat."""

    rows: list[list[Choice]]
    message_id: int | None  # inline keyboard: the message carrying it; None: the reply keyboard
    one_time: bool = False

    @property
    def choices(self) -> list[Choice]:
        return flat(self.rows)


@dataclass
class ReplyKeyboard:
    rows: list[list[Choice]]
    one_time: bool
    message_id: int  # the message that brought it


def console_settings(settings: Settings) -> tuple[Settings, str | None]:
    """The settings for the console, and a note to print.

    Without STAFF_CHAT_ID a demo staff group is used so the staff role works.
    """
    update: dict[str, object] = {}
    note = None
    if settings.staff_chat_id is None:
        staff_ids = frozenset(settings.staff_user_ids or {DEMO_STAFF_USER_ID})
        update.update(staff_chat_id=DEMO_STAFF_CHAT_ID, staff_user_ids=staff_ids)
        note = (
            f"STAFF_CHAT_ID is not set: the console uses a demo staff group {DEMO_STAFF_CHAT_ID} "
            f"and STAFF_USER_IDS={','.join(str(i) for i in sorted(staff_ids))} (only in this console)."
        )
    if not update:
        return settings, note
    updated = settings.model_copy(update=update)
    updated.__dict__.pop("staff_enabled", None)  # cached_property copied from the original
    return updated, note


class ConsoleChat:
    """Reads lines, feeds updates, prints what the bot sends (the `Screen` of ConsoleTelegram)."""

    def __init__(
        self,
        settings: Settings,
        *,
        stdin: TextIO,
        stdout: TextIO,
        interactive: bool,
        editor: ModuleType | None = None,
    ) -> None:
        self.settings = settings
        self.stdin = stdin
        self.out = stdout
        self.interactive = interactive
        self.editor = editor  # `readline`: reads the typed lines (see `_line_editor`)
        self.prompts: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.session = ConsoleTelegram(self, self.chat_object)
        self.app: Any = None
        self.parent_name = {"first_name": "Demo", "last_name": "Parent", "username": "demo_parent"}
        self.role = self._parent(PARENT_ID)
        self.active: dict[int, Active] = {}
        self.reply_keyboards: dict[int, ReplyKeyboard] = {}
        self.displayed: dict[int, tuple[int | None, list[list[Choice]]]] = {}
        self.force_reply: dict[int, int] = {}
        self.last_with_buttons: dict[int, int] = {}
        self.last_text: dict[int, int] = {}
        self.update_id = 0
        self.prompt_shown = False
        self.files_dir: Path | None = None
        self.lock = threading.Lock()

    # --- chats and roles -----------------------------------------------------

    @property
    def staff_chat_id(self) -> int:
        return int(self.settings.staff_chat_id or DEMO_STAFF_CHAT_ID)

    def _parent(self, user_id: int) -> Role:
        user = {"id": user_id, "is_bot": False, **self.parent_name}
        chat = {"id": user_id, "type": "private", **self.parent_name}
        return Role("parent" if user_id == PARENT_ID else f"parent {user_id}", user, chat)

    def _staff(self, user_id: int) -> Role:
        user = {
            "id": user_id,
            "is_bot": False,
            "first_name": "Demo",
            "last_name": "Staff",
            "username": "demo_staff",
        }
        return Role(
            "staff" if user_id == self.default_staff_id else f"staff {user_id}",
            user,
            self.chat_object(self.staff_chat_id),
        )

    @property
    def default_staff_id(self) -> int:
        ids = self.settings.staff_user_ids
        return min(ids) if ids else DEMO_STAFF_USER_ID

    def chat_object(self, chat_id: int) -> dict[str, Any]:
        if chat_id == self.staff_chat_id:
            return {"id": chat_id, "type": "supergroup", "title": "Staff group (console demo)"}
        if chat_id > 0:
            if chat_id in self.settings.staff_user_ids:
                return {
                    "id": chat_id,
                    "type": "private",
                    "first_name": "Demo",
                    "last_name": "Staff",
                }
            return {"id": chat_id, "type": "private", **self.parent_name}
        return {"id": chat_id, "type": "supergroup", "title": f"Chat {chat_id}"}

    def chat_label(self, chat_id: int) -> str:
        if chat_id == self.staff_chat_id:
            return "staff group"
        if chat_id == PARENT_ID:
            return "parent"
        if chat_id in self.settings.staff_user_ids:
            return f"staff {chat_id} (private)"
        return f"parent {chat_id}" if chat_id > 0 else f"chat {chat_id}"

    # --- output ------------------------------------------------------------------

    def prompt(self) -> str:
        active = self.active.get(self.role.chat_id)
        count = len(active.choices) if active else 0
        choices = f" [1-{count}]" if count > 1 else " [1]" if count else ""
        return f"{self.role.name}{choices}> "

    def write(self, text: str = "") -> None:
        with self.lock:
            if self.interactive and self.prompt_shown:
                self.out.write("\r\033[K")
            self.out.write(text + "\n")
            if self.interactive and self.prompt_shown:
                typed = self.editor.get_line_buffer() if self.editor is not None else ""
                self.out.write(self.prompt() + typed)
            self.out.flush()

    def show_prompt(self) -> None:
        if self.editor is not None:  # the line editor shows it while it reads the line
            self.prompt_shown = True
            self.prompts.put(self.prompt())
        elif self.interactive:
            with self.lock:
                self.out.write(self.prompt())
                self.out.flush()
                self.prompt_shown = True

    def block(self, head: str, body: str, extra: list[str] | None = None) -> None:
        """'head body' with the following lines of body (and extra) indented under it."""
        indent = " " * min(len(head) + 1, 8)
        lines = body.split("\n") if body else [""]
        out = [f"{head} {lines[0]}".rstrip()]
        out += [(indent + line).rstrip() for line in lines[1:]]
        out += [indent + line for line in extra or []]
        self.write("\n".join(out))

    def head(self, chat_id: int, note: str = "") -> str:
        suffix = f" ({note})" if note else ""
        if chat_id == self.role.chat_id:
            return f"bot{suffix}:"
        return f"→ {self.chat_label(chat_id)}{suffix}:"

    # --- Screen (called by ConsoleTelegram) --------------------------------------

    def bot_message(
        self, message: dict[str, Any], shown: str, markup: dict[str, Any] | None, *, edit: str = ""
    ) -> None:
        chat_id = int(message["chat"]["id"])
        message_id = int(message["message_id"])
        rows = self._track_buttons(
            chat_id, message_id, markup, edited=bool(edit) and edit != "forwarded"
        )
        parts = []
        if "document" in message:
            parts.append(self._file_line(message["document"]))
        if "photo" in message:
            largest = message["photo"][-1]
            stored = self.session.stored(largest.get("file_id", ""))
            name = f": {stored.file_name}" if stored is not None and stored.file_name else ""
            parts.append(f"[photo{name}, {human_size(int(largest.get('file_size') or 0))}]")
        note = edit
        if edit == "buttons":
            # Only the buttons changed: name the message by its first line instead of repeating it.
            note = "edited, new buttons" if rows else "edited, buttons removed"
            first = (shown or "").strip().split("\n")[0]
            shown = (
                f"«{first[:60]}{'…' if len(first) > 60 or chr(10) in shown.strip() else ''}»"
                if first
                else ""
            )
        if shown:
            parts.append(shown)
        body = "\n".join(parts)
        numbered = chat_id == self.role.chat_id
        if rows:
            self.displayed[chat_id] = (
                message_id if "inline_keyboard" in (markup or {}) else None,
                rows,
            )
        self.block(
            self.head(chat_id, note),
            body,
            keyboard_lines(rows, numbered=numbered) if rows else None,
        )

    def bot_deleted(self, chat_id: int, message_id: int) -> None:
        active = self.active.get(chat_id)
        if active and active.message_id == message_id:
            self._fall_back(chat_id)
        self.write(f"{self.head(chat_id, 'deleted a message')}".rstrip(":"))

    def callback_answer(self, chat_id: int, text: str, alert: bool) -> None:
        self.block(self.head(chat_id or self.role.chat_id, "alert" if alert else "popup"), text)

    def rejected(self, method: str, chat_id: int | None, description: str) -> None:
        where = f" to {self.chat_label(chat_id)}" if chat_id is not None else ""
        self.write(f"⚠ Telegram would refuse {method}{where}: {description}")

    def note(self, text: str) -> None:
        self.write(text)

    def _file_line(self, document: dict[str, Any]) -> str:
        name = document.get("file_name") or "file"
        line = f"[file: {name}, {human_size(int(document.get('file_size') or 0))}"
        stored = self.session.stored(document.get("file_id", ""))
        if stored is not None and stored.origin == "bot":
            if self.files_dir is None:
                self.files_dir = Path(tempfile.mkdtemp(prefix="alatau-console-"))
            target = self.files_dir / Path(name).name
            if not target.exists():
                with contextlib.suppress(OSError):
                    target.write_bytes(stored.read())
            line += f", saved as {target}"
        return line + "]"

    def _track_buttons(
        self, chat_id: int, message_id: int, markup: dict[str, Any] | None, *, edited: bool
    ) -> list[list[Choice]]:
        """Remember which buttons numbers press in this chat; returns the rows to show.

        Numbers press the buttons of the newest message that shows buttons (an
        inline keyboard or the reply keyboard); when those go away (edited or
        deleted), the newest buttons still on screen take over.
        """
        markup = markup or {}
        if markup.get("inline_keyboard"):
            rows = inline_choices(markup)
            self.active[chat_id] = Active(rows, message_id)
            self.last_with_buttons[chat_id] = message_id
            return rows
        current = self.active.get(chat_id)
        if edited and current is not None and current.message_id == message_id:
            self._fall_back(chat_id)
        if markup.get("keyboard"):
            rows = reply_choices(markup)
            keyboard = ReplyKeyboard(rows, bool(markup.get("one_time_keyboard")), message_id)
            self.reply_keyboards[chat_id] = keyboard
            self.active[chat_id] = Active(rows, None, keyboard.one_time)
            return rows
        if markup.get("remove_keyboard"):
            self.reply_keyboards.pop(chat_id, None)
            if current is not None and current.message_id is None:
                self._fall_back(chat_id)
        if markup.get("force_reply"):
            self.force_reply[chat_id] = message_id
        if not edited:
            self.last_text[chat_id] = message_id
        return []

    def _fall_back(self, chat_id: int) -> None:
        """The newest buttons still on screen in this chat become the numbered ones."""
        candidates: list[tuple[int, Active]] = [
            (message.message_id, Active(inline_choices(message.markup), message.message_id))
            for message in self.session.emulator.chat(chat_id).messages.values()
            if message.from_bot and message.markup and message.markup.get("inline_keyboard")
        ]
        keyboard = self.reply_keyboards.get(chat_id)
        if keyboard is not None:
            candidates.append((keyboard.message_id, Active(keyboard.rows, None, keyboard.one_time)))
        if candidates:
            self.active[chat_id] = max(candidates, key=lambda item: item[0])[1]
        else:
            self.active.pop(chat_id, None)

    # --- input ---------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """One typed line; False to stop."""
        text = line.strip()
        if not text:
            return True
        command, _, rest = text.partition(" ")
        command = command.lower()
        rest = rest.strip()
        if command in ("/quit", "/exit"):
            return False
        if command == "/as":
            self.switch(rest)
        elif command == "/file":
            await self.send_file(rest)
        elif command == "/photo":
            await self.send_photo(rest)
        elif command == "/reply":
            await self.reply(rest)
        elif command == "/buttons":
            self.show_buttons(reactivate=True)
        elif command == "/press":
            await self.press_label(rest)
        elif text.startswith("\\"):
            await self.send_text(text[1:])
        elif (
            text.isdigit()
            and (active := self.active.get(self.role.chat_id))
            and 1 <= int(text) <= len(active.choices)
        ):
            await self.press(active, int(text))
        else:
            await self.send_text(text)
        return True

    def switch(self, rest: str) -> None:
        words = rest.split()
        who = words[0].lower() if words else ""
        user_id: int | None = None
        if len(words) > 1:
            try:
                user_id = int(words[1])
            except ValueError:
                user_id = None
        if who in ("staff", "сотрудник", "қызметкер"):
            self.role = self._staff(user_id or self.default_staff_id)
            self.write(
                f"── now: {self.role.name} (user {self.role.user['id']}) in the staff group (chat {self.role.chat_id}) ──"
            )
            if self.role.user["id"] not in self.settings.staff_user_ids:
                self.write(
                    f"   note: {self.role.user['id']} is not in STAFF_USER_IDS; the bot will refuse staff actions"
                )
        elif who in ("parent", "родитель", "ата-ана"):
            self.role = self._parent(user_id or PARENT_ID)
            self.write(
                f"── now: {self.role.name} (user {self.role.user['id']}) in the private chat with the bot ──"
            )
        else:
            self.write("usage: /as parent [USER_ID] | /as staff [USER_ID]")
            return
        self.show_buttons()

    def show_buttons(self, *, reactivate: bool = False) -> None:
        """Print the numbered buttons of the current chat (`/buttons`, role switch, after a change)."""
        chat_id = self.role.chat_id
        active = self.active.get(chat_id)
        if active is None and reactivate and (keyboard := self.reply_keyboards.get(chat_id)):
            active = self.active[chat_id] = Active(keyboard.rows, None, keyboard.one_time)
        if active is None:
            if reactivate:
                self.write("(no buttons)")
            return
        self.displayed[chat_id] = (active.message_id, active.rows)
        lines = keyboard_lines(active.rows, numbered=True)
        self.write("\n".join(["buttons:", *("  " + line for line in lines)]))

    def show_changed_buttons(self) -> None:
        """The numbered buttons changed without being shown (their message lost its buttons)."""
        active = self.active.get(self.role.chat_id)
        if active is not None and self.displayed.get(self.role.chat_id) != (
            active.message_id,
            active.rows,
        ):
            self.show_buttons()

    def _message(
        self, content: dict[str, Any], reply_to: FakeMessage | None = None
    ) -> dict[str, Any]:
        """The current role's message in its chat (stored in the emulator)."""
        chat = self.session.emulator.chat(self.role.chat_id)
        return self.session.emulator.post(chat, self.role.user, content, reply_to)

    def _shown_message(self, message_id: int | None) -> FakeMessage | None:
        if message_id is None:
            return None
        return self.session.emulator.message(self.role.chat_id, message_id)

    async def send_text(self, text: str) -> None:
        original = self._shown_message(self.force_reply.pop(self.role.chat_id, None))
        await self.feed({"message": self._message(text_content(text), original)})

    async def reply(self, text: str) -> None:
        if not text:
            self.write(
                "usage: /reply TEXT — replies to the last card (the last message with buttons)"
            )
            return
        original = self._shown_message(await self._card_message_id())
        if original is None:
            self.write("(nothing to reply to in this chat yet)")
            return
        self.force_reply.pop(self.role.chat_id, None)
        await self.feed({"message": self._message({"text": text}, original)})

    async def _card_message_id(self) -> int | None:
        """The last application card in this chat (relay link), else the last message with buttons."""
        chat_id = self.role.chat_id
        with contextlib.suppress(Exception):
            async with self.app.context.sessionmaker() as db:
                link = await db.scalar(
                    select(RelayLink)
                    .where(RelayLink.chat_id == chat_id)
                    .order_by(RelayLink.id.desc())
                    .limit(1)
                )
                if link is not None:
                    card = await db.scalar(
                        select(Application.staff_card_message_id).where(
                            Application.id == link.application_id
                        )
                    )
                    return int(card or link.message_id)
        return self.last_with_buttons.get(chat_id) or self.last_text.get(chat_id)

    async def send_file(self, rest: str) -> None:
        try:
            words = shlex.split(rest)
        except ValueError:
            words = rest.split()
        size: int | None = None
        if len(words) > 1:
            with contextlib.suppress(ValueError):
                size = parse_size(words[-1])
                words = words[:-1]
        name = " ".join(words) or "certificate.pdf"
        data = fake_content(name)
        if size is not None and len(data) < size <= 20 * 1024 * 1024:
            data += b"\n%" + b" " * (size - len(data) - 2)
        stored = self.session.store_file(name, data, size, origin="user")
        self.write(f"   (sent {name}, {human_size(stored.size)})")
        document = self.session.emulator.document_json(stored)
        await self.feed({"message": self._message({"document": document})})

    async def send_photo(self, caption: str) -> None:
        stored = self.session.store_file("photo.jpg", fake_content("photo.jpg"), origin="user")
        content: dict[str, Any] = {"photo": self.session.emulator.photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        self.write("   (sent a photo)")
        await self.feed({"message": self._message(content)})

    async def press_label(self, label: str) -> None:
        """`/press LABEL`: the button with this label (or the only one containing it)."""
        active = self.active.get(self.role.chat_id)
        if active is None or not label:
            self.write(
                "usage: /press LABEL — presses the numbered button with this label"
                if not label
                else "(no buttons)"
            )
            return
        wanted = _plain(label)
        labels = [_plain(choice.label) for choice in active.choices]
        found = [i for i, text in enumerate(labels) if text == wanted] or [
            i for i, text in enumerate(labels) if wanted in text
        ]
        if len(found) != 1:
            self.write(f"(no single button matches «{label}»; /buttons shows them)")
            return
        await self.press(active, found[0] + 1)

    async def press(self, active: Active, number: int) -> None:
        choice = active.choices[number - 1]
        chat_id = self.role.chat_id
        self.write(f"   ↳ {choice.label}")
        if choice.kind == "callback":
            message = self._shown_message(active.message_id)
            if message is None:
                self.write("(that message is gone)")
                return
            emulator = self.session.emulator
            query = emulator.callback_query(
                self.role.user, emulator.chat(chat_id), message, choice.value
            )
            await self.feed({"callback_query": query})
            return
        if choice.kind == "url":
            self.write(f"(opens {choice.value})")
            return
        if choice.kind == "copy":
            self.write(f"(copied: {choice.value})")
            return
        if active.one_time:  # Telegram hides it once pressed
            self.reply_keyboards.pop(chat_id, None)
            self._fall_back(chat_id)
        if choice.kind == "contact":
            contact = {
                "phone_number": "+77011234567",
                "first_name": self.role.user.get("first_name", ""),
                "last_name": self.role.user.get("last_name", ""),
                "user_id": self.role.user["id"],
            }
            await self.feed({"message": self._message({"contact": contact})})
        elif choice.kind == "location":
            location = {"latitude": 43.85, "longitude": 77.06}
            await self.feed({"message": self._message({"location": location})})
        elif choice.kind == "text":
            await self.send_text(choice.label)
        else:
            self.write("(this kind of button is not available in the console)")

    async def feed(self, payload: dict[str, Any]) -> None:
        self.update_id += 1
        app = self.app
        update = Update.model_validate(
            {"update_id": self.update_id, **payload}, context={"bot": app.bot}
        )
        try:
            await app.dispatcher.feed_update(app.bot, update)
        except Exception as error:
            # The error router did not take it: the console goes on, the log has the details.
            log.exception("update %s failed", self.update_id)
            self.write(f"⚠ the bot failed on this update ({type(error).__name__}); see the log")

    # --- running ---------------------------------------------------------------

    async def settle(self, limit: float) -> None:
        """Scripted input: let the outbox sender deliver what is due before the next line."""
        for _ in range(5):
            await asyncio.sleep(0)
        if not self.app.background:
            return
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            soon = utcnow() + dt.timedelta(seconds=5)
            try:
                async with self.app.context.sessionmaker() as db:
                    waiting = await db.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status.in_(("pending", "sending")))
                        .where(OutboxMessage.next_attempt_at <= soon)
                    )
            except Exception:
                return
            if not waiting:
                return
            await asyncio.sleep(0.1)

    async def lines(self) -> asyncio.Queue[str | None]:
        """stdin read line by line in a daemon thread (Ctrl+C never waits for it).

        A line that is not valid text is read with replacement characters (or,
        with the line editor, refused with a note) and the console goes on;
        only the end of the input or an unreadable stdin ends it."""
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | None] = asyncio.Queue()

        def put(item: str | None) -> None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(lines.put_nowait, item)

        def edited() -> None:
            while (prompt := self.prompts.get()) is not None:
                try:
                    line = input(prompt)
                except EOFError:
                    return
                except UnicodeDecodeError as error:
                    line = f"\x01{error.encoding}"
                put(line + "\n")

        def piped() -> None:
            raw = getattr(self.stdin, "buffer", None)
            if raw is None:  # a text stream with no bytes below it (tests)
                while line := self.stdin.readline():
                    put(line)
                return
            encoding = getattr(self.stdin, "encoding", None) or "utf-8"
            while data := raw.readline():
                put(data.decode(encoding, "replace"))

        def reader() -> None:
            try:
                if self.editor is not None:
                    edited()
                else:
                    piped()
            except (OSError, ValueError) as error:
                put(f"\x00{type(error).__name__}")
            finally:
                put(None)

        threading.Thread(target=reader, name="console-stdin", daemon=True).start()
        return lines

    async def run(self) -> int:
        self.settings, note = console_settings(self.settings)
        try:
            self.app = await BotApp.create(self.settings, session=self.session)
        except Exception as error:
            print(
                f"console: cannot start the bot: {type(error).__name__}: {error}", file=sys.stderr
            )
            return 1
        app = self.app
        self.write(BANNER)
        if note:
            self.write(note)
        self.write(f"── now: parent (user {PARENT_ID}) in the private chat with the bot ──")
        workflow = {
            "dispatcher": app.dispatcher,
            "bots": [app.bot],
            "bot": app.bot,
            **app.dispatcher.workflow_data,
        }
        try:
            await app.dispatcher.emit_startup(**workflow)
            await app.on_startup()
            queue = await self.lines()
            while True:
                self.show_changed_buttons()
                self.show_prompt()
                line = await queue.get()
                self.prompt_shown = False
                if line is None:
                    if self.interactive:
                        self.write()
                    break
                if line.startswith("\x00"):
                    self.write(f"(cannot read the input: {line[1:]})")
                    break
                if line.startswith("\x01"):
                    self.write(f"(that line is not {line[1:].strip()} text; nothing was sent)")
                    continue
                if not self.interactive and line.strip():
                    self.write(f"{self.prompt()}{line.rstrip()}")
                if not await self.handle(line.rstrip("\r\n")):
                    break
                if not self.interactive:
                    await self.settle(3.0)
            if not self.interactive:
                await self.settle(10.0)
        finally:
            self.prompts.put(None)
            with contextlib.suppress(Exception):
                await app.dispatcher.emit_shutdown(**workflow)
            await app.close()
        self.write("bye / сау болыңыз / до свидания")
        return 0


async def run_console(
    settings: Settings, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """`python -m bot` without BOT_TOKEN: chat with the bot in the terminal. Returns the exit code."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if "log_level" not in settings.model_fields_set:
        logging.getLogger().setLevel(
            logging.WARNING
        )  # no per-update INFO lines between the messages
    with contextlib.suppress(AttributeError, ValueError):
        stdout.reconfigure(errors="replace")  # type: ignore[union-attr]
    interactive = _isatty(stdin) and _isatty(stdout)
    editor = _line_editor(stdin, stdout) if interactive else None
    chat = ConsoleChat(settings, stdin=stdin, stdout=stdout, interactive=interactive, editor=editor)
    with _terminal_kept(stdin if editor is not None else None):
        return await chat.run()


def _line_editor(stdin: TextIO, stdout: TextIO) -> ModuleType | None:
    """`readline` when the console owns the terminal, else None.

    A terminal in its ordinary (canonical) mode keeps at most 4095 bytes of a
    line and drops the rest, which cuts a long pasted line, even inside a
    letter. The line editor reads the keys itself (non-canonical mode), so a
    line of any length arrives whole; it also gives editing and ↑ history."""
    if stdin is not sys.stdin or stdout is not sys.stdout:
        return None  # input() edits only the process's own terminal
    try:
        import readline
    except ImportError:
        return None
    return readline


@contextlib.contextmanager
def _terminal_kept(stdin: TextIO | None) -> Iterator[None]:
    """Restore the terminal's mode on the way out (Ctrl+C may stop the line editor mid-line)."""
    if stdin is None:
        yield
        return
    try:
        import termios

        fd = stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _plain(label: str) -> str:
    """'  ✅ Одобрить ' → 'одобрить' (edges without letters or digits dropped, case folded)."""
    return _EDGES.sub("", label.strip()).casefold()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
