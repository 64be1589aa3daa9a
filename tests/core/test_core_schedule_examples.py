"""The worked examples of domain.md §4 and other fixed cases of p.4, p.5, p.7."""

from datetime import date
from decimal import Decimal

import pytest

from core.months import Month
from core.notes import NOTHING_PAYABLE_PARAGRAPHS, Note
from core.parameters import MrpNotAvailable, PaymentPolicy
from core.schedule import (
    EstimateRequest,
    Stop,
    StopReason,
    eighteenth_birthday,
    estimate,
    estimate_to_json,
    quarter_amount,
)

CERT_2025 = {"certificate_start": Month(2025, 9), "certificate_end": Month(2026, 5)}


def rows(request: EstimateRequest) -> list[tuple[str, int, list[str], str]]:
    e = estimate(request)
    return [
        (q.school_year, q.quarter, [str(m) for m in q.months], str(q.amount)) for q in e.quarters
    ]


def test_example_1() -> None:
    request = EstimateRequest(applied=date(2025, 11, 15), birth=date(2015, 3, 2), **CERT_2025)
    e = estimate(request)
    assert rows(request) == [
        ("2025/2026", 2, ["2025-11", "2025-12"], "31456.00"),
        ("2025/2026", 3, ["2026-01", "2026-02", "2026-03"], "34600.00"),
        ("2025/2026", 4, ["2026-04", "2026-05"], "34600.00"),
    ]
    assert e.total == Decimal("100656.00")
    assert e.last_month == Month(2026, 5)
    assert e.stop_reason is StopReason.CERTIFICATE_END
    assert e.notes == ()


def test_example_2() -> None:
    request = EstimateRequest(applied=date(2025, 10, 20), birth=date(2015, 3, 2), **CERT_2025)
    e = estimate(request)
    q1 = e.quarters[0]
    assert (q1.quarter, q1.paid_months, q1.quarter_months, q1.mrp, q1.amount) == (
        1,
        1,
        2,
        (3932,),
        Decimal("15728.00"),
    )
    assert [str(q.amount) for q in e.quarters] == ["15728.00", "31456.00", "34600.00", "34600.00"]
    assert e.total == Decimal("116384.00")


def test_example_3_eighteenth_birthday() -> None:
    request = EstimateRequest(applied=date(2025, 11, 15), birth=date(2008, 2, 10), **CERT_2025)
    e = estimate(request)
    assert rows(request) == [
        ("2025/2026", 2, ["2025-11", "2025-12"], "31456.00"),
        ("2025/2026", 3, ["2026-01", "2026-02"], "23066.67"),
    ]
    assert e.total == Decimal("54522.67")
    assert e.last_month == Month(2026, 2)
    assert e.stop_reason is StopReason.AGE_18


def test_example_4_nothing_payable() -> None:
    request = EstimateRequest(
        applied=date(2026, 6, 5), certificate_end=Month(2026, 5), birth=date(2015, 3, 2)
    )
    e = estimate(request)
    assert e.quarters == ()
    assert e.total == Decimal("0.00")
    assert e.last_month is None
    assert e.notes == (Note("nothing_payable", {"reason": "certificate_ended_before_application"}),)
    assert NOTHING_PAYABLE_PARAGRAPHS["certificate_ended_before_application"] == "p.4"
    data = estimate_to_json(e)
    assert data["total"] == "0.00"
    assert data["stops"] == {"month": None, "reason": "certificate_end"}
    (sentence,) = data["notes"]  # type: ignore[misc]
    assert "p.4" in sentence and "new certificate" in sentence


def test_example_5_mrp_change_in_april_2022() -> None:
    request = EstimateRequest(
        applied=date(2022, 1, 10),
        certificate_start=Month(2022, 1),
        certificate_end=Month(2022, 5),
        birth=date(2015, 3, 2),
    )
    assert rows(request) == [
        ("2021/2022", 3, ["2022-01", "2022-02", "2022-03"], "24504.00"),
        ("2021/2022", 4, ["2022-04", "2022-05"], "25440.00"),
    ]
    assert estimate(request).total == Decimal("49944.00")


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


def test_never_before_certificate_start() -> None:
    request = EstimateRequest(
        applied=date(2025, 9, 1),
        certificate_start=Month(2025, 11),
        certificate_end=Month(2025, 12),
        birth=date(2015, 3, 2),
    )
    assert rows(request) == [("2025/2026", 2, ["2025-11", "2025-12"], "31456.00")]


def test_certificate_start_after_end() -> None:
    e = estimate(
        EstimateRequest(
            applied=date(2025, 9, 1),
            certificate_start=Month(2026, 1),
            certificate_end=Month(2025, 12),
            birth=date(2015, 3, 2),
        )
    )
    assert e.notes == (Note("nothing_payable", {"reason": "certificate_start_after_end"}),)


