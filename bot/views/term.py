"""The service-term clock in the staff chat (issue 13 item 1): the line on a card and the
daily digest of applications due today and overdue.

The numbers come from core.workdays (8 working days, Labour Code Art. 84, 85 calendar);
a year without a calendar file is said to be unknown, never guessed. The digest names
applications by their number only (no personal data).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, assert_never

from bot.i18n import N_, Tr
from bot.staff_payloads import RegisterOpen, StaffNotice, TermDigest
from bot.views.fmt import Html, b, fmt, join
from bot.views.formatting import day
from core.status import awaits_decision
from core.workdays import CalendarUnknown, TermProgress, term_progress

DAY_OF_TERM = N_("⏱ Day {day} of {term} — due {due}")
OVERDUE = N_("⏰ Overdue by {days} working days — was due {due}")
UNKNOWN = N_("⏱ Service term: the working-day calendar for {year} is unknown")

DIGEST_TITLE = N_("📋 Service term on {date}")
DIGEST_DUE = N_("Decision due today:")
DIGEST_OVERDUE = N_("Overdue:")
DIGEST_UNKNOWN = N_("Calendar unknown (no working-day calendar for {years}):")
DIGEST_DUE_LINE = N_("• {number} — day {day} of {term}")
DIGEST_OVERDUE_LINE = N_("• {number} — overdue by {days} working days (due {due})")


def short_day(value: dt.date) -> str:
    """DD.MM."""
    return value.strftime("%d.%m")


def progress_line(_: Tr, clock: TermProgress | CalendarUnknown) -> Html:
    """The clock as one line of text (HTML-safe: numbers and dates only)."""
    if isinstance(clock, CalendarUnknown):
        return fmt(_(UNKNOWN), year=clock.year)
    if clock.overdue:
        return fmt(_(OVERDUE), days=clock.overdue_working_days, due=short_day(clock.due))
    return fmt(_(DAY_OF_TERM), day=clock.elapsed, term=clock.term, due=short_day(clock.due))


def term_lines(_: Tr, status: str, applied_on: dt.date | None, today: dt.date) -> list[str]:
    """The card's clock line while the application awaits a decision (core.status), else
    nothing."""
    if applied_on is None or not awaits_decision(status):
        return []
    return [progress_line(_, term_progress(applied_on, today))]


def digest(_: Tr, notice: TermDigest, language: str) -> str:
    """The daily digest (outbox "render" kind ``term_digest``, bot.staff_payloads)."""
    lines: list[str] = [b(fmt(_(DIGEST_TITLE), date=day(notice.date)))]
    if notice.due:
        lines += ["", b(_(DIGEST_DUE))]
        lines += [
            fmt(_(DIGEST_DUE_LINE), number=d.number, day=d.day, term=d.term) for d in notice.due
        ]
    if notice.overdue:
        lines += ["", b(_(DIGEST_OVERDUE))]
        lines += [
            fmt(_(DIGEST_OVERDUE_LINE), number=o.number, days=o.working_days, due=short_day(o.due))
            for o in notice.overdue
        ]
    if notice.unknown:
        years = ", ".join(sorted({str(u.year) for u in notice.unknown}))
        lines += ["", b(fmt(_(DIGEST_UNKNOWN), years=years))]
        lines += [fmt("• {number}", number=u.number) for u in notice.unknown]
    return join(lines)


REGISTER_OPEN = N_(
    "📄 Quarter {quarter} of {school_year} has opened: its payment register is ready for the "
    "bank run."
)
REGISTER_BUTTON = N_("📄 Payment register, Q{quarter} {school_year}")


def _school_year(start_year: int) -> str:
    return f"{start_year}/{start_year + 1}"


def register_open(_: Tr, notice: RegisterOpen, language: str) -> str:
    """The notice a quarter opens with (outbox "render" kind ``register_open``)."""
    return fmt(_(REGISTER_OPEN), quarter=notice.quarter, school_year=_school_year(notice.year))


def register_open_markup(_: Tr, notice: RegisterOpen) -> dict[str, Any]:
    """Its button: handlers.desk.RegisterOpen ("dmo:<year>:<quarter>") sends the register."""
    label = _(REGISTER_BUTTON).format(quarter=notice.quarter, school_year=_school_year(notice.year))
    callback = f"dmo:{notice.year}:{notice.quarter}"
    return {"inline_keyboard": [[{"text": label, "callback_data": callback}]]}


def render_staff(_: Tr, notice: StaffNotice, language: str) -> str:
    """The text of one typed staff notice."""
    match notice:
        case TermDigest():
            return digest(_, notice, language)
        case RegisterOpen():
            return register_open(_, notice, language)
    assert_never(notice)
