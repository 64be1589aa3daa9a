"""core.forecast (issue 13 item 3; p.7 and the MRP table of domain.md §4): a worked
example computed by hand, the window of quarters, and the "MRP not yet known" mark."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.forecast import QuarterKey, forecast, forecast_window, quarter_key, quarter_months
from core.months import Month
from core.mrp import mrp_table

M = Month


def test_window_rest_of_the_school_year_and_the_next() -> None:
    # November 2025: Q2..Q4 of 2025/2026, then the four quarters of 2026/2027.
    assert forecast_window(date(2025, 11, 10)) == (
        QuarterKey(2025, 2),
        QuarterKey(2025, 3),
        QuarterKey(2025, 4),
        QuarterKey(2026, 1),
        QuarterKey(2026, 2),
        QuarterKey(2026, 3),
        QuarterKey(2026, 4),
    )
    # In the summer the coming school year is the current one.
    assert forecast_window(date(2026, 7, 1))[0] == QuarterKey(2026, 1)
    assert forecast_window(date(2026, 7, 1))[-1] == QuarterKey(2027, 4)
    # Late May: Q4 still runs.
    assert forecast_window(date(2026, 5, 31))[0] == QuarterKey(2025, 4)


def test_quarter_key_across_the_new_year() -> None:
    assert quarter_key(M(2026, 2)) == QuarterKey(2025, 3)
    assert quarter_key(M(2025, 9)) == QuarterKey(2025, 1)
    assert quarter_key(M(2026, 7)) is None


def test_worked_example_by_hand() -> None:
    """On 10.11.2025, MRP 2025 = 3932, 2026 = 4325 (2027 not in the table):

    approved  Q1 2025/26 (10.2025)          8 × 3932 / 2            = 15 728.00 (arrears)
    approved  Q2 2025/26 (11, 12.2025)      8 × (3932 + 3932) / 2   = 31 456.00
    approved  Q3 2025/26 (02, 03.2026)      8 × (4325 + 4325) / 3   = 23 066.67
    pending   Q3 2025/26 (01–03.2026)       8 × 3 × 4325 / 3        = 34 600.00
    pending   Q1 2026/27 (09, 10.2026)      8 × 2 × 4325 / 2        = 34 600.00
    approved  Q3 2026/27 (01.2027)          8 × 4325 / 3            = 11 533.33 (2027 unknown)
    """
    assert [e.amount for e in mrp_table() if e.since.year in (2025, 2026)] == [3932, 4325]
    result = forecast(
        date(2025, 11, 10),
        approved=[
            (M(2025, 10),),
            (M(2025, 11), M(2025, 12)),
            (M(2026, 2), M(2026, 3)),
            (M(2027, 1),),
        ],
        pending=[(M(2026, 1), M(2026, 2), M(2026, 3)), (M(2026, 9), M(2026, 10))],
    )
    by_key = {(q.key.start_year, q.key.number): q for q in result.quarters}
    assert by_key[(2025, 2)].approved == Decimal("31456.00")
    assert by_key[(2025, 2)].pending == Decimal("0.00")
    assert by_key[(2025, 3)].approved == Decimal("23066.67")
    assert by_key[(2025, 3)].pending == Decimal("34600.00")
    assert by_key[(2025, 3)].total == Decimal("57666.67")
    assert (by_key[(2025, 3)].approved_count, by_key[(2025, 3)].pending_count) == (1, 1)
    assert by_key[(2026, 1)].pending == Decimal("34600.00")
    assert by_key[(2026, 3)].approved == Decimal("11533.33")
    assert by_key[(2025, 4)].total == Decimal("0.00")
    assert result.arrears_approved == Decimal("15728.00")
    assert result.approved_total == Decimal("66056.00")
    assert result.pending_total == Decimal("69200.00")
    # The MRP of each month; 2027 priced with the last known MRP and marked.
    q2 = by_key[(2025, 2)]
    assert [(str(m.month), m.mrp, m.known) for m in q2.months] == [
        ("2025-11", 3932, True),
        ("2025-12", 3932, True),
    ]
    q3_next = by_key[(2026, 3)]
    assert [(m.mrp, m.known) for m in q3_next.months] == [(4325, False)] * 3
    assert not q3_next.mrp_known and by_key[(2026, 1)].mrp_known
    assert result.unknown_years == (2027,)
    assert [q.school_year for q in result.quarters][:3] == ["2025/2026"] * 3


def test_the_months_of_an_academic_quarter() -> None:
    """p.7, Alatau's quarters: Q3 of 2025/2026 is January–March 2026, Q1 September–October
    2025 (the school year starts in September)."""
    assert quarter_months(QuarterKey(2025, 3)) == (Month(2026, 1), Month(2026, 2), Month(2026, 3))
    assert quarter_months(QuarterKey(2025, 1))[0] == Month(2025, 9)
