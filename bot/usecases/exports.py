"""/find, /export and /stats for the staff chat.

The CSV files use `;` as separator and a UTF-8 BOM (Excel in kk/ru locales opens
them as is); amounts with two decimals and a dot. The export holds what staff
already see on the cards (no IBAN, no phone): number, dates, status, ground,
amounts, names; the audit file holds every action with who, when, old and new
status and the comment.

The same two tables go, with typed cells (dates, money as numbers with a tenge
format, IINs as text), into one XLSX file (issue 13 item 5, bot/usecases/sheets.py),
with a third sheet in the staff language: the parents' ratings of those applications
(issue 12 item 6, bot/usecases/feedback.py) — number, occasion, score, comment, the day
of the answer (Asia/Almaty); no name, no IIN. A comment erased by /deletedata is gone
from the database, so from the sheet too.

Every cell goes through `cell()` (bot/usecases/cells.py): text that a spreadsheet would take for a
formula (starting with =, +, -, @, a tab or a carriage return — OWASP "CSV
injection") is written with a leading apostrophe, so a parent's answer such as
`=HYPERLINK("http://evil","x")` opens as the text it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ALMATY
from bot.data.models import Application, AuditEntry, Overpayment, PaymentQuarter, Rating
from bot.i18n import N_, Tr
from bot.usecases.cells import FORMULA_STARTS, cell
from bot.usecases.feedback import Occasion
from bot.usecases.sheets import Column, Kind, Sheet, Value, workbook
from core.months import Month
from core.status import QuarterStatus, Status

STATUSES = tuple(s.value for s in Status)
_NUMBER = re.compile(r"^[A-Za-zА-Яа-я]{2,4}-\d{4}-\d{1,8}$")


@dataclass(frozen=True)
class ExportFilter:
    """`/export [status …] [from [to]]`: statuses and a period of application dates."""

    statuses: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None


class BadFilter(ValueError):
    """An argument of /export that is neither a status nor a date, month or year."""


def _period(token: str) -> tuple[dt.date, dt.date] | None:
    token = token.strip()
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = dt.datetime.strptime(token, pattern).date()
        except ValueError:
            continue
        return day, day
    match = re.fullmatch(r"(\d{1,2})[./-](\d{4})", token) or None
    if match:
        month = Month(int(match.group(2)), int(match.group(1)))
        return month.first_day(), month.last_day()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", token)
    if match:
        month = Month(int(match.group(1)), int(match.group(2)))
        return month.first_day(), month.last_day()
    if re.fullmatch(r"\d{4}", token):
        year = int(token)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return None


def parse_filter(args: str | None) -> ExportFilter:
    """'approved rejected 09.2025 12.2025' → statuses and the period 01.09.2025–31.12.2025."""
    statuses: list[str] = []
    periods: list[tuple[dt.date, dt.date]] = []
    for token in (args or "").replace(",", " ").split():
        lowered = token.lower()
        if lowered in STATUSES:
            statuses.append(lowered)
            continue
        try:
            period = _period(token)
        except ValueError:
            period = None
        if period is None:
            raise BadFilter(token)
        periods.append(period)
    if len(periods) > 2:
        raise BadFilter(" ".join(str(p) for p in periods[2:]))
    start = periods[0][0] if periods else None
    end = periods[-1][1] if periods else None
    if start and end and end < start:
        raise BadFilter("period")
    return ExportFilter(tuple(dict.fromkeys(statuses)), start, end)


@dataclass
class Totals:
    planned: Decimal = Decimal("0")
    paid: Decimal = Decimal("0")
    overpaid: Decimal = Decimal("0")


async def find(
    sessionmaker: async_sessionmaker[AsyncSession], query: str, limit: int = 10
) -> list[Application]:
    """Applications by number (ALA-2025-000123, case-insensitive) or by an IIN of
    the applicant or the child (12 digits); newest first."""
    text = query.strip()
    if not text:
        return []
    async with sessionmaker() as session:
        if text.isdigit() and len(text) == 12:
            condition = or_(Application.applicant_iin == text, Application.child_iin == text)
        elif _NUMBER.match(text) or "-" in text:
            condition = func.upper(Application.number) == text.upper()
        elif text.isdigit():
            condition = Application.number.like(f"%-{int(text):06d}")
        else:
            return []
        rows = await session.scalars(
            select(Application).where(condition).order_by(Application.id.desc()).limit(limit)
        )
        return list(rows.all())


async def _totals(session: AsyncSession, ids: Sequence[int]) -> dict[int, Totals]:
    totals: dict[int, Totals] = defaultdict(Totals)
    if not ids:
        return totals
    for chunk_start in range(0, len(ids), 500):
        chunk = list(ids[chunk_start : chunk_start + 500])
        for quarter in (
            await session.scalars(
                select(PaymentQuarter).where(PaymentQuarter.application_id.in_(chunk))
            )
        ).all():
            if quarter.status == QuarterStatus.CANCELLED:
                continue
            totals[quarter.application_id].planned += Decimal(quarter.amount)
            if quarter.status == QuarterStatus.PAID:
                totals[quarter.application_id].paid += Decimal(quarter.amount)
        for item in (
            await session.scalars(select(Overpayment).where(Overpayment.application_id.in_(chunk)))
        ).all():
            totals[item.application_id].overpaid += Decimal(item.amount)
    return totals


@dataclass
class Export:
    applications_csv: bytes
    audit_csv: bytes
    count: int
    audit_count: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    xlsx: bytes = b""  # the same two tables and the ratings, typed cells (issue 13 item 5)
    rating_count: int = 0


__all__ = ["FORMULA_STARTS", "cell"]

APPLICATION_COLUMNS = (
    ("number", Kind.TEXT),
    ("applied_on", Kind.DATE),
    ("status", Kind.TEXT),
    ("refusal_ground", Kind.TEXT),
    ("language", Kind.TEXT),
    ("applicant", Kind.TEXT),
    ("applicant_iin", Kind.TEXT),
    ("child", Kind.TEXT),
    ("child_birth", Kind.DATE),
    ("certificate_from", Kind.TEXT),
    ("certificate_to", Kind.TEXT),
    ("estimate_total", Kind.MONEY),
    ("schedule_total", Kind.MONEY),
    ("paid_total", Kind.MONEY),
    ("overpaid_total", Kind.MONEY),
    ("assigned_staff_id", Kind.INTEGER),
    ("parent_unreachable", Kind.TEXT),
    ("official_request", Kind.TEXT),
)
AUDIT_COLUMNS = (
    ("number", Kind.TEXT),
    ("time_utc", Kind.DATETIME),
    ("actor", Kind.TEXT),
    ("actor_id", Kind.INTEGER),
    ("actor_name", Kind.TEXT),
    ("action", Kind.TEXT),
    ("old_status", Kind.TEXT),
    ("new_status", Kind.TEXT),
    ("ground", Kind.TEXT),
    ("comment", Kind.TEXT),
)

# The ratings sheet, in the staff language (gettext).
RATINGS_SHEET = N_("Ratings")
RATING_COLUMNS = (
    Column(N_("Application No.")),
    Column(N_("Occasion")),
    Column(N_("Score (1–5)"), Kind.INTEGER),
    Column(N_("Comment"), width=60),
    Column(N_("Date of the rating"), Kind.DATE),
)
OCCASIONS = {
    Occasion.DECISION.value: N_("after the decision"),
    Occasion.PAYMENT.value: N_("after the first payment"),
}


def _almaty_day(moment: dt.datetime) -> dt.date:
    """The Asia/Almaty day of a stored moment (SQLite gives it back naive, in UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(ALMATY).date()


def _ratings_sheet(tr: Tr, ratings: Sequence[Rating], numbers: dict[int, str]) -> Sheet:
    """The answered ratings (a score given): the parent's comment as text, never a formula."""
    columns = [Column(tr(c.title), c.kind, c.width) for c in RATING_COLUMNS]
    sheet = Sheet(tr(RATINGS_SHEET), columns)
    for rating in ratings:
        occasion = OCCASIONS.get(rating.occasion)
        sheet.rows.append(
            [
                numbers.get(rating.application_id, ""),
                tr(occasion) if occasion else rating.occasion,
                rating.score,
                rating.comment or "",
                _almaty_day(rating.answered_at) if rating.answered_at else rating.asked_on,
            ]
        )
    return sheet


def _text(value: Value) -> str:
    """A typed value as the CSV writes it: dates ISO, money with two decimals and a dot."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _tables(
    columns: tuple[tuple[str, Kind], ...], rows: list[list[Value]], title: str
) -> tuple[bytes, Sheet]:
    text = [[name for name, _kind in columns]] + [[_text(v) for v in row] for row in rows]
    sheet = Sheet(title, [Column(name, kind) for name, kind in columns], rows)
    return _csv(text), sheet


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([cell(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def export(
    sessionmaker: async_sessionmaker[AsyncSession], flt: ExportFilter, tr: Tr
) -> Export:
    """Applications (with status and amounts) and their audit log, as CSV; both and the
    parents' ratings of those applications (sheet titles and headers by ``tr``) as XLSX."""
    async with sessionmaker() as session:
        query = select(Application).order_by(Application.id)
        if flt.statuses:
            query = query.where(Application.status.in_(flt.statuses))
        if flt.start:
            query = query.where(Application.applied_on >= flt.start)
        if flt.end:
            query = query.where(Application.applied_on <= flt.end)
        applications = list((await session.scalars(query)).all())
        ids = [a.id for a in applications]
        totals = await _totals(session, ids)
        audit: list[AuditEntry] = []
        ratings: list[Rating] = []
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            audit += (
                await session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.application_id.in_(chunk))
                    .order_by(AuditEntry.id)
                )
            ).all()
            ratings += (
                await session.scalars(
                    select(Rating)
                    .where(Rating.application_id.in_(chunk), Rating.score.is_not(None))
                    .order_by(Rating.application_id, Rating.id)
                )
            ).all()
    numbers = {a.id: a.number for a in applications}
    rows: list[list[Value]] = []
    by_status: Counter[str] = Counter()
    for a in applications:
        by_status[a.status] += 1
        t = totals.get(a.id, Totals())
        applicant = " ".join(
            p for p in (a.applicant_surname, a.applicant_name, a.applicant_patronymic) if p
        )
        rows.append(
            [
                a.number,
                a.applied_on,
                a.status,
                f"p.8({a.refusal_ground})" if a.refusal_ground else "",
                a.language,
                applicant,
                a.applicant_iin or "",
                a.child_name or "",
                a.child_birth,
                a.certificate_start or "",
                a.certificate_end or "",
                Decimal(a.estimate_total) if a.estimate_total is not None else None,
                t.planned,
                t.paid,
                t.overpaid,
                a.assigned_staff_id,
                "yes" if a.parent_unreachable else "",
                a.official_request or "",
            ]
        )
    audit_rows: list[list[Value]] = []
    for entry in audit:
        created = (
            entry.created_at if entry.created_at.tzinfo else entry.created_at.replace(tzinfo=dt.UTC)
        )
        audit_rows.append(
            [
                numbers.get(entry.application_id, ""),
                created.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0),
                entry.actor,
                entry.actor_id,
                entry.actor_name or "",
                entry.action,
                entry.old_status or "",
                entry.new_status or "",
                f"p.8({entry.ground})" if entry.ground else "",
                entry.comment or "",
            ]
        )
    applications_csv, applications_sheet = _tables(APPLICATION_COLUMNS, rows, "applications")
    audit_csv, audit_sheet = _tables(AUDIT_COLUMNS, audit_rows, "audit")
    ratings_sheet = _ratings_sheet(tr, ratings, numbers)
    return Export(
        applications_csv,
        audit_csv,
        len(applications),
        len(audit),
        by_status,
        workbook([applications_sheet, audit_sheet, ratings_sheet]),
        len(ratings),
    )


