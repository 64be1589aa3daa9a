"""How staff name a quarter in /register (issue 13 item 2): the forms accepted and refused."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.usecases.register import BadQuarter, parse_quarter
from core.forecast import QuarterKey

TODAY = dt.date(2026, 2, 20)


@pytest.mark.parametrize(
    "text",
    [
        "2025/2026 Q3",
        "2025/26 Q3",
        "2025-2026 q3",
        "Q3 2025/2026",
        "2025/2026 3",
        "2025/2026 3-тоқсан",
        "3-тоқсан 2025/2026",
        "3 кв. 2025/2026",
        "2025/2026, 3 квартал",
    ],
)
def test_accepted(text: str) -> None:
    assert parse_quarter(text, TODAY) == QuarterKey(2025, 3)


@pytest.mark.parametrize(
    "text", ["2025/2027 Q3", "2025/2026 Q5", "2025 Q3", "Q3", "вчера", "2025/2026 Q3 Q4"]
)
def test_refused(text: str) -> None:
    with pytest.raises(BadQuarter):
        parse_quarter(text, TODAY)


def test_nothing_is_the_current_or_next_quarter() -> None:
    assert parse_quarter("", TODAY) == QuarterKey(2025, 3)
    assert parse_quarter(None, dt.date(2026, 7, 1)) == QuarterKey(2026, 1)
    assert parse_quarter(" ", dt.date(2025, 12, 31)) == QuarterKey(2025, 2)
