"""The working-day calendar of Kazakhstan and the service-term clock (issue 13).

Data: ``core/params/calendar/YYYY.toml``, one file per year, each day off with
its legal source — the Labour Code of RK Art. 84 (weekly days off; the first
day of Kurban ait and Orthodox Christmas), Art. 85 (holidays of the Law "On
holidays in the Republic of Kazakhstan" are non-working; a holiday on a day
off makes the next working day a day off; transfers of days off by order).

The clock: the decision on an application is due within the term of the state
service, ``[service_term]`` of the locality policy (8 working days, eGov service
description). The term is counted in working days from the day after the day
of submission (a term starts on the day after the event that begins it), so
the due date is the 8th working day after the submission day.

A year without a file is never guessed: every function returns
:class:`CalendarUnknown` naming the year instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from core.errors import PolicyError
from core.policy import default_policy
from core.tomlread import Table, read_toml

__all__ = [
    "CALENDAR_DIR",
    "CalendarUnknown",
    "CarriedOver",
    "Holiday",
    "TermProgress",
    "Transfer",
    "YearCalendar",
    "add_working_days",
    "calendar_for",
    "decision_due",
    "is_working_day",
    "known_years",
    "load_year_calendar",
    "service_term_days",
    "term_progress",
    "working_days_between",
]

CALENDAR_DIR = Path(__file__).resolve().parent / "params" / "calendar"
_YEAR_FILE = re.compile(r"([0-9]{4})\.toml")
_KINDS = ("holiday", "religious")


@dataclass(frozen=True)
class CalendarUnknown:
    """No working-day calendar for ``year`` (no core/params/calendar/YEAR.toml): the
    clock of the service term (Labour Code Art. 84, 85) cannot be computed and says
    so instead of guessing."""

    year: int

    def describe(self) -> str:
        """An English sentence for the CLI (the bot words it per language), citing the
        Labour Code Art. 84, 85 whose calendar data is missing."""
        return (
            f"the working-day calendar for {self.year} is unknown "
            f"(no core/params/calendar/{self.year}.toml; Labour Code Art. 84, 85)"
        )


@dataclass(frozen=True)
class Holiday:
    """A non-working holiday (Law "On holidays in the RK", Labour Code Art. 85) or a
    religious day off (Labour Code Art. 84 p.5, never carried over)."""

    day: date
    name: str
    kind: str
    source: str


@dataclass(frozen=True)
class CarriedOver:
    """A working day made a day off because the holiday ``holiday`` fell on a day off
    (Labour Code Art. 85)."""

    day: date
    holiday: date
    source: str


@dataclass(frozen=True)
class Transfer:
    """A day of rest moved by order (Labour Code Art. 85): ``day_off`` becomes a day
    off, ``working_day`` (a Saturday or Sunday) a working day."""

    day_off: date
    working_day: date
    source: str


@dataclass(frozen=True)
class YearCalendar:
    """One year of the five-day working week of Kazakhstan (Labour Code Art. 84, 85),
    from its data file; ``notes`` say what was checked and what is not certain."""

    year: int
    weekend: frozenset[int]
    holidays: Mapping[date, Holiday] = field(hash=False)
    carried_over: Mapping[date, CarriedOver] = field(hash=False)
    transfers: tuple[Transfer, ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    working_days_total: int
    _days_off: frozenset[date] = field(init=False, repr=False, compare=False, hash=False)
    _working: frozenset[date] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        days_off = set(self.holidays) | set(self.carried_over)
        days_off |= {t.day_off for t in self.transfers}
        object.__setattr__(self, "_days_off", frozenset(days_off))
        object.__setattr__(self, "_working", frozenset(t.working_day for t in self.transfers))

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (of this year) is a working day of the five-day week: not a
        Saturday or Sunday unless moved to work, not a holiday, not a carried-over or
        transferred day off (Labour Code Art. 84, 85)."""
        if day.year != self.year:
            raise ValueError(f"{day.isoformat()} is not in {self.year}")
        if day in self._working:
            return True
        if day in self._days_off:
            return False
        return day.isoweekday() not in self.weekend

    def working_days(self) -> int:
        """The number of working days in the year (Labour Code Art. 84, 85); the data
        file states the Ministry's total and the loader checks it."""
        first = date(self.year, 1, 1)
        span = (date(self.year + 1, 1, 1) - first).days
        return sum(self.is_working_day(first + timedelta(days=n)) for n in range(span))


