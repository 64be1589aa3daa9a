"""The parents' rating of the service (issue 12 item 6): after the decision (approved or
refused) and after the first paid quarter the parent is asked once for a rating from 1
to 5 (or «Skip»); after a rating an optional comment. Never asked twice: the question's
row (``ratings``, unique per application and occasion) is written in the transaction
that queues it, right after the notification it follows.

The comment is the parent's own text: stored as given (at most MAX_COMMENT characters),
never logged, HTML-escaped wherever shown, erased by /deletedata (``forget``); the score
is a number and stays, as the application it rates does.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.data.models import Application, Rating
from bot.outbox.messages import notify
from bot.payloads import RatingAsked

log = logging.getLogger(__name__)

MAX_COMMENT = 3000
SCORES = range(1, 6)


class Occasion(StrEnum):
    DECISION = "decision"  # after «approved» or «refused»
    PAYMENT = "payment"  # after the first «quarter paid»


async def ask_rating(
    session: AsyncSession, application: Application, occasion: Occasion, day: dt.date
) -> bool:
    """Queue the rating question of ``occasion`` for the parent (caller's transaction,
    after the notification it follows) unless it was asked before; True if queued."""
    asked = await session.scalar(
        select(Rating.id).where(
            Rating.application_id == application.id, Rating.occasion == occasion.value
        )
    )
    if asked is not None:
        return False
    session.add(Rating(application_id=application.id, occasion=occasion.value, asked_on=day))
    await session.flush()
    await notify(
        session,
        application,
        RatingAsked(occasion=occasion.value),
        dedupe_key=f"rating:{application.id}:{occasion.value}",
    )
    return True


@dataclass(frozen=True)
class Rated:
    """The answer to a rating question: ``score`` None = skipped; ``recorded`` False =
    it had been answered before (the first answer stands)."""

    rating_id: int
    number: str
    score: int | None
    recorded: bool


async def rate(
    app: AppContext, user_id: int, application_id: int, occasion: str, score: int | None
) -> Rated | None:
    """The parent's answer (a score 1–5, or None to skip) to the question asked for their
    application; None when there is no such question for this user."""
    if score is not None and score not in SCORES:
        return None
    async with app.sessionmaker() as session, session.begin():
        row = (
            await session.execute(
                select(Rating, Application.number)
                .join(Application, Application.id == Rating.application_id)
                .where(
                    Rating.application_id == application_id,
                    Rating.occasion == occasion,
                    Application.user_id == user_id,
                )
            )
        ).one_or_none()
        if row is None:
            return None
        rating, number = row
        if rating.score is not None or rating.skipped:
            return Rated(rating.id, number, rating.score, recorded=False)
        result = await session.execute(
            update(Rating)
            .where(Rating.id == rating.id, Rating.score.is_(None), Rating.skipped.is_(False))
            .values(
                score=score,
                skipped=score is None,
                # in UTC, as every stored moment (SQLite keeps the wall time, not the offset)
                answered_at=app.clock.now().astimezone(dt.UTC),
            )
            .execution_options(synchronize_session=False)
        )
        recorded = result.rowcount == 1  # type: ignore[attr-defined]
    log.info("rating %s: %s", rating.id, "skipped" if score is None else "scored")
    return Rated(rating.id, number, score, recorded)


async def add_comment(app: AppContext, user_id: int, rating_id: int, text: str) -> bool:
    """The parent's comment to their rating (once; the text is never logged)."""
    text = text.strip()[:MAX_COMMENT]
    if not text:
        return False
    async with app.sessionmaker() as session, session.begin():
        mine = select(Application.id).where(Application.user_id == user_id)
        result = await session.execute(
            update(Rating)
            .where(
                Rating.id == rating_id,
                Rating.application_id.in_(mine),
                Rating.score.is_not(None),
                Rating.comment.is_(None),
            )
            .values(comment=text)
            .execution_options(synchronize_session=False)
        )
    stored = bool(result.rowcount == 1)  # type: ignore[attr-defined]
    log.info("rating %s: comment %s", rating_id, "stored" if stored else "not taken")
    return stored


async def forget(session: AsyncSession, user_id: int) -> None:
    """/deletedata: the comments of the user's ratings are erased (the scores stay)."""
    mine = select(Application.id).where(Application.user_id == user_id)
    await session.execute(
        update(Rating)
        .where(Rating.application_id.in_(mine), Rating.comment.is_not(None))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Ratings:
    """What /stats says of the ratings: how many, their mean (one decimal), how many
    comments, skipped and unanswered questions."""

    count: int
    average: Decimal | None
    comments: int
    skipped: int
    asked: int


async def ratings(app: AppContext) -> Ratings:
    async with app.sessionmaker() as session:
        row = (
            await session.execute(
                select(
                    func.count(Rating.score),
                    func.coalesce(func.sum(Rating.score), 0),
                    func.count(Rating.comment),
                    func.count().filter(Rating.skipped.is_(True)),
                    func.count(),
                )
            )
        ).one()
    count, total, comments, skipped, asked = (int(value or 0) for value in row)
    average = (
        (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP) if count else None
    )
    return Ratings(count, average, comments, skipped, asked)
