"""An application as the parent sees it: status, history, payment schedule.

`render_application()` works outside a handler (explicit language through `Tr`),
so notifications and staff views can reuse it. `split_blocks()` packs HTML
blocks into Telegram messages (≤ 4096 characters) without cutting a line, a
tag or an HTML entity.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from bot.i18n import N_, Tr
from bot.views import estimates, official
from bot.views.eligibility import paragraph
from bot.views.fmt import b, fmt, plain
from bot.views.formatting import day, moment, money
from core.months import Month
from core.schedule import Stop, StopReason
from core.status import Action, Actor, QuarterStatus, Status, permits


# The shapes this view reads. It owns them and imports no database: the data layer's
# rows (bot.data.models, bot.data.status.ApplicationView) fit them structurally.
class Application(Protocol):
    """What /status reads of one application."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def applied_on(self) -> dt.date: ...
    @property
    def child_name(self) -> str | None: ...
    @property
    def child_birth(self) -> dt.date | None: ...
    @property
    def disability_until(self) -> dt.date | None: ...
    @property
    def certificate_start(self) -> str | None: ...
    @property
    def certificate_end(self) -> str | None: ...
    @property
    def refusal_ground(self) -> int | None: ...
    @property
    def official_request(self) -> str | None: ...


class AuditEntry(Protocol):
    """One history entry of an application."""

    @property
    def actor(self) -> str: ...
    @property
    def old_status(self) -> str | None: ...
    @property
    def new_status(self) -> str | None: ...
    @property
    def ground(self) -> int | None: ...
    @property
    def comment(self) -> str | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


class PaymentQuarter(Protocol):
    """One quarter of the payment schedule."""

    @property
    def school_year(self) -> str: ...
    @property
    def quarter(self) -> int: ...
    @property
    def months(self) -> list[Any]: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def status(self) -> str: ...
    @property
    def paid_at(self) -> dt.datetime | None: ...


class StopEvent(Protocol):
    """A p.5 event that stops payment."""

    @property
    def reason(self) -> str: ...
    @property
    def on(self) -> dt.date: ...


class ApplicationView(Protocol):
    """What /status needs of one application (the data layer loads it once)."""

    @property
    def application(self) -> Application: ...
    @property
    def audit(self) -> Sequence[AuditEntry]: ...
    @property
    def quarters(self) -> Sequence[PaymentQuarter]: ...
    @property
    def stops(self) -> Sequence[StopEvent]: ...


MESSAGE_LIMIT = 4096

# Sent and not closed, or approved: the estimate still means something.
ACTIVE = (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED, Status.APPROVED)

STATUS_TEXTS: Mapping[str, str] = {
    Status.DRAFT: N_("draft (not sent)"),
    Status.SUBMITTED: N_("submitted"),
    Status.IN_REVIEW: N_("in review"),
    Status.DOCUMENTS_REQUESTED: N_("documents requested"),
    Status.APPROVED: N_("approved"),
    Status.REJECTED: N_("refused"),
    Status.WITHDRAWN: N_("withdrawn"),
}

STATUS_ICONS: Mapping[str, str] = {
    Status.DRAFT: "📝",
    Status.SUBMITTED: "📨",
    Status.IN_REVIEW: "🔎",
    Status.DOCUMENTS_REQUESTED: "📎",
    Status.APPROVED: "✅",
    Status.REJECTED: "⛔",
    Status.WITHDRAWN: "↩️",
}

GROUND_TEXTS: Mapping[int, str] = {
    1: N_("the documents or the data are unreliable"),
    2: N_("the applicant or the submitted materials do not meet the requirements"),
    3: N_(
        "a negative answer to an approval request, or a negative conclusion of an examination or inspection"
    ),
    4: N_(
        "no consent to the collection and processing of personal data (Art. 8 of the Law “On personal data and their protection”)"
    ),
}

# Short names of the p.8 grounds for the staff's buttons (the full wording is in the
# message above the buttons; a button never shows a sentence cut in the middle).
GROUND_LABELS: Mapping[int, str] = {
    1: N_("Unreliable documents or data"),
    2: N_("Requirements not met"),
    3: N_("Negative answer or conclusion"),
    4: N_("No consent (Art. 8 of the Law)"),
}