def load_year_calendar(path: Path) -> YearCalendar:
    """Read and validate a year's calendar file (Labour Code Art. 84, 85): every date
    in the year, no date twice, every entry with its source; carried-over days on
    weekdays for a holiday on a Saturday or Sunday; transfers from a weekday to a
    weekend day; the year's count of working days equal to ``working_days_total``."""
    root = read_toml(path)
    year = root.integer("year", 1991, 2100)
    match = _YEAR_FILE.fullmatch(path.name)
    if match is not None and int(match.group(1)) != year:
        raise root.error("year", f"{year} does not match the file name {path.name}")
    weekend = frozenset(root.integers("weekend", 1, 7))
    total = root.integer("working_days_total", 0, 366)
    root.required_text("working_days_total_source")
    sources = root.texts("sources")
    notes = root.texts("notes")

    def in_year(table_day: date, table: Table, key: str) -> date:
        if table_day.year != year:
            raise table.error(key, f"{table_day.isoformat()} is not in {year}")
        return table_day

    holidays: dict[date, Holiday] = {}
    for row in root.tables("holiday"):
        day = in_year(row.required_day("date"), row, "date")
        kind = row.required_text("kind")
        if kind not in _KINDS:
            raise row.error("kind", f"must be one of {', '.join(_KINDS)}, got {kind!r}")
        holiday = Holiday(day, row.required_text("name"), kind, row.required_text("source"))
        row.finish()
        if day in holidays:
            raise row.error("date", f"{day.isoformat()} is listed twice")
        holidays[day] = holiday

    carried: dict[date, CarriedOver] = {}
    for row in root.tables("carried_over") if root.has("carried_over") else ():
        day = in_year(row.required_day("date"), row, "date")
        for_day = row.required_day("for")
        entry = CarriedOver(day, for_day, row.required_text("source"))
        row.finish()
        target = holidays.get(for_day)
        if target is None or target.kind != "holiday" or for_day.isoweekday() not in weekend:
            raise row.error("for", f"{for_day.isoformat()} is not a holiday on a day off")
        if day.isoweekday() in weekend or day in holidays or day in carried or day <= for_day:
            raise row.error("date", f"{day.isoformat()} is not a later working day")
        carried[day] = entry

    transfers: list[Transfer] = []
    for row in root.tables("transfer") if root.has("transfer") else ():
        day_off = in_year(row.required_day("day_off"), row, "day_off")
        working_day = in_year(row.required_day("working_day"), row, "working_day")
        transfer = Transfer(day_off, working_day, row.required_text("source"))
        row.finish()
        if day_off.isoweekday() in weekend or day_off in holidays or day_off in carried:
            raise row.error("day_off", f"{day_off.isoformat()} is not a working day")
        if working_day.isoweekday() not in weekend or working_day in holidays:
            raise row.error("working_day", f"{working_day.isoformat()} is not a weekend day")
        transfers.append(transfer)
    root.finish()

    calendar = YearCalendar(
        year=year,
        weekend=weekend,
        holidays=MappingProxyType(holidays),
        carried_over=MappingProxyType(carried),
        transfers=tuple(transfers),
        sources=sources,
        notes=notes,
        working_days_total=total,
    )
    counted = calendar.working_days()
    if counted != total:
        raise PolicyError(
            f"{path.name}: working_days_total: the file gives {counted} working days, "
            f"the stated total is {total}"
        )
    return calendar


def known_years(directory: Path = CALENDAR_DIR) -> tuple[int, ...]:
    """The years that have a calendar file (Labour Code Art. 84, 85 data), ascending."""
    years = []
    for path in directory.glob("*.toml"):
        match = _YEAR_FILE.fullmatch(path.name)
        if match is not None:
            years.append(int(match.group(1)))
    return tuple(sorted(years))


