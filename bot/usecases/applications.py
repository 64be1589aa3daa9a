"""Applications sent by parents (domain.md §5): the wizard's draft and `submit`.

The draft lives in the FSM data of the apply wizard as a typed
`bot.usecases.drafts.Draft` (one codec to JSON); `submit` turns its answers into an
`Application` row with a public number, its attachments, the first audit
entry (draft → submitted, core.status.apply_action) and the outbox row of its
staff card (bot.outbox.messages.enqueue_publish) in ONE transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.context import AppContext
from bot.data.claims import OtherApplication as OtherApplication
from bot.data.claims import competing_for_child
from bot.data.models import Application, Attachment, AuditEntry
from bot.data.numbers import number_application, placeholder_number
from bot.data.status import ApplicationView, load_views
from bot.outbox import store as outbox
from bot.outbox.messages import enqueue_publish
from bot.usecases import documents, funnel
from bot.usecases.cards import ApplicationRef
from bot.usecases.drafts import INDEFINITE, Answers, FileRecord, Relation
from bot.usecases.transitions import Done, StaffActionError, StaffMember, perform
from core.claims import claim_period
from core.schedule import Estimate, EstimateRequest, estimate
from core.status import Action, Actor, Status, apply_action, permits
from core.values import Iban, Iin

log = logging.getLogger(__name__)

# Relation of the applicant to the child (domain.md §5); codes are stored.
RELATIONS = tuple(Relation)

# Answers every application needs (patronymic is optional).
REQUIRED = (
    "surname",
    "name",
    "iin",
    "phone",
    "address",
    "relation",
    "child_name",
    "child_iin",
    "child_birth",
    "disability_until",
    "school",
    "cert_number",
    "cert_date",
    "cert_from",
    "cert_to",
    "iban",
)


class IncompleteDraft(ValueError):
    """The draft misses answers or files; `missing` lists the field codes."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = tuple(missing)


@dataclass(frozen=True)
class Submitted:
    application_id: int
    number: str
    estimate_total: Decimal | None


def missing_fields(answers: Answers, files: Sequence[FileRecord]) -> list[str]:
    missing = [code for code in REQUIRED if not answers.get(code)]
    kinds = {item.kind for item in files}
    if "certificate" not in kinds:
        missing.append("certificate")
    if answers.relation is Relation.GUARDIAN and "guardianship" not in kinds:
        missing.append("guardianship")
    return missing


def estimate_request(answers: Answers, applied: dt.date) -> EstimateRequest | None:
    """What core.schedule needs from the answers (p.4, p.5), None while incomplete."""
    if answers.child_birth is None or answers.cert_to is None:
        return None
    return EstimateRequest(
        applied=applied,
        certificate_end=answers.cert_to,
        birth=answers.child_birth,
        certificate_start=answers.cert_from,
        disability_until=answers.disability_end,
    )


def estimate_of(answers: Answers, applied: dt.date) -> Estimate | None:
    """The payment schedule (core.schedule) for the answers, None if not computable."""
    request = estimate_request(answers, applied)
    if request is None:
        return None
    try:
        return estimate(request)
    except Exception as error:  # an estimate must never block an application
        log.warning("estimate failed: %s", type(error).__name__)
        return None


def estimate_total(answers: Answers, applied: dt.date) -> Decimal | None:
    """Total of the payment schedule (core.schedule) for the answers, None if not computable."""
    result = estimate_of(answers, applied)
    return None if result is None else result.total


async def existing_claims(
    app: AppContext, answers: Answers, applied: dt.date
) -> tuple[OtherApplication, ...]:
    """Applications already sent for the draft's child whose period overlaps the one the
    draft would claim if sent on `applied` (p.3: one receiver; p.7: per child; core.claims)
    — from any Telegram account. Shown to the parent before Send; nothing is refused."""
    if answers.child_iin is None or answers.cert_to is None:
        return ()
    period = claim_period(applied, answers.cert_to, answers.cert_from)
    async with app.sessionmaker() as session:
        return await competing_for_child(session, str(answers.child_iin), period)


