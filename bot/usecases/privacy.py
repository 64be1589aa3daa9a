"""Erasure of personal data on request (/deletedata) and on withdrawal of the
consent (/consent) — domain.md §6.

- Unsent drafts live only in the FSM storage: every FSM row of the user is
  deleted at once (SQL storage), and the wizard's contexts are cleared in the
  dispatcher's storage when that is another one (Redis).
- Sent applications stay with the Department (it keeps what the law requires);
  the staff chat is told through the outbox (kind "privacy_withdrawal").
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram.fsm.storage.base import DEFAULT_DESTINY, BaseStorage, StorageKey
from sqlalchemy import select

from bot.context import AppContext
from bot.data.fsm_storage import SqlAlchemyStorage
from bot.data.models import Application
from bot.i18n import N_, gettext_in
from bot.outbox import store as outbox

log = logging.getLogger(__name__)

# FSM destinies that may hold personal data of the user (the apply wizard keeps its draft apart).
DRAFT_DESTINY = "apply"
DESTINIES = (DEFAULT_DESTINY, DRAFT_DESTINY)

OUTBOX_KIND = "privacy_withdrawal"

STAFF_TEXT = {
    "withdrawal": N_(
        "🔒 The applicant of application {number} withdrew the consent to the processing of personal "
        'data (Article 8 of the Law "On personal data and their protection"). Keep only what the law '
        "requires; refusal ground p.8(4) applies if the application is still under consideration."
    ),
    "deletion": N_(
        "🔒 The applicant of application {number} asked to delete the personal data. Keep only what the "
        "law requires for this state service."
    ),
}


@dataclass(frozen=True)
class SentApplication:
    id: int
    number: str
    status: str


async def erase_drafts(
    storages: Sequence[BaseStorage],
    key: StorageKey,
) -> None:
    """Delete the unsent drafts (every FSM row) of `key.user_id` in every storage given."""
    for storage in storages:
        if isinstance(storage, SqlAlchemyStorage):
            await storage.forget_user(key.user_id)
            continue
        for destiny in DESTINIES:
            target = dataclasses.replace(key, destiny=destiny)
            await storage.set_state(target, None)
            await storage.set_data(target, {})


async def sent_applications(app: AppContext, user_id: int) -> list[SentApplication]:
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(Application.id, Application.number, Application.status)
            .where(Application.user_id == user_id, Application.status != "draft")
            .order_by(Application.id)
        )
        return [SentApplication(id=row.id, number=row.number, status=row.status) for row in rows]


async def notify_staff(
    app: AppContext, applications: Sequence[SentApplication], reason: str
) -> int:
    """One outbox row per sent application for the staff chat (once a day per application
    and reason: a repeated request does not flood the group); returns how many were queued."""
    chat_id = app.settings.staff_chat_id
    if chat_id is None or not applications:
        return 0
    language = app.settings.default_locale
    today = app.clock.today().isoformat()
    queued = 0
    async with app.sessionmaker() as session, session.begin():
        for item in applications:
            text = gettext_in(app.i18n, language, STAFF_TEXT[reason], number=item.number)
            queued += await outbox.enqueue(
                session,
                chat_id=chat_id,
                kind=OUTBOX_KIND,
                payload={"text": text},
                application_id=item.id,
                dedupe_key=f"{OUTBOX_KIND}:{reason}:{item.id}:{today}",
            )
    outbox.wake(app.sessionmaker)
    log.info("privacy %s: %d staff notice(s) queued", reason, queued)
    return queued


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
