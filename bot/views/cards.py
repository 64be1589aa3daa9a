"""The card of an application in the staff chat (STAFF_CHAT_ID).

One message per application: number, applicant and child, the eligibility
check and the estimate of core on the application's data, the payment schedule
after approval, the current status with who changed it and when, and inline
buttons for the actions the core status machine allows in that status. The card
is edited in place after each action. The attachments follow it as replies.

Publishing goes through the outbox (bot.outbox.messages.enqueue_publish, sent by
bot.outbox.hooks.send_card): the card is sent exactly once, paced with everything else sent to the group,
and survives a restart. The staff chat is shared, so its texts are in the
default locale (Settings.default_locale). Nothing here logs personal data.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Tr
from bot.textfit import MESSAGE_LIMIT, fits, shorten, split_lines
from bot.views import status as status_view
from bot.views.context import ViewContext
from bot.views.eligibility import CLARIFY_TEXTS, REASON_TEXTS, paragraph
from bot.views.fmt import Html, b, fmt, link
from bot.views.formatting import day, moment, money
from bot.views.status import (
    GROUND_TEXTS,
    STATUS_TEXTS,
    STOP_REASON_TEXTS,
    PaymentQuarter,
    StopEvent,
    status_text,
)
from bot.views.term import term_lines
from bot.views.ui import RELATION_LABELS
from core.eligibility import Screening, Verdict
from core.months import Month
from core.schedule import Estimate
from core.status import (
    Action,
    Actor,
    QuarterStatus,
    Status,
    allowed_actions,
    permits,
    takes_official_request,
)

log = logging.getLogger(__name__)


# The shapes the card reads. The view owns them and imports no database: the data
# layer's rows and bot.data.cards.CardData fit them structurally.
class Application(status_view.Application, Protocol):
    """What the card reads of the application: what /status reads, and the rest."""

    @property
    def language(self) -> str: ...
    @property
    def applicant_surname(self) -> str | None: ...
    @property
    def applicant_name(self) -> str | None: ...
    @property
    def applicant_patronymic(self) -> str | None: ...
    @property
    def applicant_iin(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def address(self) -> str | None: ...
    @property
    def relation(self) -> str | None: ...
    @property
    def child_iin(self) -> str | None: ...
    @property
    def school(self) -> str | None: ...
    @property
    def certificate_number(self) -> str | None: ...
    @property
    def certificate_date(self) -> dt.date | None: ...
    @property
    def iban(self) -> str | None: ...
    @property
    def parent_unreachable(self) -> bool: ...
    @property
    def undelivered(self) -> int: ...
    @property
    def personal_data_erased_at(self) -> dt.datetime | None: ...
    @property
    def attachments(self) -> Sequence[object]: ...


class AuditEntry(status_view.AuditEntry, Protocol):
    """One entry of the application's history, as /status reads it, plus who did what."""

    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_name(self) -> str | None: ...
    @property
    def action(self) -> str: ...


class Overpayment(Protocol):
    """A recorded overpayment (p.9)."""

    @property
    def amount(self) -> Decimal: ...
    @property
    def reason(self) -> str: ...


