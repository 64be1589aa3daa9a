"""The /estimate conversation's logic: parse the answers, call core.schedule, render.

Steps (domain.md §4), four turns with the command: the certificate term as one answer
"09.2025–05.2026" (p.2, p.4) — the month of application defaults to the current month
(p.4) with one tap to change it —, the child's date of birth or the child's IIN (p.5:
until 18), the end of the disability term or "indefinite" (p.5). The amounts are
core's (8 MRP per quarter, p.7); this module only words them, in the user's language.

The answers stay in the FSM data under "estimate" → "answers" with the keys applied,
cert_start, cert_end (YYYY-MM), birth, disability_until (ISO date, "indefinite",
"unknown"); at the result they are kept under "known" → "estimate" and the /apply wizard
offers them (bot.usecases.drafts.prefill). The IIN itself is never stored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiogram.utils.i18n import I18n

from bot.i18n import N_, Tr
from bot.views.eligibility import INDEFINITE, INDEFINITE_WORDS, Parsed, date_or_none, paragraph
from bot.views.fmt import fmt
from bot.views.formatting import money, month_name
from bot.views.ui import NOT_SURE, NOT_SURE_WORDS, matches
from core.consistency import (
    BIRTH_AFTER_APPLICATION,
    CERTIFICATE_END_BEFORE_START,
    birth_after_application,
    certificate_end_before_start,
)
from core.errors import MrpNotAvailable
from core.months import Month
from core.notes import MRP_NOT_KNOWN, NOTHING_PAYABLE
from core.parameters import default_policy, mrp_table
from core.schedule import (
    Estimate,
    EstimateRequest,
    QuarterPayment,
    Stop,
    StopReason,
    eighteenth_birthday,
    estimate,
)
from core.validators import Invalid, parse_date, parse_iin, parse_month

APPLIED = "applied"
CERT_START = "cert_start"
CERT_END = "cert_end"
BIRTH = "birth"
DISABILITY_UNTIL = "disability_until"
PERIOD = "period"  # one answer for CERT_START and CERT_END
# The questions asked in turn; APPLIED is asked only on "another month" (it shares step 1).
STEPS = (PERIOD, BIRTH, DISABILITY_UNTIL)
ANOTHER_MONTH = N_("📅 Another month of application")
_PERIOD = re.compile(r"\s*(\d{1,2}[./-]\d{4})\s*(?:[-–—]|\s)\s*(\d{1,2}[./-]\d{4})\s*")

MAX_TERM_MONTHS = 36  # a school certificate covers a school year; longer is a typo

THIS_MONTH = N_("This month")
THIS_MONTH_WORDS = ("this month", "этот месяц", "текущий месяц", "осы ай")

QUESTIONS: Mapping[str, str] = {
    PERIOD: N_(
        "The month of application is {month}: the payment is made from the month of application "
        "({paragraph}); “{another}” changes it.\n"
        "The certificate from the school: from which month to which month is it valid? "
        "Type MM.YYYY–MM.YYYY, for example 09.2025–05.2026, or choose a button."
    ),
    APPLIED: N_(
        "In which month do you apply (or did you apply)? The payment is made from the month "
        "of application ({paragraph}). Type MM.YYYY or choose a button."
    ),
    CERT_START: N_(
        "The certificate from the school: from which month does its term start? "
        "Type MM.YYYY, for example 09.2025, or choose a button."
    ),
    CERT_END: N_(
        "Until which month, inclusive, is the certificate valid ({paragraph})? "
        "Type MM.YYYY, for example 05.2026, or choose a button."
    ),
    BIRTH: N_(
        "The child's date of birth? The payment is made until the child turns 18 ({paragraph}). "
        "Type DD.MM.YYYY, for example 02.03.2015, or the child's IIN."
    ),
    DISABILITY_UNTIL: N_(
        "Until what date is the disability established ({paragraph})? Type DD.MM.YYYY or choose a button."
    ),
}
QUESTION_PARAGRAPHS: Mapping[str, str] = {
    PERIOD: "p.4",
    APPLIED: "p.4",
    CERT_START: "p.2",
    CERT_END: "p.4",
    BIRTH: "p.5",
    DISABILITY_UNTIL: "p.5",
}

ERRORS: Mapping[str, str] = {
    "mrp_before_table": N_("I can estimate payments from {month} on: the MRP table starts there."),
    CERTIFICATE_END_BEFORE_START: N_(
        "The last month of the certificate cannot be before its first month ({month}). Please check it."
    ),
    BIRTH_AFTER_APPLICATION: N_(
        "The date of birth {date} is after the month of application ({month}): the payment is made "
        "from the month of application ({paragraph}) for a child already born. Please check the date "
        "of birth, or go back and change the month of application."
    ),
    "term_too_long": N_(
        "A certificate term longer than {count} months is unlikely. Please check the months."
    ),
}


def step_number(step: str) -> int:
    return 1 if step == APPLIED else STEPS.index(step) + 1


def previous_step(step: str) -> str | None:
    """Where "Back" goes: from the month of application to the certificate term."""
    if step == APPLIED:
        return PERIOD
    position = STEPS.index(step)
    return STEPS[position - 1] if position > 0 else None


def step_keys(step: str) -> tuple[str, ...]:
    """The answer keys a step fills."""
    return (CERT_START, CERT_END) if step == PERIOD else (step,)


def first_answers(today: dt.date) -> dict[str, str]:
    """The answers at the start: the month of application is the current month (p.4)."""
    return {APPLIED: str(Month.of(today))}


def question_text(tr: Tr, step: str, answers: Mapping[str, str] | None = None) -> str:
    _ = tr
    header = _("Step {number} of {total}", number=step_number(step), total=len(STEPS))
    applied = _month((answers or {}).get(APPLIED))
    body = tr(
        QUESTIONS[step],
        paragraph=paragraph(tr, QUESTION_PARAGRAPHS[step]),
        month=applied.display() if applied is not None else "",
        another=tr(ANOTHER_MONTH),
    )
    return f"{header}\n{body}"


def school_year_start(today: dt.date) -> Month:
    """September of the current school year (the usual first month of a certificate)."""
    start = default_policy().school_year_start_month
    year = today.year if today.month >= start else today.year - 1
    return Month(year, start)


def suggestions(
    tr: Tr, step: str, today: dt.date, answers: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """(value, button text) offered for a step; every one can be typed too."""
    if step == APPLIED:
        this = Month.of(today)
        return (("this", f"{tr(THIS_MONTH)} ({this.display()})"),)
    if step == PERIOD:
        first = school_year_start(today)
        applied = _month(answers.get(APPLIED))
        starts = [first]
        if applied is not None and first < applied <= _school_year_end(first):
            starts.append(applied)
        periods = [(start, _school_year_end(start)) for start in starts]
        return tuple((f"{a}~{b}", f"{a.display()}–{b.display()}") for a, b in periods)
    if step == CERT_START:
        first = school_year_start(today)
        applied = _month(answers.get(APPLIED))
        options = [first]
        if applied is not None and applied != first:
            options.append(applied)
        return tuple((str(m), m.display()) for m in options)
    if step == CERT_END:
        start = _month(answers.get(CERT_START)) or school_year_start(today)
        end = _school_year_end(start)
        return ((str(end), end.display()),)
    if step == DISABILITY_UNTIL:
        return (("indefinite", tr(INDEFINITE)), ("unknown", tr(NOT_SURE)))
    return ()


def _school_year_end(start: Month) -> Month:
    """The last month of the school year that `start` belongs to (p.7)."""
    last_school_month = default_policy().quarters[-1].months[-1]
    end = start
    while end.month != last_school_month:
        end = end.next()
    return end


def _month(value: str | None) -> Month | None:
    if not value:
        return None
    try:
        return Month.parse_iso(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class StepError:
    code: str
    params: Mapping[str, str]


def first_known_month() -> Month:
    return Month.of(mrp_table()[0].since)


def check_value(
    step: str, value: str, today: dt.date, answers: Mapping[str, str]
) -> Parsed | StepError:
    """Rules between the answers: MRP table start, end ≥ start (core.consistency, p.4), sane
    term, birth not in the future nor after the month of application (core.consistency, p.4)."""
    if step == APPLIED:
        month = _month(value)
        if month is None:
            return Parsed(error="month_format")
        if month < first_known_month():
            return StepError("mrp_before_table", {"month": first_known_month().display()})
    if step == CERT_END:
        end, start = _month(value), _month(answers.get(CERT_START))
        if end is None:
            return Parsed(error="month_format")
        problem = certificate_end_before_start(start, end) if start is not None else None
        if start is not None and problem is not None:
            return StepError(problem.code, {"month": start.display()})
        if start is not None and end.index - start.index + 1 > MAX_TERM_MONTHS:
            return StepError("term_too_long", {"count": str(MAX_TERM_MONTHS)})
    if step == PERIOD:
        start_text, _sep, end_text = value.partition("~")
        start, end = _month(start_text), _month(end_text)
        if start is None or end is None:
            return Parsed(error="period_format")
        checked = check_value(CERT_END, str(end), today, {**answers, CERT_START: str(start)})
        return (
            checked
            if isinstance(checked, StepError) or checked.value is None
            else Parsed(value=value)
        )
    if step == BIRTH:
        birth = date_or_none(value)
        if birth is None:
            return Parsed(error="date_format")
        if birth > today:
            return Parsed(error="birth_future")
        applied = _month(answers.get(APPLIED))
        late = birth_after_application(birth, applied) if applied is not None else None
        if applied is not None and late is not None:
            return StepError(
                late.code,
                {
                    "date": birth.strftime("%d.%m.%Y"),
                    "month": applied.display(),
                    "basis": late.basis,
                },
            )
    if step == DISABILITY_UNTIL:
        until, birth = date_or_none(value), date_or_none(answers.get(BIRTH))
        if until is not None and birth is not None and until < birth:
            return Parsed(error="date_before_birth")
    return Parsed(value=value)


def parse_typed(
    i18n: I18n, step: str, text: str | None, today: dt.date, answers: Mapping[str, str]
) -> Parsed | StepError:
    """A typed answer for a step (any language), checked; or why it is not accepted."""
    if text is None:
        return Parsed(error="not_text")
    if not text.strip():
        return Parsed(error="empty")
    if len(text) > 40:
        if step == PERIOD:
            return Parsed(error="period_format")
        return Parsed(error="date_format" if step in (BIRTH, DISABILITY_UNTIL) else "month_format")
    if step == APPLIED and matches(i18n, text.split("(")[0], THIS_MONTH, THIS_MONTH_WORDS):
        return check_value(step, str(Month.of(today)), today, answers)
    if step == DISABILITY_UNTIL:
        if matches(i18n, text, INDEFINITE, INDEFINITE_WORDS):
            return Parsed(value="indefinite")
        if matches(i18n, text, NOT_SURE, NOT_SURE_WORDS):
            return Parsed(value="unknown")
    if step == PERIOD:
        match = _PERIOD.fullmatch(text)
        if match is None:
            return Parsed(error="period_format")
        start, end = parse_month(match.group(1)), parse_month(match.group(2))
        if isinstance(start, Invalid):
            return Parsed(error=start.code)
        if isinstance(end, Invalid):
            return Parsed(error=end.code)
        return check_value(step, f"{start}~{end}", today, answers)
    if step == BIRTH and "".join(text.split()).isdigit() and len("".join(text.split())) >= 10:
        iin = parse_iin(text)
        if isinstance(iin, Invalid):
            return Parsed(error="iin_invalid")
        return check_value(step, iin.birth.isoformat(), today, answers)
    if step in (BIRTH, DISABILITY_UNTIL):
        day = parse_date(text)
        if isinstance(day, Invalid):
            return Parsed(error=day.code)
        return check_value(step, day.isoformat(), today, answers)
    month = parse_month(text)
    if isinstance(month, Invalid):
        return Parsed(error=month.code)
    return check_value(step, str(month), today, answers)


def accept_button(
    step: str, value: str, today: dt.date, answers: Mapping[str, str]
) -> Parsed | StepError:
    """A pressed suggestion: "this" month, an ISO month, "indefinite" / "unknown"."""
    if step == APPLIED and value == "this":
        return check_value(step, str(Month.of(today)), today, answers)
    if step == DISABILITY_UNTIL and value in ("indefinite", "unknown"):
        return Parsed(value=value)
    if step in (CERT_START, CERT_END) and _month(value) is not None:
        return check_value(step, value, today, answers)
    if step == PERIOD and "~" in value:
        return check_value(step, value, today, answers)
    return Parsed(error="choice")


def store(step: str, value: str) -> dict[str, str]:
    """The answers a step's accepted value stores (the period: its first and last month)."""
    if step == PERIOD:
        start, _sep, end = value.partition("~")
        return {CERT_START: start, CERT_END: end}
    return {step: value}


