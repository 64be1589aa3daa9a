"""One Telegram Bot API emulator: models, method table, limits and HTML checks.

Front-ends: :class:`EmulatorSession` (an aiogram session in this process; the
console chat, `python -m bot` without BOT_TOKEN) and the HTTP server of the
tests and benchmarks (`tests/tgfake`).
"""

from .emulator import ApiError, Listener, TelegramEmulator, text_content
from .html import HtmlParseError, check_html, parse_html, render, shown
from .limits import Limits, RateLimiter
from .models import CallbackAnswer, ChatState, FakeMessage, StoredFile
from .session import EmulatorSession

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "ChatState",
    "EmulatorSession",
    "FakeMessage",
    "HtmlParseError",
    "Limits",
    "Listener",
    "RateLimiter",
    "StoredFile",
    "TelegramEmulator",
    "check_html",
    "parse_html",
    "render",
    "shown",
    "text_content",
]