def test_summer_only_is_outside_school_year() -> None:
    e = estimate(
        EstimateRequest(
            applied=date(2025, 6, 3), certificate_end=Month(2025, 8), birth=date(2015, 3, 2)
        )
    )
    assert e.total == 0
    assert e.notes == (Note("nothing_payable", {"reason": "outside_school_year"}),)
    assert e.stop_reason is StopReason.CERTIFICATE_END


def test_already_adult_terminated() -> None:
    e = estimate(EstimateRequest(applied=date(2025, 11, 15), birth=date(2007, 1, 1), **CERT_2025))
    assert e.total == 0
    assert e.stop_reason is StopReason.AGE_18
    assert e.notes == (Note("nothing_payable", {"reason": "terminated_before_first_month"}),)


def test_certificate_ending_in_june_last_month_is_may() -> None:
    e = estimate(
        EstimateRequest(
            applied=date(2026, 4, 2),
            certificate_end=Month(2026, 6),
            birth=date(2015, 3, 2),
        )
    )
    assert e.last_month == Month(2026, 5)
    assert e.stop_reason is StopReason.CERTIFICATE_END
    assert e.total == Decimal("34600.00")


@pytest.mark.parametrize(
    ("stop", "last", "total"),
    [
        (Stop(StopReason.STATE_INSTITUTION, date(2026, 2, 1)), "2026-02", "54522.67"),
        (Stop(StopReason.DEATH, date(2025, 12, 31)), "2025-12", "31456.00"),
        (Stop(StopReason.DEATH, date(2026, 5, 31)), "2026-05", "100656.00"),
    ],
)
def test_stop_events(stop: Stop, last: str, total: str) -> None:
    e = estimate(
        EstimateRequest(
            applied=date(2025, 11, 15), birth=date(2015, 3, 2), stops=(stop,), **CERT_2025
        )
    )
    assert str(e.last_month) == last
    assert str(e.total) == total
    assert e.stop_reason is stop.reason  # in a tie with the certificate's end the event wins


def test_disability_end() -> None:
    e = estimate(
        EstimateRequest(
            applied=date(2025, 11, 15),
            birth=date(2015, 3, 2),
            disability_until=date(2026, 1, 14),
            **CERT_2025,
        )
    )
    assert e.stop_reason is StopReason.DISABILITY_END
    assert e.last_month == Month(2026, 1)
    # Q3: Jan of 3 months → 1/3 × 34 600 = 11 533.333… → 11 533.33
    assert [str(q.amount) for q in e.quarters] == ["31456.00", "11533.33"]


def test_earliest_event_wins() -> None:
    e = estimate(
        EstimateRequest(
            applied=date(2025, 11, 15),
            birth=date(2008, 2, 10),
            disability_until=date(2026, 3, 31),
            stops=(Stop(StopReason.DEATH, date(2026, 4, 1)),),
            **CERT_2025,
        )
    )
    assert e.stop_reason is StopReason.AGE_18


def test_mrp_not_known_note_per_year() -> None:
    e = estimate(
        EstimateRequest(
            applied=date(2026, 9, 1),
            certificate_end=Month(2028, 5),
            birth=date(2015, 3, 2),
        )
    )
    assert [n for n in e.notes] == [
        Note("mrp_not_known", {"year": "2027"}),
        Note("mrp_not_known", {"year": "2028"}),
    ]
    assert all(m == 4325 for q in e.quarters for m in q.mrp)
    assert "2027" in estimate_to_json(e)["notes"][0]  # type: ignore[index]


def test_whole_quarter_policy() -> None:
    request = EstimateRequest(
        applied=date(2025, 10, 20),
        birth=date(2008, 2, 10),
        payment_policy=PaymentPolicy.WHOLE_QUARTER,
        **CERT_2025,
    )
    e = estimate(request)
    # Q1 has Oct payable → full Q1; Q3 has Jan, Feb payable → full Q3.
    assert [(q.quarter, q.paid_months, str(q.amount)) for q in e.quarters] == [
        (1, 2, "31456.00"),
        (2, 2, "31456.00"),
        (3, 3, "34600.00"),
    ]
    assert e.last_month == Month(2026, 2)
    assert e.total == Decimal("97512.00")


def test_whole_quarter_uses_each_months_mrp() -> None:
    # Q4 2021/22 = Apr, May 2022 (3180) and Q3 = Jan–Mar 2022 (3063): same as monthly when full.
    request = EstimateRequest(
        applied=date(2022, 3, 10),
        certificate_end=Month(2022, 4),
        birth=date(2015, 3, 2),
        payment_policy=PaymentPolicy.WHOLE_QUARTER,
    )
    assert [str(q.amount) for q in estimate(request).quarters] == ["24504.00", "25440.00"]


def test_before_mrp_table_raises() -> None:
    with pytest.raises(MrpNotAvailable):
        estimate(
            EstimateRequest(
                applied=date(2020, 9, 1), certificate_end=Month(2021, 5), birth=date(2012, 1, 1)
            )
        )


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
