"""The working-day calendar of Kazakhstan and the service-term clock (issue 13 item 1):
the data files checked against the rules, worked examples across a weekend, public
holidays, carried-over and transferred days, and "calendar unknown" for a missing year."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.errors import PolicyError
from core.parameters import default_policy
from core.workdays import (
    CALENDAR_DIR,
    CalendarUnknown,
    TermProgress,
    add_working_days,
    calendar_for,
    decision_due,
    is_working_day,
    known_years,
    load_year_calendar,
    term_progress,
    working_days_between,
)
from tests.core.core_testkit import run_cli


def test_2025_and_2026_are_there_and_nothing_else_is_guessed() -> None:
    assert known_years() == (2025, 2026)
    assert calendar_for(2024) == CalendarUnknown(2024)
    assert calendar_for(2027) == CalendarUnknown(2027)
    assert "2027" in CalendarUnknown(2027).describe()


@pytest.mark.parametrize("year", [2025, 2026])
def test_year_file_matches_the_ministrys_total_and_the_carry_over_rule(year: int) -> None:
    calendar = calendar_for(year)
    assert not isinstance(calendar, CalendarUnknown)
    # The Ministry's production calendar: 246 working days in 2025 and in 2026 (five-day week).
    assert calendar.working_days() == calendar.working_days_total == 246
    # Labour Code art. 85: a holiday on a Saturday or Sunday makes the next working
    # day after it a day off (religious days are not carried over) — recomputed here.
    expected: dict[date, date] = {}
    for day, holiday in sorted(calendar.holidays.items()):
        if holiday.kind != "holiday" or day.isoweekday() < 6:
            continue
        nxt = day + timedelta(days=1)
        while nxt.isoweekday() >= 6 or nxt in calendar.holidays or nxt in expected:
            nxt += timedelta(days=1)
        expected[nxt] = day
    assert {d: c.holiday for d, c in calendar.carried_over.items()} == expected
    # Every entry cites its source; the file says what is not certain.
    for holiday in calendar.holidays.values():
        assert holiday.source.strip() and holiday.name.strip()
    for carried in calendar.carried_over.values():
        assert "Labour Code art. 85" in carried.source
    assert any("Labour Code" in source for source in calendar.sources)
    assert any("Not certain" in note for note in calendar.notes)
    # The fifteen days of the Law on holidays and Labour Code art. 84 p.5 (12 dates, Nauryz 3).
    assert len(calendar.holidays) == 15


def test_the_2025_transfer_and_the_known_days_off() -> None:
    c2025 = calendar_for(2025)
    assert not isinstance(c2025, CalendarUnknown)
    (transfer,) = c2025.transfers
    assert (transfer.day_off, transfer.working_day) == (date(2025, 1, 3), date(2025, 1, 5))
    assert "No. 436" in transfer.source and "21.11.2024" in transfer.source
    assert is_working_day(date(2025, 1, 3)) is False  # Friday, day off by the order
    assert is_working_day(date(2025, 1, 5)) is True  # Sunday, working by the order
    assert is_working_day(date(2025, 6, 6)) is False  # Kurban ait
    assert is_working_day(date(2025, 1, 7)) is False  # Orthodox Christmas
    assert is_working_day(date(2025, 10, 27)) is False  # Republic Day 25.10 was a Saturday
    assert is_working_day(date(2025, 10, 28)) is True
    assert is_working_day(date(2026, 5, 27)) is False  # Kurban ait 2026
    assert is_working_day(date(2026, 3, 23)) is False  # Nauryz on a Monday
    assert is_working_day(date(2026, 3, 26)) is True
    assert is_working_day(date(2026, 11, 14)) is False  # an ordinary Saturday
    assert is_working_day(date(2027, 1, 4)) == CalendarUnknown(2027)


def test_the_term_is_a_policy_parameter_with_its_source() -> None:
    policy = default_policy()
    assert policy.service_term_days == 8
    assert "eGov service description" in policy.references["service_term"]


@pytest.mark.parametrize(
    ("submitted", "due", "why"),
    [
        # Across a weekend: Wed 12.11.2025 → Thu 13 (1), Fri 14 (2), Mon 17 (3) … Mon 24 (8).
        (date(2025, 11, 12), date(2025, 11, 24), "weekend"),
        # Across Nauryz 2026: Fri 20.03 → Sat 21, Sun 22 and Mon 23 holidays, Tue 24 and
        # Wed 25 carried over; Thu 26 (1), Fri 27 (2), 30, 31, 1, 2, 3 (7), Mon 06.04 (8).
        (date(2026, 3, 20), date(2026, 4, 6), "public holidays"),
        # May 2026: Tue 05.05 → Wed 6 (1), Thu 7 holiday, Fri 8 (2), Sat 9 holiday on a day
        # off → Mon 11 carried over; Tue 12 (3) … Tue 19.05 (8).
        (date(2026, 5, 5), date(2026, 5, 19), "Victory Day carried over"),
        # A submission on a holiday, New Year 2025: Fri 3 transferred day off, Sun 05.01
        # transferred working day (1), Mon 6 (2), Tue 7 Christmas, Wed 8 (3) … Wed 15.01 (8).
        (date(2025, 1, 2), date(2025, 1, 15), "transfer by order No. 436"),
        # Kurban ait 2026 (Wed 27.05): Mon 25.05 → Tue 26 (1), Thu 28 (2), Fri 29 (3),
        # Mon 01.06 (4) … Fri 05.06 (8).
        (date(2026, 5, 25), date(2026, 6, 5), "Kurban ait"),
    ],
)
def test_decision_due(submitted: date, due: date, why: str) -> None:
    assert decision_due(submitted) == due, why
    assert decision_due(submitted, 8) == due
    assert working_days_between(submitted, due) == 8


def test_due_date_in_an_unknown_year_is_not_guessed() -> None:
    # Fri 18.12.2026: 8 working days end in 2026 (16.12 is before it) → known.
    assert decision_due(date(2026, 12, 18)) == date(2026, 12, 30)
    # Fri 25.12.2026: the count runs into January 2027, which has no calendar.
    assert decision_due(date(2026, 12, 25)) == CalendarUnknown(2027)
    assert add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 5)
    assert add_working_days(date(2024, 12, 29), 1) == CalendarUnknown(2024)
    assert working_days_between(date(2024, 12, 31), date(2025, 1, 10)) == CalendarUnknown(2024)
    assert working_days_between(date(2026, 12, 1), date(2027, 1, 5)) == CalendarUnknown(2027)
    assert term_progress(date(2026, 12, 25), date(2026, 12, 28)) == CalendarUnknown(2027)
    assert term_progress(date(2026, 12, 1), date(2027, 1, 5)) == CalendarUnknown(2027)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), 0)


def test_term_progress_day_by_day_across_nauryz() -> None:
    submitted = date(2026, 3, 20)

    def at(day: date) -> TermProgress:
        progress = term_progress(submitted, day)
        assert isinstance(progress, TermProgress)
        assert progress.due == date(2026, 4, 6)
        return progress

    start = at(submitted)
    assert (start.elapsed, start.left, start.overdue) == (0, 8, False)
    assert at(date(2026, 3, 25)).elapsed == 0  # five days off in a row: the clock stands
    assert (at(date(2026, 3, 26)).elapsed, at(date(2026, 3, 26)).left) == (1, 7)
    assert at(date(2026, 3, 29)).elapsed == 2  # Sunday: still day 2
    due = at(date(2026, 4, 6))
    assert (due.elapsed, due.left, due.overdue, due.overdue_working_days) == (8, 0, False, 0)
    late = at(date(2026, 4, 8))
    assert (late.elapsed, late.left, late.overdue, late.overdue_working_days) == (10, 0, True, 2)
    before = at(date(2026, 3, 1))
    assert before.elapsed == 0
    assert working_days_between(date(2026, 4, 6), date(2026, 3, 20)) == 0


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SOURCE = (CALENDAR_DIR / "2026.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("working_days_total = 246", "working_days_total = 245", "gives 246 working days"),
        ("year = 2026", "year = 2025", "does not match the file name"),
        ("date = 2026-12-16", "date = 2027-12-16", "is not in 2026"),
        ('kind = "religious"', 'kind = "church"', "must be one of holiday, religious"),
        ("for = 2026-03-08", "for = 2026-05-01", "is not a holiday on a day off"),
        ("date = 2026-03-09\n", "date = 2026-03-14\n", "is not a later working day"),
        ("date = 2026-07-06", "date = 2026-05-01", "is listed twice"),
        ("weekend = [6, 7]", "weekend = [6, 7]\nweekends = [6]", "unknown field"),
        (
            '[[holiday]]\ndate = 2026-12-16\nname = "Independence Day"\nkind = "holiday"\n'
            'source = "Law «О праздниках в Республике Казахстан»"\n',
            '[[holiday]]\ndate = 2026-12-16\nname = "Independence Day"\nkind = "holiday"\n',
            r"holiday\[14\]\.source: is required",
        ),
    ],
)
def test_calendar_file_validation(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SOURCE
    with pytest.raises(PolicyError, match=message):
        load_year_calendar(_write(tmp_path, "2026.toml", SOURCE.replace(old, new, 1)))


@pytest.mark.parametrize(
    ("transfer", "message"),
    [
        ('day_off = 2026-05-08\nworking_day = 2026-05-16\nsource = "order"', None),
        ('day_off = 2026-05-09\nworking_day = 2026-05-16\nsource = "order"', "day_off"),
        ('day_off = 2026-05-08\nworking_day = 2026-05-15\nsource = "order"', "working_day"),
    ],
)
def test_transfers(tmp_path: Path, transfer: str, message: str | None) -> None:
    text = SOURCE + f"\n[[transfer]]\n{transfer}\n"
    path = _write(tmp_path, "2026.toml", text)
    if message is not None:
        with pytest.raises(PolicyError, match=rf"transfer\[0\]\.{message}"):
            load_year_calendar(path)
        return
    calendar = load_year_calendar(path)  # Fri 8 May off, Sat 16 May working: total unchanged
    assert calendar.is_working_day(date(2026, 5, 8)) is False
    assert calendar.is_working_day(date(2026, 5, 16)) is True
    with pytest.raises(ValueError):
        calendar.is_working_day(date(2025, 5, 8))


def test_cli_term() -> None:
    done = run_cli("term", "--submitted", "2026-03-20", "--on", "2026-03-27")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "due 2026-04-06; day 2 of 8; 6 working day(s) left"
    late = json.loads(
        run_cli("term", "--submitted", "2026-03-20", "--on", "2026-04-08", "--json").stdout
    )
    assert late == {
        "submitted": "2026-03-20",
        "on": "2026-04-08",
        "term": 8,
        "due": "2026-04-06",
        "day": 10,
        "left": 0,
        "overdue": True,
        "overdue_working_days": 2,
    }
    unknown = run_cli("term", "--submitted", "2026-12-25", "--on", "2026-12-28")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.count("\n") == 1 and "Traceback" not in unknown.stderr
    assert "calendar for 2027 is unknown" in unknown.stderr
    bad = run_cli("term", "--submitted", "2026-03-20", "--days", "0")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
