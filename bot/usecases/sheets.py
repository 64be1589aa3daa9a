"""XLSX workbooks for the staff chat (issue 13: payment register, export), with openpyxl.

Cells are typed: money is a number with a tenge format, counts are integers, dates
are dates, and text is text — an IIN or an IBAN is a text cell (format "@") so a
spreadsheet never turns it into a number. Every text cell goes through the CSV
export's `cell()` (bot/usecases/exports.py): text that a spreadsheet would take for
a formula (=, +, -, @, tab, CR and their full-width forms) gets a leading
apostrophe, and no cell is ever written as a formula.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.usecases.cells import cell as neutral

MONEY_FORMAT = '#,##0.00 "₸"'
INTEGER_FORMAT = "0"
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "YYYY-MM-DD HH:MM:SS"
TEXT_FORMAT = "@"

Value = str | int | Decimal | dt.date | None


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT
    width: int | None = None


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: list[list[Value]] = field(default_factory=list)
    total: list[Value] | None = None


_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(text: str) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return text.translate(_BAD_TITLE).strip()[:31] or "Sheet"


def _put(target: object, value: Value, kind: Kind) -> None:
    """Write one typed value (openpyxl cell), text neutralised, never a formula."""
    if value is None or value == "":
        target.value = None  # type: ignore[attr-defined]
        return
    if kind is Kind.MONEY:
        target.value = Decimal(value)  # type: ignore[arg-type, attr-defined]
        target.number_format = MONEY_FORMAT  # type: ignore[attr-defined]
    elif kind is Kind.INTEGER and isinstance(value, int):
        target.value = value  # type: ignore[attr-defined]
        target.number_format = INTEGER_FORMAT  # type: ignore[attr-defined]
    elif kind in (Kind.DATE, Kind.DATETIME) and isinstance(value, dt.date):
        target.value = value  # type: ignore[attr-defined]
        target.number_format = (  # type: ignore[attr-defined]
            DATETIME_FORMAT if kind is Kind.DATETIME else DATE_FORMAT
        )
    else:
        target.value = neutral(str(value))  # type: ignore[attr-defined]
        target.data_type = "s"  # type: ignore[attr-defined]
        target.number_format = TEXT_FORMAT  # type: ignore[attr-defined]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as one XLSX file: a bold header row (frozen), typed cells, a bold total row."""
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        ws = book.create_sheet(sheet_title(spec.title))
        bold = Font(bold=True)
        for col, column in enumerate(spec.columns, start=1):
            header = ws.cell(row=1, column=col)
            _put(header, column.title, Kind.TEXT)
            header.font = bold
            header.alignment = Alignment(wrap_text=True, vertical="top")
        for r, row in enumerate(spec.rows, start=2):
            for col, (column, value) in enumerate(zip(spec.columns, row, strict=True), start=1):
                _put(ws.cell(row=r, column=col), value, column.kind)
        if spec.total is not None:
            r = len(spec.rows) + 2
            for col, (column, value) in enumerate(zip(spec.columns, spec.total, strict=True), 1):
                target = ws.cell(row=r, column=col)
                _put(target, value, column.kind)
                target.font = bold
        ws.freeze_panes = "A2"
        for col, column in enumerate(spec.columns, start=1):
            longest = max(
                [len(column.title) // 2 + 1]
                + [len(str(row[col - 1] or "")) for row in spec.rows[:500]],
            )
            width = column.width or min(max(longest + 2, 10), 60)
            if column.kind is Kind.MONEY:
                width = max(width, 16)
            ws.column_dimensions[get_column_letter(col)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
