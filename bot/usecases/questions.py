"""A parent's question to the Department (issue 12 item 5): the application it goes to."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import AppContext
from bot.data.models import Application
from core.status import Status

# A question goes to the newest application still open for the Department.
OPEN = (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED, Status.APPROVED)


async def question_target(app: AppContext, user_id: int) -> tuple[int, str] | None:
    """(id, number) of the parent's newest open application, or None."""
    async with app.sessionmaker() as session:
        row = (
            await session.execute(
                select(Application.id, Application.number)
                .where(Application.user_id == user_id, Application.status.in_(OPEN))
                .order_by(Application.created_at.desc(), Application.id.desc())
                .limit(1)
            )
        ).first()
    return (int(row.id), str(row.number)) if row is not None else None