QUARTER_STATUS_TEXTS: Mapping[str, str] = {
    QuarterStatus.PLANNED: N_("planned"),
    QuarterStatus.PAID: N_("paid"),
    QuarterStatus.CANCELLED: N_("cancelled"),
}

STOP_REASON_TEXTS: Mapping[str, str] = {
    "age_18": N_("the child turned 18"),
    "disability_end": N_("the disability term ended"),
    "state_institution": N_("study in a state institution"),
    "death": N_("death of the child"),
    "certificate_end": N_("the certificate's term ended"),
}


def status_text(tr: Tr, status: str | None) -> str:
    if status is None:
        return "—"
    message = STATUS_TEXTS.get(status)
    return tr(message) if message else plain(status)


def ground_text(tr: Tr, ground: int) -> str:
    _ = tr
    message = GROUND_TEXTS.get(ground)
    explanation = tr(message) if message else str(ground)
    return _(
        "Ground: {paragraph} — {explanation}",
        paragraph=paragraph(tr, f"p.8({ground})"),
        explanation=explanation,
    )


def history_line(tr: Tr, entry: AuditEntry) -> str | None:
    """One line of the history, or None for internal entries without a status change."""
    _ = tr
    if entry.new_status is None or entry.new_status == entry.old_status:
        return None
    when = moment(entry.created_at)
    if entry.old_status:
        change = f"{status_text(tr, entry.old_status)} → {status_text(tr, entry.new_status)}"
    else:
        change = status_text(tr, entry.new_status)
    lines = [f"• {when} — {change}"]
    if entry.ground:
        lines.append("  " + ground_text(tr, entry.ground))
    if entry.comment and entry.actor == "staff":
        lines.append("  " + fmt(_("Comment: {comment}"), comment=entry.comment))
    return "\n".join(lines)


def quarter_line(tr: Tr, row: PaymentQuarter) -> str:
    _ = tr
    months: list[str] = []
    for value in row.months or []:
        try:
            months.append(Month.parse_iso(str(value)).display())
        except ValueError:
            months.append(plain(value))
    title = fmt(
        _("School year {school_year}, quarter {quarter}"),
        school_year=row.school_year,
        quarter=row.quarter,
    )
    status = QUARTER_STATUS_TEXTS.get(row.status)
    state = tr(status) if status else plain(row.status)
    if row.status == QuarterStatus.PAID and row.paid_at is not None:
        state = _("paid on {date}", date=moment(row.paid_at)[:10])
    return f"• {title}: {', '.join(months)} — {money(Decimal(row.amount), tr.locale)} — {state}"


def _estimate_block(tr: Tr, view: ApplicationView, today: dt.date) -> list[str]:
    _ = tr
    app = view.application
    if app.status not in ACTIVE:
        return []
    if app.child_birth is None or not app.certificate_end:
        return []
    answers = {
        estimates.APPLIED: str(Month.of(app.applied_on)),
        estimates.CERT_END: app.certificate_end,
        estimates.BIRTH: app.child_birth.isoformat(),
    }
    if app.certificate_start:
        answers[estimates.CERT_START] = app.certificate_start
    if app.disability_until is not None:
        answers[estimates.DISABILITY_UNTIL] = app.disability_until.isoformat()
    stops = []
    for event in view.stops:
        try:
            stops.append(Stop(StopReason(event.reason), event.on))
        except ValueError:
            continue
    try:
        request = estimates.build_request(answers, app.applied_on, stops)
    except ValueError:
        return []
    result = estimates.compute(request)
    if result is None:
        return []
    if app.status == Status.APPROVED:
        header = (
            "<b>"
            + _("Estimated payments (the Department has not entered the schedule yet):")
            + "</b>"
        )
    else:
        header = "<b>" + _("Estimated payments (the schedule is set after approval):") + "</b>"
    return [header, *estimates.schedule_blocks(tr, result, request)]


