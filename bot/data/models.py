"""SQLAlchemy 2 typed ORM models.

Personal data (names, IIN, phone, address, IBAN, documents) lives only in
`applications`, `attachments` and the FSM rows of the wizard, and is written
only after the user's consent (Art. 8 of the Law "On personal data and their
protection"); `privacy` services erase it on request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.clock import utcnow
from core.status import Action, Actor, QuarterStatus, permits


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
        Decimal: Numeric(14, 2),
    }


class User(Base):
    """A Telegram user who talked to the bot, with the chosen language."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Consent(Base):
    """Art. 8 consent record: who, text version, language, when, exact answer."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    text_version: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    answer: Mapped[str] = mapped_column(String(16))  # "agree" | "disagree"
    answered_text: Mapped[str] = mapped_column(String(200))  # the button or words the user sent
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column()


class FsmRecord(Base):
    """aiogram FSM state and data per StorageKey (the wizard survives restarts)."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NumberSequence(Base):
    """Counter of public application numbers per year (ALA-2025-000123)."""

    __tablename__ = "number_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Application(Base):
    """An application sent by a parent; status per core.status."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(32), index=True)
    # applicant
    applicant_surname: Mapped[str | None] = mapped_column(String(100))
    applicant_name: Mapped[str | None] = mapped_column(String(100))
    applicant_patronymic: Mapped[str | None] = mapped_column(String(100))
    applicant_iin: Mapped[str | None] = mapped_column(String(12), index=True)
    phone: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(300))
    relation: Mapped[str | None] = mapped_column(String(32))
    # child
    child_name: Mapped[str | None] = mapped_column(String(300))
    child_iin: Mapped[str | None] = mapped_column(String(12), index=True)
    child_birth: Mapped[dt.date | None] = mapped_column()
    disability_until: Mapped[dt.date | None] = mapped_column()
    school: Mapped[str | None] = mapped_column(String(300))
    certificate_number: Mapped[str | None] = mapped_column(String(64))
    certificate_date: Mapped[dt.date | None] = mapped_column()
    certificate_start: Mapped[str | None] = mapped_column(String(7))  # "2025-09"
    certificate_end: Mapped[str | None] = mapped_column(String(7))
    # payment
    iban: Mapped[str | None] = mapped_column(String(34))
    applied_on: Mapped[dt.date] = mapped_column()
    estimate_total: Mapped[Decimal | None] = mapped_column()
    # staff side
    staff_card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    assigned_staff_id: Mapped[int | None] = mapped_column(BigInteger)
    refusal_ground: Mapped[int | None] = mapped_column(Integer)
    parent_unreachable: Mapped[bool] = mapped_column(default=False)
    # The number of the official request (eGov Mobile or a ЦОН, p.6), given by the parent
    # or recorded by staff; payment counts from the month of the official request (p.4).
    official_request: Mapped[str | None] = mapped_column(String(40))
    # Outbox rows of this application that gave up (not for a 403) and wait for /requeue.
    undelivered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when /deletedata erased this application's personal fields and documents — only a
    # withdrawn application (no decision, nothing paid); one under consideration or decided is
    # kept for the Department's legal retention (bot/usecases/privacy.py, README "Personal data").
    personal_data_erased_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    audit: Mapped[list[AuditEntry]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="AuditEntry.id"
    )
    quarters: Mapped[list[PaymentQuarter]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="PaymentQuarter.id"
    )


class Attachment(Base):
    """A file the parent sent (school certificate, guardianship document)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # certificate | guardianship | extra
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str | None] = mapped_column(String(128))
    media: Mapped[str] = mapped_column(String(16))  # photo | document
    mime_type: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(Integer)
    # The Department's own copy (bot/data/documents.py): content hash and path under
    # DOCUMENTS_DIR; mime_type and file_size are then the checked ones. NULL only for
    # files received before the store existed.
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    storage_path: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="attachments")


