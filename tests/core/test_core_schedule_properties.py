"""Property tests of the schedule (p.4, p.5, p.7; domain.md §4)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.months import Month
from core.mrp import mrp_on
from core.parameters import PaymentPolicy
from core.schedule import EstimateRequest, Stop, StopReason, eighteenth_birthday, estimate

PROFILE = settings(max_examples=200, deadline=None)

days = st.dates(min_value=date(2021, 1, 1), max_value=date(2028, 12, 31))
months = days.map(Month.of)
births = st.dates(min_value=date(2003, 1, 1), max_value=date(2024, 12, 31))
stop_reasons = st.sampled_from(
    [StopReason.STATE_INSTITUTION, StopReason.DEATH, StopReason.AGE_18, StopReason.DISABILITY_END]
)
stops = st.builds(Stop, stop_reasons, days)


@st.composite
def requests(draw: st.DrawFn) -> EstimateRequest:
    applied = draw(days)
    start = draw(st.none() | months)
    end = draw(months)
    return EstimateRequest(
        applied=applied,
        certificate_end=end,
        birth=draw(births),
        certificate_start=start,
        disability_until=draw(st.none() | days),
        stops=tuple(draw(st.lists(stops, max_size=2))),
        payment_policy=draw(st.sampled_from([None, PaymentPolicy.MONTHLY])),
    )


@PROFILE
@given(st.integers(2021, 2025), st.integers(1, 28))
def test_full_school_year_is_32_mrp(year: int, day: int) -> None:
    e = estimate(
        EstimateRequest(
            applied=date(year, 9, day),
            certificate_start=Month(year, 9),
            certificate_end=Month(year + 1, 5),
            birth=date(year - 8, 6, 1),
        )
    )
    autumn = mrp_on(date(year, 9, 1)).amount
    winter = mrp_on(date(year + 1, 1, 1)).amount
    spring = mrp_on(date(year + 1, 4, 1)).amount
    assert e.total == Decimal(16 * autumn + 8 * winter + 8 * spring)
    assert [q.quarter for q in e.quarters] == [1, 2, 3, 4]
    assert sum(q.paid_months for q in e.quarters) == 9


@PROFILE
@given(requests())
def test_nothing_paid_outside_the_payable_period(request: EstimateRequest) -> None:
    e = estimate(request)
    applied = Month.of(request.applied)
    termination_months = [Month.of(s.on) for s in request.stops]
    if request.disability_until is not None:
        termination_months.append(Month.of(request.disability_until))
    termination_months.append(Month.of(eighteenth_birthday(request.birth)))
    for q in e.quarters:
        assert q.paid_months == len(q.months) == len(q.mrp)
        assert 0 < q.paid_months <= q.quarter_months
        for m in q.months:
            assert m.month not in (6, 7, 8)
            assert m >= applied
            assert request.certificate_start is None or m >= request.certificate_start
            assert m <= request.certificate_end
            assert all(m <= t for t in termination_months)
    if e.last_month is not None:
        assert e.last_month == max(m for q in e.quarters for m in q.months)


@PROFILE
@given(requests(), stops)
def test_adding_a_termination_never_raises_the_total(request: EstimateRequest, stop: Stop) -> None:
    before = estimate(request).total
    after = estimate(replace(request, stops=(*request.stops, stop))).total
    assert after <= before


@PROFILE
@given(requests())
def test_totals_never_negative_and_add_up(request: EstimateRequest) -> None:
    e = estimate(request)
    assert e.total >= 0
    assert e.total == sum((q.amount for q in e.quarters), Decimal("0.00"))
    assert e.total.as_tuple().exponent == -2
    for q in e.quarters:
        assert q.amount <= 8 * max(q.mrp)
    assert (e.total == 0) == any(n.code == "nothing_payable" for n in e.notes)


@PROFILE
@given(requests())
def test_whole_quarter_pays_at_least_monthly(request: EstimateRequest) -> None:
    monthly = estimate(replace(request, payment_policy=PaymentPolicy.MONTHLY))
    whole = estimate(replace(request, payment_policy=PaymentPolicy.WHOLE_QUARTER))
    assert whole.total >= monthly.total
    assert [(q.school_year, q.quarter) for q in whole.quarters] == [
        (q.school_year, q.quarter) for q in monthly.quarters
    ]
    for q in whole.quarters:
        assert q.paid_months == q.quarter_months


@PROFILE
@given(requests())
def test_mrp_not_known_notes_for_years_past_the_table(request: EstimateRequest) -> None:
    e = estimate(request)
    used_years = {m.year for q in e.quarters for m in q.months}
    noted = {n.params["year"] for n in e.notes if n.code == "mrp_not_known"}
    assert noted == {str(y) for y in used_years if y > 2026}
