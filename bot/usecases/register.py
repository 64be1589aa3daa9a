"""The quarterly payment register for the accountant (issue 13 item 2): `/register 2025/2026 Q3`.

One row per payable application of the quarter — an approved application whose
stored schedule (core.schedule, the card's numbers) has that quarter planned —
with the recipient's full name, IIN, IBAN, the months paid, the MRP of each month
(budget Law, domain.md §4) and the amount, and a total row. Applications that
would have had money in that quarter but are terminated (p.5), refused (p.8),
withdrawn, with an undeliverable contact, or already marked paid go on a second
sheet with the reason. Titles in the staff language (kk/ru catalogues).

"Mark register paid" marks exactly the quarters of the file: the file carries a
digest of its rows (quarter ids and amounts); when the register is marked, the rows
are computed again and must give the same digest, then each quarter goes through
the ordinary audited transition (bot.usecases.transitions.mark_quarter_paid: core's
due/in-order rule check_mark_paid, one audit entry, one notification to the parent
through the outbox, deduplicated per quarter). A second press finds nothing planned
any more (or rows that no longer match the file) and does nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select

from bot.context import AppContext
from bot.data.facts import schedule_for
from bot.data.models import Application, PaymentQuarter, TerminationEvent
from bot.i18n import N_, Tr
from bot.usecases.sheets import Column, Kind, Sheet, Value, workbook
from bot.usecases.transitions import StaffActionError, StaffMember, mark_quarter_paid
from core.forecast import QuarterKey, quarter_key
from core.months import Month
from core.mrp import mrp_for_month_index
from core.policy import default_policy
from core.status import QuarterStatus, Status

_ZERO = Decimal("0.00")


class Exclusion(StrEnum):
    """Why an application is not paid in the register's quarter."""

    TERMINATED = "terminated"  # p.5: the quarter was cancelled by a termination event
    REFUSED = "refused"  # p.8
    WITHDRAWN = Status.WITHDRAWN.value
    UNDELIVERABLE = "undeliverable"  # the parent cannot be reached (outbox gave up / blocked)
    ALREADY_PAID = "already_paid"


@dataclass(frozen=True)
class Payee:
    application_id: int
    quarter_id: int
    number: str
    recipient: str
    iin: str
    iban: str
    months: tuple[Month, ...]
    mrp: tuple[int, ...]
    amount: Decimal


@dataclass(frozen=True)
class Excluded:
    application_id: int
    number: str
    recipient: str
    reason: Exclusion
    amount: Decimal | None = None  # what the quarter holds (or would have held)
    ground: int | None = None  # p.8 ground of a refusal
    stop_reason: str | None = None  # p.5 event
    stop_on: dt.date | None = None
    paid_on: dt.date | None = None


@dataclass(frozen=True)
class Register:
    key: QuarterKey
    school_year: str
    payees: tuple[Payee, ...]
    excluded: tuple[Excluded, ...] = ()
    total: Decimal = _ZERO
    digest: str = field(default="")


class BadQuarter(ValueError):
    """An argument of /register that names no academic quarter."""


_YEARS = r"(?P<y{a}>\d{{4}})\s*[/\-–]\s*(?P<y{b}>\d{{2}}|\d{{4}})"
_NUMBER = r"(?:[QqКкKk]\s*)?(?P<q{n}>[1-4])(?:\s*-?\s*(?:тоқсан|кв\.?|квартал))?"
_QUARTER = re.compile(
    rf"^\s*(?:{_YEARS.format(a=1, b=2)}\s*,?\s*{_NUMBER.format(n=1)}"
    rf"|{_NUMBER.format(n=2)}\s*,?\s*{_YEARS.format(a=3, b=4)})\s*$",
    re.IGNORECASE,
)


def parse_quarter(text: str | None, today: dt.date) -> QuarterKey:
    """'2025/2026 Q3' (or '2025/26 Q3', 'Q3 2025/2026', '2025/2026 3', '2025/2026 3-тоқсан',
    '3 кв. 2025/2026') → QuarterKey(2025, 3);
    nothing → the quarter of today (or the next one, outside the school year)."""
    policy = default_policy()
    if not (text or "").strip():
        month = Month.of(today)
        for _ in range(12):
            key = quarter_key(month, policy)
            if key is not None:
                return key
            month = month.next()
        raise BadQuarter("")
    match = _QUARTER.match(text or "")
    if match is None:
        raise BadQuarter(text or "")
    first = match.group("y1") or match.group("y3")
    second = match.group("y2") or match.group("y4")
    number = int(match.group("q1") or match.group("q2"))
    start = int(first)
    end = int(second) if len(second) == 4 else start // 100 * 100 + int(second)
    if end != start + 1 or number > len(policy.quarters):
        raise BadQuarter(text or "")
    return QuarterKey(start, number)