def error_text(tr: Tr, error: StepError) -> str:
    params = dict(error.params)
    basis = params.pop("basis", None)
    if basis is not None:
        params["paragraph"] = paragraph(tr, basis)
    return tr(ERRORS[error.code], **params)


# ---------------------------------------------------------------- computing and rendering


def build_request(
    answers: Mapping[str, str], today: dt.date, stops: Sequence[Stop] = ()
) -> EstimateRequest:
    applied_month = _month(answers.get(APPLIED)) or Month.of(today)
    applied = today if applied_month == Month.of(today) else applied_month.first_day()
    start = _month(answers.get(CERT_START))
    end = _month(answers.get(CERT_END))
    birth = date_or_none(answers.get(BIRTH))
    if end is None or birth is None:
        raise ValueError("certificate end and birth date are required")
    return EstimateRequest(
        applied=applied,
        certificate_end=end,
        birth=birth,
        certificate_start=start,
        disability_until=date_or_none(answers.get(DISABILITY_UNTIL)),
        stops=tuple(stops),
    )


def compute(request: EstimateRequest) -> Estimate | None:
    """core's estimate, or None when a month precedes the MRP table."""
    try:
        return estimate(request)
    except MrpNotAvailable:
        return None


NOTHING_TEXTS: Mapping[str, str] = {
    "certificate_ended_before_application": N_(
        "Nothing is payable: the certificate's term ends before the month of application "
        "({paragraph}). A new certificate for the next school year allows a new application."
    ),
    "certificate_start_after_end": N_(
        "Nothing is payable: the certificate's first month is after its last month ({paragraph})."
    ),
    "terminated_before_first_month": N_(
        "Nothing is payable: the payment had already stopped before the month of application "
        "({paragraph})."
    ),
    "outside_school_year": N_(
        "Nothing is payable: the months from the application to the end of the certificate fall "
        "outside the school year ({paragraph}). A new certificate for the next school year allows "
        "a new application."
    ),
}
NOTHING_PARAGRAPHS: Mapping[str, str] = {
    "certificate_ended_before_application": "p.4",
    "certificate_start_after_end": "p.4",
    "terminated_before_first_month": "p.5",
    "outside_school_year": "p.7",
}

