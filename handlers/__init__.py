"""aiogram Routers, one per conversation. Order matters: errors first, fallback last."""

from __future__ import annotations

from aiogram import F, Router

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
    staff_routers = [
        requeue.router(settings),
        desk.router(settings),
        official.staff_router(settings),
        staff.router(settings),
    ]
    replies: list[Router] = []
    if settings.staff_chat_id is not None:
        # Every message handler of these routers is for the staff chat only: one check
        # per router instead of one per handler (a parent's message skips ~20 handlers).
        for each in staff_routers:
            each.message.filter(F.chat.id == settings.staff_chat_id)
        replies.append(relay.reply_router())  # private chats: not below that filter
    return [
        errors.router(),
        *staff_routers,
        *replies,
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
