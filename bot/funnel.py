"""The application funnel as numbers (issue 12 item 6): the milestones of /apply, the
deep-link source rule, and the counts per ISO week and per source that /stats shows
(bot/usecases/funnel.py stores and reads the events; bot/views/feedback.py words them).

Not in ``core/``: it is the product's own measure, no rule of the decision; like
``bot/payloads.py`` it is plain typed data shared by the use cases and the views."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Milestone(StrEnum):
    """The steps of the funnel, in order."""

    STARTED = "started"  # /apply (or «another child», «renew») begun
    CONSENTED = "consented"  # the consent of Art. 8 given (or already active): the wizard opens
    SUMMARY = "summary"  # every answer given: the summary shown
    SENT = "sent"  # the application sent


MILESTONES: tuple[Milestone, ...] = tuple(Milestone)

# Telegram's rule for a /start parameter: 1–64 characters A–Z, a–z, 0–9, _ and -.
SOURCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")

WEEKS = 8  # /stats shows this many ISO weeks, the current one last


def parse_source(args: str | None) -> str | None:
    """The deep-link source of ``/start <args>``; None for no or an invalid parameter
    (then it is ignored: /start works as without one)."""
    if args is None:
        return None
    value = args.strip()
    return value if SOURCE_PATTERN.fullmatch(value) else None


@dataclass(frozen=True)
class Counts:
    """Journeys that reached each milestone."""

    started: int = 0
    consented: int = 0
    summary: int = 0
    sent: int = 0

    def plus(self, milestone: str, count: int) -> Counts:
        if milestone not in Milestone.__members__.values():
            return self
        values = {m.value: getattr(self, m.value) for m in MILESTONES}
        values[milestone] += count
        return Counts(**values)

    @property
    def empty(self) -> bool:
        return not (self.started or self.consented or self.summary or self.sent)


@dataclass(frozen=True)
class Week:
    """An ISO week: its Monday and its counts."""

    monday: dt.date
    counts: Counts

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)


@dataclass(frozen=True)
class Funnel:
    """The funnel of the last WEEKS ISO weeks (oldest first, every week), and the same
    period per source (None: no deep link), sources by their number of starts."""

    weeks: tuple[Week, ...]
    sources: tuple[tuple[str | None, Counts], ...]

    @property
    def empty(self) -> bool:
        return all(week.counts.empty for week in self.weeks)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def funnel_of(
    rows: Sequence[tuple[dt.date, str, str | None, int]], today: dt.date, weeks: int = WEEKS
) -> Funnel:
    """The funnel from (day, milestone, source, count) rows, for the ``weeks`` ISO weeks
    ending with the week of ``today``."""
    last = monday_of(today)
    mondays = [last - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    by_week: dict[dt.date, Counts] = dict.fromkeys(mondays, Counts())
    by_source: dict[str | None, Counts] = defaultdict(Counts)
    for day, milestone, source, count in rows:
        monday = monday_of(day)
        if monday not in by_week:
            continue
        by_week[monday] = by_week[monday].plus(milestone, count)
        by_source[source] = by_source[source].plus(milestone, count)
    sources = sorted(
        by_source.items(), key=lambda item: (item[0] is None, -item[1].started, item[0] or "")
    )
    return Funnel(
        weeks=tuple(Week(monday, by_week[monday]) for monday in mondays),
        sources=tuple(sources),
    )