STOP_TEXTS: Mapping[StopReason, str] = {
    StopReason.CERTIFICATE_END: N_(
        "Payments run to {month} inclusive: the last month of the certificate ({paragraph})."
    ),
    StopReason.AGE_18: N_(
        "Payments run to {month} inclusive: the child turns 18 on {date}; the payment stops from "
        "the next month ({paragraph})."
    ),
    StopReason.DISABILITY_END: N_(
        "Payments run to {month} inclusive: the disability term ends on {date}; the payment stops "
        "from the next month ({paragraph})."
    ),
    StopReason.STATE_INSTITUTION: N_(
        "Payments run to {month} inclusive: the child studies in a state institution from {date}; "
        "the payment stops from the next month ({paragraph})."
    ),
    StopReason.DEATH: N_("Payments run to {month} inclusive ({paragraph})."),
}


def note_texts(tr: Tr, result: Estimate) -> list[str]:
    _ = tr
    lines: list[str] = []
    for note in result.notes:
        if note.code == MRP_NOT_KNOWN:
            lines.append(
                "⚠️ "
                + fmt(
                    _(
                        "Estimate: the MRP for {year} is not yet known (the budget law for that year is "
                        "not adopted); the last known MRP is used."
                    ),
                    year=str(note.params.get("year", "")),
                )
            )
        elif note.code == NOTHING_PAYABLE:
            reason = str(note.params.get("reason", ""))
            message = NOTHING_TEXTS.get(
                reason, NOTHING_TEXTS["certificate_ended_before_application"]
            )
            lines.append(
                "ℹ️ " + tr(message, paragraph=paragraph(tr, NOTHING_PARAGRAPHS.get(reason, "p.4")))
            )
    return lines


