"""The console's Telegram: the emulator in this process, shown on the terminal.

`ConsoleTelegram` is the emulator's in-process aiogram session
(`bot.telegram_emulator.EmulatorSession`) with a terminal as its user: what a
user would see (new and edited messages, deletions, callback answers, refused
calls) goes to the `Screen`. Every chat exists (the console names them), and
methods the emulator does not simulate are answered `true` with a note.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any, Protocol

from bot.telegram_emulator.emulator import ApiError, Files, TelegramEmulator
from bot.telegram_emulator.html import shown
from bot.telegram_emulator.models import CallbackAnswer, FakeMessage, StoredFile
from bot.telegram_emulator.session import EmulatorSession

# Methods that only configure the bot: answered, never shown.
SILENT = frozenset(
    {
        "setmydescription",
        "setmyshortdescription",
        "setmyname",
        "setchatmenubutton",
        "setmydefaultadministratorrights",
        "setmessagereaction",
    }
)


class Screen(Protocol):
    """What the terminal shows; implemented by the console chat."""

    def bot_message(
        self, message: dict[str, Any], shown: str, markup: dict[str, Any] | None, *, edit: str = ""
    ) -> None: ...

    def bot_deleted(self, chat_id: int, message_id: int) -> None: ...

    def callback_answer(self, chat_id: int, text: str, alert: bool) -> None: ...

    def rejected(self, method: str, chat_id: int | None, description: str) -> None: ...

    def note(self, text: str) -> None: ...


class ConsoleTelegram(EmulatorSession):
    """The Bot API answered in-process; what the bot sends goes to `screen`.

    ``chats`` gives the Telegram chat object of a chat id (every chat exists)."""

    def __init__(self, screen: Screen, chats: Callable[[int], dict[str, Any]]) -> None:
        super().__init__(
            TelegramEmulator(
                bot_username="alatau_console_bot",
                bot_first_name="Alatau bot (console)",
                callback_timeout=None,
                chats=chats,
            )
        )
        self.emulator.listener = self
        self.screen = screen

    # --- EmulatorSession -------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any], files: Files) -> Any:
        name = method.lower()
        if name not in self.emulator.methods:
            if name not in SILENT:
                self.screen.note(f"(the console does not simulate {method}; answered true)")
            return True
        return super().answer(method, params, files)

    def refused(self, method: str, params: dict[str, Any], error: ApiError) -> None:
        chat_id = self.emulator.call_chat(method, params)
        self.screen.rejected(
            method, chat_id if isinstance(chat_id, int) else None, error.description
        )

    # --- Listener (the emulator tells what a user would see) --------------------

    def message(self, message: FakeMessage, change: str) -> None:
        text = shown(message.text or "", message.entities)
        self.screen.bot_message(message.data, text, message.markup, edit=change)

    def deleted(self, message: FakeMessage) -> None:
        self.screen.bot_deleted(message.chat_id, message.message_id)

    def callback_answered(self, answer: CallbackAnswer, chat_id: int) -> None:
        if answer.text or answer.url:
            self.screen.callback_answer(chat_id, answer.text or str(answer.url), answer.show_alert)

    # --- files sent from the console ---------------------------------------------

    def store_file(
        self,
        name: str,
        data: bytes,
        size: int | None = None,
        mime: str | None = None,
        origin: str = "bot",
    ) -> StoredFile:
        """A file with this name and content (``size``: as Telegram reports it, if larger)."""
        kind = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
        photo = kind.startswith("image/")
        return self.emulator.new_file(
            size=len(data) if size is None else size,
            content=data,
            folder="photos" if photo else "documents",
            file_name=name,
            mime_type=kind,
            prefix="AgAC" if photo else "BQAC",
            origin=origin,
        )

    def stored(self, file_id: str) -> StoredFile | None:
        try:
            return self.emulator.file(file_id)
        except KeyError:
            return None