@dataclass
class Stats:
    by_status: dict[str, int]
    # (school_year, quarter) → (approved = planned + paid, paid)
    quarters: list[tuple[str, int, Decimal, Decimal]]
    overpaid: Decimal


async def stats(sessionmaker: async_sessionmaker[AsyncSession]) -> Stats:
    async with sessionmaker() as session:
        by_status = dict(
            (
                await session.execute(
                    select(Application.status, func.count()).group_by(Application.status)
                )
            ).all()
        )
        rows = (
            await session.execute(
                select(
                    PaymentQuarter.school_year,
                    PaymentQuarter.quarter,
                    PaymentQuarter.status,
                    PaymentQuarter.amount,
                ).where(PaymentQuarter.status != QuarterStatus.CANCELLED)
            )
        ).all()
        overpaid = (
            await session.scalar(select(func.coalesce(func.sum(Overpayment.amount), 0)))
        ) or 0
    sums: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    for school_year, quarter, status, amount in rows:
        entry = sums[(school_year, quarter)]
        entry[0] += Decimal(amount)
        if status == QuarterStatus.PAID:
            entry[1] += Decimal(amount)
    quarters = [(sy, q, v[0], v[1]) for (sy, q), v in sorted(sums.items())]
    return Stats({k: int(v) for k, v in by_status.items()}, quarters, Decimal(overpaid))
