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


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def parts_of(plain: str, size: int) -> list[str]:
    """Plain text in pieces of at most `size` UTF-16 units, cut after a line break or a
    space when there is one in the second half of a piece (nothing is dropped)."""
    pieces: list[str] = []
    rest = plain
    while rest:
        units = 0
        end = 0
        for char in rest:
            if units + _units(char) > size:
                break
            units += _units(char)
            end += 1
        if end >= len(rest):
            pieces.append(rest)
            break
        cut = max(rest.rfind("\n", 0, end), rest.rfind(" ", 0, end))
        if cut >= end // 2:
            end = cut + 1
        pieces.append(rest[:end])
        rest = rest[end:]
    return [piece.strip() for piece in pieces if piece.strip()]


def _numbered(parts: list[str]) -> list[str]:
    if len(parts) < 2:
        return [html.escape(part) for part in parts]
    return [f"({n}/{len(parts)}) {html.escape(part)}" for n, part in enumerate(parts, start=1)]


def relayed(header: str, plain: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """A relayed text under its header (HTML): one message if it fits, else the text in
    numbered parts, "(1/2) …", "(2/2) …" — the first under the header, each fitting."""
    room = limit - visible_length(header) - 2 - 12  # "\n\n" and "(n/m) "
    parts = (
        _numbered(parts_of(plain, room))
        if visible_length(html.escape(plain)) > room
        else [html.escape(plain)]
    )
    if not parts:
        return [header]
    return [f"{header}\n\n{parts[0]}", *parts[1:]]


def relayed_caption(header: str, plain: str) -> tuple[str, list[str]]:
    """A file's caption (header and the text, within CAPTION_LIMIT) and the follow-up
    messages carrying the rest of a long text, numbered as in `relayed`."""
    if not plain:
        return header, []
    room = CAPTION_LIMIT - visible_length(header) - 1 - 12
    if len(plain.encode("utf-16-le")) // 2 <= room:
        return f"{header}\n{html.escape(plain)}", []
    first = parts_of(plain, room)[0]
    rest = plain[len(first) :].strip() if plain.startswith(first) else plain
    parts = [first, *parts_of(rest, MESSAGE_LIMIT - 12)]
    numbered = _numbered(parts)
    return f"{header}\n{numbered[0]}", numbered[1:]
