"""Termination events of p.5 of decision 11-36 and the end of the payable period (p.4).

p.5: payment stops "from the month following the one in which" the child turns
18, the disability term ends, study in a state institution begins, or the child
dies — the event's month is still paid. p.4: payment runs to the month the school
certificate's term ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from core.months import Month

__all__ = ["Stop", "StopReason", "eighteenth_birthday", "last_payable", "termination_events"]


class StopReason(StrEnum):
    """What ends the payable period: the certificate's last month (p.4) or a
    termination event of p.5."""

    CERTIFICATE_END = "certificate_end"
    AGE_18 = "age_18"
    DISABILITY_END = "disability_end"
    STATE_INSTITUTION = "state_institution"
    DEATH = "death"


# Within one month a p.5 event outranks the certificate's end (p.4): a new
# certificate cannot extend past it. Among events the earlier day wins, then this order.
_PRIORITY: dict[StopReason, int] = {
    StopReason.DEATH: 0,
    StopReason.STATE_INSTITUTION: 1,
    StopReason.AGE_18: 2,
    StopReason.DISABILITY_END: 3,
    StopReason.CERTIFICATE_END: 4,
}


@dataclass(frozen=True)
class Stop:
    """A termination event of p.5 on day ``on`` (its month is still paid)."""

    reason: StopReason
    on: date


def eighteenth_birthday(birth: date) -> date:
    """The day the child turns 18 (p.5 "reaching eighteen years").

    A child born on 29 February turns 18 on 28 February of a non-leap year (the
    corresponding day does not exist, so the last day of that month is taken);
    dates past the calendar's end give ``date.max``.
    """
    year = birth.year + 18
    if year > date.max.year:
        return date.max
    if birth.month == 2 and birth.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return birth.replace(year=year)


def termination_events(
    birth: date, disability_until: date | None, stops: Iterable[Stop]
) -> tuple[Stop, ...]:
    """All p.5 events known for a child: the 18th birthday, the end of a fixed
    disability term (None = indefinite), and the given events (state institution,
    death)."""
    events = [Stop(StopReason.AGE_18, eighteenth_birthday(birth))]
    if disability_until is not None:
        events.append(Stop(StopReason.DISABILITY_END, disability_until))
    events.extend(stops)
    return tuple(events)


def last_payable(certificate_end: Month, events: Iterable[Stop]) -> tuple[Month, StopReason]:
    """The last month of the payable period and what ends it: the earliest of the
    certificate's last month (p.4) and the months of the p.5 events (each still
    paid). In a tie a p.5 event wins over the certificate's end."""
    best_key = (
        certificate_end.index,
        certificate_end.last_day().toordinal(),
        _PRIORITY[StopReason.CERTIFICATE_END],
    )
    best = (certificate_end, StopReason.CERTIFICATE_END)
    for event in events:
        month = Month.of(event.on)
        key = (month.index, event.on.toordinal(), _PRIORITY.get(event.reason, 0))
        if key < best_key:
            best_key = key
            best = (month, event.reason)
    return best
