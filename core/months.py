"""Calendar months, the unit of p.4 and p.5 of decision 11-36 (domain.md §4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

__all__ = ["Month", "month_at"]

_ISO_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month: p.4 pays "from the month of application to the month the
    certificate ends" and p.5 stops "from the month after" an event, so months
    (not days) are the unit of the schedule (domain.md §4)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1..9999, got {self.year}")

    @classmethod
    def of(cls, d: date) -> Month:
        """The month containing day ``d`` (p.4: "the month of application")."""
        return month_at(d.year * 12 + d.month - 1)

    @classmethod
    def parse_iso(cls, text: str) -> Month:
        """Parse "YYYY-MM" (CLI form of a certificate month, p.4); raise ValueError."""
        match = _ISO_MONTH.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def index(self) -> int:
        """Months since year 0 (year * 12 + month - 1), for p.4 month ranges."""
        return self.year * 12 + self.month - 1

    def first_day(self) -> date:
        """The 1st day of the month: the MRP in force on it applies (domain.md §4)."""
        return date(self.year, self.month, 1)

    def last_day(self) -> date:
        """The last day of the month (a certificate's term ends on it, p.4)."""
        nxt = self.next()
        return date.fromordinal(nxt.first_day().toordinal() - 1)

    def next(self) -> Month:
        """The following month (p.5: payment stops from the month after an event)."""
        return month_at(self.index + 1)

    def prev(self) -> Month:
        """The preceding month (reminders one month before an end, domain.md §7)."""
        return month_at(self.index - 1)

    def plus(self, months: int) -> Month:
        """This month shifted by ``months`` (may be negative); domain.md §4."""
        return month_at(self.index + months)

    def display(self) -> str:
        """The user-facing form MM.YYYY (domain.md §8), e.g. "11.2025"."""
        return f"{self.month:02d}.{self.year:04d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@lru_cache(maxsize=4096)
def month_at(index: int) -> Month:
    """The Month with the given ``index`` (year * 12 + month - 1); cached (domain.md §4)."""
    year, zero_based = divmod(index, 12)
    return Month(year, zero_based + 1)
