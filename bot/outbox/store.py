"""The transactional outbox (architecture.md, Notifications).

A message to a parent or to the staff chat is a row of `outbox`, written with
`enqueue()` in the SAME transaction as the change that causes it (a status
change, a payment, a reminder). The sender task (bot/outbox/sender.py)
delivers rows; this module holds the row operations it needs:

    pending ──claim──▶ sending ──▶ sent
       ▲                  │  └───▶ undeliverable: forbidden (403), rejected (400),
       └── retry/release ─┘                       expired (retry window over),
       ▲                                          unconfirmed (no answer, twice)
       └──────────── requeue() (staff: /requeue) ──┘  (all but forbidden)

* `claim()` moves a batch of due rows to `sending` with `claimed_by` and
  `claimed_until` (a lease) and COMMITS before any API call; with PostgreSQL the
  rows are picked with `FOR UPDATE SKIP LOCKED`, so several bot processes can
  share one database without taking the same row. A row whose lease ran out
  (the process died) becomes claimable again — its request may have gone out,
  so that claim counts as `unconfirmed`.
* Every claim increments `claims`: the claim's fencing token. `finish()` writes
  the outcomes of many sends in one transaction, each only while the row is
  still `sending` under the SAME token, so a late outcome of an old claim can
  never overwrite a newer claim.

Payload of a row (JSON):
    {"text": "<html>"}                               plain message (parse mode HTML)
    {"render": {"kind": ..., "params": {...}}, "language": "kk"}
                                                      rendered at send time in the
                                                      user's CURRENT language
    {"method": "copy", "from_chat_id": .., "message_id": .., "caption": ..}
    {"method": "photo" | "document", "file_id": .., "caption": ..}
    {"method": "card"}                                re-render the staff card of
                                                      `application_id` in place
    optional: "reply_to" (message id), "reply_markup" (dict), "link" (true: remember
    the sent message in relay_links for `application_id`, so replies to it are routed)
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import utcnow
from bot.data.models import Application, OutboxMessage, RelayLink, User

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
UNDELIVERABLE = "undeliverable"

# Why a row gave up (`failure`).
FORBIDDEN = "forbidden"  # 403: the user blocked the bot — never requeued
REJECTED = "rejected"  # 400: Telegram refused the request itself
EXPIRED = "expired"  # 5xx / network errors for the whole retry window
UNCONFIRMED = "unconfirmed"  # no answer twice: it may have been delivered
# Requests whose answer never came that a row may make before it stops: the first one
# unanswered may have been delivered, so it is sent again once, and never a third time.
MAX_UNCONFIRMED = 1
ALERT_KIND = "outbox_alert"  # the staff's notice about rows that gave up (never requeued)
LOOSE_ALERT_KEY = "outbox-alert:loose"  # the notice about rows without an application: once


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes (stored in UTC): make them aware."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    application_id: int | None = None,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
) -> bool:
    """Add a row to the outbox in the caller's transaction (the caller commits).

    With `dedupe_key` the row is inserted only if no row has that key yet
    (INSERT … ON CONFLICT DO NOTHING): returns False when it already existed.
    """
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "application_id": application_id,
        "kind": kind,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": not_before or utcnow(),
        "created_at": utcnow(),
    }
    if dedupe_key is None:
        session.add(OutboxMessage(**values))
        return True
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    return inserted is not None


# --------------------------------------------------------------------- wake-up

_WAKERS: dict[int, Callable[[], None]] = {}


def register_waker(
    sessionmaker: async_sessionmaker[AsyncSession], callback: Callable[[], None]
) -> None:
    _WAKERS[id(sessionmaker)] = callback


def unregister_waker(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    _WAKERS.pop(id(sessionmaker), None)


def wake(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Tell this process's sender that new rows were committed (it also polls)."""
    callback = _WAKERS.get(id(sessionmaker))
    if callback is not None:
        callback()


# ----------------------------------------------------------------------- claim


