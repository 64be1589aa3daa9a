"""Today in Asia/Almaty (UTC+5, no daylight saving since 2024)."""

from __future__ import annotations

import datetime as dt

ALMATY = dt.timezone(dt.timedelta(hours=5), name="Asia/Almaty")


class Clock:
    """The bot's notion of now; `Clock(fixed=...)` pins the date (tests, demos)."""

    def __init__(self, fixed: dt.date | None = None) -> None:
        self.fixed = fixed

    def now(self) -> dt.datetime:
        current = dt.datetime.now(ALMATY)
        if self.fixed is None:
            return current
        return dt.datetime.combine(self.fixed, current.timetz())

    def today(self) -> dt.date:
        return self.now().date()
