"""What the parent is told, in the parent's language (domain.md §7).

A notification is an outbox row whose payload names a template (`render.kind`)
and its parameters (JSON: amounts as strings, dates ISO). The sender renders it
at delivery time with `render_row()` in the user's CURRENT stored language
(`users.language`), falling back to the language of the application
(`payload.language`) — so a parent who switches language before delivery reads
it in the new one. `notify()` writes the row in the caller's transaction.

Texts name the paragraph of decision 11-36 they rest on; a refusal names the
p.8 ground in plain words and the appeal route (p.10 → p.14 of the Rules No. 84);
payments name the quarter, its months and the amount.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.i18n import N_, Tr
from bot.views import official, term
from bot.views.eligibility import paragraph
from bot.views.fmt import Html, fmt, plain
from bot.views.formatting import day, money, month_name
from bot.views.status import GROUND_TEXTS, STOP_REASON_TEXTS
from core.months import Month
from core.policy import default_policy
from core.status import Status

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)


def department(language: str) -> Html:
    """The payer of p.2 in the given language."""
    names = default_policy().department
    return plain(names.get(language) or names.get("ru") or "")


def _months(params: Mapping[str, Any], language: str) -> str:
    names = []
    for value in params.get("months") or []:
        try:
            names.append(month_name(Month.parse_iso(str(value)), language))
        except ValueError:
            continue
    return ", ".join(names)


def _quarter_lines(_: Tr, quarters: list[Mapping[str, Any]], language: str) -> list[str]:
    lines = []
    for quarter in quarters:
        lines.append(
            "• "
            + fmt(
                _("quarter {quarter} of the school year {school_year} ({months}): {amount}"),
                quarter=quarter["quarter"],
                school_year=quarter["school_year"],
                months=_months(quarter, language),
                amount=money(Decimal(str(quarter["amount"])), language),
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


# One renderer per kind: (tr, params, language) -> HTML text.


def _taken(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return fmt(
        _(
            "🔎 Your application {number} has been taken into review by {department}. "
            "We will write to you here when there is a decision."
        ),
        number=p["number"],
        department=department(language),
    )


def _documents_requested(_: Tr, p: Mapping[str, Any], language: str) -> str:
    lines: list[str] = [
        fmt(
            _("📎 The Department asks for documents for application {number}."),
            number=p["number"],
        ),
        fmt(_("What is needed: {what}"), what=p.get("comment") or ""),
        "",
        _(
            "Send them here as a photo or a PDF file in reply to this message. "
            "The application stays under consideration."
        ),
    ]
    return "\n".join(lines)


def _documents_received(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return fmt(
        _(
            "📨 Thank you: your documents for application {number} were passed to the Department. "
            "The application is back in review."
        ),
        number=p["number"],
    )


def _approved(_: Tr, p: Mapping[str, Any], language: str) -> str:
    quarters = list(p.get("quarters") or [])
    lines: list[str] = [
        fmt(
            _("✅ Your application {number} is approved by {department}."),
            number=p["number"],
            department=department(language),
        ),
    ]
    if quarters:
        lines += ["", _("Payment schedule ({paragraph}):", paragraph=paragraph(_, "p.7"))]
        lines += _quarter_lines(_, quarters, language)
        lines.append(_("Total: {amount}", amount=money(Decimal(str(p["total"])), language)))
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
    lines += _comment(_, p.get("comment"))
    return "\n".join(lines)


def _rejected(_: Tr, p: Mapping[str, Any], language: str) -> str:
    lines: list[str] = [
        fmt(
            _("⛔ Your application {number} is refused by {department}."),
            number=p["number"],
            department=department(language),
        ),
        _ground(_, int(p["ground"])),
        *_comment(_, p.get("comment")),
        "",
        _appeal(_),
    ]
    if int(p["ground"]) == 4:
        lines += ["", _("If you give your consent, you can apply again: /apply")]
    return "\n".join(lines)


def _withdrawn(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return fmt(
        _("↩️ Your application {number} is withdrawn. You can apply again at any time: /apply"),
        number=p["number"],
    )


def _quarter_paid(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return "\n".join(
        [
            fmt(
                _(
                    "💰 Paid: quarter {quarter} of the school year {school_year} ({months}) — {amount}."
                ),
                quarter=p["quarter"],
                school_year=p["school_year"],
                months=_months(p, language),
                amount=money(Decimal(str(p["amount"])), language),
            ),
            fmt(
                _(
                    "Application {number}. The money goes to the bank account given in the application."
                ),
                number=p["number"],
            ),
        ]
    )


def _quarter_corrected(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return "\n".join(
        [
            fmt(
                _(
                    "↩️ Correction: quarter {quarter} of the school year {school_year} ({months}) — {amount} "
                    "was marked paid by mistake. It is not paid yet."
                ),
                quarter=p["quarter"],
                school_year=p["school_year"],
                months=_months(p, language),
                amount=money(Decimal(str(p["amount"])), language),
            ),
            fmt(
                _(
                    "Application {number}. Payment has stopped ({paragraph}): this quarter will not "
                    "be paid."
                ),
                number=p["number"],
                paragraph=paragraph(_, "p.5"),
            )
            if p.get("stopped")
            else fmt(
                _("Application {number}. We will tell you here when this quarter is paid."),
                number=p["number"],
            ),
        ]
    )


def _overpayment(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return "\n".join(
        [
            fmt(
                _(
                    "⚠️ The Department recorded an overpaid amount under application {number}: {amount}."
                ),
                number=p["number"],
                amount=money(Decimal(str(p["amount"])), language),
            ),
            fmt(_("Reason: {reason}"), reason=p.get("reason") or ""),
            "",
            _(
                "Overpaid amounts are to be returned voluntarily or through court ({paragraph}). "
                "Please contact the Department to return it voluntarily.",
                paragraph=paragraph(_, "p.9"),
            ),
        ]
    )


def _terminated(_: Tr, p: Mapping[str, Any], language: str) -> str:
    reason = STOP_REASON_TEXTS.get(p["reason"])
    lines: list[str] = [
        fmt(
            _(
                "ℹ️ Payments under application {number} stop from {month} ({paragraph}): {reason} on {date}."
            ),
            number=p["number"],
            month=month_name(Month.parse_iso(p["stop_month"]), language),
            paragraph=paragraph(_, "p.5"),
            reason=_(reason) if reason else p["reason"],
            date=day(_date(p["on"])),
        )
    ]
    quarters = list(p.get("cancelled") or [])
    if quarters:
        lines.append(_("Quarters no longer paid:"))
        lines += _quarter_lines(_, quarters, language)
    return "\n".join(lines)


def _staff_message(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return "\n".join(
        [
            fmt(
                _("✉️ Message from {department} about application {number}:"),
                department=department(language),
                number=p["number"],
            ),
            "",
            fmt(
                "({part}/{parts}) {text}" if p.get("parts") else "{text}",
                part=p.get("part"),
                parts=p.get("parts"),
                text=p.get("text") or "",
            ),
            "",
            _("To answer, reply to this message (text, photo or file)."),
        ]
    )


def _reminder_certificate_end(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return fmt(
        _(
            "⏰ Reminder: the school certificate of application {number} ends on {date}. Payment runs to the "
            "month the certificate's term ends ({paragraph}). For further months bring a new certificate "
            "and apply again: /apply"
        ),
        number=p["number"],
        date=day(_date(p["event"])),
        paragraph=paragraph(_, "p.4"),
    )


def _reminder_age_18(_: Tr, p: Mapping[str, Any], language: str) -> str:
    event = _date(p["event"])
    return fmt(
        _(
            "⏰ Reminder: the child turns 18 on {date}. Payment under application {number} stops from the "
            "month after that ({paragraph}); the month of the birthday is still paid."
        ),
        date=day(event),
        number=p["number"],
        paragraph=paragraph(_, "p.5"),
    )


def _reminder_disability_end(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return fmt(
        _(
            "⏰ Reminder: the child's disability term ends on {date}. Payment under application {number} "
            "stops from the month after that ({paragraph}). If the disability is extended, send the new "
            "term to the Department."
        ),
        date=day(_date(p["event"])),
        number=p["number"],
        paragraph=paragraph(_, "p.5"),
    )


def _reminder_new_school_year(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return fmt(
        _(
            "⏰ A new school year has begun. The school certificate of application {number} ended in May, so "
            "payment has stopped ({paragraph}). If your child continues home education, take a new certificate "
            "from the school and apply again: /apply"
        ),
        number=p["number"],
        paragraph=paragraph(_, "p.4"),
    )


def _reminder_official(_: Tr, p: Mapping[str, Any], language: str) -> str:
    return fmt(_(official.REMINDER), number=p["number"], button=_(official.FILED_BUTTON))


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


RENDERERS: dict[str, Callable[[Tr, Mapping[str, Any], str], str]] = {
    "taken": _taken,
    Status.DOCUMENTS_REQUESTED: _documents_requested,
    "documents_received": _documents_received,
    Status.APPROVED: _approved,
    Status.REJECTED: _rejected,
    Status.WITHDRAWN: _withdrawn,
    "quarter_paid": _quarter_paid,
    "quarter_corrected": _quarter_corrected,
    "overpayment": _overpayment,
    "terminated": _terminated,
    "staff_message": _staff_message,
    "reminder_certificate_end": _reminder_certificate_end,
    "reminder_age_18": _reminder_age_18,
    "reminder_disability_end": _reminder_disability_end,
    "reminder_new_school_year": _reminder_new_school_year,
    "reminder_official": _reminder_official,
    "term_digest": term.digest,
    term.REGISTER_OPEN_KIND: term.register_open,
}


RENEW = N_("🔁 Renew: a new application")
RENEWABLE = ("reminder_certificate_end", "reminder_new_school_year")


def renew_markup(
    context: AppContext,
    kind: str,
    application_id: int | None,
    language: str,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The «Renew» button of the certificate-end and 1 September reminders (issue 12 item 3):
    handlers.apply.Renew ("renew:<application id>") starts a new draft from the application;
    the register button of the notice a quarter opens with (issue 13 item 2)."""
    if kind == term.REGISTER_OPEN_KIND and params is not None:
        return term.register_open_markup(Tr(context.i18n, language), params)
    if kind not in RENEWABLE or application_id is None:
        return None
    label = Tr(context.i18n, language)(RENEW)
    button = {"text": label, "callback_data": f"renew:{application_id}"}
    return {"inline_keyboard": [[button]]}


def render(context: AppContext, kind: str, params: Mapping[str, Any], language: str) -> str:
    """The text of a notification in `language`."""
    return RENDERERS[kind](Tr(context.i18n, language), params, language)


# ----------------------------------------------------------------- staff side

UNREACHABLE = N_(
    "⚠️ Application {number}: the applicant has blocked the bot, a message was not delivered "
    "({kind}). Please contact the applicant by phone."
)


def staff_language(context: AppContext) -> str:
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