@lru_cache(maxsize=64)
def calendar_for(year: int) -> YearCalendar | CalendarUnknown:
    """The calendar of ``year`` (Labour Code Art. 84, 85), loaded once, or
    CalendarUnknown when there is no file for it."""
    path = CALENDAR_DIR / f"{year:04d}.toml"
    if not path.is_file():
        return CalendarUnknown(year)
    return load_year_calendar(path)


def is_working_day(day: date) -> bool | CalendarUnknown:
    """Whether ``day`` is a working day in Kazakhstan (Labour Code Art. 84, 85), or
    CalendarUnknown for a year without data."""
    calendar = calendar_for(day.year)
    if isinstance(calendar, CalendarUnknown):
        return calendar
    return calendar.is_working_day(day)


def add_working_days(start: date, count: int) -> date | CalendarUnknown:
    """The ``count``-th working day after ``start`` (``start`` itself not counted;
    count ≥ 1), per the calendar (Labour Code Art. 84, 85); CalendarUnknown when the
    count runs into a year without data."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    day = start
    found = 0
    while found < count:
        day += timedelta(days=1)
        working = is_working_day(day)
        if isinstance(working, CalendarUnknown):
            return working
        found += working
    return day


def working_days_between(after: date, until: date) -> int | CalendarUnknown:
    """The number of working days ``d`` with ``after < d ≤ until`` (0 when ``until``
    is not after ``after``), per the calendar (Labour Code Art. 84, 85);
    CalendarUnknown when a year of the span has no data."""
    if until <= after:
        return 0
    for year in range(after.year, until.year + 1):
        calendar = calendar_for(year)
        if isinstance(calendar, CalendarUnknown):
            return calendar
    count = 0
    day = after
    while day < until:
        day += timedelta(days=1)
        working = is_working_day(day)
        assert not isinstance(working, CalendarUnknown)
        count += working
    return count


def service_term_days() -> int:
    """The term of the state service in working days, from the locality policy's
    ``[service_term]`` (8, eGov service description; p.6 channels of decision 11-36)."""
    term = default_policy().service_term_days
    if term is None:
        raise PolicyError("the locality policy has no [service_term]")
    return term


def decision_due(submitted: date, term_days: int | None = None) -> date | CalendarUnknown:
    """The day a decision is due: the ``term_days``-th working day after the day of
    submission (default: the policy's service term, 8 working days per the eGov
    service description; Labour Code Art. 84, 85 for the working days)."""
    return add_working_days(submitted, term_days if term_days is not None else service_term_days())


@dataclass(frozen=True)
class TermProgress:
    """Where an application stands in the service term on ``today`` (eGov service
    description: 8 working days; Labour Code Art. 84, 85): ``elapsed`` working days
    of the term have begun by the end of ``today`` (0 on the day of submission), so
    the card reads "day ``elapsed`` of ``term``"; ``due`` is the last day."""

    submitted: date
    today: date
    term: int
    due: date
    elapsed: int

    @property
    def left(self) -> int:
        """Working days of the term still to come after today (0 from the due date on;
        eGov term, Labour Code Art. 84, 85)."""
        return max(self.term - self.elapsed, 0)

    @property
    def overdue(self) -> bool:
        """Whether today is past the due date (the eGov term of 8 working days, counted
        under the Labour Code Art. 84, 85)."""
        return self.today > self.due

    @property
    def overdue_working_days(self) -> int:
        """Working days past the due date by the end of today (Labour Code Art. 84, 85)."""
        return max(self.elapsed - self.term, 0)


def term_progress(
    submitted: date, today: date, term_days: int | None = None
) -> TermProgress | CalendarUnknown:
    """The service-term clock of an application submitted on ``submitted`` as seen on
    ``today`` (eGov term, default 8 working days; Labour Code Art. 84, 85), or
    CalendarUnknown when a needed year has no calendar."""
    term = term_days if term_days is not None else service_term_days()
    due = add_working_days(submitted, term)
    if isinstance(due, CalendarUnknown):
        return due
    elapsed = working_days_between(submitted, today)
    if isinstance(elapsed, CalendarUnknown):
        return elapsed
    return TermProgress(submitted, today, term, due, elapsed)
