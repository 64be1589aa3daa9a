"""Telegram for the terminal: keyboards → numbered choices, sizes for people.

(Formatting — Telegram's HTML and what a terminal shows of it — is the
emulator's: bot/telegram_emulator/html.py.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
