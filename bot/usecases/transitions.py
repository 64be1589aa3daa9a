"""Staff actions on an application: status change + audit + notification, in ONE transaction.

Every function opens one transaction: the application row is changed with a
guarded UPDATE (`WHERE status = <old>`, so two staff members pressing at once
cannot both win), the audit entry is written, and the parent's notification is
queued in the outbox (bot/views/notifications.py) — all committed together
or not at all. After the commit the sender is woken up.

- `perform()` — take, request documents, documents received, approve, refuse
  (core.status decides what is allowed; a refusal needs a p.8 ground);
  approval stores the quarterly schedule of domain.md §4 (core.schedule).
- `payable_quarter()` / `mark_quarter_paid()` — only a due quarter, earliest
  planned first (core.status.check_mark_paid, p.7); `correctable_quarter()` /
  `correct_quarter_payment()` — a quarter marked paid by mistake goes back to
  planned (audited, the parent is told once); `record_overpayment()` (p.9),
  `record_termination()` (p.5: cancels later quarters, recomputes the event's quarter).
- `send_staff_message()` — a staff reply relayed to the parent (audit "message").
- `perform(..., Action.WITHDRAW, StaffMember(user_id), actor=Actor.PARENT)` — the
  parent withdraws (the parent is told, staff are told on the card);
  `parent_answer()` — the parent's answer to a staff question.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.data.facts import schedule_for, stops_of
from bot.data.models import (
    REFUSAL_LEFT,
    REFUSAL_STARTED,
    Application,
    Attachment,
    AuditEntry,
    Overpayment,
    PaymentQuarter,
    RelayLink,
    TerminationEvent,
    pending_refusal,
)
from bot.i18n import N_, Tr
from bot.outbox import store as outbox
from bot.outbox.messages import notify, notify_staff, refresh_card_later
from bot.payloads import (
    Approved,
    DocumentsReceived,
    DocumentsRequested,
    Payload,
    QuarterCorrected,
    QuarterLine,
    QuarterPaid,
    Rejected,
    StaffMessage,
    Taken,
    Terminated,
    Withdrawn,
)
from bot.payloads import Overpayment as OverpaymentNotice
from bot.textfit import parts_of, relayed, relayed_caption
from bot.usecases.cards import QuarterRef
from bot.usecases.feedback import Occasion, ask_rating
from core.months import Month
from core.schedule import Estimate, Stop, StopReason
from core.status import (
    Action,
    ActionNotAllowed,
    Actor,
    GroundRequired,
    PaymentRefused,
    QuarterStatus,
    RefusalGround,
    ScheduledQuarter,
    Status,
    TransitionError,
    apply_action,
    change_quarter_status,
    check_correction,
    check_mark_paid,
)

log = logging.getLogger(__name__)

# To the staff chat (shared: in the default locale) when a parent withdraws.
WITHDRAWN = N_("↩️ The applicant withdrew application {number}.")

# What the parent is told of a status action that needs nothing but the comment.
NOTIFY_PLAIN: dict[Action, type[Taken | DocumentsRequested | DocumentsReceived | Withdrawn]] = {
    Action.TAKE: Taken,
    Action.REQUEST_DOCUMENTS: DocumentsRequested,
    Action.PROVIDE_DOCUMENTS: DocumentsReceived,
    Action.WITHDRAW: Withdrawn,
}


@dataclass(frozen=True)
class StaffMember:
    """Who acts (audit): Telegram id and display name; None id = the system."""

    id: int | None
    name: str | None = None

    @property
    def actor(self) -> str:
        return "staff" if self.id is not None else "system"


SYSTEM = StaffMember(None, None)


class StaffActionError(Exception):
    """An action that cannot be done: `code` says why (shown to staff, translated);
    `params` fill the text (e.g. the quarter and the day it becomes due)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Done:
    application_id: int
    number: str
    old_status: str
    new_status: str


