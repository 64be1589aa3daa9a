"""Telegram's limits: sizes of texts, captions, files and button data, and the
flood limits as sliding windows (enforced only when a front-end asks for it)."""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_TEXT = 4096  # UTF-16 code units of a message text (after entity parsing)
MAX_CAPTION = 1024  # UTF-16 code units of a caption
MAX_CALLBACK_DATA = 64  # bytes of callback_data
MAX_CALLBACK_ANSWER = 200  # characters of an answerCallbackQuery text
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses larger files
MAX_UPLOAD = 50 * 1024 * 1024  # a bot's upload


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Limits:
    """Telegram Bot FAQ limits; all windows are sliding."""

    global_per_second: int = 30
    private_per_second: int = 1
    group_per_minute: int = 20
    group_seconds: float = 60.0  # the group window ("per minute"); benches and tests shorten it


@dataclass
class Window:
    size: int
    seconds: float
    stamps: deque[float] = field(default_factory=deque)

    def retry_after(self, now: float) -> float:
        """0 if a message may go now, else seconds until the window frees."""
        stamps = self.stamps
        edge = now - self.seconds
        while stamps and stamps[0] <= edge:
            stamps.popleft()
        if len(stamps) < self.size:
            return 0.0
        return stamps[0] + self.seconds - now


class RateLimiter:
    """Counts sends per chat and globally; O(1) amortised per message."""

    def __init__(
        self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or Limits()
        self._now = clock
        self._global = Window(self.limits.global_per_second, 1.0)
        self._chats: dict[int, Window] = {}
        self.too_many_requests = 0
        self.rejected: Counter[int] = Counter()

    def _chat_window(self, chat_id: int) -> Window:
        w = self._chats.get(chat_id)
        if w is None:
            if chat_id < 0:
                w = Window(self.limits.group_per_minute, self.limits.group_seconds)
            else:
                w = Window(self.limits.private_per_second, 1.0)
            self._chats[chat_id] = w
        return w

    def acquire(self, chat_id: int) -> int:
        """Record one message to ``chat_id``; return 0 or ``retry_after`` (whole seconds)."""
        now = self._now()
        chat = self._chat_window(chat_id)
        wait = max(self._global.retry_after(now), chat.retry_after(now))
        if wait > 0:
            self.too_many_requests += 1
            self.rejected[chat_id] += 1
            return max(1, math.ceil(wait))
        self._global.stamps.append(now)
        chat.stamps.append(now)
        return 0
