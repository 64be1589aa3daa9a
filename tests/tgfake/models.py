"""Records kept by the HTTP front-end (API calls, uploaded parts); the chats,
messages and files are the emulator's (bot/telegram_emulator/models.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.telegram_emulator.models import CallbackAnswer, ChatState, FakeMessage, StoredFile

__all__ = [
    "ApiCall",
    "CallbackAnswer",
    "ChatState",
    "FakeMessage",
    "StoredFile",
    "UploadedFile",
]


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    name: str
    size: int
    content_type: str


@dataclass
class ApiCall:
    """One Bot API request as the server saw it."""

    method: str
    params: dict[str, Any]
    files: list[UploadedFile]
    time: float
    chat_id: int | str | None
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        return self.response.get("description")

    def short(self) -> str:
        params = {k: v for k, v in self.params.items() if k not in ("chat_id",)}
        text = json.dumps(params, ensure_ascii=False, default=str)
        if len(text) > 160:
            text = text[:157] + "..."
        outcome = "ok" if self.ok else f"{self.status} {self.description}"
        return f"{self.method}(chat={self.chat_id}) {text} -> {outcome}"
