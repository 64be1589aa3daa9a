"""A fake Telegram Bot API server with simulated users (see README.md)."""

from .html_check import check_html, parse_html
from .limits import Limits
from .methods import ApiError
from .models import ApiCall, CallbackAnswer, FakeMessage, StoredFile, UploadedFile
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
