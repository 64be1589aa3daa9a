"""Reminder dates of domain.md §7 for an approved application (pure rules).

The Department tells a family in time about what ends its payment:

* the school certificate's term (p.2, p.4: payment runs "to the month the term
  stated in the certificate ends") — one month before the term ends;
* the child's 18th birthday (p.5: payment stops from the month after it) — in the
  month before the month of the birthday;
* the end of the disability term (p.5, same rule) — one month before it;
* the new school year (p.4 with p.7 "during the school year"): a certificate that
  ended with the school year (May in Alatau) needs a new one — on 1 September.

Each reminder has a window ``due ≤ today ≤ until``: a scheduler that was down on
the due day still sends it later, but never once the event is past. ``key`` is
stable for one reminder of one application, so the bot can make sending
idempotent (one outbox row per key). No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from core.months import Month
from core.policy import LocalityPolicy, default_policy
from core.termination import eighteenth_birthday

__all__ = [
    "Reminder",
    "ReminderFacts",
    "ReminderKind",
    "due_reminders",
    "keys",
    "one_month_before",
    "reminders_for",
    "school_year_last_month",
]


class ReminderKind(StrEnum):
    """What a reminder is about (domain.md §7)."""

    CERTIFICATE_END = "certificate_end"  # p.2, p.4
    AGE_18 = "age_18"  # p.5
    DISABILITY_END = "disability_end"  # p.5
    NEW_SCHOOL_YEAR = "new_school_year"  # p.4, p.7


@dataclass(frozen=True)
class ReminderFacts:
    """What the reminders of one application depend on.

    ``certificate_end``: the last month of the certificate's term (p.4);
    ``birth``: the child's birth date (p.5, 18 years); ``disability_until``: the
    last day of the disability term, None when indefinite (p.5); ``stopped_on``:
    the day of a recorded p.5 event (state institution, death) after which the
    family is not reminded of anything.
    """

    certificate_end: Month | None
    birth: date | None
    disability_until: date | None = None
    stopped_on: date | None = None


@dataclass(frozen=True)
class Reminder:
    """One reminder: send it on a day in ``[due, until]``; ``event`` is the day it
    is about (the certificate's last day, the 18th birthday, the last day of the
    disability term, 1 September); ``key`` identifies it for deduplication
    (domain.md §7)."""

    kind: ReminderKind
    due: date
    until: date
    event: date

    @property
    def key(self) -> str:
        """A stable deduplication key "kind:event-date" (domain.md §7: exactly once)."""
        return f"{self.kind.value}:{self.event.isoformat()}"

    def is_due(self, today: date) -> bool:
        """Whether ``today`` is within ``[due, until]`` (domain.md §7)."""
        return self.due <= today <= self.until


def one_month_before(day: date) -> date:
    """The same day of the previous month, or that month's last day when it is
    shorter (31.05 → 30.04, 31.03 → 28.02 or 29.02): "one month before" (domain.md §7)."""
    previous = Month.of(day).prev()
    last = previous.last_day()
    return date(previous.year, previous.month, min(day.day, last.day))


def school_year_last_month(policy: LocalityPolicy) -> int:
    """The calendar month that closes the school year (p.7): the last month of
    the last academic quarter (Alatau: May)."""
    return policy.quarters[-1].months[-1]


def reminders_for(
    facts: ReminderFacts, policy: LocalityPolicy | None = None
) -> tuple[Reminder, ...]:
    """All reminders of an application, ordered by due date.

    Only reminders that matter for the payment are issued: a p.5 event (18 years,
    disability end) after the certificate's term stops nothing, so it is not
    announced; the certificate's end and the new school year are not announced
    when a p.5 event comes first (a new certificate would not restart payment);
    nothing is sent on or after the day of a recorded state-institution or death
    event (``stopped_on``).
    """
    if policy is None:
        policy = default_policy()
    found: list[Reminder] = []
    certificate_last = facts.certificate_end.last_day() if facts.certificate_end else None
    age_day = eighteenth_birthday(facts.birth) if facts.birth else None
    p5_days = [d for d in (age_day, facts.disability_until) if d is not None]
    first_p5 = min(p5_days) if p5_days else None

    def stops_payment(event: date) -> bool:
        return certificate_last is None or event <= certificate_last

    if age_day is not None and age_day != date.max and stops_payment(age_day):
        month_before = Month.of(age_day).prev()
        found.append(
            Reminder(
                ReminderKind.AGE_18,
                due=month_before.first_day(),
                until=age_day - timedelta(days=1),
                event=age_day,
            )
        )
    if facts.disability_until is not None and stops_payment(facts.disability_until):
        found.append(
            Reminder(
                ReminderKind.DISABILITY_END,
                due=one_month_before(facts.disability_until),
                until=facts.disability_until,
                event=facts.disability_until,
            )
        )
    if certificate_last is not None and (first_p5 is None or first_p5 > certificate_last):
        found.append(
            Reminder(
                ReminderKind.CERTIFICATE_END,
                due=one_month_before(certificate_last),
                until=certificate_last,
                event=certificate_last,
            )
        )
    if facts.certificate_end is not None and facts.certificate_end.month == school_year_last_month(
        policy
    ):
        start_month = policy.school_year_start_month
        year = facts.certificate_end.year + (1 if start_month <= facts.certificate_end.month else 0)
        first_day = date(year, start_month, 1)
        if first_p5 is None or first_p5 > first_day:
            found.append(
                Reminder(
                    ReminderKind.NEW_SCHOOL_YEAR,
                    due=first_day,
                    until=Month.of(first_day).last_day(),
                    event=first_day,
                )
            )
    if facts.stopped_on is not None:
        found = [r for r in found if r.until < facts.stopped_on]
    found.sort(key=lambda r: (r.due, r.kind.value))
    return tuple(found)


def due_reminders(
    facts: ReminderFacts, today: date, policy: LocalityPolicy | None = None
) -> tuple[Reminder, ...]:
    """The reminders to send today (``due ≤ today ≤ until``; domain.md §7)."""
    return tuple(r for r in reminders_for(facts, policy) if r.is_due(today))


def keys(reminders: Iterable[Reminder]) -> tuple[str, ...]:
    """The deduplication keys of reminders, in order (domain.md §7)."""
    return tuple(r.key for r in reminders)
