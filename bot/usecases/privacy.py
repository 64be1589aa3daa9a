"""Withdrawal of the consent (/consent) and erasure on request (/deletedata) —
domain.md §6, Art. 8 of the Law of the Republic of Kazakhstan "On personal data
and their protection".

Nothing here happens without a question: `plan()` says what each request will
do — it is shown to the parent before they confirm (handlers/privacy.py), and
`carry_out()` does exactly that.

What happens to what (the decision, also in README "Personal data"):

- **Unsent drafts** (FSM storage, and the files kept for the draft under
  DOCUMENTS_DIR/drafts/<user id>) are erased at once, by both requests; so are the
  answers /check and /estimate keep for /apply (FSM data "known", handlers/_dialog.py).
- **The consent** is marked withdrawn by both requests (/deletedata includes the
  withdrawal: nobody asks for erasure and keeps consenting). The record of the
  answers stays as proof of what was agreed and when.
- **A sent application under consideration** (submitted, in review, documents
  requested) **or decided** (approved, refused) is the record of a state service:
  the Department keeps it as the law requires (the decision, its grounds and the
  payments must stay checkable and appealable), so it is *not* erased. The staff
  are told on the card and by a notice; while the application is under
  consideration, refusal ground p.8(4) (no consent) may follow.
- **A withdrawn application** (the parent took it back before any decision: no
  state service was rendered, nothing is paid) is what /deletedata erases: the
  personal fields of the application (names, IINs, dates of the child, phone,
  address, school and certificate data, IBAN), its documents (rows and the kept
  files in DOCUMENTS_DIR) and the texts of the parent's answers are deleted, and
  `Application.personal_data_erased_at` is set. The number, the status, the
  dates and the history of status changes stay, so the Department can still show
  that an application existed and was withdrawn. Withdrawing the consent alone
  leaves a withdrawn application as it is.
- **The funnel and the ratings** (issue 12 item 6): /deletedata deletes the user's link
  to the funnel (``funnel_visitors``: user id, first deep-link source, the current
  journey's token) and clears that token from the journey's events, so the counts that
  stay lead back to nobody (bot/usecases/funnel.py); the comments of the user's ratings
  (their own words) are erased, the scores (numbers, on applications the Department
  keeps) stay. Withdrawing the consent alone leaves both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.data.models import Application, Attachment, AuditEntry
from bot.i18n import N_, Tr
from bot.outbox import store as outbox
from bot.outbox.messages import refresh_card_later
from bot.usecases import documents, feedback, funnel
from bot.usecases.consent import active_consent
from bot.usecases.consent import withdraw as withdraw_consent
from core.status import Actor, Status

log = logging.getLogger(__name__)

# The FSM destiny of the apply wizard's draft (kept apart from the other dialogs' state).
DRAFT_DESTINY = "apply"


class Drafts(Protocol):
    """Where unsent drafts live (the FSM storages: bot.data.fsm_storage.FsmDrafts)."""

    async def forget(self, *, bot_id: int, chat_id: int, user_id: int) -> None:
        """Erase every draft and dialog state of the user (personal data of unsent drafts)."""
        ...


OUTBOX_KIND = "privacy_withdrawal"

WITHDRAWAL = "withdrawal"
DELETION = "deletion"

UNDECIDED = frozenset(
    {Status.SUBMITTED.value, Status.IN_REVIEW.value, Status.DOCUMENTS_REQUESTED.value}
)
DECIDED = frozenset({Status.APPROVED.value, Status.REJECTED.value})

# What becomes of one sent application (the parent's preview and the staff notice say the same).
KEEP_UNDECIDED = "keep_undecided"  # kept by law; p.8(4) may follow
KEEP_DECIDED = "keep_decided"  # kept by law; the decision stays
ERASE = "erase"  # withdrawn application, /deletedata: personal fields erased
UNTOUCHED = "untouched"  # withdrawn application, consent withdrawal only
ERASED_BEFORE = "erased_before"  # its personal data are already erased

# Audit actions (the card's history shows them).
AUDIT_ACTIONS = {WITHDRAWAL: "consent_withdrawn", DELETION: "erasure_requested"}
AUDIT_ERASED = "personal_data_erased"

# The application's columns that hold personal data (erased by /deletedata when not retained).
PERSONAL_FIELDS = (
    "applicant_surname",
    "applicant_name",
    "applicant_patronymic",
    "applicant_iin",
    "phone",
    "address",
    "child_name",
    "child_iin",
    "child_birth",
    "disability_until",
    "school",
    "certificate_number",
    "certificate_date",
    "certificate_start",
    "certificate_end",
    "iban",
)

STAFF_TEXT = {
    (WITHDRAWAL, KEEP_UNDECIDED): N_(
        "🔒 The applicant of application {number} withdrew the consent to the processing of personal "
        'data (Article 8 of the Law "On personal data and their protection"). The application is kept '
        "as the law requires; while it is under consideration, refusal ground p.8(4) applies."
    ),
    (WITHDRAWAL, KEEP_DECIDED): N_(
        "🔒 The applicant of application {number} withdrew the consent to the processing of personal "
        'data (Article 8 of the Law "On personal data and their protection"). The decided application '
        "is kept as the law requires for this state service; keep only what the law requires."
    ),
    (DELETION, KEEP_UNDECIDED): N_(
        "🔒 The applicant of application {number} asked to delete the personal data and withdrew the "
        "consent. The application is kept as the law requires for this state service; while it is "
        "under consideration, refusal ground p.8(4) applies."
    ),
    (DELETION, KEEP_DECIDED): N_(
        "🔒 The applicant of application {number} asked to delete the personal data. The decided "
        "application is kept as the law requires for this state service."
    ),
    (DELETION, ERASE): N_(
        "🔒 The applicant of application {number} asked to delete the personal data: the personal "
        "data and documents of this withdrawn application are erased from the bot; its number and "
        "history stay. Delete the copies of its documents in this chat by hand."
    ),
}


@dataclass(frozen=True)
class SentApplication:
    id: int
    number: str
    status: str
    erased: bool = False

    def fate(self, reason: str) -> str:
        """What `reason` (WITHDRAWAL or DELETION) does to this application."""
        if self.erased:
            return ERASED_BEFORE
        if self.status in UNDECIDED:
            return KEEP_UNDECIDED
        if self.status in DECIDED:
            return KEEP_DECIDED
        return ERASE if reason == DELETION else UNTOUCHED


@dataclass(frozen=True)
class Plan:
    """What a request will do, computed before the parent confirms."""

    reason: str
    has_consent: bool
    applications: tuple[SentApplication, ...]

    @property
    def fingerprint(self) -> str:
        """Short digest of what the parent saw: a confirmation of another plan is not taken."""
        seen = f"{self.reason}|{self.has_consent}|" + ";".join(
            f"{a.id}:{a.status}:{a.erased}" for a in self.applications
        )
        return hashlib.sha256(seen.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Outcome:
    had_consent: bool
    applications: tuple[SentApplication, ...]
    erased: tuple[str, ...]  # numbers of the applications erased now


async def sent_applications(app: AppContext, user_id: int) -> list[SentApplication]:
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(
                Application.id,
                Application.number,
                Application.status,
                Application.personal_data_erased_at,
            )
            .where(Application.user_id == user_id, Application.status != Status.DRAFT.value)
            .order_by(Application.id)
        )
        return [
            SentApplication(
                id=row.id,
                number=row.number,
                status=row.status,
                erased=row.personal_data_erased_at is not None,
            )
            for row in rows
        ]


async def plan(app: AppContext, user_id: int, reason: str) -> Plan:
    """What WITHDRAWAL or DELETION would do for this user now."""
    consent = await active_consent(app, user_id)
    sent = await sent_applications(app, user_id)
    return Plan(reason, consent is not None, tuple(sent))


async def carry_out(
    app: AppContext, user_id: int, reason: str, drafts: Drafts, *, bot_id: int, chat_id: int
) -> Outcome:
    """Do what `plan(reason)` says: drafts, consent, then each sent application."""
    now = app.clock.now()
    had_consent = await withdraw_consent(app, user_id, now)
    await drafts.forget(bot_id=bot_id, chat_id=chat_id, user_id=user_id)
    await documents.store(app).clear_drafts(user_id)  # the files kept for the draft
    sent = await sent_applications(app, user_id)
    if reason == DELETION:  # the funnel's link to the user, the comments of the ratings
        async with app.sessionmaker() as session, session.begin():
            await funnel.forget(session, user_id)
            await feedback.forget(session, user_id)
    erased = await _record(app, user_id, reason, sent, now)
    return Outcome(had_consent, tuple(sent), tuple(erased))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


async def _record(
    app: AppContext,
    user_id: int,
    reason: str,
    applications: Sequence[SentApplication],
    now: dt.datetime,
) -> list[str]:
    """Per sent application, in one transaction: the audit entry, the erasure of a
    withdrawn one (DELETION), the staff notice (once a day per application and
    reason) and the card refresh. Returns the numbers erased now."""
    chat_id = app.settings.staff_chat_id
    language = app.settings.default_locale
    today = app.clock.today().isoformat()
    erased: list[str] = []
    files: list[str] = []
    queued = 0
    async with app.sessionmaker() as session, session.begin():
        for item in applications:
            fate = item.fate(reason)
            if fate in (UNTOUCHED, ERASED_BEFORE):
                continue
            session.add(
                AuditEntry(
                    application_id=item.id,
                    actor=Actor.PARENT.value,
                    actor_id=user_id,
                    action=AUDIT_ERASED if fate == ERASE else AUDIT_ACTIONS[reason],
                    old_status=item.status,
                    new_status=item.status,
                    created_at=_utc(now),
                )
            )
            if fate == ERASE:
                files += await _erase(session, item.id, now)
                erased.append(item.number)
            if chat_id is None:
                continue
            text = Tr(app.i18n, language)(STAFF_TEXT[(reason, fate)], number=item.number)
            queued += await outbox.enqueue(
                session,
                chat_id=chat_id,
                kind=OUTBOX_KIND,
                payload={"text": text},
                application_id=item.id,
                dedupe_key=f"{OUTBOX_KIND}:{reason}:{item.id}:{today}",
            )
            await refresh_card_later(session, app, item.id)
    if files:  # the kept copies, once their rows are gone for good
        async with app.sessionmaker() as session:
            await documents.forget(app, session, files)
    outbox.wake(app.sessionmaker)
    log.info("privacy %s: %d staff notice(s) queued, %d erased", reason, queued, len(erased))
    return erased


async def _erase(session: AsyncSession, application_id: int, now: dt.datetime) -> list[str]:
    """Erase the personal data of one (withdrawn) application; keep number, status, history.
    Returns the kept files of its documents (deleted by the caller after the commit)."""
    paths = [
        path
        for path in await session.scalars(
            select(Attachment.storage_path).where(Attachment.application_id == application_id)
        )
        if path
    ]
    values: dict[str, object] = dict.fromkeys(PERSONAL_FIELDS)
    values["personal_data_erased_at"] = _utc(now)
    await session.execute(
        update(Application).where(Application.id == application_id).values(values)
    )
    await session.execute(delete(Attachment).where(Attachment.application_id == application_id))
    await session.execute(
        update(AuditEntry)
        .where(
            AuditEntry.application_id == application_id,
            AuditEntry.actor == Actor.PARENT.value,
            AuditEntry.comment.is_not(None),
        )
        .values(comment=None)
    )
    return paths


# Loggers that write SQL parameters or rows (names, IINs, IBANs of the wizard and of
# applications) when they inherit DEBUG/INFO from LOG_LEVEL. They stay at WARNING unless
# a developer sets their level explicitly.
DATA_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg")


def quiet_data_loggers() -> None:
    """Keep database loggers from writing personal data into the logs at any LOG_LEVEL."""
    for name in DATA_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
