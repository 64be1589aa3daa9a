"""What the outbox sender does with the rows that are not plain messages: render a
notification in the user's current language, send or edit a staff card, queue the card's
attachments after it, react to a parent who blocked the bot (403), and flag the card and
tell staff when a row gave up for another reason (`delivery_failed`)."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.catalogues import LANGUAGES
from bot.context import AppContext
from bot.data.cards import load_card
from bot.data.models import Application
from bot.i18n import Tr
from bot.outbox import store as outbox
from bot.outbox.messages import notify_staff, refresh_card_later
from bot.outbox.store import Claimed, Outcome
from bot.views.cards import ATTACHMENT_LABELS, card_keyboard, card_text, staff_language
from bot.views.fmt import fmt
from bot.views.notifications import (
    UNDELIVERED_HEAD,
    UNDELIVERED_LOOSE,
    UNDELIVERED_REASONS,
    UNDELIVERED_TAIL,
    UNREACHABLE,
    render,
    renew_markup,
)

log = logging.getLogger(__name__)


def render_row(context: AppContext, row: Claimed) -> dict[str, Any]:
    """Sender hook: the payload fields of a "render" row, in the user's current language."""
    spec = row.payload["render"]
    fallback = row.payload.get("language")
    language = row.language if row.language in LANGUAGES else fallback
    if language not in LANGUAGES:
        language = context.settings.default_locale
    payload: dict[str, Any] = {
        "text": render(context, spec["kind"], spec.get("params") or {}, str(language))
    }
    markup = renew_markup(
        context, spec["kind"], row.application_id, str(language), spec.get("params") or {}
    )
    if markup is not None:
        payload["reply_markup"] = markup
    return payload


async def parent_unreachable(session: AsyncSession, context: AppContext, row: Claimed) -> None:
    """403 from a parent's chat: mark the application(s) and tell staff on the card."""
    if row.application_id is not None:
        where = Application.id == row.application_id
    else:
        where = Application.user_id == row.chat_id
    await session.execute(
        update(Application)
        .where(where)
        .values(parent_unreachable=True)
        .execution_options(synchronize_session=False)
    )
    if row.application_id is None:
        return
    number = await session.scalar(
        select(Application.number).where(Application.id == row.application_id)
    )
    language = staff_language(context)
    text = fmt(Tr(context.i18n, language)(UNREACHABLE), number=number or "?", kind=row.kind)
    await notify_staff(
        session,
        context,
        row.application_id,
        text,
        kind="parent_unreachable",
        dedupe_key=f"unreachable:{row.id}",
    )
    await refresh_card_later(session, context, row.application_id)
    log.info("application %s: parent unreachable (403)", row.application_id)


async def send_card(
    bot: Bot, app: AppContext, row: Claimed, request_timeout: int | None = None
) -> int | None:
    """Sender hook for a "publish" row: send the card, return its message id."""
    chat_id = app.settings.staff_chat_id
    if chat_id is None or row.application_id is None:
        return None
    async with app.sessionmaker() as session:
        data = await load_card(session, row.application_id)
    if data is None or data.application.staff_card_message_id is not None:
        return None
    sent = await bot.send_message(
        chat_id,
        card_text(app, data),
        reply_markup=card_keyboard(app, data),
        request_timeout=request_timeout,
    )
    return sent.message_id


async def after_publish(
    session: AsyncSession, app: AppContext, row: Claimed, message_id: int
) -> None:
    """In the sender's transaction: remember the card, queue its attachments as replies."""
    application = await session.get(
        Application, row.application_id, options=[selectinload(Application.attachments)]
    )
    if application is None or app.settings.staff_chat_id is None:
        return
    application.staff_card_message_id = message_id
    _ = Tr(app.i18n, staff_language(app))
    files = list(application.attachments)
    for index, attachment in enumerate(files, start=1):
        label = ATTACHMENT_LABELS.get(attachment.kind, ATTACHMENT_LABELS["extra"])
        caption = fmt(
            "{number} · {label} ({index}/{count})",
            number=application.number,
            label=_(label),
            index=index,
            count=len(files),
        )
        await outbox.enqueue(
            session,
            chat_id=app.settings.staff_chat_id,
            kind="card_attachment",
            payload={
                "method": "photo" if attachment.media == "photo" else "document",
                "file_id": attachment.file_id,
                "caption": caption,
                "reply_to": message_id,
                "link": True,
            },
            application_id=application.id,
            dedupe_key=f"card-file:{attachment.id}",
        )


async def refresh_card(
    bot: Bot, app: AppContext, application_id: int, request_timeout: int | None = None
) -> None:
    """Edit the card in place (status, who, when, buttons). 'Not modified' is fine."""
    chat_id = app.settings.staff_chat_id
    if chat_id is None:
        return
    async with app.sessionmaker() as session:
        data = await load_card(session, application_id)
    if data is None or data.application.staff_card_message_id is None:
        return
    try:
        await bot.edit_message_text(
            text=card_text(app, data),
            chat_id=chat_id,
            message_id=data.application.staff_card_message_id,
            reply_markup=card_keyboard(app, data),
            request_timeout=request_timeout,
        )
    except TelegramBadRequest as error:
        if "not modified" not in error.message.lower():
            raise


async def delivery_failed(
    session: AsyncSession, context: AppContext, outcomes: list[Outcome]
) -> None:
    """Rows that gave up for a reason other than 403 (in the sender's transaction):
    flag each card (`Application.undelivered`, shown until /requeue) and tell staff
    once — when the flag is raised, not again for more rows while it stands."""
    outcomes = [
        o
        for o in outcomes
        if o.row.kind != outbox.ALERT_KIND and o.row.payload.get("method") != "card"
    ]
    if not outcomes:
        return
    language = staff_language(context)
    tr = Tr(context.i18n, language)
    first: dict[int, Outcome] = {}
    loose = 0
    for outcome in outcomes:
        if outcome.row.application_id is None:
            loose += 1
        else:
            first.setdefault(outcome.row.application_id, outcome)
    for application_id, outcome in sorted(first.items()):
        count = sum(1 for o in outcomes if o.row.application_id == application_id)
        before = (
            await session.execute(
                update(Application)
                .where(Application.id == application_id)
                .values(undelivered=Application.undelivered + count)
                .returning(Application.undelivered, Application.number)
                .execution_options(synchronize_session=False)
            )
        ).one_or_none()
        if before is None:
            continue
        undelivered, number = before
        if undelivered == count:  # the flag was just raised: tell staff once
            reason = UNDELIVERED_REASONS.get(
                outcome.failure or "", UNDELIVERED_REASONS[outbox.EXPIRED]
            )
            text = "\n".join(
                [
                    fmt(tr(UNDELIVERED_HEAD), number=number, kind=outcome.row.kind),
                    fmt(
                        tr(reason),
                        hours=f"{context.settings.outbox_retry_window / 3600:g}",
                        error=outcome.error or "",
                    ),
                    fmt(tr(UNDELIVERED_TAIL), number=number),
                ]
            )
            await notify_staff(session, context, application_id, text, kind=outbox.ALERT_KIND)
        await refresh_card_later(session, context, application_id)
        log.warning("application %s: %d message(s) gave up", application_id, count)
    if loose:
        text = tr(UNDELIVERED_LOOSE)
        await notify_staff(  # once until the next /requeue all frees the key
            session,
            context,
            None,
            text,
            kind=outbox.ALERT_KIND,
            dedupe_key=outbox.LOOSE_ALERT_KEY,
            link=False,
        )
        log.warning("%d message(s) without an application gave up", loose)
