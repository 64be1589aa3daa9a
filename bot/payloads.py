"""The notifications to a parent, typed per kind, and the one codec that stores them in an
outbox row (domain.md §7; rendered by bot.views.notifications, queued by
bot.outbox.messages.notify).

A row keeps the JSON shape it always had — ``{"render": {"kind": K, "params": {...}}}`` with
the application number added to ``params`` by ``notify()`` — so rows queued before this
module decode unchanged: money is a string with two decimals ("1234.50"), a month
"YYYY-MM", a date ISO "YYYY-MM-DD". In Python the fields are Decimal, Month, dt.date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, ClassVar

from core.months import Month
from core.status import Status


@dataclass(frozen=True, slots=True)
class QuarterLine:
    """One quarter of a payment schedule as the parent is told it."""

    school_year: str
    quarter: int
    months: tuple[Month, ...]
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Taken:
    kind: ClassVar[str] = "taken"
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentsRequested:
    kind: ClassVar[str] = Status.DOCUMENTS_REQUESTED.value
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentsReceived:
    kind: ClassVar[str] = "documents_received"
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Approved:
    kind: ClassVar[str] = Status.APPROVED.value
    quarters: tuple[QuarterLine, ...] = ()
    total: Decimal = Decimal("0.00")
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    kind: ClassVar[str] = Status.REJECTED.value
    ground: int
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Withdrawn:
    kind: ClassVar[str] = Status.WITHDRAWN.value
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class QuarterPaid:
    kind: ClassVar[str] = "quarter_paid"
    quarter: QuarterLine


@dataclass(frozen=True, slots=True)
class QuarterCorrected:
    kind: ClassVar[str] = "quarter_corrected"
    quarter: QuarterLine
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class Overpayment:
    kind: ClassVar[str] = "overpayment"
    amount: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class Terminated:
    kind: ClassVar[str] = "terminated"
    reason: str  # a core.schedule.StopReason value
    on: dt.date
    stop_month: Month
    cancelled: tuple[QuarterLine, ...] = ()


@dataclass(frozen=True, slots=True)
class StaffMessage:
    kind: ClassVar[str] = "staff_message"
    text: str
    part: int | None = None
    parts: int | None = None


@dataclass(frozen=True, slots=True)
class ReminderCertificateEnd:
    kind: ClassVar[str] = "reminder_certificate_end"
    event: dt.date


@dataclass(frozen=True, slots=True)
class ReminderAge18:
    kind: ClassVar[str] = "reminder_age_18"
    event: dt.date


@dataclass(frozen=True, slots=True)
class ReminderDisabilityEnd:
    kind: ClassVar[str] = "reminder_disability_end"
    event: dt.date


@dataclass(frozen=True, slots=True)
class ReminderNewSchoolYear:
    kind: ClassVar[str] = "reminder_new_school_year"
    event: dt.date


@dataclass(frozen=True, slots=True)
class ReminderOfficial:
    kind: ClassVar[str] = "reminder_official"


@dataclass(frozen=True, slots=True)
class RatingAsked:
    """The one question for a 1–5 rating (issue 12 item 6); ``occasion`` is a
    bot.usecases.feedback.Occasion value: "decision" or "payment"."""

    kind: ClassVar[str] = "rating_asked"
    occasion: str


Payload = (
    Taken
    | DocumentsRequested
    | DocumentsReceived
    | Approved
    | Rejected
    | Withdrawn
    | QuarterPaid
    | QuarterCorrected
    | Overpayment
    | Terminated
    | StaffMessage
    | ReminderCertificateEnd
    | ReminderAge18
    | ReminderDisabilityEnd
    | ReminderNewSchoolYear
    | ReminderOfficial
    | RatingAsked
)

KINDS: dict[str, type[Payload]] = {
    cls.kind: cls
    for cls in (
        Taken,
        DocumentsRequested,
        DocumentsReceived,
        Approved,
        Rejected,
        Withdrawn,
        QuarterPaid,
        QuarterCorrected,
        Overpayment,
        Terminated,
        StaffMessage,
        ReminderCertificateEnd,
        ReminderAge18,
        ReminderDisabilityEnd,
        ReminderNewSchoolYear,
        ReminderOfficial,
        RatingAsked,
    )
}

Reminder = ReminderCertificateEnd | ReminderAge18 | ReminderDisabilityEnd | ReminderNewSchoolYear

# core.reminders.ReminderKind value -> its payload
REMINDERS: dict[str, type[Reminder]] = {
    "certificate_end": ReminderCertificateEnd,
    "age_18": ReminderAge18,
    "disability_end": ReminderDisabilityEnd,
    "new_school_year": ReminderNewSchoolYear,
}


# ------------------------------------------------------------------------------ codec


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _quarter_out(q: QuarterLine) -> dict[str, Any]:
    return {
        "school_year": q.school_year,
        "quarter": q.quarter,
        "months": [str(m) for m in q.months],
        "amount": _money(q.amount),
    }


def _months_in(values: Sequence[Any] | None) -> tuple[Month, ...]:
    months = []
    for value in values or ():
        try:
            months.append(Month.parse_iso(str(value)))
        except ValueError:
            continue  # a month the old rows could not name is left out, as before
    return tuple(months)


def _quarter_in(p: Mapping[str, Any]) -> QuarterLine:
    return QuarterLine(
        school_year=str(p["school_year"]),
        quarter=int(p["quarter"]),
        months=_months_in(p.get("months")),
        amount=Decimal(str(p["amount"])),
    )


def _value_out(value: Any) -> Any:
    if isinstance(value, QuarterLine):
        return _quarter_out(value)
    if isinstance(value, tuple):
        return [_value_out(v) for v in value]
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, (Month, dt.date)):
        return str(value) if isinstance(value, Month) else value.isoformat()
    return value


def encode(payload: Payload) -> dict[str, Any]:
    """The JSON-safe ``{"kind", "params"}`` of a payload (the row's ``render`` field)."""
    params: dict[str, Any] = {}
    for field in fields(payload):
        value = getattr(payload, field.name)
        if value is None or (field.name == "stopped" and value is False):
            continue
        if isinstance(payload, (QuarterPaid, QuarterCorrected)) and field.name == "quarter":
            params.update(_quarter_out(value))  # flat, as the rows always were
            continue
        params[field.name] = _value_out(value)
    return {"kind": payload.kind, "params": params}


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value))


