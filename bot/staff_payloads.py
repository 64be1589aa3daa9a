"""The notices to the staff chat that the outbox renders at delivery (in the staff
language), typed per kind like the parent's notifications of bot.payloads: the daily
service-term digest (issue 13 item 1) and the notice a quarter opens with (item 2).
Queued by bot.usecases.term, rendered by bot.views.term.

A row keeps the JSON shape it always had — ``{"render": {"kind": K, "params": {...}},
"language": L}``, the digest's lines as lists (``due`` [[number, day, term]], ``overdue``
[[number, working days, due ISO]], ``unknown`` [[number, year]]) — so rows queued before
this module decode unchanged. In Python the fields are typed (dates dt.date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class DueToday:
    """An application whose decision is due today: day `day` of `term` working days."""

    number: str
    day: int
    term: int


@dataclass(frozen=True, slots=True)
class Overdue:
    """An application overdue by `working_days`, due on `due`."""

    number: str
    working_days: int
    due: dt.date


@dataclass(frozen=True, slots=True)
class CalendarMissing:
    """An application whose term falls in a year without a working-day calendar."""

    number: str
    year: int


@dataclass(frozen=True, slots=True)
class TermDigest:
    kind: ClassVar[str] = "term_digest"
    date: dt.date
    due: tuple[DueToday, ...] = ()
    overdue: tuple[Overdue, ...] = ()
    unknown: tuple[CalendarMissing, ...] = ()


@dataclass(frozen=True, slots=True)
class RegisterOpen:
    """A quarter (p.7) of the school year starting in `year` has opened."""

    kind: ClassVar[str] = "register_open"
    year: int
    quarter: int


StaffNotice = TermDigest | RegisterOpen

STAFF_KINDS: dict[str, type[StaffNotice]] = {cls.kind: cls for cls in (TermDigest, RegisterOpen)}


def encode(notice: StaffNotice) -> dict[str, Any]:
    """The JSON-safe ``{"kind", "params"}`` of a notice (the row's ``render`` field)."""
    params: dict[str, Any]
    if isinstance(notice, TermDigest):
        params = {
            "date": notice.date.isoformat(),
            "due": [[d.number, d.day, d.term] for d in notice.due],
            "overdue": [[o.number, o.working_days, o.due.isoformat()] for o in notice.overdue],
            "unknown": [[u.number, u.year] for u in notice.unknown],
        }
    else:
        params = {"year": notice.year, "quarter": notice.quarter}
    return {"kind": notice.kind, "params": params}


def _rows(value: Any) -> Sequence[Sequence[Any]]:
    return value or ()


def decode(kind: str, params: Mapping[str, Any]) -> StaffNotice:
    """The notice of a stored ``render`` field (KeyError for a kind that is not one)."""
    cls = STAFF_KINDS[kind]
    if cls is RegisterOpen:
        return RegisterOpen(year=int(params["year"]), quarter=int(params["quarter"]))
    return TermDigest(
        date=dt.date.fromisoformat(str(params["date"])),
        due=tuple(
            DueToday(str(number), int(day), int(term))
            for number, day, term in _rows(params.get("due"))
        ),
        overdue=tuple(
            Overdue(str(number), int(days), dt.date.fromisoformat(str(due)))
            for number, days, due in _rows(params.get("overdue"))
        ),
        unknown=tuple(
            CalendarMissing(str(number), int(year)) for number, year in _rows(params.get("unknown"))
        ),
    )
