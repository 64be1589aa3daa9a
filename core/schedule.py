"""The payment schedule of p.4, p.5 and p.7 of decision 11-36 (domain.md §4).

Per academic quarter, per month: a payable month earns
``amount_mrp × MRP(1st of the month) / months in its quarter``; a quarter's amount
is computed exactly and rounded half-up to 0.01 ₸ once. Payable: from the month
of application (never before the certificate's first month) to the certificate's
last month (p.4), nothing after the month of a termination event (p.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.months import Month, month_at
from core.mrp import mrp_for_month_index
from core.notes import MRP_NOT_KNOWN, NOTHING_PAYABLE, Note, describe
from core.policy import LocalityPolicy, PaymentPolicy, default_policy
from core.termination import (
    Stop,
    StopReason,
    eighteenth_birthday,
    last_payable,
    termination_events,
)

__all__ = [
    "Estimate",
    "EstimateRequest",
    "Note",
    "QuarterPayment",
    "Stop",
    "StopReason",
    "eighteenth_birthday",
    "estimate",
    "estimate_to_json",
    "quarter_amount",
]

_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class EstimateRequest:
    """The facts an estimate needs (p.4: application date and certificate term;
    p.5: birth date, disability term, other termination events)."""

    applied: date
    certificate_end: Month
    birth: date
    certificate_start: Month | None = None
    disability_until: date | None = None
    stops: tuple[Stop, ...] = ()
    payment_policy: PaymentPolicy | None = None


@dataclass(frozen=True)
class QuarterPayment:
    """One academic quarter's payment (p.7): ``months`` are the months paid,
    ``mrp`` their MRP on the 1st day (budget Law), ``amount`` rounded once."""

    school_year: str
    quarter: int
    months: tuple[Month, ...]
    paid_months: int
    quarter_months: int
    mrp: tuple[int, ...]
    amount: Decimal


@dataclass(frozen=True)
class Estimate:
    """The schedule of p.4/p.5/p.7: quarters, total, the last payable month and
    what ended the period, and notes (MRP not yet known, nothing payable)."""

    quarters: tuple[QuarterPayment, ...]
    total: Decimal
    last_month: Month | None
    stop_reason: StopReason
    notes: tuple[Note, ...]


def quarter_amount(amount_mrp: int, mrp_sum: int, quarter_months: int) -> Decimal:
    """``amount_mrp × mrp_sum / quarter_months`` rounded half-up to 0.01 ₸, exactly
    (integer arithmetic, one rounding per quarter; p.7, domain.md §4)."""
    numerator = amount_mrp * mrp_sum * 100
    cents = (2 * numerator + quarter_months) // (2 * quarter_months)
    return Decimal(cents).scaleb(-2)


def estimate(request: EstimateRequest, policy: LocalityPolicy | None = None) -> Estimate:
    """The payment schedule for a request under a locality policy (p.4, p.5, p.7).

    ``policy`` defaults to Alatau's; ``request.payment_policy`` overrides the
    policy's switch. Monthly: each payable month earns amount × MRP / months in the
    quarter. Whole quarter: a quarter with any payable month earns amount × (sum of
    the MRP of all its months) / months in the quarter, i.e. the full quarter.
    Raises MrpNotAvailable for months before the first row of the MRP table.
    """
    if policy is None:
        policy = default_policy()
    mode = request.payment_policy or policy.payment_policy
    first = Month.of(request.applied).index
    if request.certificate_start is not None and request.certificate_start.index > first:
        first = request.certificate_start.index
    events = termination_events(request.birth, request.disability_until, request.stops)
    last_month, stop_reason = last_payable(request.certificate_end, events)
    last = last_month.index

    # (school-year start year, quarter number) -> payable month indexes, in order.
    groups: dict[tuple[int, int], list[int]] = {}
    start_month = policy.school_year_start_month
    last_paid = -1
    for index in range(first, last + 1):
        year, zero_based = divmod(index, 12)
        quarter = policy.quarter_of(zero_based + 1)
        if quarter is None:
            continue
        school_year = year if zero_based + 1 >= start_month else year - 1
        key = (school_year, quarter.number)
        bucket = groups.get(key)
        if bucket is None:
            groups[key] = [index]
        else:
            bucket.append(index)
        last_paid = index

    whole = mode is PaymentPolicy.WHOLE_QUARTER
    unknown_years: set[int] = set()
    quarters: list[QuarterPayment] = []
    total = _ZERO
    for (school_year, number), indexes in groups.items():
        scheme = policy.quarters[number - 1]
        if whole:
            indexes = [
                (school_year if m >= start_month else school_year + 1) * 12 + m - 1
                for m in scheme.months
            ]
        amounts: list[int] = []
        for index in indexes:
            lookup = mrp_for_month_index(index)
            if not lookup.known:
                unknown_years.add(index // 12)
            amounts.append(lookup.amount)
        n = len(scheme.months)
        amount = quarter_amount(policy.amount_mrp, sum(amounts), n)
        total += amount
        quarters.append(
            QuarterPayment(
                school_year=policy.school_year_label(school_year),
                quarter=number,
                months=tuple(month_at(index) for index in indexes),
                paid_months=len(indexes),
                quarter_months=n,
                mrp=tuple(amounts),
                amount=amount,
            )
        )

    notes = [Note(MRP_NOT_KNOWN, {"year": str(year)}) for year in sorted(unknown_years)]
    if not quarters:
        notes.append(
            Note(NOTHING_PAYABLE, {"reason": _why_nothing(request, first, last, stop_reason)})
        )
    return Estimate(
        quarters=tuple(quarters),
        total=total,
        last_month=month_at(last_paid) if last_paid >= 0 else None,
        stop_reason=stop_reason,
        notes=tuple(notes),
    )


def _why_nothing(request: EstimateRequest, first: int, last: int, stop: StopReason) -> str:
    """The reason code of a ``nothing_payable`` note (p.4, p.5, p.7)."""
    if last >= first:
        return "outside_school_year"
    if stop is not StopReason.CERTIFICATE_END:
        return "terminated_before_first_month"
    start = request.certificate_start
    if start is not None and start.index > request.certificate_end.index:
        return "certificate_start_after_end"
    return "certificate_ended_before_application"


def estimate_to_json(e: Estimate) -> dict[str, object]:
    """The estimate in the JSON shape of architecture.md (``python -m core estimate
    --json``): amounts as strings with two decimals, notes as English sentences
    (p.4, p.5, p.7, budget Law for "MRP not yet known")."""
    return {
        "quarters": [
            {
                "school_year": q.school_year,
                "quarter": q.quarter,
                "months": [str(m) for m in q.months],
                "paid_months": q.paid_months,
                "quarter_months": q.quarter_months,
                "mrp": list(q.mrp),
                "amount": f"{q.amount:.2f}",
            }
            for q in e.quarters
        ],
        "total": f"{e.total:.2f}",
        "stops": {
            "month": str(e.last_month) if e.last_month is not None else None,
            "reason": e.stop_reason.value,
        },
        "notes": [describe(note) for note in e.notes],
    }
