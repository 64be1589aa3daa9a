"""Staff send again what the outbox gave up on (/requeue, issue 11 item 4).

A row gives up after its retry window (5xx / network errors for 72 h), on a 400,
or when Telegram did not answer twice (bot/outbox/sender.py); its card is
flagged (`Application.undelivered`) and staff are told once. `requeue()` puts
those rows back to pending with a fresh retry window, clears the flags and
refreshes the cards. Rows that failed with 403 (the applicant blocked the bot)
are not requeued: the card says to call the applicant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from bot.data.models import Application
from bot.outbox import store as outbox

if TYPE_CHECKING:
    from bot.context import AppContext

ALL = "all"


class UnknownApplication(LookupError):
    """No application has that number."""


@dataclass(frozen=True)
class Requeued:
    rows: int
    numbers: tuple[str, ...]  # the applications whose flags were cleared


async def requeue(context: AppContext, target: str) -> Requeued:
    """`target`: an application number (any case) or "all"."""
    wanted = target.strip()
    async with context.sessionmaker() as session, session.begin():
        if wanted.lower() == ALL:
            ids: list[int] | None = None
            flagged = set(
                (
                    await session.scalars(select(Application.id).where(Application.undelivered > 0))
                ).all()
            )
        else:
            found = await session.scalar(
                select(Application.id).where(Application.number == wanted.upper())
            )
            if found is None:
                raise UnknownApplication(wanted)
            ids = [found]
            flagged = {found}
        requeued = await outbox.requeue(session, ids)
        flagged |= {app_id for app_id in requeued if app_id}
        numbers: tuple[str, ...] = ()
        if flagged:
            await session.execute(
                update(Application)
                .where(Application.id.in_(sorted(flagged)))
                .values(undelivered=0)
                .execution_options(synchronize_session=False)
            )
            numbers = tuple(
                (
                    await session.scalars(
                        select(Application.number)
                        .where(Application.id.in_(sorted(flagged)))
                        .order_by(Application.id)
                    )
                ).all()
            )
            staff_chat = context.settings.staff_chat_id
            if staff_chat is not None:
                for app_id in sorted(flagged):  # the cards lose their flag
                    await outbox.enqueue(
                        session,
                        chat_id=staff_chat,
                        kind="card_refresh",
                        payload={"method": "card"},
                        application_id=app_id,
                    )
    outbox.wake(context.sessionmaker)
    return Requeued(len(requeued), numbers)
