"""The bot's one clock.

`Clock` (injected: AppContext.clock; tests pin its date) says what day and moment it is
for everything the user or the staff see or the rules use: today in Asia/Almaty (UTC+5,
no daylight saving since 2024), audit and payment times, reminders, decisions.
`utcnow()` is the machine's time in UTC for the technical stamps that must follow real
time even when the date is pinned — outbox leases and retry times, FSM and inbox rows,
row defaults — and the only other place that reads the system clock.
"""

from __future__ import annotations

import datetime as dt

ALMATY = dt.timezone(dt.timedelta(hours=5), name="Asia/Almaty")


def utcnow() -> dt.datetime:
    """The machine's time in UTC (technical stamps; see the module's docstring)."""
    return dt.datetime.now(dt.UTC)


class Clock:
    """The bot's notion of now; `Clock(fixed=...)` pins the date (tests, demos) — with the
    time of day too when `fixed` is a datetime (a naive one is read in Asia/Almaty)."""

    def __init__(self, fixed: dt.date | None = None) -> None:
        self.fixed = fixed

    def now(self) -> dt.datetime:
        if isinstance(self.fixed, dt.datetime):
            fixed = self.fixed
            return fixed.astimezone(ALMATY) if fixed.tzinfo else fixed.replace(tzinfo=ALMATY)
        current = utcnow().astimezone(ALMATY)
        if self.fixed is None:
            return current
        return dt.datetime.combine(self.fixed, current.timetz())

    def today(self) -> dt.date:
        return self.now().date()
