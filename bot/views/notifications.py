"""What the parent is told, in the parent's language (domain.md §7).

A notification is an outbox row whose payload names a template (`render.kind`)
and its parameters, one typed payload per kind (bot.payloads: the codec keeps
amounts Decimal, months Month, dates dt.date). The sender renders it
at delivery time with `render_row()` in the user's CURRENT stored language
(`users.language`), falling back to the language of the application
(`payload.language`) — so a parent who switches language before delivery reads
it in the new one. `notify()` writes the row in the caller's transaction.

Texts name the paragraph of decision 11-36 they rest on; a refusal names the
p.8 ground in plain words and the appeal route (p.10 → p.14 of the Rules No. 84);
payments name the quarter, its months and the amount.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, assert_never

from bot.i18n import N_, Tr
from bot.payloads import (
    Approved,
    DocumentsReceived,
    DocumentsRequested,
    Overpayment,
    Payload,
    QuarterCorrected,
    QuarterLine,
    QuarterPaid,
    RatingAsked,
    Rejected,
    ReminderAge18,
    ReminderCertificateEnd,
    ReminderDisabilityEnd,
    ReminderNewSchoolYear,
    ReminderOfficial,
    StaffMessage,
    Taken,
    Terminated,
    Withdrawn,
    decode,
)
from bot.staff_payloads import STAFF_KINDS, RegisterOpen
from bot.staff_payloads import decode as decode_staff
from bot.views import feedback, official, term
from bot.views.context import ViewContext
from bot.views.eligibility import paragraph
from bot.views.fmt import Html, fmt, plain
from bot.views.formatting import day, money, month_name
from bot.views.status import GROUND_TEXTS, STOP_REASON_TEXTS
from core.policy import default_policy

log = logging.getLogger(__name__)


def department(language: str) -> Html:
    """The payer of p.2 in the given language."""
    names = default_policy().department
    return plain(names.get(language) or names.get("ru") or "")


def _months(quarter: QuarterLine, language: str) -> str:
    return ", ".join(month_name(month, language) for month in quarter.months)


def _quarter_lines(_: Tr, quarters: Sequence[QuarterLine], language: str) -> list[str]:
    lines = []
    for quarter in quarters:
        lines.append(
            "• "
            + fmt(
                _("quarter {quarter} of the school year {school_year} ({months}): {amount}"),
                quarter=quarter.quarter,
                school_year=quarter.school_year,
                months=_months(quarter, language),
                amount=money(quarter.amount, language),
            )
        )
    return lines


def _appeal(_: Tr) -> str:
    return _(
        "You can appeal this decision ({paragraph}): a complaint to the head of the Department or to the "
        "authorised body for the quality of state services, as p.14 of the Rules No. 84 provides, "
        "or to court.",
        paragraph=paragraph(_, "p.10"),
    )


def _ground(_: Tr, ground: int) -> str:
    words = GROUND_TEXTS.get(ground)
    return _(
        "Ground: {paragraph} — {explanation}.",
        paragraph=paragraph(_, f"p.8({ground})"),
        explanation=_(words) if words else str(ground),
    )


def _comment(_: Tr, comment: str | None) -> list[str]:
    if not comment:
        return []
    return [fmt(_("Comment of the Department: {comment}"), comment=comment)]


# One renderer per kind: (tr, application number, payload, language) -> HTML text.


def _taken(_: Tr, number: str, p: Taken, language: str) -> str:
    return fmt(
        _(
            "🔎 Your application {number} has been taken into review by {department}. "
            "We will write to you here when there is a decision."
        ),
        number=number,
        department=department(language),
    )


def _documents_requested(_: Tr, number: str, p: DocumentsRequested, language: str) -> str:
    lines: list[str] = [
        fmt(
            _("📎 The Department asks for documents for application {number}."),
            number=number,
        ),
        fmt(_("What is needed: {what}"), what=p.comment or ""),
        "",
        _(
            "Send them here as a photo or a PDF file in reply to this message. "
            "The application stays under consideration."
        ),
    ]
    return "\n".join(lines)


def _documents_received(_: Tr, number: str, p: DocumentsReceived, language: str) -> str:
    return fmt(
        _(
            "📨 Thank you: your documents for application {number} were passed to the Department. "
            "The application is back in review."
        ),
        number=number,
    )


def _approved(_: Tr, number: str, p: Approved, language: str) -> str:
    quarters = p.quarters
    lines: list[str] = [
        fmt(
            _("✅ Your application {number} is approved by {department}."),
            number=number,
            department=department(language),
        ),
    ]
    if quarters:
        lines += ["", _("Payment schedule ({paragraph}):", paragraph=paragraph(_, "p.7"))]
        lines += _quarter_lines(_, quarters, language)
        lines.append(_("Total: {amount}", amount=money(p.total, language)))
        lines += [
            "",
            _(
                "The money is paid to the bank account given in the application. "
                "We will tell you here when each quarter is paid."
            ),
        ]
    else:
        lines += [
            "",
            _(
                "No payment is due under the current certificate ({paragraph}).",
                paragraph=paragraph(_, "p.4"),
            ),
        ]
    lines += _comment(_, p.comment)
    return "\n".join(lines)


def _rejected(_: Tr, number: str, p: Rejected, language: str) -> str:
    lines: list[str] = [
        fmt(
            _("⛔ Your application {number} is refused by {department}."),
            number=number,
            department=department(language),
        ),
        _ground(_, p.ground),
        *_comment(_, p.comment),
        "",
        _appeal(_),
    ]
    if p.ground == 4:
        lines += ["", _("If you give your consent, you can apply again: /apply")]
    return "\n".join(lines)


def _withdrawn(_: Tr, number: str, p: Withdrawn, language: str) -> str:
    return fmt(
        _("↩️ Your application {number} is withdrawn. You can apply again at any time: /apply"),
        number=number,
    )


def _quarter_paid(_: Tr, number: str, p: QuarterPaid, language: str) -> str:
    return "\n".join(
        [
            fmt(
                _(
                    "💰 Paid: quarter {quarter} of the school year {school_year} ({months}) — {amount}."
                ),
                quarter=p.quarter.quarter,
                school_year=p.quarter.school_year,
                months=_months(p.quarter, language),
                amount=money(p.quarter.amount, language),
            ),
            fmt(
                _(
                    "Application {number}. The money goes to the bank account given in the application."
                ),
                number=number,
            ),
        ]
    )


def _quarter_corrected(_: Tr, number: str, p: QuarterCorrected, language: str) -> str:
    return "\n".join(
        [
            fmt(
                _(
                    "↩️ Correction: quarter {quarter} of the school year {school_year} ({months}) — {amount} "
                    "was marked paid by mistake. It is not paid yet."
                ),
                quarter=p.quarter.quarter,
                school_year=p.quarter.school_year,
                months=_months(p.quarter, language),
                amount=money(p.quarter.amount, language),
            ),
            fmt(
                _(
                    "Application {number}. Payment has stopped ({paragraph}): this quarter will not "
                    "be paid."
                ),
                number=number,
                paragraph=paragraph(_, "p.5"),
            )
            if p.stopped
            else fmt(
                _("Application {number}. We will tell you here when this quarter is paid."),
                number=number,
            ),
        ]
    )


def _overpayment(_: Tr, number: str, p: Overpayment, language: str) -> str:
    return "\n".join(
        [
            fmt(
                _(
                    "⚠️ The Department recorded an overpaid amount under application {number}: {amount}."
                ),
                number=number,
                amount=money(p.amount, language),
            ),
            fmt(_("Reason: {reason}"), reason=p.reason),
            "",
            _(
                "Overpaid amounts are to be returned voluntarily or through court ({paragraph}). "
                "Please contact the Department to return it voluntarily.",
                paragraph=paragraph(_, "p.9"),
            ),
        ]
    )


def _terminated(_: Tr, number: str, p: Terminated, language: str) -> str:
    reason = STOP_REASON_TEXTS.get(p.reason)
    lines: list[str] = [
        fmt(
            _(
                "ℹ️ Payments under application {number} stop from {month} ({paragraph}): {reason} on {date}."
            ),
            number=number,
            month=month_name(p.stop_month, language),
            paragraph=paragraph(_, "p.5"),
            reason=_(reason) if reason else p.reason,
            date=day(p.on),
        )
    ]
    if p.cancelled:
        lines.append(_("Quarters no longer paid:"))
        lines += _quarter_lines(_, p.cancelled, language)
    return "\n".join(lines)


def _staff_message(_: Tr, number: str, p: StaffMessage, language: str) -> str:
    return "\n".join(
        [
            fmt(
                _("✉️ Message from {department} about application {number}:"),
                department=department(language),
                number=number,
            ),
            "",
            fmt(
                "({part}/{parts}) {text}" if p.parts else "{text}",
                part=p.part,
                parts=p.parts,
                text=p.text,
            ),
            "",
            _("To answer, reply to this message (text, photo or file)."),
        ]
    )


def _reminder_certificate_end(_: Tr, number: str, p: ReminderCertificateEnd, language: str) -> str:
    return fmt(
        _(
            "⏰ Reminder: the school certificate of application {number} ends on {date}. Payment runs to the "
            "month the certificate's term ends ({paragraph}). For further months bring a new certificate "
            "and apply again: /apply"
        ),
        number=number,
        date=day(p.event),
        paragraph=paragraph(_, "p.4"),
    )


def _reminder_age_18(_: Tr, number: str, p: ReminderAge18, language: str) -> str:
    return fmt(
        _(
            "⏰ Reminder: the child turns 18 on {date}. Payment under application {number} stops from the "
            "month after that ({paragraph}); the month of the birthday is still paid."
        ),
        date=day(p.event),
        number=number,
        paragraph=paragraph(_, "p.5"),
    )


def _reminder_disability_end(_: Tr, number: str, p: ReminderDisabilityEnd, language: str) -> str:
    return fmt(
        _(
            "⏰ Reminder: the child's disability term ends on {date}. Payment under application {number} "
            "stops from the month after that ({paragraph}). If the disability is extended, send the new "
            "term to the Department."
        ),
        date=day(p.event),
        number=number,
        paragraph=paragraph(_, "p.5"),
    )


def _reminder_new_school_year(_: Tr, number: str, p: ReminderNewSchoolYear, language: str) -> str:
    return fmt(
        _(
            "⏰ A new school year has begun. The school certificate of application {number} ended in May, so "
            "payment has stopped ({paragraph}). If your child continues home education, take a new certificate "
            "from the school and apply again: /apply"
        ),
        number=number,
        paragraph=paragraph(_, "p.4"),
    )


def _reminder_official(_: Tr, number: str, p: ReminderOfficial, language: str) -> str:
    return fmt(_(official.REMINDER), number=number, button=_(official.FILED_BUTTON))


def _rating_asked(_: Tr, number: str, p: RatingAsked, language: str) -> str:
    return feedback.question(_, number, p.occasion)


def render_notice(_: Tr, number: str, p: Payload, language: str) -> str:
    """The text of one typed notification (one renderer per kind; mypy checks the match
    is exhaustive)."""
    match p:
        case Taken():
            return _taken(_, number, p, language)
        case DocumentsRequested():
            return _documents_requested(_, number, p, language)
        case DocumentsReceived():
            return _documents_received(_, number, p, language)
        case Approved():
            return _approved(_, number, p, language)
        case Rejected():
            return _rejected(_, number, p, language)
        case Withdrawn():
            return _withdrawn(_, number, p, language)
        case QuarterPaid():
            return _quarter_paid(_, number, p, language)
        case QuarterCorrected():
            return _quarter_corrected(_, number, p, language)
        case Overpayment():
            return _overpayment(_, number, p, language)
        case Terminated():
            return _terminated(_, number, p, language)
        case StaffMessage():
            return _staff_message(_, number, p, language)
        case ReminderCertificateEnd():
            return _reminder_certificate_end(_, number, p, language)
        case ReminderAge18():
            return _reminder_age_18(_, number, p, language)
        case ReminderDisabilityEnd():
            return _reminder_disability_end(_, number, p, language)
        case ReminderNewSchoolYear():
            return _reminder_new_school_year(_, number, p, language)
        case ReminderOfficial():
            return _reminder_official(_, number, p, language)
        case RatingAsked():
            return _rating_asked(_, number, p, language)
    assert_never(p)


RENEW = N_("🔁 Renew: a new application")
RENEWABLE = ("reminder_certificate_end", "reminder_new_school_year")


def renew_markup(
    context: ViewContext,
    kind: str,
    application_id: int | None,
    language: str,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The «Renew» button of the certificate-end and 1 September reminders (issue 12 item 3):
    handlers.apply.Renew ("renew:<application id>") starts a new draft from the application;
    the register button of the notice a quarter opens with (issue 13 item 2); the buttons
    1…5 and «Skip» of the rating question (issue 12 item 6, handlers/feedback.py)."""
    if kind == RegisterOpen.kind and params is not None:
        notice = decode_staff(kind, params)
        if isinstance(notice, RegisterOpen):
            return term.register_open_markup(Tr(context.i18n, language), notice)
    if kind == RatingAsked.kind and application_id is not None and params is not None:
        occasion = str(params.get("occasion") or "")
        return feedback.rating_markup(Tr(context.i18n, language), application_id, occasion)
    if kind not in RENEWABLE or application_id is None:
        return None
    label = Tr(context.i18n, language)(RENEW)
    button = {"text": label, "callback_data": f"renew:{application_id}"}
    return {"inline_keyboard": [[button]]}


