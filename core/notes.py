"""Notes attached to an estimate (domain.md §4): "the MRP for YEAR is not yet known"
(budget Law not adopted) and "nothing payable" with its reason (p.4, p.5, p.7)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "MRP_NOT_KNOWN",
    "NOTHING_PAYABLE",
    "NOTHING_PAYABLE_PARAGRAPHS",
    "Note",
    "describe",
]

MRP_NOT_KNOWN = "mrp_not_known"
NOTHING_PAYABLE = "nothing_payable"

NOTHING_PAYABLE_PARAGRAPHS: Mapping[str, str] = {
    "certificate_ended_before_application": "p.4",
    "certificate_start_after_end": "p.4",
    "terminated_before_first_month": "p.5",
    "outside_school_year": "p.7",
}
"""Reasons of a ``nothing_payable`` note and the paragraph of decision 11-36 behind each."""

_NOTHING_PAYABLE_TEXT: Mapping[str, str] = {
    "certificate_ended_before_application": (
        "Nothing is payable: the certificate's term ended before the month of application "
        "(p.4). A new certificate (for example for the next school year) allows a new application."
    ),
    "certificate_start_after_end": (
        "Nothing is payable: the certificate's first month is after its last month (p.4)."
    ),
    "terminated_before_first_month": (
        "Nothing is payable: payment had already stopped before the first payable month (p.5)."
    ),
    "outside_school_year": (
        "Nothing is payable: the payable months fall outside the school year (p.7)."
    ),
}


@dataclass(frozen=True)
class Note:
    """A remark on an estimate with a code and string parameters, e.g.
    Note("mrp_not_known", {"year": "2027"}) (budget Law not yet adopted) or
    Note("nothing_payable", {"reason": "certificate_ended_before_application"}) (p.4)."""

    code: str
    params: Mapping[str, str] = field(hash=False)


def describe(note: Note) -> str:
    """An English sentence for a note (CLI and JSON; the bot translates by code),
    citing the budget Law or p.4/p.5/p.7."""
    if note.code == MRP_NOT_KNOWN:
        year = note.params.get("year", "?")
        return (
            f"Estimate: the MRP for {year} is not yet known (no budget Law in the table); "
            "the last known MRP is used."
        )
    if note.code == NOTHING_PAYABLE:
        reason = note.params.get("reason", "")
        return _NOTHING_PAYABLE_TEXT.get(reason, f"Nothing is payable ({reason}).")
    details = ", ".join(f"{key}={value}" for key, value in sorted(note.params.items()))
    return f"{note.code} ({details})" if details else note.code
