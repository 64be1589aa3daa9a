"""A file a parent sent, downloaded from Telegram and kept by the Department.

`receive()` takes the file id of a photo or document, downloads it through the
Bot API (getFile, then the file URL; at most 20 MB are read), and hands the
bytes to the document store (bot/usecases/documents.py → bot/data/documents.py), which checks the real type
by content and keeps the copy. The declared MIME type and the file name are
never trusted; a name never becomes a path.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from bot.context import AppContext
from bot.usecases.documents import MAX_BYTES, Kept, Refused, keep, store
from handlers.apply_steps import Rejected

__all__ = ["Refused", "clear_draft_files", "download", "file_refusal", "kept_fields", "receive"]

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 60


async def download(bot: Bot, file_id: str, declared_size: int | None = None) -> bytes:
    """The file's bytes; Refused when too big or when Telegram does not give it."""
    if declared_size is not None and declared_size > MAX_BYTES:
        raise Refused("file_too_big", declared_size)
    try:
        file = await bot.get_file(file_id)
    except TelegramBadRequest as error:
        if "too big" in error.message.lower():
            raise Refused("file_too_big", declared_size) from None
        log.warning("getFile refused: %s", type(error).__name__)
        raise Refused("file_unreadable") from None
    except TelegramAPIError as error:
        log.warning("getFile failed: %s", type(error).__name__)
        raise Refused("file_unreadable") from None
    if file.file_size is not None and file.file_size > MAX_BYTES:
        raise Refused("file_too_big", file.file_size)
    if not file.file_path:
        raise Refused("file_unreadable")
    url = bot.session.api.file_url(bot.token, file.file_path)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in bot.session.stream_content(
            url=url, timeout=DOWNLOAD_TIMEOUT, chunk_size=65536, raise_for_status=True
        ):
            total += len(chunk)
            if total > MAX_BYTES:
                raise Refused("file_too_big", total)
            chunks.append(chunk)
    except Refused:
        raise
    except Exception as error:  # network, HTTP status: the parent is asked to send again
        log.warning("file download failed: %s", type(error).__name__)
        raise Refused("file_unreadable") from None
    return b"".join(chunks)


async def receive(
    bot: Bot,
    app: AppContext,
    file_id: str,
    declared_size: int | None = None,
    *,
    draft_of: int | None = None,
) -> Kept:
    """Download, check by content and keep (in the user's drafts when `draft_of`)."""
    content = await download(bot, file_id, declared_size)
    return await keep(app, content, draft_of=draft_of)


def kept_fields(kept: Kept) -> dict[str, Any]:
    """What a draft's file record keeps of the checked copy (the real type and size)."""
    return {
        "sha256": kept.sha256,
        "stored": kept.path,
        "mime_type": kept.mime_type,
        "file_size": kept.size,
    }


def file_refusal(refused: Refused) -> Rejected:
    """The wizard's reason for a refused file (the same texts as for a declared type)."""
    if refused.code == "file_too_big":
        size = refused.size or MAX_BYTES + 1
        return Rejected("file_too_big", {"size": f"{size / (1024 * 1024):.1f}".replace(".", ",")})
    return Rejected(refused.code)


async def clear_draft_files(app: AppContext, user_id: int) -> None:
    """Forget the copies kept for the user's draft (the draft is discarded)."""
    await store(app).clear_drafts(user_id)
