"""The card of a submitted application in the staff chat (STAFF_CHAT_ID).

First version (apply wizard): the card text and the attachments. The staff
side extends it with buttons and the audit of staff actions.
Nothing here is logged with personal data: only ids and exception types.
"""

from __future__ import annotations

import html
import logging
from decimal import Decimal

from aiogram import Bot
from aiogram.types import ReplyParameters
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.context import AppContext
from bot.db.models import Application, Attachment, RelayLink
from bot.formatting import day, money
from bot.i18n import N_, gettext_in
from bot.services.applications import RELATION_LABELS

log = logging.getLogger(__name__)

STATUS_LABELS = {
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "in_review": N_("in review"),
    "documents_requested": N_("documents requested"),
    "approved": N_("approved"),
    "rejected": N_("refused"),
    "withdrawn": N_("withdrawn"),
}

ATTACHMENT_LABELS = {
    "certificate": N_("School certificate"),
    "guardianship": N_("Guardianship document"),
    "extra": N_("Additional document"),
}


def _month(value: str | None) -> str:
    """'2025-09' → '09.2025'."""
    if not value or len(value) != 7:
        return "—"
    return f"{value[5:7]}.{value[0:4]}"


def card_text(app: AppContext, application: Application, language: str) -> str:
    """The card as HTML; every value escaped."""

    def t(message: str, **params: str) -> str:
        return gettext_in(app.i18n, language, message, **params)

    def v(value: object) -> str:
        return html.escape(str(value)) if value not in (None, "") else "—"

    applicant = " ".join(
        part for part in (application.applicant_surname, application.applicant_name, application.applicant_patronymic) if part
    )
    relation = RELATION_LABELS.get(application.relation or "")
    disability = (
        day(application.disability_until) if application.disability_until else t("indefinite")
    )
    total: Decimal | None = application.estimate_total
    lines = [
        t("📝 Application {number}").format(number=f"<b>{v(application.number)}</b>"),
        t("Status: {status}").format(status=v(t(STATUS_LABELS.get(application.status, application.status)))),
        t("Sent: {date}").format(date=day(application.applied_on)),
        "",
        f"<b>{v(t('Applicant'))}</b>",
        t("Full name: {value}").format(value=v(applicant)),
        t("IIN: {value}").format(value=v(application.applicant_iin)),
        t("Phone: {value}").format(value=v(application.phone)),
        t("Address: {value}").format(value=v(application.address)),
        t("Relation to the child: {value}").format(value=v(t(relation) if relation else None)),
        "",
        f"<b>{v(t('Child'))}</b>",
        t("Full name: {value}").format(value=v(application.child_name)),
        t("IIN: {value}").format(value=v(application.child_iin)),
        t("Date of birth: {value}").format(value=day(application.child_birth) if application.child_birth else "—"),
        t("Disability end date: {value}").format(value=v(disability)),
        t("School: {value}").format(value=v(application.school)),
        t("Certificate: No. {number} of {date}, term {start} – {end}").format(
            number=v(application.certificate_number),
            date=day(application.certificate_date) if application.certificate_date else "—",
            start=_month(application.certificate_start),
            end=_month(application.certificate_end),
        ),
        "",
        t("IBAN: {value}").format(value=v(application.iban)),
        t("Estimated total: {amount}").format(amount=v(money(total, language)) if total is not None else "—"),
        t("Files attached: {count}").format(count=str(len(application.attachments))),
    ]
    return "\n".join(lines)


async def publish_card(bot: Bot, app: AppContext, application_id: int) -> None:
    """Send the card and the attachments to the staff chat; remember the card's message id."""
    chat_id = app.settings.staff_chat_id
    if chat_id is None:
        return
    language = app.settings.default_locale
    async with app.sessionmaker() as session:
        application = await session.scalar(
            select(Application)
            .where(Application.id == application_id)
            .options(selectinload(Application.attachments))
        )
        if application is None:
            return
        card = await bot.send_message(chat_id, card_text(app, application, language))
        application.staff_card_message_id = card.message_id
        session.add(RelayLink(chat_id=chat_id, message_id=card.message_id, application_id=application.id))
        await session.commit()
        attachments: list[Attachment] = list(application.attachments)
        number = application.number

    for index, attachment in enumerate(attachments, start=1):
        label = gettext_in(app.i18n, language, ATTACHMENT_LABELS.get(attachment.kind, ATTACHMENT_LABELS["extra"]))
        caption = f"{html.escape(number)} · {html.escape(label)} ({index}/{len(attachments)})"
        reply = ReplyParameters(message_id=card.message_id, allow_sending_without_reply=True)
        try:
            if attachment.media == "photo":
                sent = await bot.send_photo(chat_id, attachment.file_id, caption=caption, reply_parameters=reply)
            else:
                sent = await bot.send_document(chat_id, attachment.file_id, caption=caption, reply_parameters=reply)
        except Exception as error:  # one lost file must not hide the others
            log.warning(
                "staff card %s: attachment %s not copied (%s)", application_id, attachment.id, type(error).__name__
            )
            continue
        async with app.sessionmaker() as session:
            session.add(RelayLink(chat_id=chat_id, message_id=sent.message_id, application_id=application_id))
            await session.commit()
