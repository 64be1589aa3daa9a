"""One claim per child (p.3, p.7 of decision 11-36; issue 10 item 1).

p.3: the reimbursement is paid to *one* of the parents or to another legal
representative of the child; p.7: it is paid per child, 8 MRP a quarter. Two
applications for the same child whose periods overlap would pay the same
months twice, so a second one must be noticed — also when it comes from
another Telegram account, since the child's IIN, not the account, identifies
the claim.

A claim's period is what p.4 makes payable: from the month of application (not
before the certificate's first month) to the certificate's last month. A claim
competes while its application is submitted, in review (documents requested
included) or approved (being paid); a refused, withdrawn or draft application
claims nothing. These functions only find the competing claims; staff decide
(nothing is refused here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from core.months import Month
from core.status import Status

__all__ = ["CLAIMING_STATUSES", "Claim", "ClaimPeriod", "claim_period", "competing_claims"]

CLAIMING_STATUSES: frozenset[Status] = frozenset(
    {Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED, Status.APPROVED}
)
"""Statuses in which an application claims its months for its child (p.3, p.7):
sent and not yet decided, or approved (being paid)."""


@dataclass(frozen=True, order=True)
class ClaimPeriod:
    """The months an application would pay (p.4), ``first`` to ``last`` inclusive."""

    first: Month
    last: Month

    def overlaps(self, other: ClaimPeriod) -> bool:
        """Whether the two periods share at least one month (p.7: one payment per child
        and month)."""
        return self.first <= other.last and other.first <= self.last


def claim_period(
    applied: date, certificate_end: Month, certificate_start: Month | None = None
) -> ClaimPeriod | None:
    """p.4: the months from the month of application — or from the certificate's first
    month when that is later — to the certificate's last month; None when that range
    is empty (the certificate ended before the application: nothing is claimed)."""
    first = Month.of(applied)
    if certificate_start is not None and certificate_start > first:
        first = certificate_start
    if first > certificate_end:
        return None
    return ClaimPeriod(first, certificate_end)


@dataclass(frozen=True)
class Claim:
    """An application for a child as far as p.3/p.7 care: an identifier (``key``,
    e.g. the application's number), its status and its period (p.4)."""

    key: str
    status: Status
    period: ClaimPeriod | None


def competing_claims(period: ClaimPeriod | None, others: Iterable[Claim]) -> tuple[Claim, ...]:
    """The claims among ``others`` (applications for the same child, p.3/p.7) that
    still claim (CLAIMING_STATUSES) at least one month of ``period``. A claim without
    a period, or a new application without one, competes with nothing: no month of
    it is payable (p.4)."""
    if period is None:
        return ()
    return tuple(
        claim
        for claim in others
        if claim.status in CLAIMING_STATUSES
        and claim.period is not None
        and claim.period.overlaps(period)
    )
