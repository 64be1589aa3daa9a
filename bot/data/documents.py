"""The Department's own copy of every document it keeps (issue 11 item 8).

A file a parent sends (the school certificate, a guardianship document, a file
answering a documents request) is downloaded from Telegram, checked by its
content — not by the type or name the sender declared — and written here, so an
application does not depend on Telegram's file storage (the Law "On personal
data and their protection" wants databases with personal data kept in
Kazakhstan: DOCUMENTS_DIR is on the Department's own server).

- Accepted: PDF, JPEG, PNG, recognised by their first bytes (magic numbers);
  at most 20 MB (MAX_BYTES, the Bot API's download limit).
- Content-addressed: a file is named by its SHA-256 (`kept/ab/<sha256>.pdf`);
  the database keeps the hash and that relative path (Attachment.sha256,
  Attachment.storage_path). A name from the user never becomes a path: every
  path is built from the hash, the type's extension and a numeric user id, and
  `absolute()` refuses anything else.
- A draft's files live under `drafts/<user_id>/` until the application is sent
  (`keep_draft()` copies them into `kept/`), and go when the draft is erased
  (`clear_drafts()`).

DOCUMENTS_DIR must be shared by every process of a deployment (like the database).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024

# (first bytes, MIME type, extension): what the Department accepts.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)

_PATH = re.compile(r"(?:kept/[0-9a-f]{2}|drafts/[0-9]{1,20})/[0-9a-f]{64}\.(?:pdf|jpg|png)")


class Refused(Exception):
    """A file the Department does not take: `code` is file_type, file_too_big or file_unreadable."""

    def __init__(self, code: str, size: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.size = size


@dataclass(frozen=True)
class Kept:
    """A checked file in the store."""

    sha256: str
    mime_type: str
    size: int
    path: str  # relative to DOCUMENTS_DIR


def sniff(content: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of `content` by its first bytes, or None if not accepted."""
    for magic, mime, extension in SIGNATURES:
        if content.startswith(magic):
            return mime, extension
    return None


def check(content: bytes) -> tuple[str, str]:
    """The real type of an accepted file; Refused for anything else."""
    if len(content) > MAX_BYTES:
        raise Refused("file_too_big", len(content))
    found = sniff(content)
    if found is None:
        raise Refused("file_type")
    return found


class DocumentStore:
    """Files under one root folder (Settings.documents_dir)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def absolute(self, path: str) -> Path:
        """The file of a stored relative path; ValueError for a path the store never makes."""
        if not _PATH.fullmatch(path):
            raise ValueError("not a path of the document store")
        return self.root / path

    async def put(self, content: bytes, *, draft_of: int | None = None) -> Kept:
        """Check `content` and write it (into the user's drafts when `draft_of` is given)."""
        mime, extension = check(content)
        digest = hashlib.sha256(content).hexdigest()
        folder = f"drafts/{int(draft_of)}" if draft_of is not None else f"kept/{digest[:2]}"
        path = f"{folder}/{digest}{extension}"
        await asyncio.to_thread(self._write, self.absolute(path), content)
        return Kept(digest, mime, len(content), path)

    async def keep_draft(self, path: str) -> str:
        """Copy a draft's file into `kept/` (idempotent); its kept path."""
        name = path.rsplit("/", 1)[-1]
        kept = f"kept/{name[:2]}/{name}"
        await asyncio.to_thread(self._copy, self.absolute(path), self.absolute(kept))
        return kept

    async def read(self, path: str) -> bytes:
        return await asyncio.to_thread(self.absolute(path).read_bytes)

    async def remove(self, path: str) -> None:
        await asyncio.to_thread(self.absolute(path).unlink, missing_ok=True)

    async def clear_drafts(self, user_id: int) -> None:
        """Delete every draft file of the user."""
        folder = self.root / "drafts" / str(int(user_id))
        await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)

    @staticmethod
    def _write(target: Path, content: bytes) -> None:
        if target.exists():
            return  # the same content (the name is its hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @staticmethod
    def _copy(source: Path, target: Path) -> None:
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(handle)
        try:
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
