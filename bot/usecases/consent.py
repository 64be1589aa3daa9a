"""Consent to the processing of personal data (Art. 8 of the Law of the Republic
of Kazakhstan "On personal data and their protection"; domain.md §6).

The consent text (bot.views.consent) is versioned: CONSENT_VERSION changes whenever a
part of its CONSENT_PARTS changes, and a consent to an older version is asked again.
Every answer (agree or disagree) is recorded with the user, the text version,
the language, the time and the exact words or button the user sent.

The latest answer is asked for at every /apply and before sending: a process that is
the only one using the database (no REDIS_URL) keeps it in memory (AppContext.consent_cache),
updated by every answer and dropped by a withdrawal (and /deletedata, which withdraws).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, insert, select, update

from bot.context import AppContext
from bot.data.engine import create_autocommit, write_now
from bot.data.models import Consent

CONSENT_VERSION = "2025-11-v1"
AGREE = "agree"
DISAGREE = "disagree"


def _utc(moment: dt.datetime) -> dt.datetime:
    """Stored in UTC (SQLite keeps no time zone; bot.views.formatting.moment shows Almaty time)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


_LATEST = (
    select(*Consent.__table__.columns)
    .where(Consent.user_id == bindparam("user_id"))
    .order_by(Consent.id.desc())
    .limit(1)
)


def _cache(app: AppContext) -> dict[int, Consent | None] | None:
    return app.consent_cache


async def record_answer(
    app: AppContext,
    *,
    user_id: int,
    language: str,
    agreed: bool,
    answered_text: str,
    now: dt.datetime,
) -> Consent:
    """Store one answer to the consent question (agree or disagree): one INSERT
    committed on its own (on the SQLite autocommit engine, one round trip:
    bot/data/engine.py write_now); it is the user's latest answer from now on."""
    values = {
        "user_id": user_id,
        "text_version": CONSENT_VERSION,
        "language": language,
        "answer": AGREE if agreed else DISAGREE,
        "answered_text": (answered_text or "")[:200],
        "created_at": _utc(now),
    }
    (result,) = await write_now(app.writer, app.sessionmaker, insert(Consent).values(**values))
    record = Consent(id=result.inserted_primary_key[0], withdrawn_at=None, **values)
    if (cache := _cache(app)) is not None:
        cache[user_id] = record
    return record


async def latest_answer(app: AppContext, user_id: int) -> Consent | None:
    """The user's most recent answer, whatever it was: read once per process (and user)
    when the process has the cache (no REDIS_URL: the only process using the database;
    every change of a consent goes through this module, which keeps the cache right; one
    user's updates are handled one at a time, so a read never races a write of the same
    user), from the database every time otherwise: one statement without a transaction
    (bot/data/engine.py create_autocommit: one round trip on PostgreSQL), built once."""
    cache = _cache(app)
    if cache is not None and user_id in cache:
        return cache[user_id]
    async with create_autocommit(app.sessionmaker.kw["bind"]).connect() as connection:
        row = (await connection.execute(_LATEST, {"user_id": user_id})).first()
    record = None if row is None else Consent(**row._mapping)
    if cache is not None:
        cache[user_id] = record
    return record


def is_active(record: Consent | None) -> bool:
    """An agreement to the current text that was not withdrawn."""
    return (
        record is not None
        and record.answer == AGREE
        and record.withdrawn_at is None
        and record.text_version == CONSENT_VERSION
    )


async def active_consent(app: AppContext, user_id: int) -> Consent | None:
    record = await latest_answer(app, user_id)
    return record if is_active(record) else None


async def withdraw(app: AppContext, user_id: int, now: dt.datetime) -> bool:
    """Mark every agreement of the user withdrawn (withdrawal and /deletedata); False when
    there was none. The cached answer is dropped: the next one is read again."""
    try:
        async with app.sessionmaker() as session:
            result = await session.execute(
                update(Consent)
                .where(
                    Consent.user_id == user_id,
                    Consent.answer == AGREE,
                    Consent.withdrawn_at.is_(None),
                )
                .values(withdrawn_at=_utc(now))
            )
            await session.commit()
    finally:  # whatever the outcome, read again
        if (cache := _cache(app)) is not None:
            cache.pop(user_id, None)
    return bool(getattr(result, "rowcount", 0))
