from datetime import date

import pytest

from core.months import Month, month_at


def test_of_and_str_and_display() -> None:
    m = Month.of(date(2025, 11, 15))
    assert m == Month(2025, 11)
    assert str(m) == "2025-11"
    assert m.display() == "11.2025"
    assert m.first_day() == date(2025, 11, 1)


def test_next_prev_wrap_years() -> None:
    assert Month(2025, 12).next() == Month(2026, 1)
    assert Month(2026, 1).prev() == Month(2025, 12)
    assert Month(2025, 9).plus(8) == Month(2026, 5)
    assert Month(2024, 2).last_day() == date(2024, 2, 29)
    assert Month(2025, 12).last_day() == date(2025, 12, 31)


def test_order_and_index() -> None:
    assert Month(2025, 12) < Month(2026, 1)
    assert month_at(Month(2026, 3).index) == Month(2026, 3)


def test_parse_iso() -> None:
    assert Month.parse_iso("2025-09") == Month(2025, 9)
    for bad in ("2025-13", "2025-9", "09.2025", "", "2025-00"):
        with pytest.raises(ValueError):
            Month.parse_iso(bad)


def test_invalid_month_rejected() -> None:
    with pytest.raises(ValueError):
        Month(2025, 0)