def render_application(tr: Tr, view: ApplicationView, today: dt.date) -> list[str]:
    """Blocks of HTML for one application: header, history, schedule (or the estimate)."""
    _ = tr
    app = view.application
    icon = STATUS_ICONS.get(app.status, "•")
    header = [
        fmt(
            "{icon} {title}", icon=icon, title=b(fmt(_("Application {number}"), number=app.number))
        ),
        fmt(_("Status: {status}"), status=b(status_text(tr, app.status))),
        _("Applied on: {date}", date=day(app.applied_on)),
    ]
    if app.child_name:
        header.append(fmt(_("Child: {name}"), name=app.child_name))
    ground_in_history = any(entry.ground for entry in view.audit)
    if app.status == Status.REJECTED and app.refusal_ground and not ground_in_history:
        header.append(ground_text(tr, app.refusal_ground))
    if app.status == Status.REJECTED:
        header.append(
            _(
                "You can appeal ({paragraph}): a complaint to the head of the Department or to the authorised "
                "body for the quality of state services (p.14 of the Rules No. 84), or to court.",
                paragraph=paragraph(tr, "p.10"),
            )
        )
    if app.status == Status.DOCUMENTS_REQUESTED:
        header.append(_("The Department asks for documents: see the comment in the history below."))
    if app.official_request:
        header.append(official.recorded_line(tr, app.official_request))
    blocks = ["\n".join(header)]
    if needs_official_request(app):
        blocks.append(official.how_to_file(tr))

    history = [line for line in (history_line(tr, entry) for entry in view.audit) if line]
    if history:
        blocks.append("<b>" + _("History:") + "</b>\n" + "\n".join(history))

    if view.quarters:
        lines = [quarter_line(tr, row) for row in view.quarters]
        planned = sum(
            (Decimal(r.amount) for r in view.quarters if r.status != QuarterStatus.CANCELLED),
            Decimal("0"),
        )
        lines.append(_("Total: {amount}", amount=money(planned, tr.locale)))
        for event in view.stops:
            reason = STOP_REASON_TEXTS.get(event.reason)
            if reason:
                lines.append(
                    _(
                        "Payment stops from the month after {date}: {reason} ({paragraph}).",
                        date=day(event.on),
                        reason=tr(reason),
                        paragraph=paragraph(tr, "p.5"),
                    )
                )
        blocks.append("<b>" + _("Payment schedule:") + "</b>\n" + "\n".join(lines))
    else:
        blocks.extend(_estimate_block(tr, view, today))
    return blocks


def needs_official_request(app: Application) -> bool:
    """An application awaiting the decision (sent, in review, documents asked) with no
    official request number yet: /status explains how to file officially (p.6) and offers
    the button."""
    return not app.official_request and app.status in (
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.DOCUMENTS_REQUESTED,
    )


def render_status(tr: Tr, views: Sequence[ApplicationView], today: dt.date) -> list[str]:
    """The whole /status answer as messages (already split)."""
    return [page.text for page in status_pages(tr, views, today)]


@dataclass(frozen=True)
class StatusPage:
    """One message of the /status answer and the applications it shows the end of
    that the parent may still withdraw (their buttons go on this message)."""

    text: str
    withdrawable: tuple[Application, ...] = ()
    # open applications without an official request number (their «I have filed» buttons)
    unfiled: tuple[Application, ...] = ()


def status_pages(tr: Tr, views: Sequence[ApplicationView], today: dt.date) -> list[StatusPage]:
    """The /status answer as messages, each with its withdrawable applications."""
    _ = tr
    if not views:
        return [
            StatusPage(
                _(
                    "You have no applications yet.\n/apply — fill in an application\n"
                    "/check — check first whether you are entitled"
                )
            )
        ]
    groups = [[_("Your applications: {count}", count=len(views))]]
    for view in views:
        groups.append(render_application(tr, view, today))
    pages = []
    for text, owners in split_groups_owned(groups):
        # group 0 is the count line; group i is views[i - 1]
        found = tuple(
            views[i - 1].application
            for i in owners
            if i > 0 and permits(views[i - 1].application.status, Action.WITHDRAW, Actor.PARENT)
        )
        unfiled = tuple(
            views[i - 1].application
            for i in owners
            if i > 0 and needs_official_request(views[i - 1].application)
        )
        pages.append(StatusPage(text, found, unfiled))
    return pages