async def _keep_drafts(app: AppContext, files: Sequence[FileRecord]) -> dict[int, str]:
    """Copy the draft's checked files into the kept store: {index in `files`: kept path}."""
    store = documents.store(app)
    kept: dict[int, str] = {}
    for index, item in enumerate(files):
        if not item.stored:
            continue  # a draft from before the store existed: Telegram's copy only
        try:
            kept[index] = await store.keep_draft(item.stored)
        except (OSError, ValueError) as error:
            log.warning("draft file not kept: %s", type(error).__name__)
    return kept


async def submit(
    app: AppContext,
    *,
    user_id: int,
    language: str,
    answers: Answers,
    files: Sequence[FileRecord],
) -> Submitted:
    """Create the Application (status submitted), its attachments, the audit entry and
    (with a staff chat) the outbox row that posts its card — all in one transaction."""
    missing = missing_fields(answers, files)
    if missing:
        raise IncompleteDraft(missing)
    today = app.clock.today()
    status = apply_action(Status.DRAFT, Action.SUBMIT, Actor.PARENT)
    total = estimate_total(answers, today)
    a = answers
    assert a.relation is not None and a.iin is not None and a.child_iin is not None
    assert a.cert_from is not None and a.cert_to is not None and a.iban is not None
    kept = await _keep_drafts(app, files)
    async with app.sessionmaker() as session, session.begin():
        # The first statement is a write (the flush's INSERT: on SQLite the transaction
        # starts as a writer); the year's counter, which every submit waits for, is the
        # last (bot/data/numbers.py).
        application = Application(
            number=placeholder_number(),
            user_id=user_id,
            language=language,
            status=status.value,
            applicant_surname=a.surname,
            applicant_name=a.name,
            applicant_patronymic=a.patronymic or None,
            applicant_iin=str(a.iin),
            phone=a.phone,
            address=a.address,
            relation=a.relation.value,
            child_name=a.child_name,
            child_iin=str(a.child_iin),
            child_birth=a.child_birth,
            disability_until=a.disability_end,
            school=a.school,
            certificate_number=a.cert_number,
            certificate_date=a.cert_date,
            certificate_start=str(a.cert_from),
            certificate_end=str(a.cert_to),
            iban=str(a.iban),
            applied_on=today,
            estimate_total=total,
        )
        for index, item in enumerate(files):
            if item.kind == "guardianship" and a.relation is not Relation.GUARDIAN:
                continue
            application.attachments.append(
                Attachment(
                    kind=item.kind,
                    file_id=item.file_id,
                    file_unique_id=item.file_unique_id,
                    media=item.media,
                    mime_type=item.mime_type,
                    file_name=item.file_name,
                    file_size=item.file_size,
                    sha256=item.sha256 if kept.get(index) else None,
                    storage_path=kept.get(index),
                )
            )
        application.audit.append(
            AuditEntry(
                actor=Actor.PARENT.value,
                actor_id=user_id,
                action=Action.SUBMIT.value,
                old_status=Status.DRAFT.value,
                new_status=status.value,
            )
        )
        session.add(application)
        await session.flush()
        application_id = application.id
        await funnel.record(session, user_id, funnel.Milestone.SENT, today)
        # The staff card is queued in the same transaction: no application without its card.
        if app.settings.staff_chat_id is not None:
            await enqueue_publish(session, app, application_id)
        number = await number_application(session, application_id, today.year)
    if app.settings.staff_chat_id is not None:
        outbox.wake(app.sessionmaker)
    await documents.store(app).clear_drafts(user_id)
    log.info("application %s submitted", application_id)
    return Submitted(application_id=application_id, number=number, estimate_total=total)


# ------------------------------------------------------------------ withdrawal


