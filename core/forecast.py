"""The budget forecast of the Department (issue 13 item 3): money due per academic
quarter for the rest of the school year and the next one (p.7 of decision 11-36:
8 MRP per child per quarter during the school year), priced with the MRP of each
month from the budget Laws (``core/params/mrp.toml``, domain.md §4).

Each input is one quarter of one schedule: its payable months. Its amount is the
schedule's own rule (core.schedule.quarter_amount: ``amount_mrp × sum of the MRP
of its months / months in the quarter``, rounded once), so an approved quarter
is forecast with exactly the amount the card shows while its MRP is known. A
month of a year whose MRP the table does not know yet is priced with the last
known MRP and marked (``known=False``; its year is in ``Forecast.unknown_years``).
Approved schedules and applications not yet decided are summed apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.months import Month
from core.mrp import mrp_for_month_index
from core.policy import LocalityPolicy, default_policy
from core.schedule import quarter_amount

__all__ = [
    "Forecast",
    "ForecastMonth",
    "ForecastQuarter",
    "QuarterKey",
    "forecast",
    "forecast_window",
    "quarter_key",
]

_ZERO = Decimal("0.00")


@dataclass(frozen=True, order=True)
class QuarterKey:
    """An academic quarter of p.7: the calendar year its school year starts in and the
    quarter's number (Alatau: 2025, 3 = Q3 of 2025/2026, January–March 2026)."""

    start_year: int
    number: int


def quarter_key(month: Month, policy: LocalityPolicy | None = None) -> QuarterKey | None:
    """The academic quarter (p.7) a calendar month belongs to, or None outside the
    school year (Alatau: June–August; domain.md §4)."""
    policy = policy or default_policy()
    scheme = policy.quarter_of(month.month)
    if scheme is None:
        return None
    return QuarterKey(policy.school_year_of(month.year, month.month), scheme.number)


def quarter_months(key: QuarterKey, policy: LocalityPolicy | None = None) -> tuple[Month, ...]:
    """The calendar months of an academic quarter (p.7), in order (Alatau: Q3 of 2025/2026
    is January, February, March 2026)."""
    return _quarter_months(key, policy or default_policy())


def _quarter_months(key: QuarterKey, policy: LocalityPolicy) -> tuple[Month, ...]:
    scheme = policy.quarters[key.number - 1]
    start = policy.school_year_start_month
    return tuple(
        Month(key.start_year if m >= start else key.start_year + 1, m) for m in scheme.months
    )


def forecast_window(today: date, policy: LocalityPolicy | None = None) -> tuple[QuarterKey, ...]:
    """The quarters a forecast covers on ``today`` (p.7, domain.md §4): the rest of the
    current school year — the quarter of this month (or the next one, in a month
    outside the school year) to the year's last quarter — and every quarter of the
    next school year. In the summer, the coming school year counts as the current one."""
    policy = policy or default_policy()
    this = Month.of(today)
    start_year = policy.school_year_of(this.year, this.month)
    rest = [
        QuarterKey(start_year, scheme.number)
        for scheme in policy.quarters
        if max(_quarter_months(QuarterKey(start_year, scheme.number), policy)) >= this
    ]
    if not rest:  # the summer after the school year: the coming one is "current"
        start_year += 1
        rest = [QuarterKey(start_year, scheme.number) for scheme in policy.quarters]
    following = [QuarterKey(start_year + 1, scheme.number) for scheme in policy.quarters]
    return tuple(rest + following)


@dataclass(frozen=True)
class ForecastMonth:
    """One month of a forecast quarter and its MRP on the 1st day (budget Law,
    domain.md §4); ``known`` is False when its year is past the MRP table."""

    month: Month
    mrp: int
    known: bool


@dataclass(frozen=True)
class ForecastQuarter:
    """Money due in one academic quarter (p.7): from approved schedules (``approved``,
    over ``approved_count`` quarters of schedules) and from applications not yet
    decided (``pending``, ``pending_count``), with the MRP of each of its months."""

    key: QuarterKey
    school_year: str
    months: tuple[ForecastMonth, ...]
    approved: Decimal = _ZERO
    pending: Decimal = _ZERO
    approved_count: int = 0
    pending_count: int = 0

    @property
    def mrp_known(self) -> bool:
        """Whether every month of the quarter has its MRP in the table (domain.md §4)."""
        return all(m.known for m in self.months)

    @property
    def total(self) -> Decimal:
        """Approved and not yet decided together (p.7)."""
        return self.approved + self.pending


