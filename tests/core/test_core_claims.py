"""One claim per child (p.3, p.7): worked examples of core.claims."""

from datetime import date

from core.claims import Claim, ClaimPeriod, claim_period, competing_claims
from core.months import Month
from core.status import Status

SEP_2025, NOV_2025, MAY_2026 = Month(2025, 9), Month(2025, 11), Month(2026, 5)


def test_worked_example_second_application_for_the_same_child() -> None:
    """Mother applied on 15.10.2025 with a certificate 09.2025–05.2026 (p.4: she claims
    10.2025–05.2026; approved). The father applies on 15.11.2025 with the same
    certificate: he claims 11.2025–05.2026, which overlaps hers in 11.2025–05.2026,
    so his application competes with hers (p.3: paid to ONE parent; p.7: per child).
    A refused application and last school year's approved one (09.2024–05.2025) do not."""
    mother = Claim(
        "ALA-2025-000001",
        Status.APPROVED,
        claim_period(date(2025, 10, 15), MAY_2026, SEP_2025),
    )
    assert mother.period == ClaimPeriod(Month(2025, 10), MAY_2026)
    refused = Claim("ALA-2025-000002", Status.REJECTED, mother.period)
    last_year = Claim(
        "ALA-2024-000007",
        Status.APPROVED,
        claim_period(date(2024, 9, 2), Month(2025, 5), Month(2024, 9)),
    )
    father = claim_period(date(2025, 11, 15), MAY_2026, SEP_2025)
    assert father == ClaimPeriod(NOV_2025, MAY_2026)
    assert competing_claims(father, [mother, refused, last_year]) == (mother,)


def test_every_claiming_status_competes_and_the_others_do_not() -> None:
    period = ClaimPeriod(NOV_2025, MAY_2026)
    claims = [Claim(status.value, status, period) for status in Status]
    found = {claim.key for claim in competing_claims(period, claims)}
    assert found == {"submitted", "in_review", "documents_requested", "approved"}


def test_periods_touching_in_one_month_overlap_and_adjacent_ones_do_not() -> None:
    spring = ClaimPeriod(Month(2026, 1), MAY_2026)
    assert ClaimPeriod(SEP_2025, Month(2026, 1)).overlaps(spring)
    assert not ClaimPeriod(SEP_2025, Month(2025, 12)).overlaps(spring)


def test_nothing_payable_claims_nothing() -> None:
    # p.4: a certificate that ended before the month of application pays no month.
    assert claim_period(date(2025, 11, 15), Month(2025, 5), Month(2024, 9)) is None
    existing = Claim("ALA-2025-000001", Status.SUBMITTED, ClaimPeriod(SEP_2025, MAY_2026))
    assert competing_claims(None, [existing]) == ()
    assert (
        competing_claims(ClaimPeriod(NOV_2025, MAY_2026), [Claim("x", Status.APPROVED, None)]) == ()
    )
