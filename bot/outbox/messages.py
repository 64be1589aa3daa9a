"""The rows the bot queues in the outbox, by kind, in the caller's transaction: a
notification to the parent (rendered at delivery by bot.views.notifications), a message to
the staff chat, a staff card to publish or to refresh in place."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.data.models import Application
from bot.outbox import store as outbox
from bot.payloads import Payload, encode
from bot.staff_payloads import StaffNotice
from bot.staff_payloads import encode as encode_staff


async def notify(
    session: AsyncSession,
    application: Application,
    notice: Payload,
    *,
    dedupe_key: str | None = None,
    link: bool = False,
) -> bool:
    """Queue a notification for the parent of `application` (caller's transaction); the row
    stores `notice` through bot.payloads.encode with the application number added."""
    render = encode(notice)
    render["params"] = {"number": application.number, **render["params"]}
    payload: dict[str, Any] = {"render": render, "language": application.language}
    if link:
        payload["link"] = True
    return await outbox.enqueue(
        session,
        chat_id=application.user_id,
        kind=notice.kind,
        payload=payload,
        application_id=application.id,
        dedupe_key=dedupe_key,
    )


async def notify_staff(
    session: AsyncSession,
    context: AppContext,
    application_id: int | None,
    text: str,
    *,
    kind: str = "staff_notice",
    dedupe_key: str | None = None,
    link: bool = True,
) -> bool:
    """Queue a message to the staff chat (as a reply to the application's card)."""
    chat_id = context.settings.staff_chat_id
    if chat_id is None:
        return False
    payload: dict[str, Any] = {"text": text}
    if link and application_id is not None:
        payload["link"] = True
    return await outbox.enqueue(
        session,
        chat_id=chat_id,
        kind=kind,
        payload=payload,
        application_id=application_id,
        dedupe_key=dedupe_key,
    )


async def notice_staff(
    session: AsyncSession,
    context: AppContext,
    notice: StaffNotice,
    *,
    dedupe_key: str | None = None,
) -> bool:
    """Queue a typed notice for the staff chat (bot.staff_payloads), rendered at delivery in
    the staff language; False without a staff chat or when `dedupe_key` was queued before."""
    chat_id = context.settings.staff_chat_id
    if chat_id is None:
        return False
    return await outbox.enqueue(
        session,
        chat_id=chat_id,
        kind=notice.kind,
        payload={"render": encode_staff(notice), "language": context.settings.default_locale},
        dedupe_key=dedupe_key,
    )


async def refresh_card_later(
    session: AsyncSession, context: AppContext, application_id: int
) -> None:
    """Queue an in-place update of the card (paced like any message to the group)."""
    chat_id = context.settings.staff_chat_id
    if chat_id is None:
        return
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        kind="card_refresh",
        payload={"method": "card"},
        application_id=application_id,
    )


async def enqueue_publish(session: AsyncSession, app: AppContext, application_id: int) -> bool:
    """Queue the card of an application (once: dedupe key) in the caller's transaction."""
    if app.settings.staff_chat_id is None:
        return False
    return await outbox.enqueue(
        session,
        chat_id=app.settings.staff_chat_id,
        kind="card_publish",
        payload={"method": "publish", "link": True},
        application_id=application_id,
        dedupe_key=f"card:{application_id}",
    )


async def publish_card(app: AppContext, application_id: int) -> None:
    """Post the card of a submitted application to the staff chat (through the outbox)."""
    if app.settings.staff_chat_id is None:
        return
    async with app.sessionmaker() as session, session.begin():
        await enqueue_publish(session, app, application_id)
    outbox.wake(app.sessionmaker)
