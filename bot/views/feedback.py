"""The parents' rating of the service and the application funnel, in words (issue 12
item 6): the rating question and its buttons (queued by bot.usecases.feedback, rendered
by bot.views.notifications at delivery), the answers of handlers/feedback.py, and the
/stats lines (handlers/desk_stats.py). A comment is the parent's text: this module never
shows it; every value goes through bot/views/fmt.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.filters.callback_data import CallbackData

from bot.funnel import Counts, Funnel
from bot.i18n import N_, Tr
from bot.views.fmt import Html, b, fmt

SCORES = (1, 2, 3, 4, 5)
SKIP = N_("⏭ Skip")
NO_COMMENT = N_("💬 No comment")

QUESTIONS = {
    "decision": N_(
        "⭐ One question about application {number}: how do you rate the service — applying "
        "here and being told the decision? From 1 (very bad) to 5 (very good). It is asked "
        "once; you may skip it."
    ),
    "payment": N_(
        "⭐ The first payment under application {number} is made. How do you rate the "
        "service, from 1 (very bad) to 5 (very good)? It is asked once; you may skip it."
    ),
}

THANKS_ASK_COMMENT = N_(
    "Thank you: {score} of 5. If you wish, add a few words — what was good, what to "
    "improve — in one message. Please write no personal data here."
)
THANKS_SCORE = N_("Thank you: {score} of 5.")
SKIPPED = N_("Fine, this question will not be asked again.")
ALREADY = N_("This question is already answered.")
COMMENT_STORED = N_("Thank you, your comment is passed to the Department.")
THANKS = N_("Thank you!")

RATINGS = N_(
    "Parents' ratings: average {average} of 5 (ratings: {count}, with a comment: {comments}, "
    "skipped: {skipped})."
)
NO_RATINGS = N_("Parents' ratings: none yet.")
FUNNEL_TITLE = N_("Applications funnel by week (started / consented / summary / sent):")
FUNNEL_SOURCES = N_("By source over these weeks:")
NO_SOURCE = N_("no deep link")


class RatingPick(CallbackData, prefix="rate"):
    """A button of the rating question: the application, the occasion (decision,
    payment), the score 1–5 or 0 for «Skip»."""

    a: int
    o: str
    s: int


class CommentSkip(CallbackData, prefix="ratec"):
    """«No comment» after a rating."""

    r: int


def question(_: Tr, number: str, occasion: str) -> Html:
    template = QUESTIONS.get(occasion, QUESTIONS["decision"])
    return fmt(_(template), number=number)


def rating_markup(tr: Tr, application_id: int, occasion: str) -> dict[str, Any]:
    """The question's buttons 1…5 and «Skip» (a dict: the outbox row is sent raw)."""
    scores = [
        {
            "text": str(score),
            "callback_data": RatingPick(a=application_id, o=occasion, s=score).pack(),
        }
        for score in SCORES
    ]
    skip = {"text": tr(SKIP), "callback_data": RatingPick(a=application_id, o=occasion, s=0).pack()}
    return {"inline_keyboard": [scores, [skip]]}


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _counts(counts: Counts) -> str:
    return f"{counts.started} / {counts.consented} / {counts.summary} / {counts.sent}"


def rating_lines(
    _: Tr, count: int, average: Decimal | None, comments: int, skipped: int
) -> list[str]:
    """The /stats line of the ratings (numbers only)."""
    if average is None:
        return [_(NO_RATINGS)]
    return [_(RATINGS, average=_number(average), count=count, comments=comments, skipped=skipped)]


def funnel_lines(_: Tr, funnel: Funnel) -> list[str]:
    """The /stats lines of the funnel: one per ISO week, then one per deep-link source
    (the source is a validated deep-link parameter, escaped all the same)."""
    lines: list[str] = [b(_(FUNNEL_TITLE))]
    for week in funnel.weeks:
        lines.append(
            fmt(
                "• {label} ({monday}–{sunday}): {counts}",
                label=week.label,
                monday=week.monday.strftime("%d.%m"),
                sunday=week.sunday.strftime("%d.%m"),
                counts=_counts(week.counts),
            )
        )
    if funnel.sources:
        lines.append(_(FUNNEL_SOURCES))
        for source, counts in funnel.sources:
            lines.append(
                fmt(
                    "• {source}: {counts}",
                    source=source if source is not None else _(NO_SOURCE),
                    counts=_counts(counts),
                )
            )
    return lines