async def _locked(session: AsyncSession, application_id: int) -> Application:
    query = select(Application).where(Application.id == application_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    application = await session.scalar(query)
    if application is None:
        raise StaffActionError("not_found")
    return application


async def _locked_approved(session: AsyncSession, application_id: int) -> Application:
    """The application, locked, if it is approved (payments, overpayments and terminations need that)."""
    application = await _locked(session, application_id)
    if application.status != Status.APPROVED.value:
        raise StaffActionError("not_allowed")
    return application


def _quarter_line(q: PaymentQuarter) -> QuarterLine:
    months = []
    for value in q.months or []:
        try:
            months.append(Month.parse_iso(str(value)))
        except ValueError:
            continue
    return QuarterLine(
        school_year=q.school_year, quarter=q.quarter, months=tuple(months), amount=Decimal(q.amount)
    )


def _audit(
    application_id: int,
    who: StaffMember,
    action: str,
    old: str | None,
    new: str | None,
    *,
    ground: int | None = None,
    comment: str | None = None,
    at: dt.datetime,
) -> AuditEntry:
    return AuditEntry(
        application_id=application_id,
        actor=who.actor,
        actor_id=who.id,
        actor_name=who.name,
        action=action,
        old_status=old,
        new_status=new,
        ground=ground,
        comment=comment,
        created_at=at,
    )


def moment_of(app: AppContext) -> dt.datetime:
    """Now by the bot's clock (tests pin the date), in UTC: audit and payment times."""
    return app.clock.now().astimezone(dt.UTC)


def _audit_same_status(
    app: AppContext, application: Application, who: StaffMember, action: str, comment: str
) -> AuditEntry:
    """The audit entry of an action that keeps the application's status (a payment, an overpayment, a stop, a message)."""
    return _audit(
        application.id,
        who,
        action,
        application.status,
        application.status,
        comment=comment,
        at=moment_of(app),
    )


async def _change_status(
    session: AsyncSession,
    application: Application,
    old: str,
    new: str,
    at: dt.datetime,
    **values: Any,
) -> None:
    result = await session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == old)
        .values(status=new, updated_at=at, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaffActionError("conflict")
    application.status = new
    for key, value in values.items():
        setattr(application, key, value)


def _schedule_rows(application: Application, result: Estimate) -> list[PaymentQuarter]:
    return [
        PaymentQuarter(
            application_id=application.id,
            school_year=q.school_year,
            quarter=q.quarter,
            months=[str(m) for m in q.months],
            amount=q.amount,
            status=QuarterStatus.PLANNED.value,
        )
        for q in result.quarters
        if q.amount > 0
    ]


# ------------------------------------------------------------------ a refusal waiting for its comment


@dataclass(frozen=True)
class PendingRefusal:
    """A refusal whose ground is chosen and whose comment is awaited (p.8: ground + comment)."""

    application_id: int
    number: str
    ground: int
    staff_id: int | None
    staff_name: str | None


async def _audit_of(session: AsyncSession, application_id: int) -> list[AuditEntry]:
    return list(
        (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.application_id == application_id)
                .order_by(AuditEntry.id)
            )
        ).all()
    )


async def _pending(session: AsyncSession, application: Application) -> PendingRefusal | None:
    entry = pending_refusal(application.status, await _audit_of(session, application.id))
    if entry is None or entry.ground is None:
        return None
    return PendingRefusal(
        application.id, application.number, entry.ground, entry.actor_id, entry.actor_name
    )


async def refusal_of(app: AppContext, application_id: int) -> PendingRefusal | None:
    """The refusal of this application waiting for its comment, if any."""
    async with app.sessionmaker() as session:
        application = await session.get(Application, application_id)
        return await _pending(session, application) if application is not None else None


async def refusal_waiting_for(app: AppContext, staff_id: int) -> PendingRefusal | None:
    """The refusal waiting for the comment of this staff member, if any (newest first)."""
    async with app.sessionmaker() as session:
        started = (
            await session.scalars(
                select(AuditEntry.application_id)
                .where(AuditEntry.action == REFUSAL_STARTED, AuditEntry.actor_id == staff_id)
                .order_by(AuditEntry.id.desc())
                .limit(20)
            )
        ).all()
        for application_id in dict.fromkeys(started):
            application = await session.get(Application, application_id)
            if application is None:
                continue
            pending = await _pending(session, application)
            if pending is not None and pending.staff_id == staff_id:
                return pending
    return None


