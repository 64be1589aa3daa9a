"""Telegram formatting for the terminal: HTML → plain text, keyboards → choices.

The parser follows Telegram's HTML subset and rejects what Telegram rejects
(unsupported tag, stray `<`, unclosed or mismatched tag) with Telegram's
error text, so a formatting bug shows up in the console exactly as it would
in the real chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "tg-spoiler",
        "span",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_MARKDOWN_ESCAPE = re.compile(r"\\([_*\[\]()~`>#+\-=|{}.!\\])")


class ParseError(ValueError):
    """Telegram's "can't parse entities" reason."""


def _offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8"))


def unescape(chunk: str) -> str:
    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        try:
            if body[:2] in ("#x", "#X"):
                return chr(int(body[2:], 16))
            if body.startswith("#"):
                return chr(int(body[1:]))
        except (ValueError, OverflowError):
            return match.group(0)
        return _NAMED.get(body.lower(), match.group(0))

    return _ENTITY.sub(replace, chunk) if "&" in chunk else chunk


def parse_html(text: str) -> tuple[str, str]:
    """(plain text as Telegram stores it, text to show: links get their address)."""
    plain: list[str] = []
    shown: list[str] = []
    stack: list[tuple[str, str, int]] = []  # tag, href, start index in `plain`
    i, n = 0, len(text)
    while i < n:
        lt = text.find("<", i)
        chunk = unescape(text[i:] if lt == -1 else text[i:lt])
        plain.append(chunk)
        shown.append(chunk)
        if lt == -1:
            break
        i = lt
        if text.startswith("</", i):
            gt = text.find(">", i)
            if gt == -1:
                raise ParseError(f"Unclosed end tag at byte offset {_offset(text, i)}")
            name = text[i + 2 : gt].strip().lower()
            if not stack:
                raise ParseError(f"Unexpected end tag at byte offset {_offset(text, i)}")
            tag, href, start = stack.pop()
            if name and name != tag:
                raise ParseError(
                    f"Unmatched end tag at byte offset {_offset(text, i)}, "
                    f'expected "</{tag}>", found "</{name}>"'
                )
            label = "".join(plain[start:])
            if tag == "a" and href and href != label and not href.startswith("tg://"):
                shown.append(f" ({href})")
            i = gt + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        tag = text[i + 1 : j].lower().rstrip("/")
        if tag not in _TAGS:
            raise ParseError(f'Unsupported start tag "{tag}" at byte offset {_offset(text, i)}')
        gt = text.find(">", j)
        if gt == -1:
            raise ParseError(f"Unclosed start tag at byte offset {_offset(text, i)}")
        attrs = text[j:gt]
        if tag == "span" and "tg-spoiler" not in attrs:
            raise ParseError('Tag "span" must have class "tg-spoiler"')
        href = ""
        if tag == "a" and (match := _HREF.search(attrs)):
            href = unescape(next(g for g in match.groups() if g is not None))
        stack.append((tag, href, len(plain)))
        i = gt + 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(plain), "".join(shown)


def formatted(text: str, parse_mode: str | None) -> tuple[str, str]:
    """Apply the parse mode: (stored text, shown text); raises ParseError."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode.startswith("markdown"):
        plain = _MARKDOWN_ESCAPE.sub(r"\1", text)
        return plain, plain
    return text, text


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- keyboards -------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One button. kind: callback | url | copy | text | contact | location | other."""

    label: str
    kind: str
    value: str = ""


def inline_choices(markup: dict[str, Any] | None) -> list[list[Choice]]:
    rows: list[list[Choice]] = []
    for row in (markup or {}).get("inline_keyboard") or []:
        out: list[Choice] = []
        for button in row:
            label = str(button.get("text", ""))
            if button.get("callback_data") is not None:
                out.append(Choice(label, "callback", str(button["callback_data"])))
            elif button.get("url"):
                out.append(Choice(label, "url", str(button["url"])))
            elif button.get("copy_text"):
                out.append(Choice(label, "copy", str(button["copy_text"].get("text", ""))))
            else:
                out.append(Choice(label, "other"))
        rows.append(out)
    return rows


def reply_choices(markup: dict[str, Any] | None) -> list[list[Choice]]:
    rows: list[list[Choice]] = []
    for row in (markup or {}).get("keyboard") or []:
        out: list[Choice] = []
        for button in row:
            if isinstance(button, str):
                out.append(Choice(button, "text"))
                continue
            label = str(button.get("text", ""))
            if button.get("request_contact"):
                out.append(Choice(label, "contact"))
            elif button.get("request_location"):
                out.append(Choice(label, "location"))
            else:
                out.append(Choice(label, "text"))
        rows.append(out)
    return rows


def keyboard_lines(rows: list[list[Choice]], *, numbered: bool, first: int = 1) -> list[str]:
    """'[1] Иә  [2] Жоқ  [3] Білмеймін', one line per keyboard row."""
    lines: list[str] = []
    number = first
    for row in rows:
        parts = []
        for choice in row:
            label = choice.label
            if choice.kind == "url":
                label += f" ↗ {choice.value}"
            parts.append(f"[{number}] {label}" if numbered else f"[{label}]")
            number += 1
        if parts:
            lines.append("  ".join(parts))
    return lines


def flat(rows: list[list[Choice]]) -> list[Choice]:
    return [choice for row in rows for choice in row]


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def parse_size(text: str) -> int:
    """'300', '300K', '2.5MB', '25M' → bytes; raises ValueError."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*([kKmM]?)[bB]?\s*", text)
    if not match:
        raise ValueError(text)
    number = float(match.group(1).replace(",", "."))
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2).lower()]
    return int(number * factor)