def _optional_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _optional_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def decode(kind: str, params: Mapping[str, Any]) -> Payload:
    """The payload of a stored ``render`` field (KeyError for a kind that is not a parent's
    notification; ``params`` may carry the application ``number`` — it is not part of it)."""
    cls = KINDS[kind]
    comment = _optional_str(params.get("comment"))
    if cls in (Taken, DocumentsRequested, DocumentsReceived, Withdrawn):
        return cls(comment=comment)
    if cls is Approved:
        return Approved(
            quarters=tuple(_quarter_in(q) for q in params.get("quarters") or ()),
            total=Decimal(str(params.get("total") or "0.00")),
            comment=comment,
        )
    if cls is Rejected:
        return Rejected(ground=int(params["ground"]), comment=comment)
    if cls is QuarterPaid:
        return QuarterPaid(quarter=_quarter_in(params))
    if cls is QuarterCorrected:
        return QuarterCorrected(quarter=_quarter_in(params), stopped=bool(params.get("stopped")))
    if cls is Overpayment:
        return Overpayment(
            amount=Decimal(str(params["amount"])), reason=str(params.get("reason") or "")
        )
    if cls is Terminated:
        return Terminated(
            reason=str(params["reason"]),
            on=_date(params["on"]),
            stop_month=Month.parse_iso(str(params["stop_month"])),
            cancelled=tuple(_quarter_in(q) for q in params.get("cancelled") or ()),
        )
    if cls is StaffMessage:
        return StaffMessage(
            text=str(params.get("text") or ""),
            part=_optional_int(params.get("part")),
            parts=_optional_int(params.get("parts")),
        )
    if cls is RatingAsked:
        return RatingAsked(occasion=str(params.get("occasion") or ""))
    if cls in REMINDERS.values():
        return cls(event=_date(params["event"]))  # type: ignore[call-arg]
    return ReminderOfficial()