async def start_refusal(
    app: AppContext, application_id: int, ground: int, who: StaffMember
) -> PendingRefusal:
    """A staff member chose the p.8 ground: the refusal now waits for their comment —
    audited ("refusal_started") and shown on the card. Refused (StaffActionError) when
    the status allows no refusal or another staff member's refusal already waits
    ("refusal_pending" with `who` and `ground`)."""
    async with app.sessionmaker() as session, session.begin():
        application = await _locked(session, application_id)
        try:
            apply_action(
                Status(application.status), Action.REJECT, Actor.STAFF, RefusalGround(ground)
            )
        except (TransitionError, ValueError):
            raise StaffActionError("not_allowed") from None
        waiting = await _pending(session, application)
        if waiting is not None and waiting.staff_id != who.id:
            raise StaffActionError(
                "refusal_pending", who=waiting.staff_name or "—", ground=waiting.ground
            )
        entry = _audit_same_status(app, application, who, REFUSAL_STARTED, "")
        entry.ground, entry.comment = ground, None
        session.add(entry)
        return PendingRefusal(application.id, application.number, ground, who.id, who.name)


async def leave_refusal(app: AppContext, application_id: int, who: StaffMember) -> PendingRefusal:
    """The refusal waiting for its comment is left (any staff member may; audited
    "refusal_left"): the card is back to normal, nothing is sent to the parent.
    StaffActionError("no_refusal") if none waits."""
    async with app.sessionmaker() as session, session.begin():
        application = await _locked(session, application_id)
        waiting = await _pending(session, application)
        if waiting is None:
            raise StaffActionError("no_refusal")
        entry = _audit_same_status(app, application, who, REFUSAL_LEFT, "")
        entry.ground, entry.comment = waiting.ground, None
        session.add(entry)
    return waiting


async def refuse_with_comment(
    app: AppContext, application_id: int, who: StaffMember, comment: str
) -> Done:
    """The comment of the refusal waiting for `who`: the application is refused on the
    waiting ground (p.8) and the parent told. StaffActionError("no_refusal") if the
    refusal was left or the application decided meanwhile."""
    async with app.sessionmaker() as session, session.begin():
        application = await _locked(session, application_id)
        waiting = await _pending(session, application)
        if waiting is None or waiting.staff_id != who.id:
            raise StaffActionError("no_refusal")
        done = await _perform_in(
            session, app, application, Action.REJECT, who, ground=waiting.ground, comment=comment
        )
    outbox.wake(app.sessionmaker)
    log.info("application %s: reject (%s → %s)", application_id, done.old_status, done.new_status)
    return done


async def perform(
    app: AppContext,
    application_id: int,
    action: Action,
    who: StaffMember,
    *,
    ground: int | None = None,
    comment: str | None = None,
    actor: Actor = Actor.STAFF,
) -> Done:
    """A status action of core.status by staff (or the parent for provide_documents)."""
    async with app.sessionmaker() as session, session.begin():
        application = await _locked(session, application_id)
        done = await _perform_in(
            session, app, application, action, who, ground=ground, comment=comment, actor=actor
        )
    outbox.wake(app.sessionmaker)
    log.info(
        "application %s: %s (%s → %s)",
        application_id,
        action.value,
        done.old_status,
        done.new_status,
    )
    return done


