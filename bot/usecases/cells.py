"""Spreadsheet cells that are never a formula (OWASP "CSV injection"), for every file
the bot exports: CSV (bot/usecases/exports.py) and XLSX (bot/usecases/sheets.py)."""

from __future__ import annotations

# The first characters that make a spreadsheet read a cell as a formula (OWASP CSV
# injection), with their full-width forms (some spreadsheets normalise them).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def cell(value: str) -> str:
    """A cell that no spreadsheet evaluates: a value starting like a formula is
    prefixed with an apostrophe (shown as text)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