class WithdrawRefused(Exception):
    """The parent may not withdraw: `code` is "not_found" (no such application of
    this user — never say more about someone else's) or "not_allowed" (its status
    forbids it: decided or already withdrawn; `number` and `status` say which)."""

    def __init__(self, code: str, number: str | None = None, status: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.number = number
        self.status = status


async def owned(app: AppContext, *, application_id: int, user_id: int) -> ApplicationRef:
    """The user's own application (Application.user_id), else WithdrawRefused("not_found")."""
    async with app.sessionmaker() as session:
        application = await session.get(Application, application_id)
    if application is None or application.user_id != user_id:
        raise WithdrawRefused("not_found")
    return ApplicationRef.of(application)


async def withdrawable(app: AppContext, *, application_id: int, user_id: int) -> ApplicationRef:
    """The user's own application that may still be withdrawn, else WithdrawRefused."""
    application = await owned(app, application_id=application_id, user_id=user_id)
    if not permits(application.status, Action.WITHDRAW, Actor.PARENT):
        raise WithdrawRefused("not_allowed", application.number, application.status)
    return application


async def withdraw(app: AppContext, *, application_id: int, user_id: int) -> Done:
    """The parent withdraws their own application before a decision (domain.md §7).

    The owner is checked here (an application never changes its owner); the status
    change, the audit entry, the parent's and the staff's notifications and the
    card refresh are transitions.perform's, in one transaction guarded by the old
    status — a decision taken meanwhile makes it refuse.
    """
    await withdrawable(app, application_id=application_id, user_id=user_id)
    try:
        done = await perform(
            app, application_id, Action.WITHDRAW, StaffMember(user_id), actor=Actor.PARENT
        )
    except StaffActionError as error:
        async with app.sessionmaker() as session:
            current = await session.get(Application, application_id)
        if error.code == "not_found" or current is None:
            raise WithdrawRefused("not_found") from None
        raise WithdrawRefused("not_allowed", current.number, current.status) from None
    log.info("application %s withdrawn by the parent", application_id)
    return done


async def my_applications(app: AppContext, user_id: int) -> list[ApplicationView]:
    """The user's applications for /status, newest first, with history, schedule, stops."""
    return await load_views(app.sessionmaker, user_id)


# ------------------------------------------------------------------ another child, renewal


@dataclass(frozen=True)
class Carried:
    """Answers of a sent application that a new draft starts from (issue 12 item 3)."""

    number: str
    answers: Answers


async def carried_answers(
    app: AppContext, *, application_id: int, user_id: int, renewal: bool
) -> Carried | None:
    """A new draft's answers from the user's own application: the applicant's details and
    the IBAN (another child), and for a renewal the child's too (not the certificate: a new
    school year needs a new one, p.4). None for another user's or an erased application."""
    async with app.sessionmaker() as session:
        row = await session.get(Application, application_id)
    if row is None or row.user_id != user_id or row.personal_data_erased_at is not None:
        return None
    answers = Answers()
    try:
        answers.surname, answers.name = row.applicant_surname, row.applicant_name
        answers.patronymic = row.applicant_patronymic or ""
        answers.iin = Iin(row.applicant_iin) if row.applicant_iin else None
        answers.phone, answers.address = row.phone, row.address
        answers.relation = Relation(row.relation) if row.relation else None
        answers.iban = Iban(row.iban) if row.iban else None
        if renewal:
            answers.child_name = row.child_name
            answers.child_iin = Iin(row.child_iin) if row.child_iin else None
            answers.child_birth = row.child_birth
            answers.school = row.school
            today = app.clock.today()
            if row.disability_until is None:
                answers.disability_until = INDEFINITE
            elif row.disability_until >= today:
                answers.disability_until = row.disability_until
    except ValueError:
        log.warning("application %s: a kept answer is unreadable, asked again", application_id)
    return Carried(number=row.number, answers=answers)
