"""Consent to the processing of personal data (Art. 8 of the Law of the Republic
of Kazakhstan "On personal data and their protection"; domain.md §6).

The consent text is versioned: CONSENT_VERSION changes whenever a part of
CONSENT_PARTS changes, and a consent to an older version is asked again.
Every answer (agree or disagree) is recorded with the user, the text version,
the language, the time and the exact words or button the user sent.
"""

from __future__ import annotations

import datetime as dt
import html

from aiogram.utils.i18n import I18n
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data.models import Consent
from bot.i18n import N_, gettext_in
from core.parameters import default_policy

CONSENT_VERSION = "2025-11-v1"
AGREE = "agree"
DISAGREE = "disagree"

CONSENT_TITLE = N_(
    "Consent to the collection and processing of personal data "
    '(Article 8 of the Law of the Republic of Kazakhstan "On personal data and their protection")'
)
CONSENT_PARTS = (
    N_(
        "To prepare your application I need to collect and process these personal data:\n"
        "• your surname, name and patronymic, IIN, phone number and address;\n"
        "• your relation to the child;\n"
        "• the child's full name, IIN, date of birth and the end date of the disability;\n"
        "• the school, the number, date and term of the school certificate;\n"
        "• the bank account (IBAN) for the payment;\n"
        "• photos or scans of the school certificate and, for a guardian or trustee, of the "
        "guardianship document."
    ),
    N_(
        "Purpose: only to prepare and consider your application for the reimbursement of the costs "
        "of home education of your child (decision of the Alatau city maslikhat No. 11-36) and to "
        "make this payment."
    ),
    N_("Who receives the data: {department}. Its staff see your application through this bot."),
    N_(
        "How long the data are kept: an unsent draft — until you send it or delete it; a sent "
        "application — by the Department for as long as the law requires for this state service."
    ),
    N_(
        "How to withdraw: at any time with /consent (withdraw the consent) or /deletedata (delete "
        "your data). An unsent draft is deleted at once."
    ),
)
CONSENT_QUESTION = N_("Do you agree to the collection and processing of these personal data?")


def _utc(moment: dt.datetime) -> dt.datetime:
    """Stored in UTC (SQLite keeps no time zone; bot.views.formatting.moment shows Almaty time)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def department_name(language: str) -> str:
    """The payer (p.2) from the locality policy, in the user's language."""
    names = default_policy().department
    return names.get(language) or names.get("ru") or next(iter(names.values()))


def consent_text(i18n: I18n, language: str, *, with_question: bool = True) -> str:
    """The full consent text of CONSENT_VERSION as HTML, in `language`."""
    title = html.escape(gettext_in(i18n, language, CONSENT_TITLE))
    parts = [f"<b>{title}</b>"]
    for part in CONSENT_PARTS:
        text = gettext_in(i18n, language, part)
        if "{department}" in text:
            text = html.escape(text).replace("{department}", html.escape(department_name(language)))
        else:
            text = html.escape(text)
        parts.append(text)
    if with_question:
        parts.append(f"<b>{html.escape(gettext_in(i18n, language, CONSENT_QUESTION))}</b>")
    return "\n\n".join(parts)


async def record_answer(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    user_id: int,
    language: str,
    agreed: bool,
    answered_text: str,
    now: dt.datetime,
) -> Consent:
    """Store one answer to the consent question (agree or disagree)."""
    record = Consent(
        user_id=user_id,
        text_version=CONSENT_VERSION,
        language=language,
        answer=AGREE if agreed else DISAGREE,
        answered_text=(answered_text or "")[:200],
        created_at=_utc(now),
    )
    async with sessionmaker() as session:
        session.add(record)
        await session.commit()
    return record


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