def quarter_block(
    tr: Tr, quarter: QuarterPayment, amount_text: str, status: str | None = None
) -> str:
    """One quarter: school year, number, months (names and MM.YYYY), paid months, amount."""
    _ = tr
    months = ", ".join(f"{month_name(m, tr.locale)} ({m.display()})" for m in quarter.months)
    title = _(
        "School year {school_year}, quarter {quarter}",
        school_year=quarter.school_year,
        quarter=quarter.quarter,
    )
    lines = [
        f"<b>{title}</b>",
        _("Months: {months}", months=months),
        _("Paid months: {paid} of {total}", paid=quarter.paid_months, total=quarter.quarter_months),
        _("Amount: {amount}", amount=amount_text) + (f" — {status}" if status else ""),
    ]
    return "\n".join(lines)


def stop_text(tr: Tr, result: Estimate, request: EstimateRequest) -> str | None:
    _ = tr
    if result.last_month is None or not result.quarters:
        return None
    reason = result.stop_reason
    on: dt.date | None = None
    if reason is StopReason.AGE_18:
        on = eighteenth_birthday(request.birth)
    elif reason is StopReason.DISABILITY_END:
        on = request.disability_until
    else:
        on = next((stop.on for stop in request.stops if stop.reason is reason), None)
    message = STOP_TEXTS.get(reason, STOP_TEXTS[StopReason.DEATH])
    para = "p.4" if reason is StopReason.CERTIFICATE_END else "p.5"
    return _(
        message,
        month=result.last_month.display(),
        date=on.strftime("%d.%m.%Y") if on else "",
        paragraph=paragraph(tr, para),
    )


