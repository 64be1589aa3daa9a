"""The emulator's HTTP front-end with simulated users (see README.md); the Bot API
itself lives in bot/telegram_emulator/."""

from bot.telegram_emulator.emulator import ApiError
from bot.telegram_emulator.html import check_html, parse_html
from bot.telegram_emulator.limits import Limits
from bot.telegram_emulator.models import CallbackAnswer, FakeMessage, StoredFile

from .models import ApiCall, UploadedFile
from .people import FakeGroup, FakeMember, FakeUser
from .server import BOT_USERNAME, DEFAULT_TOKEN, FakeTelegram

__all__ = [
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "FakeGroup",
    "FakeMember",
    "FakeMessage",
    "FakeTelegram",
    "FakeUser",
    "Limits",
    "StoredFile",
    "UploadedFile",
    "check_html",
    "parse_html",
]
