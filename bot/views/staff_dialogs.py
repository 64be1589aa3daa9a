"""The words of the staff card's dialogs (handlers/staff*.py): the questions and pickers
under a card, the confirmations that show a quarter with its months and amount, the
requests for a typed answer (after the staff member's name) and what is said when it is
done. Texts are gettext ids formatted with `fmt` by the handlers (values escaped)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Protocol

from bot.i18n import N_, Tr
from bot.views.formatting import day, money
from core.months import Month
from core.status import due_from, is_due


class Quarter(Protocol):
    """A quarter of a stored schedule (bot.usecases.cards.QuarterRef fits)."""

    @property
    def school_year(self) -> str: ...
    @property
    def quarter(self) -> int: ...
    @property
    def months(self) -> tuple[Month, ...]: ...
    @property
    def amount(self) -> Decimal: ...


# ------------------------------------------------------------------ decisions

APPROVE_QUESTION = N_(
    "Approve application {number}? The payment schedule will be stored: total {total}."
)
APPROVE_YES = N_("✅ Yes, approve")
APPROVED_BY = N_("✅ Application {number} approved by {who}.")
DOCS_PROMPT = N_(
    "what documents are missing for application {number}? Reply to this message; the applicant "
    "will receive your words."
)
DOCS_DONE = N_("📎 Documents requested for {number}. The applicant is notified.")

# ------------------------------------------------------------------ refusal (p.8)

GROUND_QUESTION = N_("Refusal of application {number}: choose the ground of p.8.")
GROUND_CHOSEN = N_("Refusal of application {number}: ground p.8({ground}) — {words}.")
COMMENT_PROMPT = N_(
    "reply with a comment for the applicant: why the application of {number} is refused."
)
REFUSED_DONE = N_("⛔ {number} refused, ground p.8({ground}). The applicant is notified.")
REFUSAL_LEFT = N_("The refusal of {number} is left: nothing was sent to the applicant.")
REFUSAL_WAITS = N_(
    "⏳ Your refusal of application {number} on ground p.8({ground}) is waiting for its "
    "comment. Nothing was sent to the applicant. Reply to this message with the comment, "
    "or press “↩️ Leave the refusal” on the card."
)

# ------------------------------------------------------------------ payments (p.5, p.7, p.9)

PAY_QUESTION = N_("Application {number}: which quarter was paid?")
NOTHING_TO_PAY = N_("No planned quarter to mark paid.")
PAY_CONFIRM = N_(
    "💰 Mark paid under application {number}: quarter {quarter} of {school_year} "
    "({months}) — {amount}? The applicant will be told."
)
PAY_YES = N_("✅ Yes, paid")
PAID_ANSWER = N_("Marked paid.")
PAID_BY = N_("💰 {number}: quarter {quarter} of {school_year} marked paid by {who}.")

UNPAY_QUESTION = N_("Application {number}: which quarter was marked paid by mistake?")
NOTHING_PAID = N_("No quarter is marked paid.")
UNPAY_CONFIRM = N_(
    "↩️ Cancel the “paid” mark of quarter {quarter} of {school_year} ({months}) — {amount} "
    "under application {number}? The applicant will be told that it is not paid yet."
)
UNPAY_YES = N_("↩️ Yes, correct")
CORRECTED_ANSWER = N_("Corrected.")
CORRECTED_BY = N_(
    "↩️ {number}: the “paid” mark of quarter {quarter} of {school_year} was corrected by "
    "{who}. The applicant is notified."
)

OVERPAY_PROMPT = N_(
    "overpayment under application {number} (p.9): reply with the amount in tenge, "
    "for example 15728,00."
)
OVERPAY_BAD_AMOUNT = N_("Please reply with an amount in tenge, for example 15728,00.")
OVERPAY_REASON_PROMPT = N_(
    "reply with the reason of the overpayment of {amount} (the applicant will see it)."
)
OVERPAY_DONE = N_("⚠️ Overpayment of {amount} recorded for {number}. The applicant is notified.")

STOP_QUESTION = N_("Application {number}: which event stops the payment (p.5)?")
STOP_CHOSEN = N_("Application {number}: {event}.")
STOP_DATE_PROMPT = N_("reply with the date of the event as DD.MM.YYYY.")
STOP_BAD_DATE = N_("Please reply with the date as DD.MM.YYYY, for example 10.02.2026.")
STOP_FUTURE_DATE = N_("The date of the event cannot be in the future.")
STOP_DONE = N_("⏹ {number}: payment stops after {date} ({reason}). The applicant is notified.")

# ------------------------------------------------------------------ common

TEXT_ANSWER = N_("Please reply with a text (up to 1000 characters).")
CANCELLED = N_("Cancelled.")


def quarter_label(_: Tr, q: Quarter, language: str, today: dt.date | None = None) -> str:
    """A quarter on a picker button; one not due yet says from when (p.7)."""
    amount = money(Decimal(q.amount), language)
    if today is not None and q.months and not is_due(q.months, today):
        return _(
            "Q{quarter} {school_year} — {amount} (from {due})",
            quarter=q.quarter,
            school_year=q.school_year,
            amount=amount,
            due=day(due_from(q.months)),
        )
    return _(
        "Q{quarter} {school_year} — {amount}",
        quarter=q.quarter,
        school_year=q.school_year,
        amount=amount,
    )


def quarter_words(q: Quarter, language: str) -> dict[str, str]:
    """Fields of a confirmation: quarter, school year, months, amount (for `fmt`)."""
    return {
        "quarter": str(q.quarter),
        "school_year": q.school_year,
        "months": ", ".join(m.display() for m in q.months),
        "amount": money(Decimal(q.amount), language),
    }