@dataclass
class Claimed:
    """A claimed row, small: what the sender needs to deliver it."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    application_id: int | None
    language: str | None = None  # the user's stored language, for "render" rows
    claimed_at: float = field(default_factory=time.monotonic)  # the lease's start (monotonic)
    card_message_id: int | None = None  # the staff card, for rows to the staff chat
    token: int = 0  # `claims` after this claim: fences its outcome
    unconfirmed: int = 0  # earlier requests that were never answered (see MAX_UNCONFIRMED)
    failing_since: dt.datetime | None = None  # first failure of the current retry window


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    worker: str,
    limit: int,
    lease: float,
    staff_chat_id: int | None = None,
    exclude_chats: Iterable[int] = (),
    now: dt.datetime | None = None,
) -> list[Claimed]:
    """Claim up to `limit` due rows (oldest first) for `worker`; committed on return.

    Due: pending with next_attempt_at ≤ now, or sending with an expired lease
    (then its earlier request may have gone out: `unconfirmed` + 1).
    `Claimed.claimed_at` is taken before the lease starts, so a sender that keeps
    to `lease` seconds from it never outlives the lease.
    """
    claimed_at = time.monotonic()
    now = now or utcnow()
    excluded = list(exclude_chats)[:500]
    async with sessionmaker() as session, session.begin():
        postgres = session.get_bind().dialect.name == "postgresql"
        due = or_(
            and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
        )
        pick = select(OutboxMessage.id).where(due)
        if excluded:
            pick = pick.where(OutboxMessage.chat_id.not_in(excluded))
        pick = pick.order_by(OutboxMessage.id).limit(limit)
        if postgres:
            # A CTE is evaluated once; `id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)`
            # would be re-run by PostgreSQL for every row and take them all.
            picked = (
                pick.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
            )
            chosen = OutboxMessage.id == picked.c.id
        else:
            # SQLite has one writer at a time: the UPDATE itself is atomic.
            chosen = OutboxMessage.id.in_(pick.scalar_subquery())
        statement = (
            update(OutboxMessage)
            .where(chosen)
            .where(due)
            .values(
                status=SENDING,
                claimed_by=worker,
                claimed_until=now + dt.timedelta(seconds=lease),
                attempts=OutboxMessage.attempts + 1,
                claims=OutboxMessage.claims + 1,
                unconfirmed=OutboxMessage.unconfirmed
                + case((OutboxMessage.status == SENDING, 1), else_=0),
            )
            .returning(
                OutboxMessage.id,
                OutboxMessage.chat_id,
                OutboxMessage.kind,
                OutboxMessage.payload,
                OutboxMessage.attempts,
                OutboxMessage.application_id,
                OutboxMessage.claims,
                OutboxMessage.unconfirmed,
                OutboxMessage.failing_since,
            )
            .execution_options(synchronize_session=False)
        )
        rows = [
            Claimed(
                id=r.id,
                chat_id=r.chat_id,
                kind=r.kind,
                payload=dict(r.payload or {}),
                attempts=r.attempts,
                application_id=r.application_id,
                claimed_at=claimed_at,
                token=r.claims,
                unconfirmed=r.unconfirmed,
                failing_since=aware(r.failing_since),
            )
            for r in (await session.execute(statement)).all()
        ]
        rows.sort(key=lambda r: r.id)
        users = sorted({r.chat_id for r in rows if r.chat_id > 0 and "render" in r.payload})
        if users:
            languages = dict(
                (
                    await session.execute(select(User.id, User.language).where(User.id.in_(users)))
                ).all()
            )
            for row in rows:
                row.language = languages.get(row.chat_id)
        cards = sorted(
            {r.application_id for r in rows if r.application_id and r.chat_id == staff_chat_id}
        )
        if cards:
            card_ids = dict(
                (
                    await session.execute(
                        select(Application.id, Application.staff_card_message_id).where(
                            Application.id.in_(cards)
                        )
                    )
                ).all()
            )
            for row in rows:
                if row.chat_id == staff_chat_id and row.application_id:
                    row.card_message_id = card_ids.get(row.application_id)
    return rows


# --------------------------------------------------------------------- outcome


@dataclass
class Outcome:
    """What happened to one claimed row; written by `finish()`."""

    row: Claimed
    status: str  # SENT | PENDING (retry / release) | UNDELIVERABLE
    message_id: int | None = None
    next_attempt_at: dt.datetime | None = None
    error: str | None = None
    count_attempt: bool = True  # False: a release or a 429 does not use up an attempt
    forbidden: bool = False  # 403: the user blocked the bot
    failure: str | None = None  # UNDELIVERABLE: FORBIDDEN | REJECTED | EXPIRED | UNCONFIRMED
    failing_since: dt.datetime | None = None  # PENDING after a failure: the retry window's start
    unanswered: bool = False  # the request went out and its answer never came
    extra: dict[str, Any] = field(default_factory=dict)


Hook = Callable[[AsyncSession, Outcome], Awaitable[None]]
BatchHook = Callable[[AsyncSession, list[Outcome]], Awaitable[None]]


async def finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    outcomes: Sequence[Outcome],
    on_forbidden: Hook | None = None,
    on_published: Hook | None = None,
    on_gave_up: BatchHook | None = None,
) -> None:
    """Write outcomes in ONE transaction. Each touches its row only while it is still
    `sending` under the claim's token (`claims`): a late outcome of an old claim —
    the lease ran out and the row was claimed again, by this worker or another —
    is dropped and never overwrites the newer claim.

    `on_forbidden(session, outcome)` is awaited for 403 outcomes inside the same
    transaction (mark the parent unreachable, tell staff on the card);
    `on_published(session, outcome)` for sent "publish" rows (the staff card);
    `on_gave_up(session, outcomes)` once for the rows that gave up for another
    reason (flag the cards, tell staff).
    """
    if not outcomes:
        return
    del worker  # the token identifies the claim; `claimed_by` is for people reading the table
    table = cast(Table, OutboxMessage.__table__)
    now = utcnow()
    sent = [o for o in outcomes if o.status == SENT]
    retry = [o for o in outcomes if o.status == PENDING]
    dead = [o for o in outcomes if o.status == UNDELIVERABLE]
    # each update touches a row only under its claim ("b_id", "b_token": per parameter set)
    fenced = (table.c.id == bindparam("b_id"), table.c.claims == bindparam("b_token"))
    still_held = update(table).where(*fenced, table.c.status == SENDING)
    async with sessionmaker() as session, session.begin():
        if sent:
            await session.execute(
                still_held.values(
                    status=SENT,
                    sent_at=now,
                    telegram_message_id=bindparam("b_mid"),
                    claimed_until=None,
                    last_error=None,
                    failing_since=None,
                ),
                [{"b_id": o.row.id, "b_token": o.row.token, "b_mid": o.message_id} for o in sent],
            )
            links = [
                RelayLink(
                    chat_id=o.row.chat_id,
                    message_id=o.message_id,
                    application_id=o.row.application_id,
                    created_at=now,
                )
                for o in sent
                if o.row.payload.get("link") and o.row.application_id and o.message_id
            ]
            session.add_all(links)
            if on_published is not None:
                for outcome in sent:
                    if outcome.row.payload.get("method") == "publish" and outcome.message_id:
                        await on_published(session, outcome)
        if retry:
            await session.execute(
                still_held.values(
                    status=PENDING,
                    claimed_by=None,
                    claimed_until=None,
                    next_attempt_at=bindparam("b_next"),
                    last_error=func.coalesce(bindparam("b_error"), table.c.last_error),
                    attempts=table.c.attempts - bindparam("b_undo"),
                    failing_since=func.coalesce(bindparam("b_since"), table.c.failing_since),
                    unconfirmed=table.c.unconfirmed + bindparam("b_unanswered"),
                ),
                [
                    {
                        "b_id": o.row.id,
                        "b_token": o.row.token,
                        "b_next": o.next_attempt_at or now,
                        "b_error": (o.error or "")[:300] or None,
                        "b_undo": 0 if o.count_attempt else 1,
                        "b_since": o.failing_since,
                        "b_unanswered": 1 if o.unanswered else 0,
                    }
                    for o in retry
                ],
            )
        gave_up: list[Outcome] = []
        for outcome in dead:  # rare: one by one, to know which ones still held their row
            written = await session.execute(
                update(table)
                .where(
                    table.c.id == outcome.row.id,
                    table.c.claims == outcome.row.token,
                    table.c.status == SENDING,
                )
                .values(
                    status=UNDELIVERABLE,
                    claimed_until=None,
                    last_error=(outcome.error or "undeliverable")[:300],
                    failure=outcome.failure or (FORBIDDEN if outcome.forbidden else REJECTED),
                    unconfirmed=table.c.unconfirmed + (1 if outcome.unanswered else 0),
                )
                .returning(table.c.id)
            )
            if written.scalar_one_or_none() is None:
                continue
            if outcome.forbidden:
                if on_forbidden is not None:
                    await on_forbidden(session, outcome)
            else:
                gave_up.append(outcome)
        if gave_up and on_gave_up is not None:
            await on_gave_up(session, gave_up)


async def release_all(
    sessionmaker: async_sessionmaker[AsyncSession], worker: str, rows: Sequence[Claimed]
) -> None:
    """Give back claimed rows that were never sent (graceful stop)."""
    if not rows:
        return
    table = cast(Table, OutboxMessage.__table__)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(table)
            .where(
                table.c.id == bindparam("b_id"),
                table.c.claims == bindparam("b_token"),
                table.c.status == SENDING,
            )
            .values(
                status=PENDING,
                claimed_by=None,
                claimed_until=None,
                attempts=table.c.attempts - 1,
                next_attempt_at=utcnow(),
            ),
            [{"b_id": row.id, "b_token": row.token} for row in rows],
        )


async def requeue(session: AsyncSession, application_ids: Sequence[int] | None) -> list[int]:
    """Put rows that gave up (all but 403s and the staff's own notices) back to pending,
    with a fresh retry window, in the caller's transaction. `None`: every such row.
    Returns the application ids whose rows were requeued (0 for rows without one)."""
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.status == UNDELIVERABLE,
            or_(OutboxMessage.failure.is_(None), OutboxMessage.failure != FORBIDDEN),
            OutboxMessage.kind != ALERT_KIND,
        )
        .values(
            status=PENDING,
            attempts=0,
            unconfirmed=0,
            failing_since=None,
            failure=None,
            claimed_by=None,
            claimed_until=None,
            next_attempt_at=utcnow(),
        )
        .returning(OutboxMessage.application_id)
        .execution_options(synchronize_session=False)
    )
    if application_ids is not None:
        statement = statement.where(OutboxMessage.application_id.in_(list(application_ids)))
    else:  # the next row without an application that gives up is told again
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == LOOSE_ALERT_KEY)
            .values(dedupe_key=None)
            .execution_options(synchronize_session=False)
        )
    return [app_id or 0 for app_id in (await session.scalars(statement)).all()]


async def counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Rows per status (diagnostics, benchmarks)."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: count for status, count in rows.all()}