def render(context: ViewContext, kind: str, params: Mapping[str, Any], language: str) -> str:
    """The text of a stored notification (`render.kind`, `render.params`) in `language`."""
    tr = Tr(context.i18n, language)
    if kind in STAFF_KINDS:  # a staff notice (bot.staff_payloads), not a parent's
        return term.render_staff(tr, decode_staff(kind, params), language)
    return render_notice(tr, str(params.get("number") or ""), decode(kind, params), language)


# ----------------------------------------------------------------- staff side

UNREACHABLE = N_(
    "⚠️ Application {number}: the applicant has blocked the bot, a message was not delivered "
    "({kind}). Please contact the applicant by phone."
)


def staff_language(context: ViewContext) -> str:
    """The staff chat is shared: its texts are in the default locale."""
    return context.settings.default_locale


# Why a row gave up (bot.outbox.store: failure) → what staff are told.
EXPIRED, REJECTED, UNCONFIRMED = "expired", "rejected", "unconfirmed"
UNDELIVERED_HEAD = N_("⚠️ Application {number}: a message could not be delivered ({kind}).")
UNDELIVERED_REASONS = {
    EXPIRED: N_("Telegram did not accept it during {hours} h of retries."),
    REJECTED: N_("Telegram refused it: {error}"),
    UNCONFIRMED: N_(
        "Telegram did not answer twice: the applicant may have received it or not, it is "
        "not sent a third time by itself."
    ),
}
UNDELIVERED_TAIL = N_("To send it again: /requeue {number}")
UNDELIVERED_LOOSE = N_(
    "⚠️ Messages without an application could not be delivered. To send them again: /requeue all"
)