async def _perform_in(
    session: AsyncSession,
    app: AppContext,
    application: Application,
    action: Action,
    who: StaffMember,
    *,
    ground: int | None = None,
    comment: str | None = None,
    actor: Actor = Actor.STAFF,
) -> Done:
    old = application.status
    try:
        refusal = RefusalGround(ground) if ground is not None else None
        new = apply_action(Status(old), action, actor, refusal).value
    except GroundRequired:
        raise StaffActionError("ground_required") from None
    except (ActionNotAllowed, TransitionError, ValueError):
        raise StaffActionError("not_allowed") from None
    values: dict[str, Any] = {}
    if action is Action.TAKE and who.id is not None:
        values["assigned_staff_id"] = who.id
    if action is Action.REJECT:
        values["refusal_ground"] = int(refusal) if refusal is not None else None
    at = moment_of(app)
    await _change_status(session, application, old, new, at, **values)
    entry = _audit(
        application.id,
        who,
        action.value,
        old,
        new,
        ground=int(refusal) if action is Action.REJECT and refusal is not None else None,
        comment=comment,
        at=at,
    )
    if actor is Actor.PARENT:
        entry.actor, entry.actor_id, entry.actor_name = (
            Actor.PARENT.value,
            application.user_id,
            None,
        )
    session.add(entry)
    notice: Payload | None = None
    if action in NOTIFY_PLAIN:
        notice = NOTIFY_PLAIN[action](comment=comment or None)
    if action is Action.REJECT and refusal is not None:
        notice = Rejected(ground=int(refusal), comment=comment or None)
    if action is Action.APPROVE:
        stops = stops_of(
            (
                await session.scalars(
                    select(TerminationEvent).where(
                        TerminationEvent.application_id == application.id
                    )
                )
            ).all()
        )
        result = schedule_for(application, stops)
        rows = _schedule_rows(application, result) if result is not None else []
        session.add_all(rows)
        notice = Approved(
            quarters=tuple(_quarter_line(q) for q in rows),
            total=sum((Decimal(q.amount) for q in rows), Decimal("0")),
            comment=comment or None,
        )
    if notice is not None:
        await notify(session, application, notice, link=action is Action.REQUEST_DOCUMENTS)
        if isinstance(notice, (Approved, Rejected)):  # the rating question follows, once
            await ask_rating(session, application, Occasion.DECISION, app.clock.today())
    if actor is Actor.PARENT:
        if action is Action.WITHDRAW:
            text = Tr(app.i18n, app.settings.default_locale)(
                WITHDRAWN,
                number=html.escape(application.number),
            )
            await notify_staff(session, app, application.id, text, kind=Status.WITHDRAWN.value)
        await refresh_card_later(session, app, application.id)
    return Done(application.id, application.number, old, new)


def _scheduled(quarters: Sequence[PaymentQuarter]) -> list[ScheduledQuarter]:
    """The stored schedule as core.status sees it (p.7)."""
    found = []
    for q in quarters:
        try:
            months = tuple(Month.parse_iso(str(m)) for m in q.months or [])
            found.append(
                ScheduledQuarter(q.id, q.school_year, q.quarter, months, QuarterStatus(q.status))
            )
        except ValueError:
            continue
    return found


def _payment_error(refused: PaymentRefused) -> StaffActionError:
    quarter = refused.quarter
    params: dict[str, Any] = {"quarter": quarter.quarter, "school_year": quarter.school_year}
    if refused.due is not None:
        params["due"] = refused.due
    if refused.earlier is not None:
        params["earlier_quarter"] = refused.earlier.quarter
        params["earlier_school_year"] = refused.earlier.school_year
    code = {"not_planned": "already_paid"}.get(refused.code, refused.code)
    return StaffActionError(code, **params)


async def _quarter_of(
    session: AsyncSession, quarter_id: int, application_id: int | None = None
) -> tuple[PaymentQuarter, list[PaymentQuarter]]:
    """A quarter and the whole schedule of its application."""
    quarter = await session.get(PaymentQuarter, quarter_id)
    if quarter is None or (application_id is not None and quarter.application_id != application_id):
        raise StaffActionError("not_found")
    quarters = (
        await session.scalars(
            select(PaymentQuarter).where(PaymentQuarter.application_id == quarter.application_id)
        )
    ).all()
    return quarter, list(quarters)


async def quarters_in(
    app: AppContext, application_id: int, status: QuarterStatus
) -> list[QuarterRef]:
    """The application's quarters in one payment status, in the schedule's order (p.7)."""
    async with app.sessionmaker() as session:
        return [
            QuarterRef.of(row)
            for row in (
                await session.scalars(
                    select(PaymentQuarter)
                    .where(
                        PaymentQuarter.application_id == application_id,
                        PaymentQuarter.status == status.value,
                    )
                    .order_by(PaymentQuarter.school_year, PaymentQuarter.quarter)
                )
            ).all()
        ]


