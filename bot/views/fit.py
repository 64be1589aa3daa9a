"""Texts that always fit a Telegram message (4 096 characters after entity parsing,
1 024 for a caption): measure what the reader sees, shorten plain text before it is
escaped (never cut HTML), and split long lists of lines into several messages."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<[^>]*>")


def visible_length(text: str) -> int:
    """Length of an HTML text as Telegram counts it: tags dropped, entities decoded,
    UTF-16 code units."""
    plain = html.unescape(_TAG.sub("", text))
    return len(plain.encode("utf-16-le")) // 2


def shorten(plain: str, limit: int) -> str:
    """Plain text cut to at most `limit` characters, "…" marking a cut (escape after)."""
    if len(plain) <= limit:
        return plain
    return plain[: max(limit - 1, 0)].rstrip() + "…"


def fits(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> bool:
    return visible_length("\n".join(lines)) <= limit


def split_lines(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Whole lines (each valid HTML on its own) packed into as few texts as fit `limit`;
    a single line longer than the limit is shortened as plain text."""
    texts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = visible_length(line)
        if length > limit:
            line = html.escape(shorten(html.unescape(_TAG.sub("", line)), limit))
            length = visible_length(line)
        extra = length + (1 if current else 0)
        if current and size + extra > limit:
            texts.append("\n".join(current))
            current, size = [], 0
            extra = length
        current.append(line)
        size += extra
    if current:
        texts.append("\n".join(current))
    return texts
