"""What the emulator keeps: files, chats, messages and callback answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StoredFile:
    """A file known to the emulator (uploaded by a user or by the bot).

    ``size`` is what Telegram reports; without ``content`` the file reads as
    that many zero bytes — a photo as a JPEG start followed by zeros (Telegram
    serves every photo as JPEG, and the bot checks files by content)."""

    file_id: str
    file_unique_id: str
    size: int
    file_path: str
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    origin: str = "bot"  # "bot": uploaded by the bot; "user": sent by a person

    def read(self) -> bytes:
        if self.content is not None:
            return self.content
        if self.file_path.startswith("photos/") and self.size >= len(JPEG_START):
            return JPEG_START + bytes(self.size - len(JPEG_START))
        return bytes(self.size)


JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@dataclass(frozen=True)
class CallbackAnswer:
    """Parameters of an answerCallbackQuery call."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    data: str | None


def _button_rows(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [[b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows]


class FakeMessage:
    """A message in a fake chat; ``data`` is the Bot API Message JSON (edits applied)."""

    __slots__ = (
        "data",
        "deleted",
        "edit_count",
        "file",
        "from_bot",
        "html",
        "markup",
        "parse_mode",
    )

    def __init__(
        self,
        data: dict[str, Any],
        *,
        from_bot: bool,
        html: str | None = None,
        parse_mode: str | None = None,
        file: StoredFile | None = None,
    ) -> None:
        self.data = data
        self.from_bot = from_bot
        self.html = html
        self.parse_mode = parse_mode
        self.file = file
        self.markup: dict[str, Any] | None = data.get("reply_markup")
        self.deleted = False
        self.edit_count = 0

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    @property
    def chat_id(self) -> int:
        return int(self.data["chat"]["id"])

    @property
    def text(self) -> str | None:
        """Text or caption as the user sees it (HTML tags already parsed)."""
        return self.data.get("text", self.data.get("caption"))

    @property
    def raw_text(self) -> str | None:
        """Text or caption exactly as the bot sent it (with HTML markup, if any)."""
        return self.html if self.html is not None else self.text

    @property
    def kind(self) -> str:
        for key in (
            "text",
            "photo",
            "document",
            "sticker",
            "contact",
            "video",
            "audio",
            "voice",
            "animation",
            "location",
        ):
            if key in self.data:
                return key
        return "other"

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        """The markup as sent (inline keyboard, reply keyboard, remove/force reply)."""
        return self.markup

    @property
    def inline_buttons(self) -> list[list[str]]:
        markup = self.reply_markup
        if not markup or "inline_keyboard" not in markup:
            return []
        return [[b["text"] for b in row] for row in _button_rows(markup)]

    @property
    def keyboard_buttons(self) -> list[list[str]]:
        """Rows of a reply keyboard (the ``reply_markup`` given when sending)."""
        markup = self.reply_markup
        if not markup or "keyboard" not in markup:
            return []
        return [[b["text"] for b in row] for row in _button_rows(markup)]

    @property
    def buttons(self) -> list[list[str]]:
        """Rows of button texts: the inline keyboard, else the reply keyboard."""
        return [[b["text"] for b in row] for row in _button_rows(self.reply_markup)]

    def find_button(self, text: str) -> dict[str, Any] | None:
        markup = self.reply_markup
        if not markup or "inline_keyboard" not in markup:
            return None
        for row in _button_rows(markup):
            for button in row:
                if button.get("text") == text:
                    return button
        return None

    def callback_data(self, text: str) -> str | None:
        button = self.find_button(text)
        return None if button is None else button.get("callback_data")

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.data.get("entities", self.data.get("caption_entities", [])))

    @property
    def file_name(self) -> str | None:
        doc = self.data.get("document")
        return doc.get("file_name") if doc else None

    @property
    def reply_to_message_id(self) -> int | None:
        reply = self.data.get("reply_to_message")
        return int(reply["message_id"]) if reply else None

    def __repr__(self) -> str:
        flag = " deleted" if self.deleted else ""
        who = "bot" if self.from_bot else "user"
        return (
            f"<FakeMessage #{self.message_id} {who} {self.kind}{flag} "
            f"{self.text!r} buttons={self.buttons}>"
        )


@dataclass
class ChatState:
    """Server-side state of one chat."""

    id: int
    data: dict[str, Any]
    next_message_id: int = 1
    messages: dict[int, FakeMessage] = field(default_factory=dict)
    bot_log: list[FakeMessage] = field(default_factory=list)
    inflight: int = 0
    last_activity: float = 0.0
    delivered: int = 0
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    member_status: dict[int, str] = field(default_factory=dict)
    keyboard: list[list[Any]] | None = None

    @property
    def is_private(self) -> bool:
        return bool(self.data["type"] == "private")

    def new_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid
