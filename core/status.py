"""The application status machine as data (domain.md §7; refusal grounds of p.8).

draft → submitted → in_review ⇄ documents_requested → approved | rejected;
withdrawn by the parent before a decision. A refusal needs one p.8 ground.
Quarter payments: planned → paid | cancelled (p.5 stops future quarters); a
quarter is paid only once it is due, earliest unpaid first (p.7), and a wrong
"paid" mark is corrected back to planned by staff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum
from types import MappingProxyType

from core.months import Month

__all__ = [
    "QUARTER_TRANSITIONS",
    "TRANSITIONS",
    "Action",
    "ActionNotAllowed",
    "Actor",
    "ActorNotAllowed",
    "GroundRequired",
    "PaymentRefused",
    "QuarterStatus",
    "RefusalGround",
    "ScheduledQuarter",
    "Status",
    "Transition",
    "TransitionError",
    "allowed_actions",
    "apply_action",
    "awaiting_decision",
    "awaits_decision",
    "change_quarter_status",
    "check_correction",
    "check_mark_paid",
    "decision_statuses",
    "due_from",
    "is_due",
    "is_final",
    "next_to_pay",
]


class Status(StrEnum):
    """Status of an application (domain.md §7; p.8 for ``rejected``)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    DOCUMENTS_REQUESTED = "documents_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Actor(StrEnum):
    """Who acts: the parent (applicant, p.3) or the Department's staff (p.2)."""

    PARENT = "parent"
    STAFF = "staff"


class Action(StrEnum):
    """What an actor does to an application (domain.md §7; ``reject`` per p.8)."""

    SUBMIT = "submit"
    TAKE = "take"
    REQUEST_DOCUMENTS = "request_documents"
    PROVIDE_DOCUMENTS = "provide_documents"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


class RefusalGround(IntEnum):
    """The four refusal grounds of p.8 of decision 11-36."""

    UNRELIABLE_DOCUMENTS = 1
    NOT_MEETING_REQUIREMENTS = 2
    NEGATIVE_CONCLUSION = 3
    NO_CONSENT = 4

    @property
    def paragraph(self) -> str:
        """The sub-paragraph of p.8, e.g. "p.8(1)"."""
        return f"p.8({self.value})"

    @property
    def code(self) -> str:
        """The ground's code as in the policy file (p.8), e.g. "unreliable_documents"."""
        return self.name.lower()


class QuarterStatus(StrEnum):
    """Status of one quarter's payment (p.7; p.5 cancels future quarters)."""

    PLANNED = "planned"
    PAID = "paid"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Transition:
    """One row of the status table (domain.md §7): the target status, the actors
    allowed, and whether a p.8 refusal ground is required."""

    to: Status
    actors: frozenset[Actor]
    ground_required: bool = False


_PARENT = frozenset({Actor.PARENT})
_STAFF = frozenset({Actor.STAFF})
_BOTH = frozenset({Actor.PARENT, Actor.STAFF})
_OPEN = (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED)

TRANSITIONS: Mapping[tuple[Status, Action], Transition] = MappingProxyType(
    {
        (Status.DRAFT, Action.SUBMIT): Transition(Status.SUBMITTED, _PARENT),
        (Status.SUBMITTED, Action.TAKE): Transition(Status.IN_REVIEW, _STAFF),
        (Status.IN_REVIEW, Action.REQUEST_DOCUMENTS): Transition(
            Status.DOCUMENTS_REQUESTED, _STAFF
        ),
        (Status.DOCUMENTS_REQUESTED, Action.PROVIDE_DOCUMENTS): Transition(Status.IN_REVIEW, _BOTH),
        (Status.IN_REVIEW, Action.APPROVE): Transition(Status.APPROVED, _STAFF),
        **{
            (status, Action.REJECT): Transition(Status.REJECTED, _STAFF, ground_required=True)
            for status in _OPEN
        },
        **{(status, Action.WITHDRAW): Transition(Status.WITHDRAWN, _PARENT) for status in _OPEN},
    }
)
"""(from status, action) → transition; the whole machine of domain.md §7 as data."""

QUARTER_TRANSITIONS: Mapping[QuarterStatus, frozenset[QuarterStatus]] = MappingProxyType(
    {
        QuarterStatus.PLANNED: frozenset({QuarterStatus.PAID, QuarterStatus.CANCELLED}),
        QuarterStatus.PAID: frozenset({QuarterStatus.PLANNED}),
        QuarterStatus.CANCELLED: frozenset(),
    }
)
"""Allowed quarter payment changes: planned → paid (staff mark it, p.7), planned →
cancelled (a p.5 termination event stops future quarters), paid → planned (staff
correct a quarter marked paid by mistake; audited, the parent is told)."""


class TransitionError(Exception):
    """A status change not allowed by the table of domain.md §7 (or p.8)."""

    def __init__(
        self,
        message: str = "",
        status: str | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.action = action
        self.actor = actor


class ActionNotAllowed(TransitionError):
    """The action does not apply to the current status (domain.md §7)."""


class ActorNotAllowed(TransitionError):
    """The action applies, but not for this actor (e.g. only staff approve; domain.md §7)."""


class GroundRequired(TransitionError):
    """A refusal was attempted without one of the grounds of p.8."""


def allowed_actions(status: Status, actor: Actor) -> tuple[Action, ...]:
    """The actions ``actor`` may take on an application in ``status`` (domain.md §7),
    in the table's order."""
    return tuple(
        action
        for (source, action), transition in TRANSITIONS.items()
        if source == status and actor in transition.actors
    )


def permits(status: str, action: Action, actor: Actor) -> bool:
    """May ``actor`` take ``action`` on an application in ``status`` (domain.md §7)?
    A stored status that is not one of the machine's permits nothing."""
    try:
        return action in allowed_actions(Status(status), actor)
    except ValueError:
        return False


def in_payment(status: str) -> bool:
    """Is the application paid by quarters now: approved, so staff mark quarters paid (p.7),
    record overpayments (p.9) and termination events (p.5) on it (domain.md §7)?"""
    return status == Status.APPROVED


def awaiting_decision() -> tuple[Status, ...]:
    """The statuses in which an application awaits the Department's decision (domain.md
    §7): those a staff decision (approve or refuse, p.8) can still be reached from —
    submitted, in review, documents requested. The service term runs in them."""
    deciding = {
        s for (s, a), t in TRANSITIONS.items() if a is Action.REJECT and Actor.STAFF in t.actors
    }
    return tuple(s for s in Status if s in deciding)


def decision_statuses() -> tuple[Status, ...]:
    """The statuses a decision leads to (domain.md §7): final statuses that staff reach
    from a status awaiting a decision — approved, and rejected (p.8). A parent's
    withdrawal is no decision."""
    waiting = awaiting_decision()
    reached = {
        t.to
        for (s, _a), t in TRANSITIONS.items()
        if s in waiting and Actor.STAFF in t.actors and is_final(t.to)
    }
    return tuple(s for s in Status if s in reached)


def awaits_decision(status: str) -> bool:
    """Whether an application in ``status`` awaits a decision (domain.md §7, see
    ``awaiting_decision``); a stored status the machine does not know awaits nothing."""
    return status in awaiting_decision()


def takes_official_request(status: str) -> bool:
    """Whether the number of the official request (p.6) may be recorded on an application
    in ``status``, by the parent or by staff: while it awaits the decision or is paid by
    quarters (payment counts from the month of the official request, p.4); not once it
    is refused or withdrawn."""
    return awaits_decision(status) or in_payment(status)


def apply_action(
    status: Status, action: Action, actor: Actor, ground: RefusalGround | None = None
) -> Status:
    """The status after ``actor`` takes ``action`` (domain.md §7).

    Raises ActionNotAllowed, ActorNotAllowed, or GroundRequired (a refusal needs a
    p.8 ground). A ground given with another action is ignored.
    """
    transition = TRANSITIONS.get((Status(status), Action(action)))
    if transition is None:
        raise ActionNotAllowed(
            f"action {action!s} is not allowed in status {status!s}",
            str(status),
            str(action),
            str(actor),
        )
    if Actor(actor) not in transition.actors:
        raise ActorNotAllowed(
            f"{actor!s} may not {action!s} an application in status {status!s}",
            str(status),
            str(action),
            str(actor),
        )
    if transition.ground_required and ground is None:
        raise GroundRequired(
            "a refusal needs one ground of p.8 (1–4)", str(status), str(action), str(actor)
        )
    return transition.to


def is_final(status: Status) -> bool:
    """True for approved, rejected and withdrawn: no action leads out (domain.md §7)."""
    return not any(source == status for source, _ in TRANSITIONS)


def change_quarter_status(current: QuarterStatus, new: QuarterStatus) -> QuarterStatus:
    """Change a quarter's payment status (planned → paid | cancelled, paid → planned
    as a correction; p.5, p.7); anything else raises ActionNotAllowed."""
    if QuarterStatus(new) not in QUARTER_TRANSITIONS[QuarterStatus(current)]:
        raise ActionNotAllowed(
            f"a quarter cannot go from {current!s} to {new!s}", str(current), str(new)
        )
    return QuarterStatus(new)


# ----------------------------------------------------------------- when a quarter is paid


@dataclass(frozen=True)
class ScheduledQuarter:
    """One quarter of an approved schedule as the payment rules see it (p.7):
    ``key`` is the caller's id of the quarter, ``months`` its payable months."""

    key: int
    school_year: str
    quarter: int
    months: tuple[Month, ...]
    status: QuarterStatus


class PaymentRefused(TransitionError):
    """A quarter that cannot be marked paid (or corrected) now (p.7).

    ``code``: ``not_planned`` (already paid or cancelled), ``not_due`` (its first
    month has not begun: ``due`` is the day it becomes due), ``earlier_unpaid``
    (``earlier`` is the quarter to mark first), ``not_paid`` (a correction of a
    quarter that is not marked paid).
    """

    def __init__(
        self,
        code: str,
        quarter: ScheduledQuarter,
        *,
        due: date | None = None,
        earlier: ScheduledQuarter | None = None,
    ) -> None:
        super().__init__(f"quarter {quarter.school_year} Q{quarter.quarter}: {code}")
        self.code = code
        self.quarter = quarter
        self.due = due
        self.earlier = earlier


def due_from(months: Sequence[Month]) -> date:
    """p.7 pays 8 MRP *quarterly*: a quarter of the schedule is due from the 1st day
    of its first payable month (domain.md §4), e.g. Q2 2025/26 (11.2025, 12.2025)
    is due from 01.11.2025; a quarter with no month is never due."""
    if not months:
        return date.max
    return min(months).first_day()


def is_due(months: Sequence[Month], on: date) -> bool:
    """Whether a quarter with these payable months is due on ``on`` (p.7; see due_from)."""
    return on >= due_from(months)


def _ordered(quarters: Sequence[ScheduledQuarter]) -> list[ScheduledQuarter]:
    return sorted(quarters, key=lambda q: (q.school_year, q.quarter, due_from(q.months)))


def next_to_pay(quarters: Sequence[ScheduledQuarter]) -> ScheduledQuarter | None:
    """The quarter to be paid next under p.7: the earliest planned one (due or not)."""
    return next((q for q in _ordered(quarters) if q.status is QuarterStatus.PLANNED), None)


def check_mark_paid(quarters: Sequence[ScheduledQuarter], key: int, on: date) -> ScheduledQuarter:
    """The quarter ``key`` of a schedule may be marked paid on ``on`` (p.7): it is
    planned, it is due (its first month has begun) and no earlier quarter is still
    planned — quarters are paid in order. Returns the quarter; raises PaymentRefused."""
    target = next((q for q in quarters if q.key == key), None)
    if target is None:
        raise ActionNotAllowed(f"no quarter {key} in the schedule")
    if target.status is not QuarterStatus.PLANNED:
        raise PaymentRefused("not_planned", target)
    if not is_due(target.months, on):
        raise PaymentRefused("not_due", target, due=due_from(target.months))
    first = next_to_pay(quarters)
    if first is not None and first.key != target.key:
        raise PaymentRefused("earlier_unpaid", target, earlier=first)
    return target


def check_correction(quarters: Sequence[ScheduledQuarter], key: int) -> ScheduledQuarter:
    """The quarter ``key`` may have its "paid" mark corrected back to planned (p.7:
    only a quarter marked paid). Returns the quarter; raises PaymentRefused."""
    target = next((q for q in quarters if q.key == key), None)
    if target is None:
        raise ActionNotAllowed(f"no quarter {key} in the schedule")
    if target.status is not QuarterStatus.PAID:
        raise PaymentRefused("not_paid", target)
    return target