async def payable_quarter(
    app: AppContext, quarter_id: int, application_id: int | None = None
) -> QuarterRef:
    """The quarter if it may be marked paid today (due, earliest planned first: p.7);
    else StaffActionError already_paid | not_due (due) | earlier_unpaid | not_allowed."""
    async with app.sessionmaker() as session:
        quarter, quarters = await _quarter_of(session, quarter_id, application_id)
        application = await session.get(Application, quarter.application_id)
        if application is None or application.status != Status.APPROVED.value:
            raise StaffActionError("not_allowed")
        try:
            check_mark_paid(_scheduled(quarters), quarter.id, app.clock.today())
        except PaymentRefused as refused:
            raise _payment_error(refused) from None
        return QuarterRef.of(quarter)


async def correctable_quarter(
    app: AppContext, quarter_id: int, application_id: int | None = None
) -> QuarterRef:
    """The quarter if its "paid" mark may be corrected (it is marked paid), else StaffActionError."""
    async with app.sessionmaker() as session:
        quarter, quarters = await _quarter_of(session, quarter_id, application_id)
        try:
            check_correction(_scheduled(quarters), quarter.id)
        except PaymentRefused as refused:
            raise _payment_error(refused) from None
        return QuarterRef.of(quarter)


def _quarter_title(q: PaymentQuarter) -> str:
    return f"{q.school_year} Q{q.quarter}"


async def _corrections(session: AsyncSession, quarter: PaymentQuarter) -> int:
    """How many times this quarter's "paid" mark was corrected (keys of its notifications)."""
    count = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.application_id == quarter.application_id,
            AuditEntry.action == "quarter_corrected",
            AuditEntry.comment.like(f"{_quarter_title(quarter)}:%"),
        )
    )
    return int(count or 0)


