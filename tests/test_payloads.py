"""The outbox payloads of the parent's notifications (bot.payloads): one codec, every kind
round-trips with its types (Decimal stays Decimal, Month stays Month, dates stay dates),
and rows queued in the stored JSON shape before the payloads were typed decode and
re-encode to the same keys and values (no migration)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest

from bot.payloads import (
    KINDS,
    Approved,
    DocumentsReceived,
    DocumentsRequested,
    Overpayment,
    Payload,
    QuarterCorrected,
    QuarterLine,
    QuarterPaid,
    RatingAsked,
    Rejected,
    ReminderAge18,
    ReminderCertificateEnd,
    ReminderDisabilityEnd,
    ReminderNewSchoolYear,
    ReminderOfficial,
    StaffMessage,
    Taken,
    Terminated,
    Withdrawn,
    decode,
    encode,
)
from core.months import Month
from tests.test_notifications import PARAMS

QUARTER = QuarterLine(
    school_year="2025/2026",
    quarter=2,
    months=(Month(2025, 11), Month(2025, 12)),
    amount=Decimal("31456.5"),
)

EXAMPLES: list[Payload] = [
    Taken(),
    DocumentsRequested(comment="справка <с печатью>"),
    DocumentsReceived(),
    Approved(quarters=(QUARTER, QUARTER), total=Decimal("62913.00"), comment="ок"),
    Rejected(ground=4, comment="нет согласия"),
    Withdrawn(comment="сам"),
    QuarterPaid(QUARTER),
    QuarterCorrected(QUARTER, stopped=True),
    Overpayment(amount=Decimal("15728.10"), reason="двойная выплата"),
    Terminated(
        reason="death", on=dt.date(2026, 1, 10), stop_month=Month(2026, 2), cancelled=(QUARTER,)
    ),
    StaffMessage(text="Принесите оригинал", part=1, parts=2),
    ReminderCertificateEnd(event=dt.date(2026, 5, 31)),
    ReminderAge18(event=dt.date(2026, 2, 10)),
    ReminderDisabilityEnd(event=dt.date(2026, 3, 31)),
    ReminderNewSchoolYear(event=dt.date(2026, 9, 1)),
    ReminderOfficial(),
    RatingAsked(occasion="decision"),
]


def test_every_kind_has_an_example() -> None:
    assert sorted(p.kind for p in EXAMPLES) == sorted(KINDS)


def _types(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_types(v) for v in value]
    if isinstance(value, QuarterLine):
        return {f.name: _types(getattr(value, f.name)) for f in fields(value)}
    return type(value)


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.kind)
def test_round_trip_keeps_values_and_types(payload: Payload) -> None:
    stored = json.loads(json.dumps(encode(payload)))  # what the JSONB column gives back
    assert stored["kind"] == payload.kind
    back = decode(stored["kind"], stored["params"])
    assert back == payload
    for field in fields(payload):
        assert _types(getattr(back, field.name)) == _types(getattr(payload, field.name))


def test_money_months_and_dates_are_stored_as_before() -> None:
    stored = encode(Terminated("death", dt.date(2026, 1, 10), Month(2026, 2), (QUARTER,)))
    assert stored["params"] == {
        "reason": "death",
        "on": "2026-01-10",
        "stop_month": "2026-02",
        "cancelled": [
            {
                "school_year": "2025/2026",
                "quarter": 2,
                "months": ["2025-11", "2025-12"],
                "amount": "31456.50",
            }
        ],
    }
    back = decode("terminated", stored["params"])
    assert isinstance(back, Terminated)
    assert isinstance(back.cancelled[0].amount, Decimal)
    assert back.cancelled[0].months == (Month(2025, 11), Month(2025, 12))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_rows_queued_before_decode_to_the_same_json(kind: str) -> None:
    """A row already in the outbox (old shape, with the application number) decodes, and
    encodes back to the very same params."""
    old = {"number": "ALA-2025-000007", **PARAMS[kind]}
    payload = decode(kind, old)
    assert encode(payload) == {"kind": kind, "params": PARAMS[kind]}


# ------------------------------------------------------------------ staff notices


def test_staff_notices_keep_the_stored_json_shape() -> None:
    """The digest and the quarter-open notice (bot.staff_payloads) store the JSON their
    rows always had; stored rows decode to typed fields and re-encode unchanged."""
    from bot.staff_payloads import (
        STAFF_KINDS,
        CalendarMissing,
        DueToday,
        RegisterOpen,
        TermDigest,
    )
    from bot.staff_payloads import Overdue as OverdueLine
    from bot.staff_payloads import decode as decode_staff
    from bot.staff_payloads import encode as encode_staff

    digest = TermDigest(
        date=dt.date(2025, 12, 25),
        due=(DueToday("ALA-2025-000007", 8, 8),),
        overdue=(OverdueLine("ALA-2025-000008", 3, dt.date(2025, 12, 22)),),
        unknown=(CalendarMissing("ALA-2027-000001", 2027),),
    )
    assert encode_staff(digest) == {"kind": "term_digest", "params": PARAMS["term_digest"]}
    assert encode_staff(RegisterOpen(2025, 3)) == {
        "kind": "register_open",
        "params": PARAMS["register_open"],
    }
    for kind in STAFF_KINDS:
        stored = json.loads(json.dumps(PARAMS[kind]))
        notice = decode_staff(kind, stored)
        assert encode_staff(notice) == {"kind": kind, "params": stored}
    assert decode_staff("term_digest", PARAMS["term_digest"]) == digest
    assert decode_staff("term_digest", {"date": "2025-12-26", "due": [[1, "2", "8"]]}) == (
        TermDigest(dt.date(2025, 12, 26), due=(DueToday("1", 2, 8),))
    )