class OtherApplication(Protocol):
    """Another application a warning names: number, status, its card message."""

    @property
    def number(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def card_message_id(self) -> int | None: ...


class ClaimWarnings(Protocol):
    """What the card warns about (issue 10 item 1): other applications with the same
    child, applicant IIN or IBAN."""

    @property
    def same_child(self) -> Sequence[OtherApplication]: ...
    @property
    def same_applicant_iin(self) -> Sequence[OtherApplication]: ...
    @property
    def same_iban(self) -> Sequence[OtherApplication]: ...


class CardData(Protocol):
    """Everything the card shows, loaded once by the data layer."""

    @property
    def application(self) -> Application: ...
    @property
    def quarters(self) -> Sequence[PaymentQuarter]: ...
    @property
    def audit(self) -> Sequence[AuditEntry]: ...
    @property
    def overpayments(self) -> Sequence[Overpayment]: ...
    @property
    def stops(self) -> Sequence[StopEvent]: ...
    @property
    def warnings(self) -> ClaimWarnings: ...
    @property
    def screening(self) -> Screening: ...
    @property
    def schedule(self) -> Estimate | None: ...
    @property
    def refusal(self) -> AuditEntry | None: ...


class CardAction(CallbackData, prefix="stf"):
    """A button on a card: `action` is a short code, `app` the application id."""

    action: str
    app: int


# Button of an action of the core status machine → (code, label).
ACTION_BUTTONS: dict[Action, tuple[str, str]] = {
    Action.TAKE: ("take", N_("🔎 Take")),
    Action.REQUEST_DOCUMENTS: ("docs", N_("📎 Request documents")),
    Action.PROVIDE_DOCUMENTS: ("provided", N_("📥 Documents received")),
    Action.APPROVE: ("approve", N_("✅ Approve")),
    Action.REJECT: ("reject", N_("⛔ Refuse")),
}
PAY = ("pay", N_("💰 Mark quarter paid"))
UNPAY = ("unpay", N_("↩️ Correct a payment mark"))
OVERPAY = ("overpay", N_("⚠️ Record overpayment"))
STOP = ("stop", N_("⏹ Termination event"))
OFFICIAL = ("official", N_("🏛 Official request No."))
HISTORY = ("history", N_("📜 History"))
LEAVE_REFUSAL = ("leave", N_("↩️ Leave the refusal"))

ATTACHMENT_LABELS = {
    "certificate": N_("School certificate"),
    "guardianship": N_("Guardianship document"),
    "extra": N_("Additional document"),
}

VERDICT_TEXTS = {
    Verdict.ELIGIBLE: N_("✅ eligible"),
    Verdict.NOT_ELIGIBLE: N_("⛔ not eligible"),
    Verdict.NEEDS_CHECK: N_("❓ needs a check"),
}

ACTION_TEXTS = {
    "submit": N_("submitted"),
    "take": N_("taken into review"),
    "request_documents": N_("documents requested"),
    "provide_documents": N_("documents received"),
    "approve": N_("approved"),
    "reject": N_("refused"),
    "withdraw": N_("withdrawn"),
    "quarter_paid": N_("quarter paid"),
    "quarter_corrected": N_("payment mark corrected"),
    "refusal_started": N_("refusal started, waiting for the comment"),
    "refusal_left": N_("refusal left"),
    "overpayment": N_("overpayment recorded"),
    "terminate": N_("termination event"),
    "message": N_("message to the applicant"),
    "official_request": N_("official request number recorded"),
    "answer": N_("answer of the applicant"),
    "consent_withdrawn": N_("consent withdrawn by the applicant"),
    "erasure_requested": N_("the applicant asked to delete the personal data"),
    "personal_data_erased": N_("personal data erased at the applicant's request"),
}


def staff_language(app: ViewContext) -> str:
    return app.settings.default_locale


# ----------------------------------------------------------------------- texts


def _month(value: str | None) -> str:
    try:
        return Month.parse_iso(value or "").display()
    except ValueError:
        return "—"


def _v(value: object) -> object:
    """A value for `fmt` (escaped there), "—" when there is none."""
    return value if value not in (None, "") else "—"


def _quarter_title(_: Tr, school_year: str, quarter: int, months: Sequence[Any]) -> Html:
    return fmt(
        _("Q{quarter} {school_year} ({months})"),
        quarter=quarter,
        school_year=school_year,
        months=", ".join(_month(str(m)) for m in months),
    )


def _privacy_lines(_: Tr, a: Application, audit: Sequence[AuditEntry]) -> list[str]:
    """What the applicant asked about their personal data (bot/usecases/privacy.py decides):
    a withdrawn application erased, or one kept for the Department's legal retention."""
    if a.personal_data_erased_at is not None:
        return [
            _(
                "🔒 Personal data and documents erased at the applicant's request on {date}; "
                "the number and the history stay.",
                date=moment(a.personal_data_erased_at),
            )
        ]
    asked = next(
        (e for e in reversed(audit) if e.action in ("erasure_requested", "consent_withdrawn")),
        None,
    )
    if asked is None:
        return []
    if asked.action == "erasure_requested":
        text = _(
            "🔒 On {date} the applicant asked to delete the personal data and withdrew the consent: "
            "the application is kept as the law requires.",
            date=moment(asked.created_at),
        )
    else:
        text = _(
            "🔒 On {date} the applicant withdrew the consent: the application is kept as the law "
            "requires.",
            date=moment(asked.created_at),
        )
    if permits(a.status, Action.REJECT, Actor.STAFF):
        text += " " + _("Refusal ground {paragraph} applies.", paragraph=paragraph(_, "p.8(4)"))
    return ["<b>" + text + "</b>"]


def card_link(chat_id: int | None, other: OtherApplication) -> Html:
    """The other application's number, linked to its card message when the staff chat is
    a supergroup (t.me/c/… links exist only there) and the card was posted."""
    text = str(chat_id) if chat_id is not None else ""
    if not text.startswith("-100") or other.card_message_id is None:
        return b(other.number)
    return link(f"https://t.me/c/{text[4:]}/{other.card_message_id}", other.number)


def _warning_lines(_: Tr, chat_id: int | None, warnings: ClaimWarnings) -> list[str]:
    """One block: other applications for the same child (p.3, p.7), the same applicant
    IIN or IBAN from another Telegram account. Staff decide; nothing was blocked."""
    if not (warnings.same_child or warnings.same_applicant_iin or warnings.same_iban):
        return []

    def listed(others: Sequence[OtherApplication]) -> str:
        return ", ".join(f"{card_link(chat_id, o)} ({status_text(_, o.status)})" for o in others)

    lines = ["", "<b>" + _("⚠️ Check before deciding") + "</b>"]
    if warnings.same_child:
        lines.append(
            "• "
            + _(
                "Another application for this child with an overlapping period ({p3}, {p7}: "
                "paid to one representative, per child): {applications}",
                p3=paragraph(_, "p.3"),
                p7=paragraph(_, "p.7"),
                applications=listed(warnings.same_child),
            )
        )
    if warnings.same_applicant_iin:
        lines.append(
            "• "
            + _(
                "The same applicant IIN was sent from another Telegram account: {applications}",
                applications=listed(warnings.same_applicant_iin),
            )
        )
    if warnings.same_iban:
        lines.append(
            "• "
            + _(
                "The same IBAN was sent from another Telegram account: {applications}",
                applications=listed(warnings.same_iban),
            )
        )
    return lines


# The card always fits one message: lists show their newest items (the rest is in
# History), free texts on the card are shortened.
CARD_LIMIT = MESSAGE_LIMIT - 96
ITEMS_SHOWN = 3
REASON_SHOWN = 150


def card_text(app: ViewContext, data: CardData, language: str | None = None) -> str:
    """The card as HTML; every value escaped."""
    language = language or staff_language(app)
    _ = Tr(app.i18n, language)
    a = data.application
    applicant = " ".join(
        p for p in (a.applicant_surname, a.applicant_name, a.applicant_patronymic) if p
    )
    relation = RELATION_LABELS.get(a.relation or "")
    status = STATUS_TEXTS.get(a.status)
    lines: list[str] = [
        fmt(_("📝 Application {number}"), number=b(_v(a.number))),
        fmt(_("Status: {status}"), status=b(_(status) if status else _v(a.status))),
    ]
    lines += term_lines(_, a.status, a.applied_on, app.clock.today())
    last = next((e for e in reversed(data.audit) if e.actor in ("staff", "system")), None)
    if last is not None:
        action = ACTION_TEXTS.get(last.action)
        lines.append(
            fmt(
                _("Last action: {action} — {who}, {when}"),
                action=_(action) if action else _v(last.action),
                who=_v(last.actor_name or (last.actor_id if last.actor_id else _("system"))),
                when=moment(last.created_at),
            )
        )
    if a.status == Status.REJECTED and a.refusal_ground:
        words = GROUND_TEXTS.get(a.refusal_ground)
        lines.append(
            _(
                "Ground: {paragraph} — {explanation}",
                paragraph=paragraph(_, f"p.8({a.refusal_ground})"),
                explanation=_(words) if words else str(a.refusal_ground),
            )
        )
    waiting = data.refusal
    if waiting is not None:
        lines.append(
            "<b>"
            + fmt(
                _("⏳ Refusal on ground {paragraph} — waiting for the comment from {who}."),
                paragraph=paragraph(_, f"p.8({waiting.ground})"),
                who=_v(waiting.actor_name or waiting.actor_id),
            )
            + "</b>"
        )
    if a.parent_unreachable:
        lines.append(
            "<b>" + _("⚠️ The applicant has blocked the bot: contact them by phone.") + "</b>"
        )
    if a.undelivered:
        lines.append(
            "<b>"
            + _(
                "⚠️ Messages not delivered: {count}. To send them again: /requeue {number}",
                count=a.undelivered,
                number=_v(a.number),
            )
            + "</b>"
        )
    lines += _privacy_lines(_, a, data.audit)
    lines += _warning_lines(_, app.settings.staff_chat_id, data.warnings)
    lines.append(
        fmt(_("Official request (p.6): {value}"), value=b(_v(a.official_request)))
        if a.official_request
        else _("Official request (p.6): not given yet")
    )
    lines += [
        fmt(
            _("Sent: {date} · language: {language}"),
            date=day(a.applied_on),
            language=_v(a.language),
        ),
        "",
        "<b>" + _("Applicant") + "</b>",
        fmt(_("Full name: {value}"), value=_v(applicant)),
        fmt(_("IIN: {value}"), value=_v(a.applicant_iin)),
        fmt(_("Phone: {value}"), value=_v(a.phone)),
        fmt(_("Address: {value}"), value=_v(a.address)),
        fmt(_("Relation to the child: {value}"), value=_v(_(relation) if relation else a.relation)),
        "",
        "<b>" + _("Child") + "</b>",
        fmt(_("Full name: {value}"), value=_v(a.child_name)),
        fmt(_("IIN: {value}"), value=_v(a.child_iin)),
        _("Date of birth: {value}", value=day(a.child_birth) if a.child_birth else "—"),
        _(
            "Disability until: {value}",
            value=day(a.disability_until) if a.disability_until else _("indefinite"),
        ),
        fmt(_("School: {value}"), value=_v(a.school)),
        fmt(
            _("Certificate: No. {number} of {date}, term {start} – {end}"),
            number=_v(a.certificate_number),
            date=day(a.certificate_date) if a.certificate_date else "—",
            start=_month(a.certificate_start),
            end=_month(a.certificate_end),
        ),
        fmt(_("IBAN: {value}"), value=_v(a.iban)),
        "",
    ]
    screening = data.screening
    verdict = VERDICT_TEXTS.get(screening.result)
    lines.append(
        _(
            "Eligibility check on the application's data: {verdict}",
            verdict=_(verdict) if verdict else "",
        )
    )
    for reason in screening.reasons:
        if reason.code.startswith("unknown_"):
            text = CLARIFY_TEXTS.get(reason.code.removeprefix("unknown_"))
            prefix = _("to check:")
        else:
            text = REASON_TEXTS.get(reason.code, (None, None))[0]
            prefix = "⛔"
        lines.append(
            fmt(
                "  • {prefix} {text} ({paragraph})",
                prefix=prefix,
                text=_(text) if text else _v(reason.code),
                paragraph=paragraph(_, reason.paragraph),
            )
        )
    if data.quarters:
        lines += ["", "<b>" + _("Payment schedule:") + "</b>"]
        for q in data.quarters:
            if q.status == QuarterStatus.PAID:
                state = _("paid {date}", date=moment(q.paid_at)[:10] if q.paid_at else "")
            elif q.status == QuarterStatus.CANCELLED:
                state = _("cancelled")
            else:
                state = _("planned")
            lines.append(
                f"• {_quarter_title(_, q.school_year, q.quarter, q.months)}: "
                f"{money(Decimal(q.amount), language)} — {state}"
            )
        total = sum(
            (Decimal(q.amount) for q in data.quarters if q.status != QuarterStatus.CANCELLED),
            Decimal("0"),
        )
        paid = sum(
            (Decimal(q.amount) for q in data.quarters if q.status == QuarterStatus.PAID),
            Decimal("0"),
        )
        lines.append(
            _(
                "Total: {total}; paid: {paid}",
                total=money(total, language),
                paid=money(paid, language),
            )
        )
    else:
        result = data.schedule
        if result is not None:
            lines += ["", "<b>" + _("Estimate (core, p.4, p.5, p.7):") + "</b>"]
            for estimated in result.quarters:
                lines.append(
                    f"• {_quarter_title(_, estimated.school_year, estimated.quarter, [str(m) for m in estimated.months])}: "
                    f"{money(estimated.amount, language)}"
                )
            lines.append(_("Total: {amount}", amount=money(result.total, language)))
            for note in result.notes:
                if note.code == "mrp_not_known":
                    lines.append(
                        fmt(
                            _("Estimate: the MRP for {year} is not yet known."),
                            year=_v(note.params.get("year")),
                        )
                    )
    if len(data.stops) > ITEMS_SHOWN:
        lines.append(
            _(
                "⏹ … {count} earlier termination events — see 📜 History",
                count=len(data.stops) - ITEMS_SHOWN,
            )
        )
    for event in data.stops[-ITEMS_SHOWN:]:
        stop_text = STOP_REASON_TEXTS.get(event.reason)
        lines.append(
            fmt(
                _("⏹ Termination ({paragraph}): {reason}, {date}"),
                paragraph=paragraph(_, "p.5"),
                reason=_(stop_text) if stop_text else _v(event.reason),
                date=day(event.on),
            )
        )
    if len(data.overpayments) > ITEMS_SHOWN:
        lines.append(
            _(
                "⚠️ … {count} earlier overpayments; overpaid in all: {amount} — see 📜 History",
                count=len(data.overpayments) - ITEMS_SHOWN,
                amount=money(
                    sum((Decimal(o.amount) for o in data.overpayments), Decimal(0)), language
                ),
            )
        )
    for item in data.overpayments[-ITEMS_SHOWN:]:
        lines.append(
            fmt(
                _("⚠️ Overpayment ({paragraph}): {amount} — {reason}"),
                paragraph=paragraph(_, "p.9"),
                amount=money(Decimal(item.amount), language),
                reason=_v(shorten(item.reason or "", REASON_SHOWN)),
            )
        )
    lines += ["", _("Files attached: {count}", count=len(a.attachments))]
    return _fitted(_, lines)


def _fitted(_: Tr, lines: list[str]) -> str:
    """The card's lines as one text that fits a message: never cut HTML — first the
    schedule's lines go, then lines from the end, each time with a pointer to History."""
    if fits(lines, CARD_LIMIT):
        return "\n".join(lines)
    pointer = _("✂️ The card is too long to show everything: see 📜 History.")
    kept = [line for line in lines if not line.startswith("• ")] + [pointer]
    while not fits(kept, CARD_LIMIT) and len(kept) > 3:
        kept.pop(-2)
    return "\n".join(kept)


def card_keyboard(
    app: ViewContext, data: CardData, language: str | None = None
) -> InlineKeyboardMarkup:
    """Buttons for the actions allowed in the current status (core.status)."""
    _ = Tr(app.i18n, language or staff_language(app))
    a = data.application
    buttons: list[tuple[str, str]] = []
    try:
        status = Status(a.status)
    except ValueError:
        status = None
    waiting = data.refusal is not None
    if status is not None:
        for action in allowed_actions(status, Actor.STAFF):
            if action is Action.REJECT and waiting:
                buttons.append(LEAVE_REFUSAL)
            elif action in ACTION_BUTTONS:
                buttons.append(ACTION_BUTTONS[action])
    if a.status == Status.APPROVED.value:
        if any(q.status == QuarterStatus.PLANNED for q in data.quarters):
            buttons.append(PAY)
        if any(q.status == QuarterStatus.PAID for q in data.quarters):
            buttons.append(UNPAY)
        buttons.append(OVERPAY)
        buttons.append(STOP)
    if takes_official_request(a.status):
        buttons.append(OFFICIAL)
    buttons.append(HISTORY)
    rows: list[list[InlineKeyboardButton]] = []
    for code, label in buttons:
        button = InlineKeyboardButton(
            text=_(label), callback_data=CardAction(action=code, app=a.id).pack()
        )
        if rows and len(rows[-1]) < 2:
            rows[-1].append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(inline_keyboard=rows)


HISTORY_MESSAGES = 5  # at most this many messages per press of History
COMMENT_SHOWN = 300


def history_texts(app: ViewContext, data: CardData, language: str | None = None) -> list[str]:
    """The audit log of an application (staff view), oldest first, as messages that each
    fit; a log longer than HISTORY_MESSAGES messages starts with its newest entries and
    says how many earlier ones /export holds."""
    _ = Tr(app.i18n, language or staff_language(app))
    header = fmt(_("📜 History of application {number}:"), number=_v(data.application.number))
    entries: list[str] = []
    for entry in data.audit:
        action = ACTION_TEXTS.get(entry.action)
        who = entry.actor_name or (str(entry.actor_id) if entry.actor_id else entry.actor)
        if entry.actor == "parent":
            who = _("applicant")
        elif entry.actor == "system":
            who = _("system")
        line: str = fmt(
            "• {when} — {action} — {who}",
            when=moment(entry.created_at),
            action=_(action) if action else _v(entry.action),
            who=_v(who),
        )
        if entry.old_status != entry.new_status and entry.new_status:
            old = STATUS_TEXTS.get(entry.old_status or "")
            new = STATUS_TEXTS.get(entry.new_status)
            line += fmt(
                " ({old} → {new})",
                old=_(old) if old else "—",
                new=_(new) if new else _v(entry.new_status),
            )
        if entry.ground:
            line += " " + paragraph(_, f"p.8({entry.ground})")
        if entry.comment:
            line += fmt("\n  {comment}", comment=_v(shorten(entry.comment, COMMENT_SHOWN)))
        entries.append(line)
    skipped = 0
    while True:
        lines: list[str] = [header]
        if skipped:
            lines.append(
                _("… {count} earlier entries: /export gives the whole log.", count=skipped)
            )
        texts = split_lines(lines + entries[skipped:], CARD_LIMIT)
        if len(texts) <= HISTORY_MESSAGES or skipped >= len(entries):
            return texts
        rest = len(entries) - skipped
        skipped += max(1, rest * (len(texts) - HISTORY_MESSAGES) // len(texts))