async def mark_quarter_paid(app: AppContext, quarter_id: int, who: StaffMember) -> Done:
    """Staff mark one planned quarter paid — only when it is due and no earlier quarter
    is still planned (core.status.check_mark_paid, p.7); the parent is told (quarter,
    months, amount)."""
    async with app.sessionmaker() as session, session.begin():
        quarter = await session.get(PaymentQuarter, quarter_id)
        if quarter is None:
            raise StaffActionError("not_found")
        application = await _locked_approved(session, quarter.application_id)
        _, quarters = await _quarter_of(session, quarter.id)
        try:
            check_mark_paid(_scheduled(quarters), quarter.id, app.clock.today())
            change_quarter_status(QuarterStatus(quarter.status), QuarterStatus.PAID)
        except PaymentRefused as refused:
            raise _payment_error(refused) from None
        except (TransitionError, ValueError):
            raise StaffActionError("already_paid") from None
        result = await session.execute(
            update(PaymentQuarter)
            .where(
                PaymentQuarter.id == quarter.id,
                PaymentQuarter.status == QuarterStatus.PLANNED.value,
            )
            .values(status=QuarterStatus.PAID.value, paid_at=moment_of(app), paid_by=who.id)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaffActionError("already_paid")
        title = f"{_quarter_title(quarter)}: {Decimal(quarter.amount):.2f}"
        session.add(_audit_same_status(app, application, who, "quarter_paid", title))
        corrections = await _corrections(session, quarter)
        await notify(
            session,
            application,
            QuarterPaid(_quarter_line(quarter)),
            dedupe_key=f"paid:{quarter.id}" + (f":{corrections}" if corrections else ""),
        )
        await ask_rating(session, application, Occasion.PAYMENT, app.clock.today())  # once
        done = Done(application.id, application.number, application.status, application.status)
    outbox.wake(app.sessionmaker)
    return done


async def _stopped_since(
    session: AsyncSession, application: Application, quarter: PaymentQuarter
) -> bool:
    """A corrected quarter under the termination events recorded since it was marked
    paid (p.5): its payable months and amount are recomputed, and a quarter with
    nothing payable any more is cancelled (True) instead of planned."""
    events = (
        await session.scalars(
            select(TerminationEvent).where(TerminationEvent.application_id == application.id)
        )
    ).all()
    stops = stops_of(events)
    schedule = schedule_for(application, stops) if stops else None
    if schedule is None:
        return False
    payable = {(q.school_year, q.quarter): q for q in schedule.quarters}
    now = payable.get((quarter.school_year, quarter.quarter))
    if now is None or now.amount <= 0:
        quarter.status = change_quarter_status(QuarterStatus.PLANNED, QuarterStatus.CANCELLED).value
        return True
    if now.amount != Decimal(quarter.amount):
        quarter.amount = now.amount
        quarter.months = [str(m) for m in now.months]
    return False


async def correct_quarter_payment(app: AppContext, quarter_id: int, who: StaffMember) -> Done:
    """A quarter marked paid by mistake goes back to planned (core.status.check_correction,
    p.7): audited ("quarter_corrected": who, when, which quarter) and the parent is told
    once, in their language — never edited silently."""
    async with app.sessionmaker() as session, session.begin():
        quarter = await session.get(PaymentQuarter, quarter_id)
        if quarter is None:
            raise StaffActionError("not_found")
        application = await _locked_approved(session, quarter.application_id)
        _, quarters = await _quarter_of(session, quarter.id)
        try:
            check_correction(_scheduled(quarters), quarter.id)
            change_quarter_status(QuarterStatus(quarter.status), QuarterStatus.PLANNED)
        except PaymentRefused as refused:
            raise _payment_error(refused) from None
        except (TransitionError, ValueError):
            raise StaffActionError("not_paid") from None
        result = await session.execute(
            update(PaymentQuarter)
            .where(
                PaymentQuarter.id == quarter.id,
                PaymentQuarter.status == QuarterStatus.PAID.value,
            )
            .values(status=QuarterStatus.PLANNED.value, paid_at=None, paid_by=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaffActionError("not_paid")
        corrections = await _corrections(session, quarter)
        title = f"{_quarter_title(quarter)}: {Decimal(quarter.amount):.2f}"
        session.add(_audit_same_status(app, application, who, "quarter_corrected", title))
        notice = QuarterCorrected(  # the quarter as it was marked paid
            _quarter_line(quarter), stopped=await _stopped_since(session, application, quarter)
        )
        await notify(
            session,
            application,
            notice,
            dedupe_key=f"unpaid:{quarter.id}:{corrections}",
        )
        done = Done(application.id, application.number, application.status, application.status)
    outbox.wake(app.sessionmaker)
    return done


async def record_overpayment(
    app: AppContext, application_id: int, amount: Decimal, reason: str, who: StaffMember
) -> Done:
    """p.9: an overpaid amount; the parent is asked to return it voluntarily."""
    if amount <= 0:
        raise StaffActionError("amount")
    async with app.sessionmaker() as session, session.begin():
        application = await _locked_approved(session, application_id)
        session.add(
            Overpayment(
                application_id=application.id,
                amount=amount,
                reason=reason,
                staff_id=who.id,
                created_at=moment_of(app),
            )
        )
        session.add(
            _audit_same_status(app, application, who, "overpayment", f"{amount:.2f} — {reason}")
        )
        await notify(session, application, OverpaymentNotice(amount=amount, reason=reason))
        done = Done(application.id, application.number, application.status, application.status)
    outbox.wake(app.sessionmaker)
    return done


async def record_termination(
    app: AppContext,
    application_id: int,
    reason: StopReason,
    on: dt.date,
    who: StaffMember,
    *,
    dedupe_key: str | None = None,
) -> Done:
    """p.5: payment stops from the month after the event. Planned quarters after it
    are cancelled; the quarter of the event keeps only its payable months."""
    async with app.sessionmaker() as session, session.begin():
        application = await _locked_approved(session, application_id)
        events = (
            await session.scalars(
                select(TerminationEvent).where(TerminationEvent.application_id == application.id)
            )
        ).all()
        if any(e.reason == reason.value and e.on == on for e in events):
            raise StaffActionError("duplicate")
        session.add(
            TerminationEvent(
                application_id=application.id,
                reason=reason.value,
                on=on,
                staff_id=who.id,
                created_at=moment_of(app),
            )
        )
        stops = (*stops_of(events), Stop(reason, on))
        result = schedule_for(application, stops)
        payable = {(q.school_year, q.quarter): q for q in (result.quarters if result else ())}
        quarters = (
            await session.scalars(
                select(PaymentQuarter).where(PaymentQuarter.application_id == application.id)
            )
        ).all()
        cancelled: list[QuarterLine] = []
        for quarter in quarters:
            if quarter.status != QuarterStatus.PLANNED.value:
                continue
            new = payable.get((quarter.school_year, quarter.quarter))
            if new is None or new.amount <= 0:
                cancelled.append(_quarter_line(quarter))
                quarter.status = change_quarter_status(
                    QuarterStatus.PLANNED, QuarterStatus.CANCELLED
                ).value
            elif new.amount != Decimal(quarter.amount):
                quarter.amount = new.amount
                quarter.months = [str(m) for m in new.months]
        stop_month = Month.of(on).next()
        session.add(
            _audit_same_status(
                app, application, who, "terminate", f"{reason.value} {on.isoformat()}"
            )
        )
        await notify(
            session,
            application,
            Terminated(
                reason=reason.value, on=on, stop_month=stop_month, cancelled=tuple(cancelled)
            ),
            dedupe_key=dedupe_key,
        )
        await refresh_card_later(session, app, application.id)
        done = Done(application.id, application.number, application.status, application.status)
    outbox.wake(app.sessionmaker)
    return done


STAFF_TEXT_PART = 3500  # characters of a staff text per message to the parent (with its frame)


async def send_staff_message(
    app: AppContext,
    application_id: int,
    who: StaffMember,
    text: str,
    *,
    copy_from: tuple[int, int] | None = None,
) -> Done:
    """A staff reply relayed to the parent as a message from the Department
    (and the staff member's file copied after it, if any)."""
    async with app.sessionmaker() as session, session.begin():
        application = await session.get(Application, application_id)
        if application is None:
            raise StaffActionError("not_found")
        session.add(
            _audit_same_status(
                app, application, who, "message", text or ("[file]" if copy_from else "")
            )
        )
        # A text longer than one message goes in numbered parts, never cut.
        parts = parts_of(text, STAFF_TEXT_PART) or [text]
        for number, part in enumerate(parts, start=1):
            several = len(parts) > 1
            message = StaffMessage(
                text=part, part=number if several else None, parts=len(parts) if several else None
            )
            await notify(session, application, message, link=True)
        if copy_from is not None:
            await outbox.enqueue(
                session,
                chat_id=application.user_id,
                kind="staff_file",
                payload={
                    "method": "copy",
                    "from_chat_id": copy_from[0],
                    "message_id": copy_from[1],
                    "link": True,
                },
                application_id=application.id,
            )
        done = Done(application.id, application.number, application.status, application.status)
    outbox.wake(app.sessionmaker)
    return done


def parse_amount(text: str | None) -> Decimal | None:
    """'15 728,50' / '15728.5' / '15 728 ₸' → Decimal('15728.50'); None if not an amount."""
    if not text:
        return None
    cleaned = (
        text.replace("₸", "")
        .replace("тг", "")
        .replace("\u00a0", "")
        .replace("\u202f", "")
        .replace(" ", "")
    )
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except ArithmeticError:
        return None
    if not value.is_finite() or value <= 0 or value >= Decimal("1e9"):
        return None
    return value.quantize(Decimal("0.01"))


# ------------------------------------------------------------------ the parent's answers

QUESTION_DAYS = 7  # a staff question stays open this long for plain (non-reply) messages


async def open_question(app: AppContext, user_id: int) -> int | None:
    """The application of this parent with an open staff question: documents
    requested, or a staff message in the last QUESTION_DAYS days (newest first)."""
    async with app.sessionmaker() as session:
        requested = await session.scalar(
            select(Application.id)
            .where(
                Application.user_id == user_id,
                Application.status == Status.DOCUMENTS_REQUESTED.value,
            )
            .order_by(Application.id.desc())
            .limit(1)
        )
        if requested is not None:
            return int(requested)
        since = moment_of(app) - dt.timedelta(days=QUESTION_DAYS)
        asked = await session.scalar(
            select(AuditEntry.application_id)
            .join(Application, Application.id == AuditEntry.application_id)
            .where(
                Application.user_id == user_id,
                AuditEntry.actor == "staff",
                AuditEntry.action.in_(("message", "request_documents")),
                AuditEntry.created_at >= since,
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        return int(asked) if asked is not None else None


async def linked_application(
    app: AppContext, chat_id: int, message_id: int, user_id: int
) -> int | None:
    """The application a bot message in the parent's chat belongs to (relay_links)."""
    async with app.sessionmaker() as session:
        found = await session.scalar(
            select(RelayLink.application_id)
            .join(Application, Application.id == RelayLink.application_id)
            .where(
                RelayLink.chat_id == chat_id,
                RelayLink.message_id == message_id,
                Application.user_id == user_id,
            )
        )
        return int(found) if found is not None else None


@dataclass(frozen=True)
class ParentFile:
    file_id: str
    file_unique_id: str | None
    media: str  # photo | document
    mime_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    sha256: str | None = None  # the Department's checked copy (bot/data/documents.py)
    storage_path: str | None = None


async def parent_answer(
    app: AppContext,
    application_id: int,
    user_id: int,
    *,
    text: str,
    header: str,
    message_id: int,
    file: ParentFile | None,
) -> Done:
    """The parent's answer goes to the card's thread (outbox), is audited, a file is
    kept as an attachment; a file while documents are requested moves the
    application back to review (provide_documents) and the parent is told — one transaction."""
    staff_chat = app.settings.staff_chat_id
    async with app.sessionmaker() as session, session.begin():
        application = await _locked(session, application_id)
        if application.user_id != user_id:
            raise StaffActionError("not_found")
        old = application.status
        session.add(
            AuditEntry(
                application_id=application.id,
                actor=Actor.PARENT.value,
                actor_id=user_id,
                action="answer",
                old_status=old,
                new_status=old,
                comment=(text if text else "[file]"),
                created_at=moment_of(app),
            )
        )
        if staff_chat is not None:
            # Never cut: a text longer than a message (or a caption) follows in numbered parts.
            payloads: list[dict[str, Any]]
            if file is None:
                payloads = [{"text": part, "link": True} for part in relayed(header, text)]
            else:
                caption, rest = relayed_caption(header, text)
                payloads = [
                    {
                        "method": "copy",
                        "from_chat_id": user_id,
                        "message_id": message_id,
                        "caption": caption,
                        "link": True,
                    },
                    *({"text": part, "link": True} for part in rest),
                ]
            for payload in payloads:
                await outbox.enqueue(
                    session,
                    chat_id=staff_chat,
                    kind="parent_answer",
                    payload=payload,
                    application_id=application.id,
                )
        new = old
        if file is not None:
            session.add(
                Attachment(
                    application_id=application.id,
                    kind="extra",
                    file_id=file.file_id,
                    file_unique_id=file.file_unique_id,
                    media=file.media,
                    mime_type=file.mime_type,
                    file_name=file.file_name,
                    file_size=file.file_size,
                    sha256=file.sha256,
                    storage_path=file.storage_path,
                    created_at=moment_of(app),
                )
            )
            if old == Status.DOCUMENTS_REQUESTED.value:
                done = await _perform_in(
                    session,
                    app,
                    application,
                    Action.PROVIDE_DOCUMENTS,
                    StaffMember(user_id),
                    actor=Actor.PARENT,
                )
                new = done.new_status
        result = Done(application.id, application.number, old, new)
    outbox.wake(app.sessionmaker)
    return result
