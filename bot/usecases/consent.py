"""Consent to the processing of personal data (Art. 8 of the Law of the Republic
of Kazakhstan "On personal data and their protection"; domain.md §6).

The consent text (bot.views.consent) is versioned: CONSENT_VERSION changes whenever a
part of its CONSENT_PARTS changes, and a consent to an older version is asked again.
Every answer (agree or disagree) is recorded with the user, the text version,
the language, the time and the exact words or button the user sent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.data.engine import write_now
from bot.data.models import Consent

CONSENT_VERSION = "2025-11-v1"
AGREE = "agree"
DISAGREE = "disagree"


def _utc(moment: dt.datetime) -> dt.datetime:
    """Stored in UTC (SQLite keeps no time zone; bot.views.formatting.moment shows Almaty time)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def record_answer(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    user_id: int,
    language: str,
    agreed: bool,
    answered_text: str,
    now: dt.datetime,
    writer: AsyncEngine | None = None,
) -> Consent:
    """Store one answer to the consent question (agree or disagree): one INSERT
    committed on its own (on `writer`, the SQLite autocommit engine, one round trip:
    bot/data/engine.py write_now)."""
    values = {
        "user_id": user_id,
        "text_version": CONSENT_VERSION,
        "language": language,
        "answer": AGREE if agreed else DISAGREE,
        "answered_text": (answered_text or "")[:200],
        "created_at": _utc(now),
    }
    (result,) = await write_now(writer, sessionmaker, insert(Consent).values(**values))
    return Consent(id=result.inserted_primary_key[0], withdrawn_at=None, **values)


async def latest_answer(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int
) -> Consent | None:
    """The user's most recent answer, whatever it was."""
    async with sessionmaker() as session:
        return await session.scalar(
            select(Consent).where(Consent.user_id == user_id).order_by(Consent.id.desc()).limit(1)
        )


def is_active(record: Consent | None) -> bool:
    """An agreement to the current text that was not withdrawn."""
    return (
        record is not None
        and record.answer == AGREE
        and record.withdrawn_at is None
        and record.text_version == CONSENT_VERSION
    )


async def active_consent(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int
) -> Consent | None:
    record = await latest_answer(sessionmaker, user_id)
    return record if is_active(record) else None


async def withdraw(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int, now: dt.datetime
) -> bool:
    """Mark every agreement of the user withdrawn; False when there was none."""
    async with sessionmaker() as session:
        result = await session.execute(
            update(Consent)
            .where(
                Consent.user_id == user_id, Consent.answer == AGREE, Consent.withdrawn_at.is_(None)
            )
            .values(withdrawn_at=_utc(now))
        )
        await session.commit()
        return bool(getattr(result, "rowcount", 0))