class AuditEntry(Base):
    """Every action on an application: who, when, old and new status, comment."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(16))  # parent | staff | system
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    old_status: Mapped[str | None] = mapped_column(String(32))
    new_status: Mapped[str | None] = mapped_column(String(32))
    ground: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="audit")


REFUSAL_STARTED = "refusal_started"
REFUSAL_LEFT = "refusal_left"


def pending_refusal(status: str, audit: Iterable[AuditEntry]) -> AuditEntry | None:
    """The refusal waiting for its comment, from an application's audit log (in id
    order): the last "refusal_started" entry (ground chosen, staff member named) not
    followed by "refusal_left" or by any status change, while the status still allows
    a refusal (p.8). None when no refusal waits."""
    if not permits(status, Action.REJECT, Actor.STAFF):
        return None
    waiting: AuditEntry | None = None
    for entry in audit:
        if entry.action == REFUSAL_STARTED:
            waiting = entry
        elif entry.action == REFUSAL_LEFT or entry.old_status != entry.new_status:
            waiting = None
    return waiting


class PaymentQuarter(Base):
    """One quarter of the approved schedule (domain.md §4)."""

    __tablename__ = "payment_quarters"
    __table_args__ = (UniqueConstraint("application_id", "school_year", "quarter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    school_year: Mapped[str] = mapped_column(String(9))
    quarter: Mapped[int] = mapped_column(Integer)
    months: Mapped[list[Any]] = mapped_column(default=list)  # ["2025-11", "2025-12"]
    amount: Mapped[Decimal] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=QuarterStatus.PLANNED.value)
    paid_at: Mapped[dt.datetime | None] = mapped_column()
    paid_by: Mapped[int | None] = mapped_column(BigInteger)

    application: Mapped[Application] = relationship(back_populates="quarters")


class Overpayment(Base):
    """p.9: an overpaid amount recorded by staff, to be returned."""

    __tablename__ = "overpayments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TerminationEvent(Base):
    """p.5: an event that stops payment from the following month."""

    __tablename__ = "termination_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    on: Mapped[dt.date] = mapped_column()
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message to deliver, written in the same transaction as its cause.

    status: pending → sending (claimed) → sent | undeliverable; `dedupe_key`
    makes reminders and notifications idempotent. `claims` counts claims and is
    the fencing token of an outcome; `unconfirmed` counts requests whose answer
    never came (they may have been delivered); `failing_since` starts the retry
    window; `failure` says why a row gave up: forbidden (403), rejected (400),
    expired (retry window over), unconfirmed (no answer twice).
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    application_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # text, parse_mode, reply_markup
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column()
    claims: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unconfirmed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failing_since: Mapped[dt.datetime | None] = mapped_column()
    failure: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(300))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()


class RelayLink(Base):
    """Maps a message in the staff group thread to an application, for replies."""

    __tablename__ = "relay_links"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboundUpdate(Base):
    """An update Telegram delivered, stored before it is confirmed (bot/inbox.py).

    The update id is the idempotency key: a row is inserted once, handled from
    here, and marked `done` in the transaction of the handler's first audit or
    outbox write (else right after the handler); unfinished rows are handled
    again after a restart. `payload` holds the update's JSON (the user's text:
    personal data) only until it is done; done rows are deleted after two days.
    """

    __tablename__ = "inbound_updates"
    __table_args__ = (Index("ix_inbound_updates_status", "status", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_key: Mapped[int | None] = mapped_column(BigInteger)  # updates of one key run in order
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done
    owner: Mapped[str | None] = mapped_column(String(64))  # the process handling it
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column()


class Rating(Base):
    """A parent's 1–5 rating of the service (issue 12 item 6), asked once per application
    and occasion (after the decision, after the first paid quarter): the row is written
    when the question is queued, so it is never asked again. ``score`` None and
    ``skipped`` False: not answered yet. ``comment`` is the parent's own text (personal
    data it may hold: never logged, HTML-escaped when shown, erased by /deletedata)."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("application_id", "occasion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    occasion: Mapped[str] = mapped_column(String(16))  # decision | payment
    asked_on: Mapped[dt.date] = mapped_column(Date)  # Asia/Almaty
    score: Mapped[int | None] = mapped_column(Integer)
    skipped: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column()


class FunnelVisitor(Base):
    """The funnel's only link to a Telegram user (issue 12 item 6): the deep-link source
    the user first came with and the random token of the user's current journey (drafts
    up to one sent application; a new token after each sent one). /deletedata deletes
    the row, and the events of the current token lose it: no funnel row then leads back
    to the user."""

    __tablename__ = "funnel_visitors"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    source: Mapped[str | None] = mapped_column(String(64))
    journey: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FunnelEvent(Base):
    """One milestone of one journey (started, consented, summary, sent) in an ISO week
    (``day``: its Monday, Asia/Almaty), with the source of the user — counts only: no
    user id, no answer. The random
    ``journey`` token (unique with the milestone) counts a repeated /apply once; it is
    NULL once unlinked."""

    __tablename__ = "funnel_events"
    __table_args__ = (
        UniqueConstraint("journey", "milestone"),
        Index("ix_funnel_events_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey: Mapped[str | None] = mapped_column(String(32))
    milestone: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(64))