def _recipient(a: Application) -> str:
    return " ".join(p for p in (a.applicant_surname, a.applicant_name, a.applicant_patronymic) if p)


def _months(stored: Sequence[object]) -> tuple[Month, ...]:
    found = []
    for value in stored:
        try:
            found.append(Month.parse_iso(str(value)))
        except ValueError:
            continue
    return tuple(sorted(found))


def digest_of(payees: Sequence[Payee]) -> str:
    """What identifies a register's rows: its quarters and their amounts."""
    text = ";".join(
        f"{p.quarter_id}:{p.amount:.2f}" for p in sorted(payees, key=lambda p: p.quarter_id)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


async def build_register(app: AppContext, key: QuarterKey) -> Register:
    """The register of one academic quarter from the stored schedules (p.5, p.7, p.8)."""
    policy = default_policy()
    label = policy.school_year_label(key.start_year)
    payees: list[Payee] = []
    excluded: list[Excluded] = []
    async with app.sessionmaker() as session:
        quarters = (
            await session.scalars(
                select(PaymentQuarter).where(
                    PaymentQuarter.school_year == label, PaymentQuarter.quarter == key.number
                )
            )
        ).all()
        by_app = {q.application_id: q for q in quarters}
        applications = (
            await session.scalars(
                select(Application)
                .where(
                    Application.status.in_(
                        [Status.APPROVED.value, Status.REJECTED.value, Status.WITHDRAWN.value]
                    )
                )
                .order_by(Application.id)
            )
        ).all()
        events = (await session.scalars(select(TerminationEvent))).all()
    events_of: dict[int, list[TerminationEvent]] = {}
    for event in events:
        events_of.setdefault(event.application_id, []).append(event)

    def would_have(application: Application) -> Decimal | None:
        """The amount core's schedule (without p.5 events) gives the quarter, if any."""
        schedule = schedule_for(application)
        if schedule is None:
            return None
        for q in schedule.quarters:
            if q.school_year == label and q.quarter == key.number and q.amount > 0:
                return q.amount
        return None

    for application in applications:
        recipient = _recipient(application)
        stored = by_app.get(application.id)
        if application.status == Status.APPROVED.value:
            own_events = sorted(events_of.get(application.id, []), key=lambda e: e.on)
            if stored is None:
                amount = would_have(application) if own_events else None
                if amount is not None:
                    final = own_events[-1]
                    excluded.append(
                        Excluded(
                            application.id,
                            application.number,
                            recipient,
                            Exclusion.TERMINATED,
                            amount,
                            stop_reason=final.reason,
                            stop_on=final.on,
                        )
                    )
                continue
            amount = Decimal(stored.amount)
            if stored.status == QuarterStatus.CANCELLED.value:
                last = own_events[-1] if own_events else None
                excluded.append(
                    Excluded(
                        application.id,
                        application.number,
                        recipient,
                        Exclusion.TERMINATED,
                        amount,
                        stop_reason=last.reason if last else None,
                        stop_on=last.on if last else None,
                    )
                )
            elif stored.status == QuarterStatus.PAID.value:
                paid = stored.paid_at
                excluded.append(
                    Excluded(
                        application.id,
                        application.number,
                        recipient,
                        Exclusion.ALREADY_PAID,
                        amount,
                        paid_on=paid.date() if paid else None,
                    )
                )
            elif application.parent_unreachable or (application.undelivered or 0) > 0:
                excluded.append(
                    Excluded(
                        application.id,
                        application.number,
                        recipient,
                        Exclusion.UNDELIVERABLE,
                        amount,
                    )
                )
            else:
                months = _months(stored.months or [])
                payees.append(
                    Payee(
                        application_id=application.id,
                        quarter_id=stored.id,
                        number=application.number,
                        recipient=recipient,
                        iin=application.applicant_iin or "",
                        iban=application.iban or "",
                        months=months,
                        mrp=tuple(mrp_for_month_index(m.index).amount for m in months),
                        amount=amount,
                    )
                )
            continue
        amount = would_have(application)
        if amount is None:
            continue
        refused = application.status == Status.REJECTED.value
        excluded.append(
            Excluded(
                application.id,
                application.number,
                recipient,
                Exclusion.REFUSED if refused else Exclusion.WITHDRAWN,
                amount,
                ground=application.refusal_ground if refused else None,
            )
        )
    total = sum((p.amount for p in payees), _ZERO)
    return Register(key, label, tuple(payees), tuple(excluded), total, digest_of(payees))


# ------------------------------------------------------------------ the XLSX file

SHEET_PAYEES = N_("Register {school_year} Q{quarter}")
SHEET_EXCLUDED = N_("Not paid")
COLUMNS = (
    N_("Application No."),
    N_("Recipient (full name)"),
    N_("IIN"),
    N_("IBAN"),
    N_("Months paid"),
    N_("Number of months"),
    N_("MRP per month, ₸"),
    N_("Amount, ₸"),
)
EXCLUDED_COLUMNS = (
    N_("Application No."),
    N_("Recipient (full name)"),
    N_("Amount of the quarter, ₸"),
    N_("Reason"),
)
TOTAL = N_("Total")
REASONS = {
    Exclusion.TERMINATED: N_("Payment terminated (p.5): {event}"),
    Exclusion.REFUSED: N_("Refused, ground p.8({ground})"),
    Exclusion.WITHDRAWN: N_("Withdrawn by the applicant"),
    Exclusion.UNDELIVERABLE: N_(
        "The applicant cannot be reached (messages undelivered): check the contact first"
    ),
    Exclusion.ALREADY_PAID: N_("Already marked paid ({date})"),
}
STOP_EVENTS = {
    "age_18": N_("the child turned 18"),
    "disability_end": N_("the disability term ended"),
    "state_institution": N_("study in a state institution"),
    "death": N_("death of the child"),
}


def _day(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def reason_text(app: AppContext, language: str, item: Excluded) -> str:
    """The second sheet's reason in the staff language."""
    tr = Tr(app.i18n, language)

    if item.reason is Exclusion.TERMINATED:
        what = STOP_EVENTS.get(item.stop_reason or "")
        event = f"{tr(what)}, {_day(item.stop_on)}" if what else _day(item.stop_on)
        return tr(REASONS[item.reason], event=event)
    if item.reason is Exclusion.REFUSED:
        return tr(REASONS[item.reason], ground=item.ground or "?")
    if item.reason is Exclusion.ALREADY_PAID:
        return tr(REASONS[item.reason], date=_day(item.paid_on))
    return tr(REASONS[item.reason])


def register_xlsx(app: AppContext, register: Register, language: str) -> bytes:
    """The register as an XLSX workbook: payees with a total row, then the exclusions."""
    tr = Tr(app.i18n, language)

    kinds = (
        Kind.TEXT,
        Kind.TEXT,
        Kind.TEXT,
        Kind.TEXT,
        Kind.TEXT,
        Kind.INTEGER,
        Kind.INTEGER,
        Kind.MONEY,
    )
    payees = Sheet(
        tr(
            SHEET_PAYEES,
            school_year=register.school_year.replace("/", "-"),
            quarter=register.key.number,
        ),
        [Column(tr(title), kind) for title, kind in zip(COLUMNS, kinds, strict=True)],
    )
    for p in register.payees:
        mrp: Value = p.mrp[0] if len(set(p.mrp)) == 1 else "; ".join(str(v) for v in p.mrp)
        payees.rows.append(
            [
                p.number,
                p.recipient,
                p.iin,
                p.iban,
                ", ".join(m.display() for m in p.months),
                len(p.months),
                mrp,
                p.amount,
            ]
        )
    payees.total = [tr(TOTAL), None, None, None, None, None, None, register.total]
    excluded = Sheet(
        tr(SHEET_EXCLUDED),
        [
            Column(tr(EXCLUDED_COLUMNS[0])),
            Column(tr(EXCLUDED_COLUMNS[1])),
            Column(tr(EXCLUDED_COLUMNS[2]), Kind.MONEY),
            Column(tr(EXCLUDED_COLUMNS[3]), width=60),
        ],
    )
    for item in register.excluded:
        excluded.rows.append(
            [item.number, item.recipient, item.amount, reason_text(app, language, item)]
        )
    return workbook([payees, excluded])


# ------------------------------------------------------------------ marking it paid


@dataclass
class Marked:
    """What "Mark register paid" did: quarters marked (numbers), refused (number, code)."""

    marked: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    amount: Decimal = _ZERO
    changed: bool = False  # the register no longer matches the file: nothing done
    nothing: bool = False  # nothing planned left in the quarter: nothing done


async def mark_register_paid(
    app: AppContext, key: QuarterKey, digest: str, who: StaffMember
) -> Marked:
    """Mark every quarter of the register paid, each through the ordinary transition
    (audit + one notification per parent, exactly once); only if the rows are still
    those of the file (``digest``)."""
    register = await build_register(app, key)
    result = Marked()
    if not register.payees:
        result.nothing = True
        return result
    if register.digest != digest:
        result.changed = True
        return result
    for payee in register.payees:
        try:
            await mark_quarter_paid(app, payee.quarter_id, who)
        except StaffActionError as error:
            result.refused.append((payee.number, error.code))
            continue
        result.marked.append(payee.number)
        result.amount += payee.amount
    return result