# ---------------------------------------------------------------- splitting

_ENTITY = re.compile(r"&[#a-zA-Z0-9]{1,10};")
_TAG = re.compile(r"<[^<>]{0,200}>")


def text_length(text: str) -> int:
    """Telegram counts UTF-16 code units; the HTML markup is counted too (safe side)."""
    return len(text.encode("utf-16-le")) // 2


def _forbidden(line: str) -> set[int]:
    """Cut positions inside an HTML entity or tag (a cut there breaks the markup)."""
    inside: set[int] = set()
    for pattern in (_ENTITY, _TAG):
        for match in pattern.finditer(line):
            inside.update(range(match.start() + 1, match.end()))
    return inside


def _split_line(line: str, limit: int) -> list[str]:
    """One over-long line: cut at the last space that fits, else at the limit, never
    inside an entity or a tag."""
    forbidden = _forbidden(line)
    pieces: list[str] = []
    start = 0
    while start < len(line):
        size, end = 0, start
        while end < len(line):
            width = 2 if ord(line[end]) > 0xFFFF else 1
            if size + width > limit:
                break
            size += width
            end += 1
        if end >= len(line):
            pieces.append(line[start:])
            break
        space = line.rfind(" ", start, end)
        cut = space if space > start + limit // 2 else end
        while cut - 1 > start and cut in forbidden:
            cut -= 1
        pieces.append(line[start:cut].rstrip())
        start = cut
        while start < len(line) and line[start] == " ":
            start += 1
    return [piece for piece in pieces if piece]


def _pack(lines: Iterable[str], limit: int) -> list[str]:
    """Lines into messages of at most `limit`, a line cut only if it alone is too long."""
    messages: list[str] = []
    current = ""
    for line in lines:
        parts = _split_line(line, limit) if text_length(line) > limit else [line]
        for part in parts:
            candidate = f"{current}\n{part}" if current else part
            if text_length(candidate) <= limit:
                current = candidate
            else:
                if current:
                    messages.append(current)
                current = part
    if current:
        messages.append(current)
    return messages


def split_blocks(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Blocks joined by blank lines into as few messages as fit; a block is split
    only if it alone is too long (at line ends, then at spaces)."""
    return split_groups([[block] for block in blocks], limit)


def split_groups(groups: Sequence[Sequence[str]], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Groups of blocks (e.g. one application each) into messages: a group that does
    not fit after the current text starts a new message; a group longer than a
    message is split between its blocks, then its lines."""
    return [text for text, _ in split_groups_owned(groups, limit)]


def split_groups_owned(
    groups: Sequence[Sequence[str]], limit: int = MESSAGE_LIMIT
) -> list[tuple[str, list[int]]]:
    """`split_groups()` that also says which groups END in each message (their
    indexes): a button for a group goes on the message holding its last line."""
    messages: list[tuple[str, list[int]]] = []
    current = ""
    owners: list[int] = []

    def flush() -> None:
        nonlocal current, owners
        if current:
            messages.append((current, owners))
        current, owners = "", []

    for index, group in enumerate(groups):
        joined = "\n\n".join(group)
        candidate = f"{current}\n\n{joined}" if current else joined
        if text_length(candidate) <= limit:
            current = candidate
            owners.append(index)
            continue
        flush()
        if text_length(joined) <= limit:
            current = joined
            owners.append(index)
            continue
        for block in group:
            candidate = f"{current}\n\n{block}" if current else block
            if text_length(candidate) <= limit:
                current = candidate
                continue
            flush()
            if text_length(block) <= limit:
                current = block
            else:
                parts = _pack(block.split("\n"), limit)
                messages.extend((part, []) for part in parts[:-1])
                current = parts[-1] if parts else ""
        owners.append(index)
    flush()
    return messages