@dataclass(frozen=True)
class Forecast:
    """The forecast of p.7 payments over ``forecast_window``: ``quarters`` in order;
    ``arrears_*`` are quarters before the window still unpaid (approved) or payable
    once decided (pending); ``later_*`` fall after the window; ``unknown_years`` are
    the calendar years priced with the last known MRP (domain.md §4)."""

    today: date
    quarters: tuple[ForecastQuarter, ...]
    arrears_approved: Decimal = _ZERO
    arrears_pending: Decimal = _ZERO
    later_approved: Decimal = _ZERO
    later_pending: Decimal = _ZERO
    unknown_years: tuple[int, ...] = field(default=())

    @property
    def approved_total(self) -> Decimal:
        """Money due in the window from approved schedules (p.7)."""
        return sum((q.approved for q in self.quarters), _ZERO)

    @property
    def pending_total(self) -> Decimal:
        """Money due in the window if every pending application were approved (p.7)."""
        return sum((q.pending for q in self.quarters), _ZERO)


def _amount(months: Sequence[Month], policy: LocalityPolicy, unknown: set[int]) -> Decimal:
    scheme = policy.quarter_of(months[0].month)
    size = len(scheme.months) if scheme is not None else len(months)
    total = 0
    for month in months:
        lookup = mrp_for_month_index(month.index)
        if not lookup.known:
            unknown.add(month.year)
        total += lookup.amount
    return quarter_amount(policy.amount_mrp, total, size)


def forecast(
    today: date,
    approved: Iterable[Sequence[Month]],
    pending: Iterable[Sequence[Month]] = (),
    policy: LocalityPolicy | None = None,
) -> Forecast:
    """The money due per academic quarter (p.7) from ``today`` to the end of the next
    school year (``forecast_window``), priced with the MRP table (budget Laws,
    domain.md §4).

    ``approved``: the payable months of each quarter still to be paid of every approved
    schedule (planned quarters); ``pending``: the payable months of each quarter of the
    schedule each undecided application would get (core.schedule.estimate). Each item
    earns ``quarter_amount(amount_mrp, sum of its months' MRP, months in its quarter)``
    — the schedule's own amount. A year whose MRP is not yet known is priced with the
    last known MRP and listed in ``unknown_years``.

    Worked example (Alatau, 8 MRP; MRP 2025 = 3932, 2026 = 4325, 2027 unknown → 4325)
    on 15.01.2026: an approved Q3 2025/2026 with 01–03.2026 earns 8 × 3 × 4325 / 3 =
    34 600.00; a pending Q4 with 04–05.2026 earns 8 × 2 × 4325 / 2 = 34 600.00; an
    approved 2026/2027 Q3 with 01.2027 only earns 8 × 4325 / 3 = 11 533.33 and marks
    2027 unknown.
    """
    policy = policy or default_policy()
    window = forecast_window(today, policy)
    first, last = window[0], window[-1]
    unknown: set[int] = set()
    sums: dict[QuarterKey, list[Decimal]] = {k: [_ZERO, _ZERO] for k in window}
    counts: dict[QuarterKey, list[int]] = {k: [0, 0] for k in window}
    outside = {"arrears": [_ZERO, _ZERO], "later": [_ZERO, _ZERO]}
    for slot, items in enumerate((approved, pending)):
        for months in items:
            ordered = sorted(months)
            if not ordered:
                continue
            key = quarter_key(ordered[0], policy)
            if key is None:
                continue
            amount = _amount(ordered, policy, unknown)
            if key < first:
                outside["arrears"][slot] += amount
            elif key > last:
                outside["later"][slot] += amount
            else:
                sums[key][slot] += amount
                counts[key][slot] += 1
    quarters = []
    for key in window:
        priced: list[ForecastMonth] = []
        for month in _quarter_months(key, policy):
            lookup = mrp_for_month_index(month.index)
            if not lookup.known:
                unknown.add(month.year)
            priced.append(ForecastMonth(month, lookup.amount, lookup.known))
        quarters.append(
            ForecastQuarter(
                key=key,
                school_year=policy.school_year_label(key.start_year),
                months=tuple(priced),
                approved=sums[key][0],
                pending=sums[key][1],
                approved_count=counts[key][0],
                pending_count=counts[key][1],
            )
        )
    return Forecast(
        today=today,
        quarters=tuple(quarters),
        arrears_approved=outside["arrears"][0],
        arrears_pending=outside["arrears"][1],
        later_approved=outside["later"][0],
        later_pending=outside["later"][1],
        unknown_years=tuple(sorted(unknown)),
    )
