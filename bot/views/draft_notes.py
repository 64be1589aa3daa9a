"""What the /apply summary says before Send besides the answers (issue 10 items 1, 2):
that an application for this child already exists (p.3, p.7), and why the estimate
is zero (p.4, p.5, p.7). Parents may still send; staff decide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from bot.i18n import N_, Tr
from bot.views.eligibility import paragraph
from bot.views.fmt import b, fmt
from bot.views.formatting import day, money
from bot.views.status import status_text
from core.notes import NOTHING_PAYABLE
from core.schedule import Estimate, EstimateRequest, StopReason, eighteenth_birthday


def claim_lines(tr: Tr, others: Sequence[tuple[str, str]]) -> list[str]:
    """⚠️ for each application already sent for this child: its number and status only
    (never anything of its applicant), then what it means (p.3, p.7)."""
    if not others:
        return []
    _ = tr
    lines = [
        "⚠️ "
        + fmt(
            _("An application for this child has already been sent: {number}, status: {status}."),
            number=b(number),
            status=status_text(tr, status),
        )
        for number, status in others
    ]
    lines.append(
        _(
            "The payment for a child is made to one of the parents or another legal representative "
            "({p3}, {p7}). You can still send this application: the Department's staff will look "
            "at both applications and decide.",
            p3=paragraph(tr, "p.3"),
            p7=paragraph(tr, "p.7"),
        )
    )
    return lines


ZERO_REASONS: Mapping[str, str] = {
    "certificate_ended_before_application": N_(
        "the term of the school certificate ended ({month}) before the month of application; "
        "the payment is made from the month of application to the month the certificate ends "
        "({paragraph})."
    ),
    "certificate_start_after_end": N_(
        "the first month of the certificate is after its last month ({paragraph})."
    ),
    "age_18": N_(
        "the child turned 18 on {date}, before the month of application; the payment stops "
        "from the month after the child turns 18 ({paragraph})."
    ),
    "disability_end": N_(
        "the disability term ended on {date}, before the month of application; the payment "
        "stops from the month after it ends ({paragraph})."
    ),
    "terminated_before_first_month": N_(
        "the payment would already have stopped before the month of application ({paragraph})."
    ),
    "outside_school_year": N_(
        "the months from the application to the end of the certificate are all outside the "
        "school year, and only school-year months are paid ({paragraph})."
    ),
}


def zero_reason(result: Estimate, request: EstimateRequest) -> tuple[str, str, dict[str, str]]:
    """(ZERO_REASONS key, paragraph, parameters) of an estimate that pays nothing."""
    note = next((n for n in result.notes if n.code == NOTHING_PAYABLE), None)
    reason = str(note.params.get("reason", "")) if note else ""
    if reason == "terminated_before_first_month":
        if result.stop_reason is StopReason.AGE_18:
            return "age_18", "p.5", {"date": day(eighteenth_birthday(request.birth))}
        if result.stop_reason is StopReason.DISABILITY_END and request.disability_until:
            return "disability_end", "p.5", {"date": day(request.disability_until)}
        return reason, "p.5", {}
    if reason == "certificate_ended_before_application":
        return reason, "p.4", {"month": request.certificate_end.display()}
    if reason in ZERO_REASONS:
        return reason, "p.7" if reason == "outside_school_year" else "p.4", {}
    return "terminated_before_first_month", "p.4", {}


def zero_lines(tr: Tr, result: Estimate | None, request: EstimateRequest | None) -> list[str]:
    """Why nothing would be paid, citing the paragraph, and that the parent may still
    send (staff decide) — or nothing when the estimate pays something."""
    if result is None or request is None or result.quarters:
        return []
    _ = tr
    key, para, params = zero_reason(result, request)
    reason = tr(ZERO_REASONS[key], paragraph=paragraph(tr, para), **params)
    return [
        "⚠️ <b>"
        + _(
            "Nothing would be paid on this application ({amount}):",
            amount=money(Decimal("0.00"), tr.locale),
        )
        + "</b> "
        + reason,
        _(
            "You can still send it, and the Department's staff will decide; but with these "
            "answers no payment would be made. Check the dates, or wait for a new certificate."
        ),
    ]
