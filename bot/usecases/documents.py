"""Documents the Department keeps: the store of bot/data/documents.py for this deployment.

Handlers download a file (handlers/_files.py) and call `keep()`; submit, the relay
of a parent's answer and the erasure of personal data use `store()`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.data.documents import MAX_BYTES, DocumentStore, Kept, Refused
from bot.data.models import Attachment

__all__ = ["MAX_BYTES", "Kept", "Refused", "forget", "keep", "store"]


def store(app: AppContext) -> DocumentStore:
    return DocumentStore(app.settings.documents_dir)


async def keep(app: AppContext, content: bytes, *, draft_of: int | None = None) -> Kept:
    """Check `content` by its bytes and keep it (in the user's drafts when `draft_of`)."""
    return await store(app).put(content, draft_of=draft_of)


async def forget(app: AppContext, session: AsyncSession, paths: Iterable[str]) -> None:
    """Delete kept files no attachment refers to any more (after their rows went)."""
    documents = store(app)
    for path in set(paths):
        still = await session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.storage_path == path)
        )
        if not still:
            await documents.remove(path)
