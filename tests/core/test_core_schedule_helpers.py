"""Fixed cases of the schedule's helpers and its JSON shape (p.4, p.5, p.7).

The worked examples of domain.md §4 and the other schedule cases are data:
tests/core/cases/worked_examples.toml, run by tests/core/test_core_worked_examples.py.
"""

from datetime import date
from decimal import Decimal

from core.months import Month
from core.schedule import (
    EstimateRequest,
    eighteenth_birthday,
    estimate,
    estimate_to_json,
    quarter_amount,
)

CERT_2025 = {"certificate_start": Month(2025, 9), "certificate_end": Month(2026, 5)}


def test_json_shape_exactly_as_architecture() -> None:
    e = estimate(EstimateRequest(applied=date(2025, 11, 15), birth=date(2015, 3, 2), **CERT_2025))
    data = estimate_to_json(e)
    assert list(data) == ["quarters", "total", "stops", "notes"]
    assert data["quarters"][0] == {  # type: ignore[index]
        "school_year": "2025/2026",
        "quarter": 2,
        "months": ["2025-11", "2025-12"],
        "paid_months": 2,
        "quarter_months": 2,
        "mrp": [3932, 3932],
        "amount": "31456.00",
    }
    assert data["total"] == "100656.00"
    assert data["stops"] == {"month": "2026-05", "reason": "certificate_end"}
    assert data["notes"] == []


def test_quarter_amount_rounds_half_up_once() -> None:
    assert quarter_amount(8, 4325 * 2, 3) == Decimal("23066.67")
    assert quarter_amount(8, 4325, 3) == Decimal("11533.33")
    assert quarter_amount(1, 1, 8) == Decimal("0.13")  # 0.125 → 0.13 (half up)
    assert quarter_amount(1, 3, 8) == Decimal("0.38")  # 0.375 → 0.38
    assert str(quarter_amount(8, 0, 2)) == "0.00"


def test_eighteenth_birthday() -> None:
    assert eighteenth_birthday(date(2008, 2, 10)) == date(2026, 2, 10)
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 2, 28)
    assert eighteenth_birthday(date(2006, 2, 28)) == date(2024, 2, 28)
    assert eighteenth_birthday(date(9990, 1, 1)) == date.max