def schedule_blocks(tr: Tr, result: Estimate, request: EstimateRequest) -> list[str]:
    """The estimate as blocks (each quarter, the total, why it ends, the notes)."""
    _ = tr
    blocks = [quarter_block(tr, q, money(q.amount, tr.locale)) for q in result.quarters]
    if result.quarters:
        blocks.append("<b>" + _("Total: {amount}", amount=money(result.total, tr.locale)) + "</b>")
    ending = stop_text(tr, result, request)
    if ending:
        blocks.append(ending)
    notes = note_texts(tr, result)
    if notes:
        blocks.append("\n".join(notes))
    return blocks


def render(
    tr: Tr, result: Estimate, request: EstimateRequest, answers: Mapping[str, str]
) -> list[str]:
    """The full /estimate answer as blocks of HTML (split into messages by the caller)."""
    _ = tr
    intro = _(
        "Estimate of the reimbursement: 8 MRP per quarter of the school year ({paragraph}); each month "
        "is counted at the MRP in force on its first day.",
        paragraph=paragraph(tr, "p.7"),
    )
    blocks = [intro, *schedule_blocks(tr, result, request)]
    if answers.get(DISABILITY_UNTIL) == "unknown":
        blocks.append(
            _("The end of the disability term was not given: the estimate assumes it lasts.")
        )
    blocks.append(
        _(
            "This is an estimate, not a decision: the Department sets the payments after it approves the "
            "application.\n/documents — the documents and where to apply\n/apply — fill in an application"
        )
    )
    return blocks


def mrp_missing_text(tr: Tr) -> str:
    return tr(ERRORS["mrp_before_table"], month=first_known_month().display())
