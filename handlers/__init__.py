"""aiogram Routers, one per conversation. Order matters: errors first, fallback last."""

from __future__ import annotations

from aiogram import Router

from bot.settings import Settings
from handlers import (
    apply,
    desk,
    documents,
    eligibility,
    errors,
    estimate,
    fallback,
    feedback,
    official,
    privacy,
    question,
    relay,
    requeue,
    staff,
    start,
    status,
)


def build_routers(settings: Settings) -> list[Router]:
    """Fresh routers for one Dispatcher (a Router can belong to one parent only)."""
    return [
        errors.router(),
        requeue.router(settings),
        desk.router(settings),
        official.staff_router(settings),
        staff.router(settings),
        feedback.router(),
        start.router(),
        privacy.router(),
        apply.router(),
        eligibility.router(),
        estimate.router(),
        documents.router(),
        status.router(),
        official.router(),
        relay.router(),
        question.router(),
        fallback.router(),
    ]
