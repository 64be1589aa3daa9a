"""Reminder dates of domain.md §7 (core.reminders): one month before the
certificate ends (p.4), the month before the 18th birthday (p.5), one month
before the disability term ends (p.5), 1 September after a certificate that
ended in May (p.4, p.7)."""

from __future__ import annotations

from datetime import date

import pytest

from core.months import Month
from core.reminders import (
    Reminder,
    ReminderFacts,
    ReminderKind,
    due_reminders,
    one_month_before,
    reminders_for,
)


def kinds(reminders: tuple[Reminder, ...]) -> list[str]:
    return [r.kind.value for r in reminders]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 5, 31), date(2026, 4, 30)),
        (date(2026, 3, 31), date(2026, 2, 28)),
        (date(2028, 3, 30), date(2028, 2, 29)),
        (date(2026, 1, 15), date(2025, 12, 15)),
        (date(2026, 6, 1), date(2026, 5, 1)),
    ],
)
def test_one_month_before_clamps_to_the_shorter_month(day: date, expected: date) -> None:
    assert one_month_before(day) == expected


def test_certificate_ending_in_may_gives_two_reminders() -> None:
    # Worked example 1 of domain.md §4: certificate Sep 2025 – May 2026, child born 2015.
    facts = ReminderFacts(certificate_end=Month(2026, 5), birth=date(2015, 3, 2))
    reminders = reminders_for(facts)
    assert kinds(reminders) == ["certificate_end", "new_school_year"]
    end, september = reminders
    assert (end.due, end.until, end.event) == (
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 5, 31),
    )
    assert (september.due, september.until) == (date(2026, 9, 1), date(2026, 9, 30))
    assert end.key == "certificate_end:2026-05-31"
    assert september.key == "new_school_year:2026-09-01"


def test_certificate_ending_in_march_has_no_september_reminder() -> None:
    facts = ReminderFacts(certificate_end=Month(2026, 3), birth=date(2015, 3, 2))
    assert kinds(reminders_for(facts)) == ["certificate_end"]
    assert reminders_for(facts)[0].due == date(2026, 2, 28)


def test_eighteenth_birthday_reminder_in_the_month_before() -> None:
    # Worked example 3: the child turns 18 on 10.02.2026, certificate to May 2026.
    facts = ReminderFacts(certificate_end=Month(2026, 5), birth=date(2008, 2, 10))
    reminders = reminders_for(facts)
    # The certificate's end and September are moot: p.5 stops payment after February.
    assert kinds(reminders) == ["age_18"]
    (age,) = reminders
    assert (age.due, age.until, age.event) == (
        date(2026, 1, 1),
        date(2026, 2, 9),
        date(2026, 2, 10),
    )
    assert not age.is_due(date(2025, 12, 31))
    assert age.is_due(date(2026, 1, 1))
    assert age.is_due(date(2026, 2, 9))
    assert not age.is_due(date(2026, 2, 10))


def test_birthday_after_the_certificate_is_not_announced() -> None:
    facts = ReminderFacts(certificate_end=Month(2026, 5), birth=date(2008, 9, 10))
    # 18 on 10.09.2026, after the term (p.4 already ends payment in May); September
    # is still payable with a new certificate (p.5 pays the event's month).
    assert kinds(reminders_for(facts)) == ["certificate_end", "new_school_year"]
    earlier = ReminderFacts(certificate_end=Month(2026, 5), birth=date(2008, 8, 10))
    # 18 on 10.08.2026: nothing to renew for the new school year.
    assert kinds(reminders_for(earlier)) == ["certificate_end"]


def test_disability_end_one_month_before() -> None:
    facts = ReminderFacts(
        certificate_end=Month(2026, 5), birth=date(2015, 3, 2), disability_until=date(2026, 3, 31)
    )
    reminders = reminders_for(facts)
    assert kinds(reminders) == ["disability_end"]
    (disability,) = reminders
    assert (disability.due, disability.until) == (date(2026, 2, 28), date(2026, 3, 31))


def test_indefinite_disability_and_long_term_disability() -> None:
    facts = ReminderFacts(
        certificate_end=Month(2026, 5), birth=date(2015, 3, 2), disability_until=None
    )
    assert kinds(reminders_for(facts)) == ["certificate_end", "new_school_year"]
    later = ReminderFacts(
        certificate_end=Month(2026, 5), birth=date(2015, 3, 2), disability_until=date(2027, 1, 1)
    )
    assert kinds(reminders_for(later)) == ["certificate_end", "new_school_year"]


def test_due_reminders_window() -> None:
    facts = ReminderFacts(certificate_end=Month(2026, 5), birth=date(2015, 3, 2))
    assert due_reminders(facts, date(2026, 4, 29)) == ()
    assert kinds(due_reminders(facts, date(2026, 4, 30))) == ["certificate_end"]
    assert kinds(due_reminders(facts, date(2026, 5, 31))) == ["certificate_end"]
    assert due_reminders(facts, date(2026, 6, 1)) == ()
    assert kinds(due_reminders(facts, date(2026, 9, 1))) == ["new_school_year"]
    assert kinds(due_reminders(facts, date(2026, 9, 30))) == ["new_school_year"]
    assert due_reminders(facts, date(2026, 10, 1)) == ()


def test_nothing_after_a_recorded_death_or_state_institution() -> None:
    facts = ReminderFacts(
        certificate_end=Month(2026, 5), birth=date(2015, 3, 2), stopped_on=date(2026, 1, 20)
    )
    assert reminders_for(facts) == ()


def test_reminder_kinds_are_the_four_of_domain_section_7() -> None:
    assert {k.value for k in ReminderKind} == {
        "certificate_end",
        "age_18",
        "disability_end",
        "new_school_year",
    }


def test_birth_on_29_february() -> None:
    facts = ReminderFacts(certificate_end=Month(2026, 5), birth=date(2008, 2, 29))
    (age,) = reminders_for(facts)
    assert age.event == date(2026, 2, 28)
    assert age.due == date(2026, 1, 1)
